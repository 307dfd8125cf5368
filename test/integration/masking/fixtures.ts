/**
 * Test fixtures for the masking engine: raw Parquet written the way ingestion writes it (canonical
 * column names, catalogue types), upload and tenant records in memory ports, and a reader that
 * returns every cell of a Parquet object as a string.
 */
import { readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { MemoryKeyStore, MemoryObjectStore, MemoryTable } from '../../../functions/adapters/memory/index.ts';
import { type DatasetName, getDataset, sqlTypeOf } from '../../../functions/domain/catalog/index.ts';
import type { CompanyProfile } from '../../../functions/domain/company.ts';
import { quoteIdent, quoteLiteral } from '../../../functions/domain/masking/compile.ts';
import { plainQuery, withDuckDb } from '../../../functions/domain/masking/duckdb-engine.ts';
import { factKey } from '../../../functions/domain/masking/facts.ts';
import { type MaskingPorts, pseudonymise } from '../../../functions/domain/masking/pseudonymise.ts';
import type { ObjectStore } from '../../../functions/domain/ports/index.ts';
import { defaultSettings, type PlatformSettings } from '../../../functions/domain/settings.ts';
import { rawKey } from '../../../functions/domain/zones.ts';

export type RawRow = Record<string, string | number | null>;

export interface TestPorts extends MaskingPorts {
  readonly objects: MemoryObjectStore;
  readonly table: MemoryTable;
  readonly keys: MemoryKeyStore;
}

export function testPorts(settings: PlatformSettings = defaultSettings): TestPorts {
  return {
    objects: new MemoryObjectStore({ versioning: 'disabled' }),
    table: new MemoryTable(),
    keys: new MemoryKeyStore(),
    settings,
  };
}

let fileCounter = 0;
const nextFileName = (kind: string) => {
  fileCounter += 1;
  return join(tmpdir(), `kura-mask-${kind}-${process.pid}-${fileCounter}.parquet`);
};

/** Parquet bytes of rows typed per the catalogue (as ingestion writes raw objects). */
export async function rawParquet(dataset: DatasetName, rows: readonly RawRow[]): Promise<Uint8Array> {
  const columns = getDataset(dataset).columns;
  const path = nextFileName('fixture');
  const literal = (value: string | number | null | undefined) =>
    value === null || value === undefined
      ? 'NULL'
      : typeof value === 'number'
        ? String(value)
        : quoteLiteral(value);
  const select = (row: RawRow) =>
    `SELECT ${columns.map((c) => `CAST(${literal(row[c.name])} AS ${sqlTypeOf(c.type)}) AS ${quoteIdent(c.name)}`).join(', ')}`;
  const body = rows.length === 0 ? `${select({})} WHERE false` : rows.map(select).join(' UNION ALL ');
  await withDuckDb((db) =>
    db.run(plainQuery(`COPY (${body}) TO ${quoteLiteral(path)} (FORMAT parquet)`, 'write fixture')),
  );
  const bytes = new Uint8Array(await readFile(path));
  await rm(path, { force: true });
  return bytes;
}

/**
 * Stores raw objects per period and an ACCEPTED upload record listing them; `sequence` is the upload's
 * place in the tenant's order (as POST /uploads assigns it; absent: ordered by id).
 */
export async function seedUpload(
  ports: Pick<MaskingPorts, 'objects' | 'table'>,
  tenantId: string,
  uploadId: string,
  dataset: DatasetName,
  rowsByPeriod: Readonly<Record<string, readonly RawRow[]>>,
  options: { readonly sequence?: number } = {},
): Promise<void> {
  const outputs: string[] = [];
  for (const [period, rows] of Object.entries(rowsByPeriod)) {
    const key = rawKey(tenantId, dataset, period, uploadId);
    await ports.objects.put('raw', key, await rawParquet(dataset, rows));
    outputs.push(key);
  }
  const now = '2026-11-01T00:00:00.000Z';
  await ports.table.put('uploads', {
    tenantId,
    uploadId,
    dataset,
    fileName: `${dataset}.csv`,
    key: `landing/${tenantId}/${dataset}/${uploadId}/${dataset}.csv`,
    contentType: 'text/csv',
    sizeBytes: 1,
    sha256: 'AAAA',
    status: 'ACCEPTED',
    requestedBy: 'user-1',
    requestedAt: now,
    expiresAt: now,
    updatedAt: now,
    outputs,
    ...(options.sequence === undefined ? {} : { sequence: String(options.sequence).padStart(12, '0') }),
  });
}

/** Stores a tenant record with its company profile and creates its key. */
export async function seedTenant(ports: TestPorts, tenantId: string, profile: CompanyProfile): Promise<void> {
  await ports.table.put('tenants', {
    tenantId,
    name: `${tenantId} 株式会社`,
    profile,
    contract: { start: '2024-01-01' },
    state: 'ACTIVE',
    legalHold: false,
    createdAt: '2024-01-01T00:00:00.000Z',
    updatedAt: '2024-01-01T00:00:00.000Z',
  });
  await ports.keys.create(tenantId);
}

/** Every row of a Parquet object, every cell as a string (NULL as null). */
export async function readCells(bytes: Uint8Array): Promise<Array<Record<string, string | null>>> {
  const path = nextFileName('read');
  await writeFile(path, bytes);
  try {
    const rows = await withDuckDb((db) =>
      db.run(plainQuery(`SELECT COLUMNS(*)::VARCHAR FROM read_parquet(${quoteLiteral(path)})`, 'read cells')),
    );
    return rows.map((row) =>
      Object.fromEntries(Object.entries(row).map(([k, v]) => [k, v === null ? null : String(v)])),
    );
  } finally {
    await rm(path, { force: true });
  }
}

/** Every Parquet object under a prefix in a bucket, with its cells. */
export async function cellsUnder(
  ports: TestPorts,
  bucket: string,
  prefix: string,
): Promise<Array<{ key: string; rows: Array<Record<string, string | null>> }>> {
  const out: Array<{ key: string; rows: Array<Record<string, string | null>> }> = [];
  for await (const { key } of ports.objects.list(bucket, prefix)) {
    if (key.endsWith('.parquet'))
      out.push({ key, rows: await readCells(await ports.objects.get(bucket, key)) });
  }
  return out;
}

// --- generators -----------------------------------------------------------------------------

const KANJI = [...'山田佐藤鈴木高橋田中伊渡辺中村小林加斎藤吉松井上木清水森池'];
const KATAKANA = [
  ...'アイウエオカキクケコサシスセソタチツテトナニヌネノハヒフヘホマミムメモヤユヨラリルレロワン',
];
const pick = (chars: readonly string[], min: number, max: number) =>
  fc.array(fc.constantFrom(...chars), { minLength: min, maxLength: max }).map((a) => a.join(''));

/** One employee's identifying and quasi-identifying values. */
export interface GeneratedEmployee {
  readonly employee_id: string;
  readonly name: string;
  readonly name_kana: string;
  readonly address: string;
  readonly phone: string;
  readonly email: string;
  readonly bank_account: string;
  readonly birth_date: string;
  readonly gender: string;
  readonly hire_date: string;
  readonly termination_date: string | null;
  readonly employment_type: string;
  readonly postal_code: string;
  readonly department: string;
  readonly grade: string;
}

const date = (from: number, to: number) =>
  fc
    .tuple(
      fc.integer({ min: from, max: to }),
      fc.integer({ min: 1, max: 12 }),
      fc.integer({ min: 1, max: 28 }),
    )
    .map(([y, m, d]) => `${y}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`);
const digits = (n: number) =>
  fc.array(fc.integer({ min: 0, max: 9 }), { minLength: n, maxLength: n }).map((a) => a.join(''));

export const employeeArbitrary = (index: number): fc.Arbitrary<GeneratedEmployee> =>
  fc.record({
    employee_id: fc.constant(`E${String(index).padStart(5, '0')}`),
    name: fc.tuple(pick(KANJI, 1, 3), pick(KANJI, 1, 2)).map(([a, b]) => `${a} ${b}`),
    name_kana: fc.tuple(pick(KATAKANA, 2, 5), pick(KATAKANA, 2, 4)).map(([a, b]) => `${a} ${b}`),
    address: fc
      .tuple(pick(KANJI, 2, 4), fc.integer({ min: 1, max: 30 }))
      .map(([a, n]) => `東京都${a}町${n}丁目`),
    phone: fc.tuple(digits(4), digits(4)).map(([a, b]) => `090-${a}-${b}`),
    email: fc
      .tuple(fc.stringMatching(/^[a-z]{3,8}$/), fc.integer({ min: 1, max: 999 }))
      .map(([u, n]) => `${u}.${n}@example.co.jp`),
    bank_account: fc.tuple(digits(3), digits(7)).map(([b, a]) => `普通${b}-${a}`),
    birth_date: date(1950, 2004),
    gender: fc.constantFrom('male', 'female', 'female', 'male', 'other'),
    hire_date: date(1995, 2023),
    termination_date: fc.option(date(2024, 2024), { nil: null, freq: 4 }),
    employment_type: fc.constantFrom('regular', 'regular', 'contract', 'part_time', 'executive'),
    postal_code: fc.tuple(digits(3), digits(4)).map(([a, b]) => `${a}-${b}`),
    department: fc.constantFrom('営業部', '総務部', '開発部'),
    grade: fc.constantFrom('G1', 'G2', '課長'),
  });

export const employeesArbitrary = (min: number, max: number) =>
  fc
    .integer({ min, max })
    .chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => employeeArbitrary(i + 1))));

/** Attendance rows (two working days per month) and payroll rows for the given months. */
export function activityRows(
  employees: readonly GeneratedEmployee[],
  months: readonly string[],
): { attendance: Record<string, RawRow[]>; payroll: Record<string, RawRow[]> } {
  const attendance: Record<string, RawRow[]> = {};
  const payroll: Record<string, RawRow[]> = {};
  for (const month of months) {
    attendance[month] = employees.flatMap((e, i) =>
      ['05', '06'].map((day) => ({
        employee_id: e.employee_id,
        work_date: `${month}-${day}`,
        scheduled_hours: 8,
        actual_hours: 9 + (i % 3),
        overtime_hours: 1 + (i % 3),
        late_night_hours: 0,
        holiday_hours: 0,
        paid_leave_days: i % 2,
      })),
    );
    payroll[month] = employees.map((e, i) => ({
      employee_id: e.employee_id,
      pay_month: month,
      base_pay: 200_000 + i * 1_000,
      overtime_pay: 10_000,
      allowances: 5_000,
      gross_pay: i === 0 ? 9_000_000 : 215_000 + i * 1_000,
      deductions: 40_000,
      net_pay: 175_000,
      bank_account: e.bank_account,
    }));
  }
  return { attendance, payroll };
}

export const REMOVED_EMPLOYEE_FIELDS = [
  'name',
  'name_kana',
  'address',
  'phone',
  'email',
  'bank_account',
] as const;

/**
 * `ports.objects` where each write of the tenant's employee-month facts first masks the next upload of
 * `pending` (through `ports` themselves, so with its own facts rebuild): uploads committed while the
 * rebuild under test writes its facts. `pending` empties as they are masked.
 */
export function maskingOnFactsWrite(ports: MaskingPorts, tenantId: string, pending: string[]): ObjectStore {
  return new Proxy(ports.objects, {
    get(target, name, receiver) {
      const value = Reflect.get(target, name, receiver);
      if (typeof value !== 'function') return value;
      if (name !== 'put') return value.bind(target);
      return async (bucket: string, key: string, ...rest: unknown[]) => {
        const uploadId = key === factKey(tenantId, 'employee_month') ? pending.shift() : undefined;
        if (uploadId) await pseudonymise(ports, { tenantId, uploadId });
        return value.call(target, bucket, key, ...rest);
      };
    },
  });
}
