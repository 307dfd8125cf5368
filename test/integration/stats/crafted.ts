/**
 * Crafted companies for the attack tests: each company's derived facts (what `buildTenantFacts`
 * leaves in the curated zone) are written straight from a few numbers, then the real `anonymise`
 * and the real `publishRelease` build a release from them, exactly as the platform does. The attacks
 * themselves (outsider.ts) read only what the release publishes.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryKeyStore, MemoryObjectStore, MemoryTable } from '../../../functions/adapters/memory/index.ts';
import type { CompanyProfile } from '../../../functions/domain/company.ts';
import { anonymise } from '../../../functions/domain/masking/anonymise.ts';
import { factKey } from '../../../functions/domain/masking/facts.ts';
import { defaultSettings, type PlatformSettings } from '../../../functions/domain/settings.ts';
import type { Statistic } from '../../../functions/domain/stats/catalog.ts';
import { withStatsDuckDb } from '../../../functions/domain/stats/duckdb-runner.ts';
import { publishRelease } from '../../../functions/domain/stats/publish.ts';
import type { ReleaseManifest } from '../../../functions/domain/stats/release.ts';
import { sqlString } from '../../../functions/domain/stats/sql.ts';
import { getStatistic } from '../../../functions/domain/stats/statistics.ts';

/** One employee of a crafted company: a stable id (its token) and its overtime per period. */
export interface CraftedEmployee {
  readonly id: string;
  readonly overtime: number;
}

export interface CraftedCompany {
  readonly tenantId: string;
  readonly profile: CompanyProfile;
  readonly employees: readonly CraftedEmployee[];
  /** Monthly sales; absent for a company that sends no sales. */
  readonly sales?: number;
  /** Headcount reported with the sales (company-level data); defaults to the number of employees. */
  readonly headcount?: number;
  /** Company-level data of several months instead of `sales` and `headcount` for {@link PERIOD}. */
  readonly months?: ReadonlyArray<CraftedMonth>;
}

/** One month of a crafted company's company-level data. */
export interface CraftedMonth {
  readonly period: string;
  readonly sales: number;
  readonly headcount: number;
}

/** The one period every crafted release covers. */
export const PERIOD = '2025-06';

/** The ports of a crafted world: one object store, tenants table and key store across its releases. */
export interface CraftedWorld {
  readonly objects: MemoryObjectStore;
  readonly table: MemoryTable;
  readonly keys: MemoryKeyStore;
  readonly settings: PlatformSettings;
}

/**
 * A fresh world. Property tests pass `keySeed` (drawn by fast-check), so every key, record key and
 * noise of the run follows from the counterexample: a failure replays from its seed and shrinks.
 */
export function craftedWorld(
  settings: PlatformSettings = defaultSettings,
  options: { readonly keySeed?: number } = {},
): CraftedWorld {
  return {
    objects: new MemoryObjectStore({ versioning: 'disabled' }),
    table: new MemoryTable(),
    keys: new MemoryKeyStore({ seed: options.keySeed }),
    settings,
  };
}

const literal = (v: string | number | boolean | null) =>
  v === null ? 'NULL' : typeof v === 'string' ? sqlString(v) : String(v);

/** Writes one company's facts (every employee alike except overtime, so k-anonymity keeps them). */
async function writeFacts(world: CraftedWorld, company: CraftedCompany): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'kura-crafted-'));
  try {
    await withStatsDuckDb(async (db) => {
      const employees = company.employees.map((e) =>
        [
          literal(`${company.tenantId}-${e.id}`.padEnd(64, '0')),
          literal(PERIOD),
          "DATE '1985-05-05'",
          literal('female'),
          "DATE '2015-04-01'",
          'CAST(NULL AS DATE)',
          literal('regular'),
          `CAST(${e.overtime} AS DOUBLE)`,
          `CAST(${160 + e.overtime} AS DOUBLE)`,
          'CAST(1 AS DOUBLE)',
          'CAST(300000 AS BIGINT)',
          'CAST(350000 AS BIGINT)',
          'true',
          'false',
        ].join(', '),
      );
      const columns =
        'employee_token, period, birth_date, gender, hire_date, termination_date, employment_type, overtime_hours, hours_worked, paid_leave_days, base_pay, gross_pay, employed, separated';
      const employeePath = join(dir, 'em.parquet');
      await db.run(
        `COPY (SELECT * FROM (VALUES ${employees.map((r) => `(${r})`).join(', ')}) AS t(${columns})) TO ${sqlString(employeePath)} (FORMAT PARQUET)`,
      );
      await world.objects.put(
        'curated',
        factKey(company.tenantId, 'employee_month'),
        await readFile(employeePath),
      );
      const companyPath = join(dir, 'cm.parquet');
      const months = (
        company.months ?? [
          { period: PERIOD, sales: company.sales, headcount: company.headcount ?? company.employees.length },
        ]
      ).map(
        (m) =>
          `(${literal(m.period)}, ${m.sales === undefined ? 'CAST(NULL AS BIGINT)' : `CAST(${m.sales} AS BIGINT)`}, CAST(${m.headcount} AS INTEGER))`,
      );
      await db.run(
        `COPY (SELECT * FROM (VALUES ${months.join(', ')}) AS t(period, sales_amount, employees)) TO ${sqlString(companyPath)} (FORMAT PARQUET)`,
      );
      await world.objects.put(
        'curated',
        factKey(company.tenantId, 'company_month'),
        await readFile(companyPath),
      );
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Registers the companies (tenant records and keys) and writes their facts. */
export async function seedCompanies(
  world: CraftedWorld,
  companies: readonly CraftedCompany[],
): Promise<void> {
  for (const company of companies) {
    await world.table.put('tenants', {
      tenantId: company.tenantId,
      name: `${company.tenantId} 株式会社`,
      profile: company.profile,
      contract: { start: '2024-01-01' },
      state: 'ACTIVE',
      legalHold: false,
      createdAt: '2024-01-01T00:00:00.000Z',
      updatedAt: '2024-01-01T00:00:00.000Z',
    });
    await world.keys.create(company.tenantId);
    await writeFacts(world, company);
  }
}

/**
 * One release over the given companies: the real anonymisation of their facts, then the real
 * publication of the given statistics. Companies not listed do not contribute (as after a purge).
 */
export async function publishCrafted(
  world: CraftedWorld,
  releaseId: string,
  companies: readonly CraftedCompany[],
  statistics: readonly Statistic[],
): Promise<ReleaseManifest> {
  await seedCompanies(world, companies);
  await anonymise(world, { releaseId, tenants: companies.map((c) => c.tenantId) });
  return publishRelease(
    { objects: world.objects },
    {
      releaseId,
      settings: world.settings,
      statistics,
      publishedAt: `2026-0${releaseId.length % 9}-01T00:00:00.000Z`,
    },
  );
}

export const OVERTIME = getStatistic('overtime_hours_monthly');
export const SALES = getStatistic('sales_per_employee_monthly');
