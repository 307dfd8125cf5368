import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Context } from 'aws-lambda';
import { createApiHandler } from '../../../functions/api/handler.ts';
import { getDataset, sqlTypeOf } from '../../../functions/domain/catalog/index.ts';
import { plainQuery, withDuckDb } from '../../../functions/domain/masking/duckdb-engine.ts';
import { outputPath, withWorkDir } from '../../../functions/domain/masking/local-files.ts';
import type { RowError, UploadRecord } from '../../../functions/domain/uploads/model.ts';
import { rawKey } from '../../../functions/domain/zones.ts';
import { type MemoryRuntime, memoryRuntime } from '../../support/memory-runtime.ts';
import { activeTenant } from '../uploads/fixtures.ts';

export const T0 = new Date('2026-06-01T09:00:00.000Z');

/** In-memory ports with a clock the test moves. */
export type TestPorts = MemoryRuntime;

export async function supportPorts(): Promise<TestPorts> {
  const runtime = memoryRuntime({ now: T0 });
  for (const tenantId of ['demo-a', 'demo-b']) {
    await runtime.table.put('tenants', activeTenant(tenantId));
    await runtime.keys.create(tenantId);
  }
  return runtime;
}

export const supportClaims = (sub = 'sub-support-1') => ({ sub, 'cognito:groups': '[support]' });
export const tenantClaims = (tenantId: string) => ({
  sub: `sub-tenant-${tenantId}`,
  'custom:tenant_id': tenantId,
  'cognito:groups': '[tenant]',
});

const context = { functionName: 'kura-api', awsRequestId: 'req-1' } as unknown as Context;

export interface CallOptions {
  readonly claims: Record<string, unknown>;
  readonly path?: Record<string, string>;
  readonly query?: Record<string, string>;
  readonly body?: unknown;
}

/** Calls the API the way API Gateway would, through createApiHandler. */
export async function call(ports: TestPorts, routeKey: string, options: CallOptions) {
  const handler = createApiHandler(() => ports);
  const response = (await handler(
    {
      routeKey,
      headers: { 'accept-language': 'en', 'content-type': 'application/json' },
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      isBase64Encoded: false,
      ...(options.path ? { pathParameters: options.path } : {}),
      ...(options.query ? { queryStringParameters: options.query } : {}),
      requestContext: { authorizer: { jwt: { claims: options.claims } } },
    },
    context,
  )) as { statusCode: number; body: string };
  return { status: response.statusCode, raw: response.body, json: JSON.parse(response.body) };
}

export type EmployeeRow = Readonly<Record<string, string | number | null>>;

/**
 * Writes an upload the way ingest leaves it: raw Parquet (catalogue column types) under the raw
 * zone and an upload record naming it, with the given row errors.
 */
export async function seedUpload(
  ports: TestPorts,
  options: {
    readonly tenantId: string;
    readonly uploadId: string;
    readonly dataset: 'employees' | 'payroll';
    readonly rows: readonly EmployeeRow[];
    readonly errors?: RowError[];
    readonly status?: UploadRecord['status'];
  },
): Promise<void> {
  const dataset = getDataset(options.dataset);
  const key = rawKey(options.tenantId, options.dataset, '2026-05', options.uploadId);
  await withWorkDir(async (dir) => {
    const json = join(dir, 'rows.json');
    await writeFile(json, JSON.stringify(options.rows));
    const out = await outputPath(dir, key);
    const columns = dataset.columns.map((c) => `${c.name}: '${sqlTypeOf(c.type)}'`).join(', ');
    await withDuckDb((session) =>
      session.run(
        plainQuery(
          `COPY (SELECT * FROM read_json('${json}', format = 'array', columns = {${columns}})) TO '${out}' (FORMAT parquet)`,
          'write test parquet',
        ),
      ),
    );
    const { readFile } = await import('node:fs/promises');
    await ports.objects.put('raw', key, new Uint8Array(await readFile(out)));
  });
  const errors = options.errors ?? [];
  const record: UploadRecord = {
    tenantId: options.tenantId,
    uploadId: options.uploadId,
    dataset: options.dataset,
    fileName: `${options.dataset}.csv`,
    key: `landing/${options.tenantId}/${options.dataset}/${options.uploadId}/${options.dataset}.csv`,
    contentType: 'text/csv',
    sizeBytes: 100,
    sha256: 'x'.repeat(44),
    status: options.status ?? (errors.length > 0 ? 'PARTIALLY_ACCEPTED' : 'ACCEPTED'),
    requestedBy: `sub-tenant-${options.tenantId}`,
    requestedAt: '2026-05-01T00:00:00.000Z',
    expiresAt: '2026-05-01T00:15:00.000Z',
    updatedAt: '2026-05-01T00:01:00.000Z',
    rows: {
      total: options.rows.length + errors.length,
      accepted: options.rows.length,
      rejected: errors.length,
    },
    errors,
    outputs: [key],
  };
  await ports.table.put('uploads', record);
}

export const UPLOAD_1 = '11111111-1111-4111-8111-111111111111';
export const UPLOAD_2 = '22222222-2222-4222-8222-222222222222';
export const UPLOAD_3 = '33333333-3333-4333-8333-333333333333';

export const employee = (overrides: Partial<Record<string, string | number | null>> = {}): EmployeeRow => ({
  employee_id: 'EMP-0001',
  name: '髙橋　一郎',
  name_kana: 'タカハシ　イチロウ',
  birth_date: '1985-04-12',
  gender: 'male',
  hire_date: '2010-04-01',
  termination_date: null,
  postal_code: '100-0001',
  address: '東京都千代田区千代田1-1',
  phone: '090-1234-5678',
  email: 'yamada@example.co.jp',
  department: '営業部',
  grade: 'G3',
  employment_type: 'regular',
  bank_account: '1234567',
  ...overrides,
});

export const payrollRow = (overrides: Partial<Record<string, string | number | null>> = {}): EmployeeRow => {
  const dataset = getDataset('payroll');
  const row: Record<string, string | number | null> = {};
  for (const column of dataset.columns) {
    row[column.name] =
      column.type === 'integer' || column.type === 'decimal'
        ? 1000
        : column.type === 'date'
          ? '2026-05-25'
          : column.type === 'month'
            ? '2026-05'
            : column.values
              ? (column.values[0]?.value ?? null)
              : 'x';
  }
  return { ...row, employee_id: 'EMP-0001', bank_account: '7654321', ...overrides };
};
