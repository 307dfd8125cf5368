import { describe, expect, it } from 'vitest';
import { MemoryKeyStore, MemoryObjectStore, MemoryTable } from '../../../functions/adapters/memory/index.ts';
import type { QueryRunner } from '../../../functions/adapters/ports.ts';
import type { Runtime } from '../../../functions/adapters/runtime.ts';
import { errorResponse } from '../../../functions/api/errors.ts';
import { ROUTES, routeHttpEvent } from '../../../functions/api/routes.ts';
import { readLedger } from '../../../functions/domain/ledger/ledger.ts';
import { PurgeDeleteFailedError } from '../../../functions/domain/purge/errors.ts';
import { defaultSettings } from '../../../functions/domain/settings.ts';
import { findGrant, grantSupporter } from '../../../functions/domain/supporters/grants.ts';
import { activeTenant } from '../uploads/fixtures.ts';

const noQueries: QueryRunner = {
  engine: 'duckdb',
  run: async () => {
    throw new Error('no queries in these tests');
  },
};

/** Memory ports; `advance` moves the clock on by that many ms at every reading (to exhaust budgets). */
function memoryRuntime(options: { advance?: number } = {}): Runtime & {
  table: MemoryTable;
  objects: MemoryObjectStore;
} {
  let n = 0;
  let now = new Date('2026-11-22T03:00:00.000Z').getTime();
  const table = new MemoryTable();
  for (const tenantId of ['demo-a', 'demo-b']) void table.put('tenants', activeTenant(tenantId));
  void table.put('tenants', activeTenant('ended-co', { start: '2026-01-01', end: '2026-06-30' }));
  return {
    stage: 'test',
    region: 'ap-northeast-1',
    settings: defaultSettings,
    objects: new MemoryObjectStore(),
    table,
    keys: new MemoryKeyStore(),
    duckdb: noQueries,
    athena: undefined,
    dataKeyId: undefined,
    clock: () => {
      const at = new Date(now);
      now += options.advance ?? 0;
      return at;
    },
    newId: () => `00000000-0000-4000-8000-${String(++n).padStart(12, '0')}`,
  };
}

const silent = { error() {} };
const claims = {
  tenantA: { sub: 'sub-a', 'custom:tenant_id': 'demo-a', 'cognito:groups': '[tenant]' },
  supporter: { sub: 'sub-sr', 'custom:tenant_id': 'sr-office', 'cognito:groups': '[supporter]' },
  admin: { sub: 'sub-admin', 'cognito:groups': '[admin]' },
};

function event(
  routeKey: string,
  options: {
    body?: unknown;
    claims?: Record<string, unknown>;
    path?: Record<string, string>;
    query?: Record<string, string>;
    lang?: string;
  } = {},
) {
  return {
    routeKey,
    headers: { 'accept-language': options.lang ?? 'en' },
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
    isBase64Encoded: false,
    pathParameters: options.path,
    queryStringParameters: options.query,
    requestContext: { authorizer: { jwt: { claims: options.claims ?? claims.tenantA } } },
  };
}

const call = (ports: Runtime, ...args: Parameters<typeof event>) =>
  routeHttpEvent(event(...args), ports, silent).then((r) => ({ ...r, json: JSON.parse(r.body) }));

describe('route table', () => {
  it('holds the wave-2 routes, each once', () => {
    expect(Object.keys(ROUTES)).toEqual(
      expect.arrayContaining([
        'GET /stats',
        'GET /stats/{name}',
        'GET /stats/{name}/benchmark',
        'GET /releases/latest/notice',
        'POST /supporters/grants',
        'DELETE /supporters/grants/{supporterId}',
        'GET /supporters/grants',
        'POST /admin/tenants/{tenantId}/purge',
        'GET /admin/certificates/{tenantId}',
        'POST /admin/releases',
        'GET /about/processing',
      ]),
    );
  });
});

describe('supporter grants', () => {
  it('grants, lists and revokes, each in the ledger, and never lists a grant as an upload', async () => {
    // Prepare
    const ports = memoryRuntime();

    // Act
    const granted = await call(ports, 'POST /supporters/grants', { body: { supporterId: 'sr-office' } });
    const listed = await call(ports, 'GET /supporters/grants');
    const uploads = await call(ports, 'GET /uploads');
    const revoked = await call(ports, 'DELETE /supporters/grants/{supporterId}', {
      path: { supporterId: 'sr-office' },
    });
    const afterRevoke = await call(ports, 'GET /supporters/grants');

    // Assess
    expect(granted.statusCode).toBe(201);
    expect(listed.json.grants).toEqual([
      { supporterId: 'sr-office', scope: 'benchmarks', grantedAt: '2026-11-22T03:00:00.000Z' },
    ]);
    expect(uploads.json.uploads).toEqual([]);
    expect(revoked.statusCode).toBe(200);
    expect(afterRevoke.json.grants).toEqual([]);
    const ledger = await readLedger(ports.table, { tenantId: 'demo-a' });
    expect(ledger.map((e) => [e.action, e.actor.subject, e.details.supporterId])).toEqual([
      ['supporter.granted', 'sub-a', 'sr-office'],
      ['supporter.revoked', 'sub-a', 'sr-office'],
    ]);
  });

  it('refuses a supporter that tries to grant, recording the refusal', async () => {
    // Prepare
    const ports = memoryRuntime();

    // Act
    const response = await call(ports, 'POST /supporters/grants', {
      body: { supporterId: 'other-sr' },
      claims: claims.supporter,
    });

    // Assess
    expect(response.statusCode).toBe(403);
    expect((await readLedger(ports.table)).map((e) => e.action)).toEqual(['authorization.refused']);
  });

  it('names the field when the supporter id is malformed', async () => {
    // Act
    const response = await call(memoryRuntime(), 'POST /supporters/grants', {
      body: { supporterId: '../Other' },
    });

    // Assess
    expect(response.statusCode).toBe(422);
    expect(response.json.error.field).toBe('supporterId');
  });

  it('answers 404 when revoking a grant that does not exist', async () => {
    // Act
    const response = await call(memoryRuntime(), 'DELETE /supporters/grants/{supporterId}', {
      path: { supporterId: 'nobody' },
    });

    // Assess
    expect(response.statusCode).toBe(404);
  });

  it('pages uploads past grants without handing out a grant as cursor', async () => {
    // Prepare: one upload and two grants in the partition; grants sort after upload ids.
    const ports = memoryRuntime();
    await ports.table.put('uploads', {
      tenantId: 'demo-a',
      uploadId: '00000000-0000-4000-8000-000000000099',
      dataset: 'sales',
      fileName: 'a.csv',
      key: 'landing/demo-a/sales/00000000-0000-4000-8000-000000000099/a.csv',
      contentType: 'text/csv',
      sizeBytes: 1,
      sha256: 'AAAA',
      status: 'REQUESTED',
      requestedBy: 'sub-a',
      requestedAt: '2026-11-22T00:00:00.000Z',
      expiresAt: '2026-11-22T00:05:00.000Z',
      updatedAt: '2026-11-22T00:00:00.000Z',
    });
    await call(ports, 'POST /supporters/grants', { body: { supporterId: 'sr-one' } });
    await call(ports, 'POST /supporters/grants', { body: { supporterId: 'sr-two' } });

    // Act
    const first = await call(ports, 'GET /uploads', { query: { limit: '1' } });
    const second = await call(ports, 'GET /uploads', { query: { limit: '1', cursor: first.json.cursor } });

    // Assess
    expect(first.json.uploads.map((u: { uploadId: string }) => u.uploadId)).toEqual([
      '00000000-0000-4000-8000-000000000099',
    ]);
    expect(second.statusCode).toBe(200);
    expect(second.json).toEqual({ uploads: [] });
  });
});

describe('GET /stats/{name}/benchmark access', () => {
  it('answers a supporter without a grant with 404 whether or not the company exists, and records it', async () => {
    // Prepare
    const ports = memoryRuntime();

    // Act
    const existing = await call(ports, 'GET /stats/{name}/benchmark', {
      path: { name: 'overtime_hours_monthly' },
      query: { tenantId: 'demo-a' },
      claims: claims.supporter,
    });
    const missing = await call(ports, 'GET /stats/{name}/benchmark', {
      path: { name: 'overtime_hours_monthly' },
      query: { tenantId: 'no-such-co' },
      claims: claims.supporter,
    });

    // Assess
    expect(existing.statusCode).toBe(404);
    expect(missing.statusCode).toBe(404);
    expect(existing.json.error.code).toBe(missing.json.error.code);
    const refusals = (await readLedger(ports.table)).filter(
      (e) => e.action === 'supporter.benchmark_refused',
    );
    expect(refusals.map((e) => e.details.askedTenantId)).toEqual(['demo-a', 'no-such-co']);
  });

  it('answers a company asking about another company with 404', async () => {
    // Act
    const response = await call(memoryRuntime(), 'GET /stats/{name}/benchmark', {
      path: { name: 'overtime_hours_monthly' },
      query: { tenantId: 'demo-b' },
    });

    // Assess
    expect(response.statusCode).toBe(404);
  });

  it('answers an unknown statistic with 404 naming it', async () => {
    // Act
    const response = await call(memoryRuntime(), 'GET /stats/{name}/benchmark', { path: { name: 'nope' } });

    // Assess
    expect(response.statusCode).toBe(404);
    expect(response.json.error).toMatchObject({ field: 'name', message: expect.stringContaining('nope') });
  });

  it('answers 404 with a bilingual message while nothing is published', async () => {
    // Act
    const en = await call(memoryRuntime(), 'GET /stats');
    const ja = await call(memoryRuntime(), 'GET /releases/latest/notice', { query: { lang: 'ja' } });

    // Assess
    expect(en.statusCode).toBe(404);
    expect(en.json.error.message).toMatch(/No statistics have been published/);
    expect(ja.statusCode).toBe(404);
    expect(ja.json.error.message).toMatch(/統計はまだ公表されていません/);
  });
});

describe('admin purge and certificates', () => {
  it('refuses a tenant token with 403', async () => {
    // Prepare
    const ports = memoryRuntime();

    // Act
    const purge = await call(ports, 'POST /admin/tenants/{tenantId}/purge', { path: { tenantId: 'demo-b' } });
    const cert = await call(ports, 'GET /admin/certificates/{tenantId}', { path: { tenantId: 'demo-b' } });

    // Assess
    expect([purge.statusCode, cert.statusCode]).toEqual([403, 403]);
    expect(await ports.table.get('tenants', { tenantId: 'demo-b' })).toMatchObject({ state: 'ACTIVE' });
  });

  it('plans without deleting on a dry run', async () => {
    // Prepare
    const ports = memoryRuntime();
    await ports.objects.put('raw', 'raw/tenant=ended-co/dataset=sales/period=2026-05/u.parquet', 'x');

    // Act
    const response = await call(ports, 'POST /admin/tenants/{tenantId}/purge', {
      path: { tenantId: 'ended-co' },
      body: { dryRun: true },
      claims: claims.admin,
    });

    // Assess
    expect(response.statusCode).toBe(200);
    expect(response.json).toMatchObject({ outcome: 'dry-run', plan: { tenantId: 'ended-co' } });
    expect(response.json.plan.buckets.raw.versions).toBe(1);
    expect(
      await ports.objects.head('raw', 'raw/tenant=ended-co/dataset=sales/period=2026-05/u.parquet'),
    ).toBeDefined();
  });

  it('purges to a certificate whose chain verifies, grants included, then serves it', async () => {
    // Prepare
    const ports = memoryRuntime();
    await ports.objects.put('raw', 'raw/tenant=ended-co/dataset=sales/period=2026-05/u.parquet', 'x');
    await grantSupporter(
      ports,
      { subject: 'sub-e', roles: ['tenant'], tenantId: 'ended-co' },
      { supporterId: 'sr-office' },
    );

    // Act
    const purge = await call(ports, 'POST /admin/tenants/{tenantId}/purge', {
      path: { tenantId: 'ended-co' },
      claims: claims.admin,
    });
    const cert = await call(ports, 'GET /admin/certificates/{tenantId}', {
      path: { tenantId: 'ended-co' },
      claims: claims.admin,
    });

    // Assess
    expect(purge.statusCode).toBe(200);
    expect(purge.json).toMatchObject({
      outcome: 'purged',
      done: true,
      certificate: { tenantId: 'ended-co' },
    });
    expect(
      await ports.objects.head('raw', 'raw/tenant=ended-co/dataset=sales/period=2026-05/u.parquet'),
    ).toBeUndefined();
    expect(await findGrant(ports.table, 'ended-co', 'sr-office')).toBeUndefined();
    expect(cert.statusCode).toBe(200);
    expect(cert.json.certificate.hash).toBe(purge.json.certificate.hash);
    expect(cert.json.chain).toEqual({ valid: true, certificates: 1, problems: [] });
  });

  it('answers 202 with done false when the time budget runs out first', async () => {
    // Prepare: every clock reading is 30 s later, past the 20 s budget before the first batch.
    const ports = memoryRuntime({ advance: 30_000 });
    await ports.objects.put('raw', 'raw/tenant=ended-co/dataset=sales/period=2026-05/u.parquet', 'x');

    // Act
    const response = await call(ports, 'POST /admin/tenants/{tenantId}/purge', {
      path: { tenantId: 'ended-co' },
      claims: claims.admin,
    });

    // Assess
    expect(response.statusCode).toBe(202);
    expect(response.json).toMatchObject({ done: false, outcome: 'in-progress' });
    expect(await ports.table.get('tenants', { tenantId: 'ended-co' })).toMatchObject({ state: 'PURGING' });
  });

  it('refuses under legal hold with 409 and a bilingual message', async () => {
    // Prepare
    const ports = memoryRuntime();
    await call(ports, 'PATCH /admin/tenants/{tenantId}', {
      path: { tenantId: 'ended-co' },
      body: { legalHold: true },
      claims: claims.admin,
    });

    // Act
    const en = await call(ports, 'POST /admin/tenants/{tenantId}/purge', {
      path: { tenantId: 'ended-co' },
      claims: claims.admin,
    });
    const ja = await call(ports, 'POST /admin/tenants/{tenantId}/purge', {
      path: { tenantId: 'ended-co' },
      claims: claims.admin,
      lang: 'ja',
    });

    // Assess
    expect(en.statusCode).toBe(409);
    expect(en.json.error.message).toMatch(/legal hold/);
    expect(ja.json.error.message).toMatch(/法的保全/);
  });

  it('answers 404 for the certificate of a tenant never purged', async () => {
    // Act
    const response = await call(memoryRuntime(), 'GET /admin/certificates/{tenantId}', {
      path: { tenantId: 'demo-a' },
      claims: claims.admin,
    });

    // Assess
    expect(response.statusCode).toBe(404);
  });

  it('maps a purge that could not delete to 503', () => {
    // Act
    const response = errorResponse(new PurgeDeleteFailedError('ended-co', 'raw', 3), 'en');

    // Assess
    expect(response.statusCode).toBe(503);
    expect(JSON.parse(response.body).error.code).toBe('PURGE_DELETE_FAILED');
  });

  it('moves updatedAt on PATCH /admin/tenants/{tenantId}', async () => {
    // Prepare
    const ports = memoryRuntime();
    const before = await ports.table.get('tenants', { tenantId: 'demo-a' });

    // Act
    const response = await call(ports, 'PATCH /admin/tenants/{tenantId}', {
      path: { tenantId: 'demo-a' },
      body: { contract: { end: '2026-12-31' } },
      claims: claims.admin,
    });

    // Assess
    expect(response.statusCode).toBe(200);
    const after = await ports.table.get('tenants', { tenantId: 'demo-a' });
    expect(after?.updatedAt).toBe('2026-11-22T03:00:00.000Z');
    expect(after?.updatedAt).not.toBe(before?.updatedAt);
  });
});

describe('GET /about/processing', () => {
  it('shows regions, subprocessors and retention per zone from the settings', async () => {
    // Act
    const response = await call(memoryRuntime(), 'GET /about/processing', { claims: claims.supporter });

    // Assess
    expect(response.statusCode).toBe(200);
    expect(response.json.regions.map((r: { region: string }) => r.region)).toEqual(['ap-northeast-1']);
    expect(response.json.subprocessors.map((s: { service: string }) => s.service)).toContain('Amazon S3');
    expect(response.json.retention).toContainEqual(
      expect.objectContaining({ zone: 'landing', days: defaultSettings.retention.landingDays }),
    );
  });
});
