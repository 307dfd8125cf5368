import { describe, expect, it } from 'vitest';
import { errorResponse } from '../../../functions/api/errors.ts';
import { ROUTES, routeHttpEvent } from '../../../functions/api/routes.ts';
import { findGrant, grantSupporter } from '../../../functions/domain/advisors/grants.ts';
import { readLedger } from '../../../functions/domain/ledger/ledger.ts';
import { PurgeDeleteFailedError } from '../../../functions/domain/purge/errors.ts';
import { createPurgeHandler } from '../../../functions/purge/handler.ts';
import { composePurge } from '../../../functions/purge/runtime.ts';
import { memoryRuntime as createMemoryRuntime, type MemoryRuntime } from '../../support/memory-runtime.ts';
import { activeTenant } from '../uploads/fixtures.ts';

/** Memory ports; `advance` moves the clock on by that many ms at every reading (to exhaust budgets). */
function memoryRuntime(options: { advance?: number } = {}): MemoryRuntime {
  const runtime = createMemoryRuntime({
    now: new Date('2026-11-22T03:00:00.000Z'),
    advance: options.advance,
  });
  for (const tenantId of ['demo-a', 'demo-b']) void runtime.table.put('tenants', activeTenant(tenantId));
  void runtime.table.put('tenants', activeTenant('ended-co', { start: '2026-01-01', end: '2026-06-30' }));
  return runtime;
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

const call = (ports: MemoryRuntime, ...args: Parameters<typeof event>) =>
  routeHttpEvent(event(...args), ports, silent).then((r) => ({ ...r, json: JSON.parse(r.body) }));

describe('route table', () => {
  it('holds the statistics, advisor-grant, admin and processing routes, each once', () => {
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
        'GET /admin/tenants',
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

  it.each([
    ['whose contract ended', 'ended-co', {}, 'CONTRACT_NOT_RUNNING'],
    ['being purged', 'demo-b', { state: 'PURGING' }, 'TENANT_PURGED'],
    ['purged', 'demo-b', { state: 'PURGED' }, 'TENANT_PURGED'],
  ])(
    'refuses a company %s sharing with a supporter (403), writing no grant',
    async (_label, tenantId, change, code) => {
      // Prepare
      const ports = memoryRuntime();
      await ports.table.put('tenants', {
        ...activeTenant(tenantId),
        ...(tenantId === 'ended-co' ? { contract: { start: '2026-01-01', end: '2026-06-30' } } : {}),
        ...change,
      });

      // Act
      const response = await call(ports, 'POST /supporters/grants', {
        body: { supporterId: 'sr-office' },
        claims: { ...claims.tenantA, 'custom:tenant_id': tenantId },
      });

      // Assess
      expect(response.statusCode).toBe(403);
      expect(response.json.error.code).toBe(code);
      expect(await findGrant(ports.table, tenantId, 'sr-office')).toBeUndefined();
    },
  );

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

/** A Lambda context with this much time left. */
const lambdaContext = (remainingMs = 900_000) =>
  ({ functionName: 'kura-purge', awsRequestId: 'req', getRemainingTimeInMillis: () => remainingMs }) as never;

/** Runs jobs the API starts in the purge and release functions composed from the same ports. */
function withJobFunctions(ports: MemoryRuntime): MemoryRuntime {
  const purge = createPurgeHandler(() => composePurge(ports));
  ports.jobs.run = async (kind, event) => {
    if (kind === 'purge') await purge(event, lambdaContext());
  };
  return ports;
}

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

  it('starts a dry run as a job (202) that plans without deleting', async () => {
    // Prepare
    const ports = withJobFunctions(memoryRuntime());
    await ports.objects.put('raw', 'raw/tenant=ended-co/dataset=sales/period=2026-05/u.parquet', 'x');

    // Act
    const response = await call(ports, 'POST /admin/tenants/{tenantId}/purge', {
      path: { tenantId: 'ended-co' },
      body: { dryRun: true },
      claims: claims.admin,
    });
    const job = await call(ports, 'GET /admin/jobs/{jobId}', {
      path: { jobId: response.json.jobId },
      claims: claims.admin,
    });

    // Assess
    expect(response.statusCode).toBe(202);
    expect(response.json).toMatchObject({
      kind: 'purge',
      state: 'QUEUED',
      statusPath: `/admin/jobs/${response.json.jobId}`,
    });
    expect(ports.jobs.started).toEqual([
      {
        kind: 'purge',
        event: expect.objectContaining({ jobId: response.json.jobId, tenantId: 'ended-co', dryRun: true }),
      },
    ]);
    expect(job.json).toMatchObject({
      state: 'SUCCEEDED',
      result: { outcome: 'dry-run', plan: { tenantId: 'ended-co' } },
    });
    expect(job.json.result.plan.buckets.raw.versions).toBe(1);
    expect(JSON.stringify(job.json)).not.toContain('u.parquet');
    expect(
      await ports.objects.head('raw', 'raw/tenant=ended-co/dataset=sales/period=2026-05/u.parquet'),
    ).toBeDefined();
  });

  it('purges in the purge function to a certificate whose chain verifies, then starts the release without the tenant', async () => {
    // Prepare
    const ports = withJobFunctions(memoryRuntime());
    await ports.objects.put('raw', 'raw/tenant=ended-co/dataset=sales/period=2026-05/u.parquet', 'x');
    // The company shared its benchmarks while its contract ran (it ended 2026-06-30).
    const now = ports.clock();
    ports.setNow(new Date('2026-05-01T03:00:00.000Z'));
    await grantSupporter(
      ports,
      { subject: 'sub-e', roles: ['tenant'], tenantId: 'ended-co' },
      { supporterId: 'sr-office' },
    );
    ports.setNow(now);

    // Act
    const purge = await call(ports, 'POST /admin/tenants/{tenantId}/purge', {
      path: { tenantId: 'ended-co' },
      claims: claims.admin,
    });
    const job = await call(ports, 'GET /admin/jobs/{jobId}', {
      path: { jobId: purge.json.jobId },
      claims: claims.admin,
    });
    const cert = await call(ports, 'GET /admin/certificates/{tenantId}', {
      path: { tenantId: 'ended-co' },
      claims: claims.admin,
    });

    // Assess
    expect(purge.statusCode).toBe(202);
    expect(job.json).toMatchObject({
      state: 'SUCCEEDED',
      tenantId: 'ended-co',
      result: { outcome: 'purged' },
    });
    expect(
      await ports.objects.head('raw', 'raw/tenant=ended-co/dataset=sales/period=2026-05/u.parquet'),
    ).toBeUndefined();
    expect(await findGrant(ports.table, 'ended-co', 'sr-office')).toBeUndefined();
    expect(cert.statusCode).toBe(200);
    expect(cert.json.certificate.certificateId).toBe(job.json.result.certificateId);
    expect(cert.json.chain).toEqual({ valid: true, certificates: 1, problems: [] });
    expect(ports.jobs.started.map((s) => [s.kind, s.event.reason])).toEqual([
      ['purge', 'on-demand'],
      ['release', 'tenant-purged'],
    ]);
    expect(job.json.result.releaseJobId).toBe(ports.jobs.started[1]?.event.jobId);
  });

  it('deletes what appeared of a purged company when an admin purges it again, and says so in the job', async () => {
    // Prepare: a purged company, then a file that lands for it afterwards and is left behind.
    const ports = withJobFunctions(memoryRuntime());
    const purge = () =>
      call(ports, 'POST /admin/tenants/{tenantId}/purge', {
        path: { tenantId: 'ended-co' },
        claims: claims.admin,
      });
    const first = await purge();
    await ports.objects.put('landing', 'landing/ended-co/sales/u-late/売上.csv', 'late');

    // Act
    const again = await purge();
    const job = await call(ports, 'GET /admin/jobs/{jobId}', {
      path: { jobId: again.json.jobId },
      claims: claims.admin,
    });

    // Assess
    expect(first.statusCode).toBe(202);
    expect(job.json.result).toMatchObject({
      outcome: 'purged',
      alreadyPurged: true,
      residueDeleted: { tenantId: 'ended-co', objectVersions: 1, stores: ['landing'] },
    });
    expect(await ports.objects.head('landing', 'landing/ended-co/sales/u-late/売上.csv')).toBeUndefined();
    expect(JSON.stringify(job.json)).not.toContain('売上');
  });

  it('goes on in a fresh invocation under the same job when one invocation cannot finish', async () => {
    // Prepare: the purge function's invocation has no time left beyond its safety margin.
    const ports = memoryRuntime();
    const purge = createPurgeHandler(() => composePurge(ports));
    let invocations = 0;
    ports.jobs.run = async (kind, event) => {
      if (kind === 'purge' && invocations++ === 0) await purge(event, lambdaContext(30_000));
    };
    await ports.objects.put('raw', 'raw/tenant=ended-co/dataset=sales/period=2026-05/u.parquet', 'x');

    // Act
    const response = await call(ports, 'POST /admin/tenants/{tenantId}/purge', {
      path: { tenantId: 'ended-co' },
      claims: claims.admin,
    });
    const job = await call(ports, 'GET /admin/jobs/{jobId}', {
      path: { jobId: response.json.jobId },
      claims: claims.admin,
    });

    // Assess
    expect(response.statusCode).toBe(202);
    expect(job.json).toMatchObject({ state: 'RUNNING', result: { outcome: 'in-progress' } });
    expect(ports.jobs.started.map((s) => [s.kind, s.event.jobId])).toEqual([
      ['purge', response.json.jobId],
      ['purge', response.json.jobId],
    ]);
    expect(await ports.table.get('tenants', { tenantId: 'ended-co' })).toMatchObject({ state: 'PURGING' });
  });

  it('starts a release as a job (202) that the release function runs', async () => {
    // Prepare
    const ports = memoryRuntime();

    // Act
    const response = await call(ports, 'POST /admin/releases', { claims: claims.admin });

    // Assess
    expect(response.statusCode).toBe(202);
    expect(ports.jobs.started).toEqual([
      {
        kind: 'release',
        event: expect.objectContaining({
          jobId: response.json.jobId,
          reason: 'on-demand',
          actor: { subject: 'sub-admin', roles: ['admin'] },
        }),
      },
    ]);
  });

  it('answers 503 and records the job as failed when its function cannot be started', async () => {
    // Prepare
    const ports = memoryRuntime();
    ports.jobs.fail = true;

    // Act
    const response = await call(ports, 'POST /admin/releases', { claims: claims.admin });

    // Assess
    expect(response.statusCode).toBe(503);
    expect(response.json.error.code).toBe('JOB_NOT_STARTED');
    const [record] = (await ports.table.scan('jobs')).items;
    expect(record).toMatchObject({ state: 'FAILED', kind: 'release' });
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

describe('GET /admin/tenants', () => {
  it('lists every company for an admin, a page at a time, without the purge checkpoint', async () => {
    // Prepare: three tenants, one of them mid-purge
    const ports = memoryRuntime();
    await ports.table.put('tenants', {
      ...activeTenant('ended-co', { start: '2026-01-01', end: '2026-06-30' }),
      state: 'PURGING',
      purge: { startedAt: '2026-11-01T00:00:00.000Z', checkpoint: { bucket: 'raw', key: 'x' } },
    });

    // Act: pages of two
    const first = await call(ports, 'GET /admin/tenants', { claims: claims.admin, query: { limit: '2' } });
    const second = await call(ports, 'GET /admin/tenants', {
      claims: claims.admin,
      query: { limit: '2', cursor: first.json.cursor },
    });

    // Assess
    expect(first.statusCode).toBe(200);
    expect(first.json.tenants).toHaveLength(2);
    expect(typeof first.json.cursor).toBe('string');
    const listed = [...first.json.tenants, ...second.json.tenants];
    expect(listed.map((t: { tenantId: string }) => t.tenantId).sort()).toEqual([
      'demo-a',
      'demo-b',
      'ended-co',
    ]);
    expect(listed.find((t: { tenantId: string }) => t.tenantId === 'ended-co')).toMatchObject({
      name: 'Company ended-co',
      state: 'PURGING',
      contract: { start: '2026-01-01', end: '2026-06-30' },
      purge: { startedAt: '2026-11-01T00:00:00.000Z' },
    });
    expect(JSON.stringify(listed)).not.toContain('checkpoint');
  });

  it('refuses a company user and a supporter, and records each refusal', async () => {
    // Prepare
    const ports = memoryRuntime();

    // Act
    const asTenant = await call(ports, 'GET /admin/tenants', { claims: claims.tenantA });
    const asSupporter = await call(ports, 'GET /admin/tenants', { claims: claims.supporter });

    // Assess
    expect(asTenant.statusCode).toBe(403);
    expect(asSupporter.statusCode).toBe(403);
    expect(JSON.stringify(asTenant.json)).not.toContain('demo-b');
    const refusals = (await readLedger(ports.table)).filter((e) => e.action === 'authorization.refused');
    expect(refusals.map((e) => e.details)).toEqual([
      expect.objectContaining({ attempted: 'GET /admin/tenants' }),
      expect.objectContaining({ attempted: 'GET /admin/tenants' }),
    ]);
  });

  it('refuses a cursor that is not a tenant id', async () => {
    // Act
    const response = await call(memoryRuntime(), 'GET /admin/tenants', {
      claims: claims.admin,
      query: { cursor: '{"tenantId":"x"}' },
    });

    // Assess
    expect(response.statusCode).toBe(422);
    expect(response.json.error.field).toBe('cursor');
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
      expect.objectContaining({ zone: 'landing', days: memoryRuntime().settings.retention.landingDays }),
    );
  });
});

describe('column mappings and import profiles (issue 17)', () => {
  it('saves, shows and deletes a company’s mapping, never listing it as an upload; lists the presets', async () => {
    // Prepare
    const ports = memoryRuntime();
    const path = { dataset: 'attendance' };

    // Act
    const saved = await call(ports, 'PUT /mappings/{dataset}', {
      path,
      body: { columns: { 社員CD: 'employee_id', 出勤日: 'work_date' }, profile: 'jobcan' },
    });
    const shown = await call(ports, 'GET /mappings/{dataset}', { path });
    const uploads = await call(ports, 'GET /uploads');
    const bySupporter = await call(ports, 'PUT /mappings/{dataset}', {
      path,
      claims: claims.supporter,
      body: { columns: { x: 'employee_id' } },
    });
    const deleted = await call(ports, 'DELETE /mappings/{dataset}', { path });
    const gone = await call(ports, 'GET /mappings/{dataset}', { path });
    const profiles = await call(ports, 'GET /profiles');

    // Assess
    expect(saved.statusCode).toBe(200);
    expect(shown.json).toMatchObject({
      dataset: 'attendance',
      profile: 'jobcan',
      columns: { 社員CD: 'employee_id' },
    });
    expect(uploads.json).toEqual({ uploads: [] });
    expect(bySupporter.statusCode).toBe(403);
    expect(deleted.json).toEqual({ deleted: true });
    expect(gone.statusCode).toBe(404);
    expect(profiles.json.profiles.map((p: { name: string }) => p.name)).toEqual([
      'kingoftime',
      'freee-kintai-plus',
      'freee-hr',
      'jobcan',
      'moneyforward',
      'smarthr',
    ]);
  });
});
