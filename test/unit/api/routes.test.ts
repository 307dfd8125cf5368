import type { Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import type { Runtime } from '../../../functions/adapters/runtime.ts';
import { createApiHandler } from '../../../functions/api/handler.ts';
import { ROUTES, routeHttpEvent } from '../../../functions/api/routes.ts';
import { composeApi } from '../../../functions/api/runtime.ts';
import { readLedger } from '../../../functions/domain/ledger/ledger.ts';
import { memoryRuntime as createMemoryRuntime, type MemoryRuntime } from '../../support/memory-runtime.ts';
import { activeTenant, employeesRequest } from '../uploads/fixtures.ts';

function memoryRuntime(): MemoryRuntime {
  const runtime = createMemoryRuntime({ now: new Date('2026-05-01T09:00:00.000Z') });
  for (const tenantId of ['demo-a', 'demo-b']) void runtime.table.put('tenants', activeTenant(tenantId));
  return runtime;
}

const silent = { error() {} };
const tenantClaims = { sub: 'sub-a', 'custom:tenant_id': 'demo-a', 'cognito:groups': '[tenant]' };
const adminClaims = { sub: 'sub-admin', 'cognito:groups': '[admin]' };

function event(
  routeKey: string,
  options: {
    body?: unknown;
    rawBody?: string;
    claims?: Record<string, unknown> | undefined;
    lang?: string;
    path?: Record<string, string>;
  } = {},
) {
  return {
    routeKey,
    headers: { 'accept-language': options.lang ?? 'en', 'content-type': 'application/json' },
    body: options.rawBody ?? (options.body === undefined ? undefined : JSON.stringify(options.body)),
    isBase64Encoded: false,
    pathParameters: options.path,
    requestContext: {
      ...('claims' in options && options.claims === undefined
        ? {}
        : { authorizer: { jwt: { claims: options.claims ?? tenantClaims } } }),
    },
  };
}

const bodyOf = (response: { body: string }) => JSON.parse(response.body);

describe('routeHttpEvent', () => {
  it('lists the catalogue with bilingual headers, privacy classes and CSV templates', async () => {
    // Act
    const response = await routeHttpEvent(event('GET /datasets'), memoryRuntime(), silent);

    // Assess
    expect(response.statusCode).toBe(200);
    const employees = bodyOf(response).datasets.find((d: { name: string }) => d.name === 'employees');
    expect(employees).toMatchObject({ ja: '従業員台帳', personal: true, consentRequired: true });
    expect(employees.columns[0]).toMatchObject({
      name: 'employee_id',
      headers: { ja: '社員番号', en: 'employee_id' },
      privacy: 'linking_code',
    });
    expect(employees.templates.ja.startsWith('社員番号,')).toBe(true);
    expect(employees.templates.en.startsWith('employee_id,')).toBe(true);
  });

  it('creates an upload and returns the presigned POST with 201', async () => {
    // Prepare
    const ports = memoryRuntime();

    // Act
    const response = await routeHttpEvent(event('POST /uploads', { body: employeesRequest }), ports, silent);

    // Assess
    expect(response.statusCode).toBe(201);
    const ticket = bodyOf(response);
    expect(ticket.key.startsWith('landing/demo-a/employees/')).toBe(true);
    expect(Object.keys(ticket).sort()).toEqual(['expiresAt', 'fields', 'key', 'maxBytes', 'uploadId', 'url']);
  });

  it('answers malformed JSON with 400 and a message saying what to fix', async () => {
    // Prepare
    const ports = memoryRuntime();

    // Act
    const response = await routeHttpEvent(
      event('POST /uploads', { rawBody: '{"dataset": "employees",' }),
      ports,
      silent,
    );

    // Assess
    expect(response.statusCode).toBe(400);
    expect(bodyOf(response)).toEqual({
      error: { code: 'MALFORMED_REQUEST', message: expect.stringMatching(/not valid JSON/) },
    });
    expect(ports.table.dump('ledger')).toEqual([]);
  });

  it('answers in Japanese when the caller prefers it', async () => {
    // Act
    const response = await routeHttpEvent(
      event('POST /uploads', {
        body: { ...employeesRequest, dataset: 'unknown' },
        lang: 'ja-JP,ja;q=0.9,en;q=0.5',
      }),
      memoryRuntime(),
      silent,
    );

    // Assess
    expect(response.statusCode).toBe(422);
    expect(response.headers['content-language']).toBe('ja');
    expect(bodyOf(response).error.message).toMatch(/アップロードできません/);
  });

  it.each([
    ['unknown dataset', { dataset: 'nope' }, 422, 'dataset'],
    ['negative size', { sizeBytes: -1 }, 422, 'sizeBytes'],
    ['huge size', { sizeBytes: 1e15 }, 413, 'sizeBytes'],
    ['bad checksum', { sha256: 'not-a-checksum' }, 422, 'sha256'],
    ['missing consent', { consent: undefined }, 422, 'consent'],
    ['zip file', { contentType: 'application/zip' }, 422, 'contentType'],
    ['tenant in the body', { tenantId: 'demo-b' }, 422, 'tenantId'],
  ])(
    'answers %s with its status, a message and the failing field, writing nothing',
    async (_label, change, status, field) => {
      // Prepare
      const ports = memoryRuntime();

      // Act
      const response = await routeHttpEvent(
        event('POST /uploads', { body: { ...employeesRequest, ...change } }),
        ports,
        silent,
      );

      // Assess
      expect(response.statusCode).toBe(status);
      const { error } = bodyOf(response);
      expect(error.field).toBe(field);
      expect(error.message.length).toBeGreaterThan(10);
      expect(error.code).toMatch(/^[A-Z_]+$/);
      expect(ports.table.dump('uploads')).toEqual([]);
      expect(ports.table.dump('ledger')).toEqual([]);
    },
  );

  it('answers an upload from a company whose contract ended with 403 CONTRACT_NOT_RUNNING, in Japanese first', async () => {
    // Prepare: the contract ended 2026-04-30; the runtime's clock is 2026-05-01T09:00Z (18:00 JST).
    const ports = memoryRuntime();
    await ports.table.put('tenants', activeTenant('demo-a', { start: '2025-05-01', end: '2026-04-30' }));

    // Act
    const response = await routeHttpEvent(
      event('POST /uploads', { body: employeesRequest, lang: 'ja' }),
      ports,
      silent,
    );

    // Assess
    expect(response.statusCode).toBe(403);
    expect(bodyOf(response).error).toMatchObject({
      code: 'CONTRACT_NOT_RUNNING',
      message: expect.stringMatching(/^会社 demo-a の契約は本日（日本時間 2026-05-01）有効ではない/),
    });
    expect(ports.table.dump('uploads')).toEqual([]);
  });

  it('answers a request without claims with 401', async () => {
    // Act
    const response = await routeHttpEvent(
      event('GET /uploads', { claims: undefined }),
      memoryRuntime(),
      silent,
    );

    // Assess
    expect(response.statusCode).toBe(401);
    expect(bodyOf(response).error.code).toBe('UNAUTHORIZED');
  });

  it('answers a tenant on an admin route with 403 and records the refusal', async () => {
    // Prepare
    const ports = memoryRuntime();

    // Act
    const response = await routeHttpEvent(
      event('POST /admin/tenants', { rawBody: 'not json' }),
      ports,
      silent,
    );

    // Assess
    expect(response.statusCode).toBe(403);
    const ledger = await readLedger(ports.table);
    expect(ledger).toHaveLength(1);
    expect(ledger[0]).toMatchObject({
      action: 'authorization.refused',
      tenantId: 'demo-a',
      details: { attempted: 'POST /admin/tenants' },
    });
  });

  it('lets an admin register and update a tenant', async () => {
    // Prepare
    const ports = memoryRuntime();
    const tenant = {
      tenantId: 'acme-kk',
      name: 'アクメ',
      profile: { industry: 'E', prefecture: '27', sizeBand: '5-19' },
      contract: { start: '2026-04-01' },
    };

    // Act
    const created = await routeHttpEvent(
      event('POST /admin/tenants', { body: tenant, claims: adminClaims }),
      ports,
      silent,
    );
    const updated = await routeHttpEvent(
      event('PATCH /admin/tenants/{tenantId}', {
        body: { legalHold: true },
        claims: adminClaims,
        path: { tenantId: 'acme-kk' },
      }),
      ports,
      silent,
    );

    // Assess
    expect(created.statusCode).toBe(201);
    expect(updated.statusCode).toBe(200);
    expect(bodyOf(updated).legalHold).toBe(true);
  });

  it('answers another tenant’s upload with 404', async () => {
    // Prepare
    const ports = memoryRuntime();
    const created = bodyOf(
      await routeHttpEvent(event('POST /uploads', { body: employeesRequest }), ports, silent),
    );
    const otherTenant = { sub: 'sub-b', 'custom:tenant_id': 'demo-b', 'cognito:groups': '[tenant]' };

    // Act
    const response = await routeHttpEvent(
      event('GET /uploads/{uploadId}', { claims: otherTenant, path: { uploadId: created.uploadId } }),
      ports,
      silent,
    );

    // Assess
    expect(response.statusCode).toBe(404);
    expect(bodyOf(response).error).toMatchObject({ code: 'NOT_FOUND', field: 'uploadId' });
  });

  it('answers a route it does not know with 404 and an unexpected failure with a bare 500', async () => {
    // Prepare
    const ports = memoryRuntime();
    const fail = async (): Promise<never> => {
      throw new Error('secret internals');
    };
    const broken: Runtime = { ...ports, table: { get: fail, put: fail, query: fail, delete: fail } };

    // Act
    const unknown = await routeHttpEvent(event('DELETE /everything'), ports, silent);
    const failed = await routeHttpEvent(
      event('GET /uploads/{uploadId}', { path: { uploadId: '00000000-0000-4000-8000-000000000001' } }),
      broken,
      silent,
    );

    // Assess
    expect(unknown.statusCode).toBe(404);
    expect(failed.statusCode).toBe(500);
    expect(failed.body).not.toContain('secret internals');
  });

  it('serves the same events through the Lambda handler built by its composition root', async () => {
    // Prepare: the deployed export differs only in the runtime (checked in the twin tier).
    const handler = createApiHandler(() => composeApi(memoryRuntime()));
    const context = { functionName: 'kura-api', awsRequestId: 'req-1' } as unknown as Context;

    // Act
    const response = await handler(event('GET /uploads'), context);

    // Assess
    expect(response.statusCode).toBe(200);
    expect(JSON.parse(response.body)).toEqual({ uploads: [] });
  });

  it('has a route for every documented route key, each an API Gateway route key', () => {
    // Assess
    expect(Object.keys(ROUTES)).toEqual(
      expect.arrayContaining([
        'GET /datasets',
        'GET /uploads',
        'GET /uploads/{uploadId}',
        'PATCH /admin/tenants/{tenantId}',
        'POST /admin/tenants',
        'POST /uploads',
      ]),
    );
    for (const key of Object.keys(ROUTES)) {
      expect(key).toMatch(/^(GET|POST|PUT|PATCH|DELETE) (\/([a-z-]+|\{[A-Za-z]+\}))+$/);
    }
  });
});
