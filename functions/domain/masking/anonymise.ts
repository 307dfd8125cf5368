/**
 * The anonymised zone (匿名加工情報), per statistics release: the contributing tenants' derived facts
 * pooled, with no tokens and no linking codes, quasi-identifiers generalised, peculiar values
 * top-coded, each company replaced by a random code new in this release and mapped to nothing, and
 * k-anonymity enforced on the quasi-identifiers by further generalisation, then local suppression.
 */
import { randomBytes } from 'node:crypto';
import { companyProfileSchema, regionOf } from '../company.ts';
import { defaultSettings } from '../settings.ts';
import {
  ANONYMISED_COLUMNS,
  type AnonymisedTable,
  anonymisedTableKey,
  EMPLOYEE_QUASI_IDENTIFIERS,
  type SuppressionReport,
  suppressionReportKey,
  suppressionReportSchema,
} from './anonymised-schema.ts';
import { catalogueColumn } from './columns.ts';
import { CompiledQuery, type Dialect, quoteIdent, quoteLiteral } from './compile.ts';
import { type DuckSession, plainQuery, type Row, withDuckDb } from './duckdb-engine.ts';
import { TenantNotFoundError } from './errors.ts';
import { FACT_COLUMNS, type FactName, factKey } from './facts.ts';
import {
  type AgeBandWidth,
  ageBandSql,
  completedYearsSql,
  periodEndSql,
  tenureBandSql,
} from './generalise.ts';
import { hmacBlocksHex } from './hmac.ts';
import { download, outputPath, upload, withWorkDir } from './local-files.ts';
import { anonymisedAction } from './policy.ts';
import type { MaskingPorts } from './ports.ts';
import { companyRecordKey, personRecordKeySql, platformPerturbationKey } from './record-keys.ts';

export interface AnonymiseRequest {
  readonly releaseId: string;
  /** Tenants whose facts contribute to the release (consented, active, not purged). */
  readonly tenants: readonly string[];
  /**
   * Also count `company_code` as a quasi-identifier, so every class holds k rows of ONE company.
   * Stricter (it defends against someone who can tell which code is which company, e.g. from its
   * headcount) at the cost of much more suppression in small companies. @default false
   */
  readonly classesWithinCompany?: boolean;
}

export interface AnonymiseResult {
  readonly releaseId: string;
  readonly outputs: readonly string[];
  readonly report: SuppressionReport;
}

/**
 * One global generalisation level; each is coarser than the one before. A quasi-identifier that a
 * level drops is null in every row (no statistic then splits by it). Tenure band and employment type
 * go first: no published statistic uses them, so dropping them costs nothing.
 */
export interface GeneralisationLevel {
  readonly name: string;
  /** Age band width, or null when age is dropped. */
  readonly ageBandWidth: AgeBandWidth | null;
  readonly keepPrefecture: boolean;
  readonly keepTenure: boolean;
  readonly keepEmploymentType: boolean;
  readonly keepGender: boolean;
}

const ladderStep = (name: string, changes: Partial<GeneralisationLevel>): GeneralisationLevel => ({
  name,
  ageBandWidth: 5,
  keepPrefecture: true,
  keepTenure: true,
  keepEmploymentType: true,
  keepGender: true,
  ...changes,
});
const unusedDropped = { keepTenure: false, keepEmploymentType: false };

/**
 * The ladder climbed until the rows violating k-anonymity fit the local suppression budget (then
 * local suppression blanks what is left). Every step is global and recorded in the release's report.
 */
export const GENERALISATION_LEVELS: readonly GeneralisationLevel[] = [
  ladderStep('age_band_5y', {}),
  ladderStep('unused_quasi_identifiers_dropped', unusedDropped),
  ladderStep('age_band_10y', { ...unusedDropped, ageBandWidth: 10 }),
  ladderStep('prefecture_to_region', { ...unusedDropped, ageBandWidth: 10, keepPrefecture: false }),
  ladderStep('age_band_20y', { ...unusedDropped, ageBandWidth: 20, keepPrefecture: false }),
  ladderStep('gender_dropped', {
    ...unusedDropped,
    ageBandWidth: 20,
    keepPrefecture: false,
    keepGender: false,
  }),
  ladderStep('age_dropped', {
    ...unusedDropped,
    ageBandWidth: null,
    keepPrefecture: false,
    keepGender: false,
  }),
];

/**
 * Share of rows local suppression may touch (blank an attribute of) before a coarser global level is
 * preferred; the release report says how many it touched.
 */
export const LOCAL_SUPPRESSION_BUDGET = 0.05;

/** Measures of anon_employee_month and the catalogue column whose policy (top code) they follow. */
const MEASURE_SOURCES = [
  ['overtime_hours', 'attendance', 'overtime_hours'],
  ['hours_worked', 'attendance', 'actual_hours'],
  ['paid_leave_days', 'attendance', 'paid_leave_days'],
  ['base_pay', 'payroll', 'base_pay'],
  ['gross_pay', 'payroll', 'gross_pay'],
] as const;

/** Categorical quasi-identifiers whose rare values merge into `other`, with their allowed values. */
const MERGED_CATEGORIES = {
  gender: ['male', 'female', 'other'],
  employment_type: ['regular', 'contract', 'part_time', 'dispatched', 'executive', 'other'],
} as const;

/** A new random company code: 12 hex digits, never stored anywhere but in the release's rows. */
export function newCompanyCode(taken: Set<string>): string {
  for (;;) {
    const code = `C${randomBytes(6).toString('hex')}`;
    if (!taken.has(code)) {
      taken.add(code);
      return code;
    }
  }
}

/** SQL (either dialect) of the age and tenure in completed years at the end of the row's period. */
export function ageAndTenureSql(dialect: Dialect): { age: string; tenureYears: string } {
  const end = periodEndSql(dialect, quoteIdent('period'));
  return {
    age: completedYearsSql(dialect, quoteIdent('birth_date'), end),
    tenureYears: completedYearsSql(dialect, quoteIdent('hire_date'), end),
  };
}

/** SQL (either dialect) projecting a pooled row through one generalisation level. */
export function generaliseProjection(level: GeneralisationLevel): string[] {
  const dropped = (column: string) => `CAST(NULL AS VARCHAR) AS ${column}`;
  return [
    'company_code',
    'industry',
    level.keepPrefecture ? 'prefecture' : dropped('prefecture'),
    'region',
    'size_band',
    'period',
    level.ageBandWidth === null
      ? dropped('age_band')
      : `${ageBandSql('age', level.ageBandWidth)} AS age_band`,
    level.keepGender ? 'gender' : dropped('gender'),
    level.keepTenure ? `${tenureBandSql('tenure_years')} AS tenure_band` : dropped('tenure_band'),
    level.keepEmploymentType ? 'employment_type' : dropped('employment_type'),
    ...MEASURE_SOURCES.map(([name]) => name),
    'employed',
    'separated',
    'record_key',
    'company_key',
  ];
}

/** The columns equivalence classes are formed on. */
export function classColumns(withinCompany: boolean): string {
  return [...(withinCompany ? ['company_code'] : []), ...EMPLOYEE_QUASI_IDENTIFIERS].join(', ');
}

async function count(db: DuckSession, sql: string, description: string): Promise<number> {
  const rows: Row[] = await db.run(plainQuery(sql, description));
  return Number(rows[0]?.n ?? 0);
}

/** Rows in equivalence classes (on the quasi-identifiers) smaller than k. */
async function violatingRows(db: DuckSession, table: string, k: number, classes: string): Promise<number> {
  return count(
    db,
    `SELECT coalesce(sum(n), 0) AS n FROM (SELECT count(*) AS n FROM ${table} GROUP BY ${classes}) WHERE n < ${k}`,
    'count rows below k',
  );
}

/**
 * Sets `columns` to NULL in rows whose class is below k (local suppression) and returns how many
 * cells it blanked per column.
 */
async function suppressLocally(
  db: DuckSession,
  from: string,
  to: string,
  k: number,
  classes: string,
  columns: readonly string[],
): Promise<Record<string, number>> {
  const replaced = columns
    .map((c) => `CASE WHEN class_size < ${k} THEN NULL ELSE ${c} END AS ${c}`)
    .join(', ');
  await db.run(
    plainQuery(
      `CREATE TABLE ${to}_src AS SELECT *, count(*) OVER (PARTITION BY ${classes}) AS class_size FROM ${from}`,
      'class sizes',
    ),
  );
  const cells: Record<string, number> = {};
  for (const c of columns) {
    cells[c] = await count(
      db,
      `SELECT count(*) AS n FROM ${to}_src WHERE class_size < ${k} AND ${c} IS NOT NULL`,
      'count cells',
    );
  }
  await db.run(
    plainQuery(
      `CREATE TABLE ${to} AS SELECT * EXCLUDE (class_size) REPLACE (${replaced}) FROM ${to}_src`,
      'suppress',
    ),
  );
  return cells;
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

/** Builds the anonymised zone of a release from the tenants' facts. */
export async function anonymise(ports: MaskingPorts, request: AnonymiseRequest): Promise<AnonymiseResult> {
  const settings = ports.settings ?? defaultSettings;
  const k = settings.disclosure.kAnonymity;
  const classes = classColumns(request.classesWithinCompany ?? false);
  const { releaseId } = request;

  const companies: Array<{
    code: string;
    industry: string;
    prefecture: string;
    region: string;
    sizeBand: string;
  }> = [];
  const taken = new Set<string>();
  const contributing: Array<{ tenantId: string; code: string }> = [];
  // Record keys for the cell key method: stable per person and company, under the platform key.
  const platformKey = await platformPerturbationKey(ports.keys);
  const { ipadHex, opadHex } = hmacBlocksHex(platformKey);
  for (const tenantId of new Set(request.tenants)) {
    const item = await ports.table.get('tenants', { tenantId });
    if (!item) throw new TenantNotFoundError(tenantId);
    const profile = companyProfileSchema.parse(item.profile);
    if (!(await ports.objects.head('curated', factKey(tenantId, 'employee_month')))) continue;
    const code = newCompanyCode(taken);
    companies.push({
      code,
      industry: profile.industry,
      prefecture: profile.prefecture,
      region: regionOf(profile.prefecture) ?? profile.prefecture,
      sizeBand: profile.sizeBand,
    });
    contributing.push({ tenantId, code });
  }

  // Pooled over every tenant in the statistics function, not beside ingestion: DuckDB's own limit.
  return withWorkDir((dir) =>
    withDuckDb(
      async (db) => {
        const employeeParts: string[] = [];
        const companyParts: string[] = [];
        for (const { tenantId, code } of contributing) {
          const employeePath = await download(
            ports.objects,
            'curated',
            factKey(tenantId, 'employee_month'),
            dir,
          );
          const companyKey = companyRecordKey(platformKey, tenantId);
          employeeParts.push(
            `SELECT ${quoteLiteral(code)} AS company_code, CAST(${companyKey} AS BIGINT) AS company_key, ${personRecordKeySql(platformKey, tenantId, 'employee_token')} AS record_key, * FROM read_parquet(${quoteLiteral(employeePath)})`,
          );
          if (await ports.objects.head('curated', factKey(tenantId, 'company_month'))) {
            const companyPath = await download(
              ports.objects,
              'curated',
              factKey(tenantId, 'company_month'),
              dir,
            );
            companyParts.push(
              `SELECT ${quoteLiteral(code)} AS company_code, CAST(${companyKey} AS BIGINT) AS company_key, CAST(${companyKey} AS BIGINT) AS record_key, * FROM read_parquet(${quoteLiteral(companyPath)})`,
            );
          }
        }
        const companyRows = companies
          .map(
            (c) =>
              `(${[c.code, c.industry, c.prefecture, c.region, c.sizeBand].map(quoteLiteral).join(', ')})`,
          )
          .join(', ');
        await db.run(
          plainQuery(
            companies.length === 0
              ? 'CREATE TABLE companies (company_code VARCHAR, industry VARCHAR, prefecture VARCHAR, region VARCHAR, size_band VARCHAR)'
              : `CREATE TABLE companies AS SELECT * FROM (VALUES ${companyRows}) AS t(company_code, industry, prefecture, region, size_band)`,
            'company profiles',
          ),
        );
        // The record-key HMAC carries the platform key: a compiled query with its secrets, never logged.
        await db.run(
          new CompiledQuery(
            'duckdb',
            employeeParts.length === 0
              ? `CREATE TABLE em (${pooledColumns('employee_month')})`
              : `CREATE TABLE em AS ${employeeParts.join(' UNION ALL BY NAME ')}`,
            'pool employee facts with record keys',
            [ipadHex, opadHex],
          ),
        );
        await db.run(
          plainQuery(
            companyParts.length === 0
              ? `CREATE TABLE cm (${pooledColumns('company_month')})`
              : `CREATE TABLE cm AS ${companyParts.join(' UNION ALL BY NAME ')}`,
            'pool company facts',
          ),
        );

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
          const kept =
            frequent.length === 0 ? 'false' : `${column} IN (${frequent.map(quoteLiteral).join(', ')})`;
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

        // Global generalisation: climb until local suppression stays within budget.
        const generalisations: string[] = [];
        let chosen = 0;
        for (let i = 0; i < GENERALISATION_LEVELS.length; i += 1) {
          const level = GENERALISATION_LEVELS[i] as GeneralisationLevel;
          await db.run(
            plainQuery(
              `CREATE OR REPLACE TABLE gen AS SELECT ${generaliseProjection(level).join(', ')} FROM pool`,
              level.name,
            ),
          );
          generalisations.push(level.name);
          chosen = i;
          const violating = await violatingRows(db, 'gen', k, classes);
          if (violating <= rowsIn * LOCAL_SUPPRESSION_BUDGET) break;
        }
        const level = GENERALISATION_LEVELS[chosen] as GeneralisationLevel;
        const rowsWithBlankedAttribute = await violatingRows(db, 'gen', k, classes);

        // Local suppression: blank the most identifying cells first, then drop rows still below k.
        const first = await suppressLocally(db, 'gen', 'sup1', k, classes, ['age_band', 'tenure_band']);
        const second = await suppressLocally(db, 'sup1', 'sup2', k, classes, ['gender', 'employment_type']);
        await db.run(
          plainQuery(
            `CREATE TABLE anon AS SELECT * FROM (SELECT *, count(*) OVER (PARTITION BY ${classes}) AS class_size FROM sup2) WHERE class_size >= ${k}`,
            'drop rows below k',
          ),
        );
        const rowsOut = await count(db, 'SELECT count(*) AS n FROM anon', 'count output');

        const outputs: string[] = [];
        const select = (table: AnonymisedTable, from: string) =>
          `SELECT ${ANONYMISED_COLUMNS[table]
            .map(
              ([name, type]) =>
                `${name === 'release_id' ? quoteLiteral(releaseId) : name}::${type} AS ${name}`,
            )
            .join(', ')} FROM ${from} ORDER BY period, company_code`;
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

        const suppressedCells = { ...first, ...second };
        const report = suppressionReportSchema.parse({
          releaseId,
          k,
          tenants: contributing.length,
          rowsIn,
          rowsOut,
          generalisations,
          mergedRare,
          topCoded,
          suppressedCells,
          suppressedRows: rowsIn - rowsOut,
          rowsWithBlankedAttribute,
        });
        const reportKey = suppressionReportKey(releaseId);
        await ports.objects.put('curated', reportKey, JSON.stringify(report, null, 2), {
          contentType: 'application/json',
        });
        outputs.push(reportKey);
        return { releaseId, outputs, report };
      },
      { memoryLimit: 'engine-default' },
    ),
  );
}
