/**
 * k-anonymity for the pooled employee facts: the ladder of global generalisation levels, the
 * equivalence classes, and local suppression (blanking the most identifying cells, then dropping rows
 * still in a class below k).
 */
import { EMPLOYEE_QUASI_IDENTIFIERS } from './anonymised-schema.ts';
import { type DuckSession, plainQuery, type Row } from './duckdb-engine.ts';
import { type AgeBandWidth, ageBandSql, tenureBandSql } from './generalise.ts';

/** Measures of anon_employee_month and the catalogue column whose policy (top code) they follow. */
export const MEASURE_SOURCES = [
  ['overtime_hours', 'attendance', 'overtime_hours'],
  ['hours_worked', 'attendance', 'actual_hours'],
  ['paid_leave_days', 'attendance', 'paid_leave_days'],
  ['base_pay', 'payroll', 'base_pay'],
  ['gross_pay', 'payroll', 'gross_pay'],
] as const;

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

export async function count(db: DuckSession, sql: string, description: string): Promise<number> {
  const rows: Row[] = await db.run(plainQuery(sql, description));
  return Number(rows[0]?.n ?? 0);
}

/** Rows in equivalence classes (on the quasi-identifiers) smaller than k. */
export async function violatingRows(
  db: DuckSession,
  table: string,
  k: number,
  classes: string,
): Promise<number> {
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
export async function suppressLocally(
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
