/**
 * Fixture anonymised releases: rows shaped like the anonymised zone's contract, written to Parquet with
 * DuckDB and stored where `publishRelease` looks for them.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { regionOf } from '../../../functions/domain/company.ts';
import {
  ANONYMISED_COLUMNS,
  type AnonCompanyMonth,
  type AnonEmployeeMonth,
  type AnonymisedTable,
  anonymisedTableKey,
} from '../../../functions/domain/masking/anonymised-schema.ts';
import type { ObjectStore, QueryRunner } from '../../../functions/domain/ports/index.ts';
import { withStatsDuckDb } from '../../../functions/domain/stats/duckdb-runner.ts';
import { sqlString } from '../../../functions/domain/stats/sql.ts';

export interface CompanySpec {
  readonly code: string;
  readonly industry: string;
  readonly prefecture: string | null;
  readonly sizeBand: string;
}

/** A uniform 32-bit key from a label (stands in for masking's HMAC record keys in fixtures). */
export const fixtureKey = (label: string) =>
  Number.parseInt(createHash('sha256').update(label).digest('hex').slice(0, 8), 16);
let personSeq = 0;

let companySeq = 0;
/** A company with a fresh code in the contract's format. */
export function company(industry: string, prefecture: string | null, sizeBand = '20-49'): CompanySpec {
  companySeq += 1;
  return { code: `C${companySeq.toString(16).padStart(12, '0')}`, industry, prefecture, sizeBand };
}

/** One employee-month row of a company with sensible defaults. */
export function employeeMonth(
  c: CompanySpec,
  period: string,
  values: Partial<AnonEmployeeMonth> = {},
): AnonEmployeeMonth {
  personSeq += 1;
  return {
    release_id: 'r1',
    company_code: c.code,
    industry: c.industry as AnonEmployeeMonth['industry'],
    prefecture: c.prefecture,
    region: (c.prefecture ? regionOf(c.prefecture) : 'kanto') ?? 'kanto',
    size_band: c.sizeBand as AnonEmployeeMonth['size_band'],
    period,
    age_band: '30-34',
    gender: 'female',
    tenure_band: '3-4',
    employment_type: 'regular',
    overtime_hours: 10,
    hours_worked: 160,
    paid_leave_days: 1,
    base_pay: 300_000,
    gross_pay: 350_000,
    employed: true,
    separated: false,
    record_key: fixtureKey(`person-${personSeq}`),
    company_key: fixtureKey(c.code),
    ...values,
  };
}

export function companyMonth(
  c: CompanySpec,
  period: string,
  values: Partial<AnonCompanyMonth> = {},
): AnonCompanyMonth {
  return {
    release_id: 'r1',
    company_code: c.code,
    industry: c.industry as AnonCompanyMonth['industry'],
    prefecture: c.prefecture,
    region: (c.prefecture ? regionOf(c.prefecture) : 'kanto') ?? 'kanto',
    size_band: c.sizeBand as AnonCompanyMonth['size_band'],
    period,
    sales_amount: 10_000_000,
    employees: 30,
    record_key: fixtureKey(c.code),
    company_key: fixtureKey(c.code),
    ...values,
  };
}

function literal(value: unknown): string {
  if (value === null || value === undefined) return 'NULL';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number' || typeof value === 'bigint') return String(value);
  return sqlString(String(value));
}

/** Writes the two anonymised tables of a release to Parquet and stores them in the curated bucket. */
export async function storeAnonymisedRelease(
  objects: ObjectStore,
  releaseId: string,
  rows: { employees: readonly AnonEmployeeMonth[]; companies: readonly AnonCompanyMonth[] },
): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'kura-stats-fixture-'));
  try {
    await withStatsDuckDb(async (runner) => {
      const tables: Array<[AnonymisedTable, readonly Record<string, unknown>[]]> = [
        ['anon_employee_month', rows.employees],
        ['anon_company_month', rows.companies],
      ];
      for (const [table, data] of tables) {
        const columns = ANONYMISED_COLUMNS[table];
        await runner.run(`CREATE TABLE ${table} (${columns.map(([n, t]) => `${n} ${t}`).join(', ')})`);
        for (let i = 0; i < data.length; i += 500) {
          const values = data
            .slice(i, i + 500)
            .map(
              (r) =>
                `(${columns.map(([n]) => (n === 'release_id' ? sqlString(releaseId) : literal(r[n]))).join(', ')})`,
            );
          await runner.run(`INSERT INTO ${table} VALUES ${values.join(', ')}`);
        }
        const path = join(dir, `${table}.parquet`);
        await runner.run(`COPY ${table} TO ${sqlString(path)} (FORMAT PARQUET)`);
        await objects.put('curated', anonymisedTableKey(releaseId, table), await readFile(path));
      }
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Runs `work` in a statistics DuckDB session over a stored release's anonymised tables, written to a
 * temporary directory as local Parquet (removed after): `refs` holds a `read_parquet(…)` reference per
 * table, for queries that read them as the statistics function does.
 */
export async function withAnonymisedParquet<T>(
  objects: ObjectStore,
  releaseId: string,
  work: (runner: QueryRunner, refs: Record<AnonymisedTable, string>) => Promise<T>,
): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'kura-stats-anonymised-'));
  try {
    const refs: Partial<Record<AnonymisedTable, string>> = {};
    for (const table of ['anon_employee_month', 'anon_company_month'] as const) {
      const path = join(dir, `${table}.parquet`);
      await writeFile(path, await objects.get('curated', anonymisedTableKey(releaseId, table)));
      refs[table] = `read_parquet(${sqlString(path)})`;
    }
    return await withStatsDuckDb((runner) => work(runner, refs as Record<AnonymisedTable, string>));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Reads a Parquet object back into rows. */
export async function readParquetObject(
  objects: ObjectStore,
  bucket: string,
  key: string,
): Promise<Record<string, unknown>[]> {
  const dir = await mkdtemp(join(tmpdir(), 'kura-stats-read-'));
  try {
    const path = join(dir, 'x.parquet');
    await writeFile(path, await objects.get(bucket, key));
    return await withStatsDuckDb((runner) => runner.run(`SELECT * FROM read_parquet(${sqlString(path)})`));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
