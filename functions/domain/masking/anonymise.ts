/**
 * The anonymised zone (匿名加工情報), per statistics release: the contributing tenants' derived facts
 * pooled, with no tokens and no linking codes, quasi-identifiers generalised, peculiar values
 * top-coded, each company replaced by a random code new in this release and mapped to nothing, and
 * k-anonymity enforced on the quasi-identifiers by further generalisation, then local suppression.
 */
import type { CompanyProfile } from '../company.ts';
import { defaultSettings } from '../settings.ts';
import {
  ANONYMISED_COLUMNS,
  type AnonymisedTable,
  anonymisedTableKey,
  type SuppressionReport,
  suppressionReportKey,
  suppressionReportSchema,
} from './anonymised-schema.ts';
import { catalogueColumn } from './columns.ts';
import { CompiledQuery, type Dialect, quoteIdent, quoteLiteral } from './compile.ts';
import { type DuckSession, fitThreads, plainQuery, withDuckDb } from './duckdb-engine.ts';
import { FACT_COLUMNS, type FactName } from './facts.ts';
import { completedYearsSql, periodEndSql } from './generalise.ts';
import { hmacBlocksHex } from './hmac.ts';
import {
  classColumns,
  count,
  createClassSizes,
  GENERALISATION_LEVELS,
  type GeneralisationLevel,
  generaliseProjection,
  LOCAL_SUPPRESSION_BUDGET,
  MEASURE_SOURCES,
  suppressLocally,
  violatingRows,
} from './k-anonymity.ts';
import { outputPath, upload, withWorkDir, writeJsonLines } from './local-files.ts';
import { anonymisedAction } from './policy.ts';
import type { MaskingPorts } from './ports.ts';
import { companyRecordKey, personRecordKeyOfSql, platformPerturbationKey } from './record-keys.ts';
import {
  type CompaniesLeftOut,
  type Contribution,
  type ReleaseCompany,
  readReleaseFacts,
  releaseCompanies,
} from './release-companies.ts';

export { LOCAL_SUPPRESSION_BUDGET } from './k-anonymity.ts';

export interface AnonymiseRequest {
  readonly releaseId: string;
  /** Tenants whose facts contribute to the release (consented, active, not purged). */
  readonly tenants: readonly string[];
  /**
   * Their company profiles as the caller already read them (the release scans the tenants table to pick
   * them), so each is not read again; a tenant missing here is read from the table.
   */
  readonly profiles?: ReadonlyMap<string, CompanyProfile>;
  /**
   * Also count `company_code` as a quasi-identifier, so every class holds k rows of ONE company.
   * Stricter (it defends against someone who can tell which code is which company, e.g. from its
   * headcount) at the cost of much more suppression in small companies. @default false
   */
  readonly classesWithinCompany?: boolean;
  /**
   * DuckDB's memory limit for the pooling (beyond it DuckDB spills to its temp directory). By default
   * DuckDB's own, 80 % of the memory it detects, which leaves the rest to this process: enough in the
   * release function, whose objects stream to files. A caller that holds much in its own memory (the
   * bench keeps every tenant's facts in an in-memory object store) sets it lower.
   * @default 'engine-default'
   */
  readonly memoryLimit?: string;
}

export interface AnonymiseResult {
  readonly releaseId: string;
  readonly outputs: readonly string[];
  readonly report: SuppressionReport;
  /** Requested companies left out, by why; and which had outdated facts (for the operators' log). */
  readonly leftOut: CompaniesLeftOut;
  readonly factsOutdated: readonly string[];
}

/** Categorical quasi-identifiers whose rare values merge into `other`, with their allowed values. */
const MERGED_CATEGORIES = {
  gender: ['male', 'female', 'other'],
  employment_type: ['regular', 'contract', 'part_time', 'dispatched', 'executive', 'other'],
} as const;

/** SQL (either dialect) of the age and tenure in completed years at the end of the row's period. */
export function ageAndTenureSql(dialect: Dialect): { age: string; tenureYears: string } {
  const end = periodEndSql(dialect, quoteIdent('period'));
  return {
    age: completedYearsSql(dialect, quoteIdent('birth_date'), end),
    tenureYears: completedYearsSql(dialect, quoteIdent('hire_date'), end),
  };
}

/**
 * The columns of a pooled fact table when no tenant contributes (an empty, typed table): the company's
 * code and keys, then the fact table's own columns without the employee token, which pooling drops.
 */
function pooledColumns(fact: FactName): string {
  const facts = FACT_COLUMNS[fact].filter(([name]) => name !== 'employee_token');
  return [
    'company_code VARCHAR',
    'company_key BIGINT',
    'record_key BIGINT',
    ...facts.map(([name, type]) => `${name} ${type}`),
  ].join(', ');
}

/** What the pooled facts went through on their way into the anonymised zone (the suppression report's counts). */
interface PoolFindings {
  readonly rowsIn: number;
  readonly topCoded: Record<string, number>;
  readonly mergedRare: Record<string, number>;
}

/** Builds the anonymised zone of a release from the tenants' facts. */
export async function anonymise(ports: MaskingPorts, request: AnonymiseRequest): Promise<AnonymiseResult> {
  const settings = ports.settings ?? defaultSettings;
  const k = settings.disclosure.kAnonymity;
  const classes = classColumns(request.classesWithinCompany ?? false);
  const { releaseId } = request;
  // Record keys for the cell key method: stable per person and company, under the platform key.
  const platformKey = await platformPerturbationKey(ports.keys);

  // Pooled over every tenant in the statistics function, not beside ingestion: DuckDB's own limit.
  return withWorkDir(async (dir) => {
    const { read, leftOut: notRead } = await readReleaseFacts(ports, request, dir);
    return withDuckDb(
      async (db) => {
        const { companies, contributing, outdated } = await releaseCompanies(db, read);
        const leftOut = { ...notRead, factsOutdated: outdated.length };
        await poolFacts(db, dir, { companies, contributing, platformKey });
        await fitThreads(db, await count(db, 'SELECT count(*) AS n FROM em', 'count pooled rows'));
        const pool = await buildPool(db, k);
        const generalised = await generalise(db, k, classes, pool.rowsIn);
        // Local suppression: blank the most identifying cells first, then drop rows still below k.
        const { suppressedCells, rowsOut } = await suppressLocally(
          db,
          { from: 'gen', classSizes: 'gen_classes', to: 'anon' },
          k,
          classes,
        );
        const outputs = await writeAnonymisedTables(db, ports, dir, releaseId, generalised.level);

        const report = suppressionReportSchema.parse({
          releaseId,
          k,
          tenants: contributing.length,
          tenantsLeftOut: leftOut,
          rowsIn: pool.rowsIn,
          rowsOut,
          generalisations: generalised.generalisations,
          mergedRare: pool.mergedRare,
          topCoded: pool.topCoded,
          suppressedCells,
          suppressedRows: pool.rowsIn - rowsOut,
          rowsWithBlankedAttribute: generalised.rowsWithBlankedAttribute,
        });
        const reportKey = suppressionReportKey(releaseId);
        await ports.objects.put('curated', reportKey, JSON.stringify(report, null, 2), {
          contentType: 'application/json',
        });
        outputs.push(reportKey);
        return { releaseId, outputs, report, leftOut, factsOutdated: outdated };
      },
      { memoryLimit: request.memoryLimit ?? 'engine-default' },
    );
  });
}

/**
 * How the pool reads the tenants' facts files: each file's tenant from its path (`…/tenant=<id>/fact=…/`,
 * as readReleaseFacts lays them out), joined to its tenant on that short id rather than on the file's
 * whole path; `fact` comes with it and is dropped.
 */
const FACTS_BY_TENANT = 'hive_partitioning = true, hive_types_autocast = false, union_by_name = true';

/**
 * Pools the contributing tenants' facts (read by readReleaseFacts) into `em` (employee months) and `cm`
 * (company months), each row with its company's code and record keys, and the companies' profiles into
 * `companies`. One statement per fact table reads the files (DuckDB reads them in parallel and joins each
 * to its tenant by the tenant in its path, FACTS_BY_TENANT): one statement per tenant made the plan, and the time, grow with every
 * tenant.
 */
async function poolFacts(
  db: DuckSession,
  dir: string,
  release: {
    readonly companies: readonly ReleaseCompany[];
    readonly contributing: readonly Contribution[];
    readonly platformKey: Uint8Array;
  },
): Promise<void> {
  const { companies, contributing, platformKey } = release;
  const { ipadHex, opadHex } = hmacBlocksHex(platformKey);
  const fetched = contributing.map(({ tenantId, code }) => ({
    tenant_id: tenantId,
    company_code: code,
    company_key: companyRecordKey(platformKey, tenantId),
  }));
  // The tenants, as a table (a file, not a statement that grows with every tenant).
  const contributionsPath = await writeJsonLines(dir, 'contributions.ndjson', fetched);
  await db.run(
    plainQuery(
      `CREATE TABLE contrib AS SELECT * FROM read_json(${quoteLiteral(contributionsPath)}, format = 'newline_delimited', columns = {tenant_id: 'VARCHAR', company_code: 'VARCHAR', company_key: 'BIGINT'})`,
      'contributing tenants',
    ),
  );
  // The profiles as a file too: a VALUES list of every company took seconds to parse at 50,000.
  const profilesPath = await writeJsonLines(dir, 'profiles.ndjson', companies);
  await db.run(
    plainQuery(
      companies.length === 0
        ? 'CREATE TABLE companies (company_code VARCHAR, industry VARCHAR, prefecture VARCHAR, region VARCHAR, size_band VARCHAR)'
        : `CREATE TABLE companies AS SELECT code AS company_code, industry, prefecture, region, sizeBand AS size_band
          FROM read_json(${quoteLiteral(profilesPath)}, format = 'newline_delimited', columns = {code: 'VARCHAR', industry: 'VARCHAR', prefecture: 'VARCHAR', region: 'VARCHAR', sizeBand: 'VARCHAR'})`,
      'company profiles',
    ),
  );
  const files = (paths: ReadonlyArray<string | null>) =>
    `[${paths
      .filter((path): path is string => path !== null)
      .map(quoteLiteral)
      .join(', ')}]`;
  const employeeFiles = contributing.map((row) => row.employeePath);
  // The record-key HMAC carries the platform key: a compiled query with its secrets, never logged.
  await db.run(
    new CompiledQuery(
      'duckdb',
      employeeFiles.length === 0
        ? `CREATE TABLE em (${pooledColumns('employee_month')})`
        : // One HMAC per person, not per month: a person's key is the same in every month. The token
          // stops here (pooledColumns): nothing after needs it, and 64 characters a row is the pool's
          // widest column.
          `CREATE TABLE em AS
          WITH f AS MATERIALIZED (
            SELECT c.company_code, c.company_key, c.tenant_id, f.* EXCLUDE (tenant, fact)
            FROM read_parquet(${files(employeeFiles)}, ${FACTS_BY_TENANT}) f
            JOIN contrib c ON f.tenant = c.tenant_id),
          people AS (
            SELECT tenant_id, employee_token, ${personRecordKeyOfSql(platformKey, 'tenant_id', 'employee_token')} AS record_key
            FROM (SELECT DISTINCT tenant_id, employee_token FROM f))
          SELECT f.company_code, f.company_key, p.record_key, f.* EXCLUDE (company_code, company_key, tenant_id, employee_token)
          FROM f LEFT JOIN people p ON f.tenant_id = p.tenant_id AND f.employee_token = p.employee_token`,
      'pool employee facts with record keys',
      [ipadHex, opadHex],
    ),
  );
  const companyFiles = contributing.map((row) => row.companyPath).filter((path) => path !== null);
  await db.run(
    plainQuery(
      companyFiles.length === 0
        ? `CREATE TABLE cm (${pooledColumns('company_month')})`
        : `CREATE TABLE cm AS SELECT c.company_code, c.company_key, c.company_key AS record_key, f.* EXCLUDE (tenant, fact)
          FROM read_parquet(${files(companyFiles)}, ${FACTS_BY_TENANT}) f
          JOIN contrib c ON f.tenant = c.tenant_id`,
      'pool company facts',
    ),
  );
}

/**
 * The pool (`pool`): tokens and dates leave here; ages and tenures, categories with rare values merged
 * into `other`, measures top-coded above the catalogue's top code, with each company's profile.
 */
async function buildPool(db: DuckSession, k: number): Promise<PoolFindings> {
  // Pool: tokens and dates leave here; only ages, tenures and measures go on.
  const { age, tenureYears } = ageAndTenureSql('duckdb');
  const topCoded: Record<string, number> = {};
  const measures: string[] = [];
  for (const [name, dataset, column] of MEASURE_SOURCES) {
    const action = anonymisedAction(catalogueColumn(dataset, column));
    if (action.kind === 'top_code') {
      topCoded[name] = await count(
        db,
        `SELECT count(*) AS n FROM em WHERE ${name} > ${action.topCode}`,
        'count peculiar',
      );
      measures.push(`least(${name}, ${action.topCode}) AS ${name}`);
    } else {
      measures.push(name);
    }
  }
  const mergedRare: Record<string, number> = {};
  const categories: string[] = [];
  for (const [column, allowed] of Object.entries(MERGED_CATEGORIES)) {
    const frequent = (
      await db.run(
        plainQuery(
          `SELECT ${column} AS v FROM em WHERE ${column} IS NOT NULL GROUP BY 1 HAVING count(*) >= ${k}`,
          'category counts',
        ),
      )
    )
      .map((r) => String(r.v))
      .filter((v) => (allowed as readonly string[]).includes(v));
    const kept = frequent.length === 0 ? 'false' : `${column} IN (${frequent.map(quoteLiteral).join(', ')})`;
    mergedRare[column] = await count(
      db,
      `SELECT count(*) AS n FROM em WHERE ${column} IS NOT NULL AND ${column} <> 'other' AND NOT (${kept})`,
      'count merged',
    );
    categories.push(
      `CASE WHEN ${column} IS NULL THEN NULL WHEN ${kept} THEN ${column} ELSE 'other' END AS ${column}`,
    );
  }
  await db.run(
    plainQuery(
      `CREATE TABLE pool AS SELECT c.company_code, c.industry, c.prefecture, c.region, c.size_band, f.period,
      ${age} AS age, ${tenureYears} AS tenure_years, ${categories.join(', ')}, ${measures.join(', ')},
      f.employed, f.separated, f.record_key, f.company_key
    FROM em f JOIN companies c USING (company_code)`,
      'pool with company profiles',
    ),
  );
  const rowsIn = await count(db, 'SELECT count(*) AS n FROM pool', 'count pool');
  // The pool holds everything that goes on; the pooled facts' memory is for the steps after.
  await db.run(plainQuery('DROP TABLE em', 'drop pooled employee facts'));
  return { rowsIn, topCoded, mergedRare };
}

/**
 * Global generalisation: climbs the ladder until local suppression stays within its budget. Each
 * level is counted from its class sizes (`gen_classes`); the rows themselves stay a view (`gen`) of
 * the pool through the chosen level, read once when the anonymised table is written.
 */
async function generalise(db: DuckSession, k: number, classes: readonly string[], rowsIn: number) {
  // Global generalisation: climb until local suppression stays within budget.
  const generalisations: string[] = [];
  let chosen = 0;
  // Rows below k at the chosen level: the last level tried is the chosen one, so its count is kept.
  let violating = 0;
  for (let i = 0; i < GENERALISATION_LEVELS.length; i += 1) {
    const level = GENERALISATION_LEVELS[i] as GeneralisationLevel;
    await db.run(
      plainQuery(
        `CREATE OR REPLACE VIEW gen AS SELECT ${generaliseProjection(level).join(', ')} FROM pool`,
        level.name,
      ),
    );
    await createClassSizes(db, 'gen', 'gen_classes', classes);
    generalisations.push(level.name);
    chosen = i;
    violating = await violatingRows(db, 'gen_classes', k);
    if (violating <= rowsIn * LOCAL_SUPPRESSION_BUDGET) break;
  }
  const level = GENERALISATION_LEVELS[chosen] as GeneralisationLevel;
  return { generalisations, level, rowsWithBlankedAttribute: violating };
}

/** Writes the anonymised tables of the release as Parquet to the curated bucket; returns their keys. */
async function writeAnonymisedTables(
  db: DuckSession,
  ports: MaskingPorts,
  dir: string,
  releaseId: string,
  level: GeneralisationLevel,
): Promise<string[]> {
  const outputs: string[] = [];
  const select = (table: AnonymisedTable, from: string) =>
    `SELECT ${ANONYMISED_COLUMNS[table]
      .map(([name, type]) => `${name === 'release_id' ? quoteLiteral(releaseId) : name}::${type} AS ${name}`)
      .join(', ')} FROM ${from}`;
  const sources: Record<AnonymisedTable, string> = {
    anon_employee_month: 'anon',
    anon_company_month: `(SELECT c.company_code, c.industry, ${level.keepPrefecture ? 'c.prefecture' : 'CAST(NULL AS VARCHAR) AS prefecture'}, c.region, c.size_band, m.period, m.sales_amount, m.employees, m.record_key, m.company_key FROM cm m JOIN companies c USING (company_code))`,
  };
  for (const table of Object.keys(sources) as AnonymisedTable[]) {
    const key = anonymisedTableKey(releaseId, table);
    const path = await outputPath(dir, key);
    await db.run(
      plainQuery(
        `COPY (${select(table, sources[table])}) TO ${quoteLiteral(path)} (FORMAT parquet, COMPRESSION zstd)`,
        `write ${table}`,
      ),
    );
    await upload(ports.objects, 'curated', key, path);
    outputs.push(key);
  }
  return outputs;
}
