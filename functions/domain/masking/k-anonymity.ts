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
export function classColumns(withinCompany: boolean): string[] {
  return [...(withinCompany ? ['company_code'] : []), ...EMPLOYEE_QUASI_IDENTIFIERS];
}

export async function count(db: DuckSession, sql: string, description: string): Promise<number> {
  const rows: Row[] = await db.run(plainQuery(sql, description));
  return Number(rows[0]?.n ?? 0);
}

/**
 * The class sizes of a relation: one row per equivalence class on `classes`, with its row count `n`.
 * Everything k-anonymity decides is read from this small table, not from the rows again.
 */
export async function createClassSizes(
  db: DuckSession,
  from: string,
  table: string,
  classes: readonly string[],
): Promise<void> {
  await db.run(
    plainQuery(
      `CREATE OR REPLACE TABLE ${table} AS SELECT ${classes.join(', ')}, count(*) AS n FROM ${from} GROUP BY ALL`,
      'class sizes',
    ),
  );
}

/** Rows in equivalence classes smaller than k, from a table of class sizes. */
export async function violatingRows(db: DuckSession, classSizes: string, k: number): Promise<number> {
  return count(db, `SELECT coalesce(sum(n), 0) AS n FROM ${classSizes} WHERE n < ${k}`, 'count rows below k');
}

/**
 * The rounds of local suppression, most identifying first: each blanks its columns in the rows whose
 * class (as the rounds before left it) is below k. Rows still in a class below k are then dropped.
 */
export const SUPPRESSION_ROUNDS = [
  ['age_band', 'tenure_band'],
  ['gender', 'employment_type'],
] as const;

/** What local suppression did to a generalised relation. */
export interface LocalSuppression {
  /** Cells blanked, per column of SUPPRESSION_ROUNDS. */
  readonly suppressedCells: Record<string, number>;
  /** Rows kept. */
  readonly rowsOut: number;
}

/**
 * Local suppression of relation `from` (generalised pooled rows, whose class sizes are in table
 * `classSizes`) into view `to`, with `from`'s columns: the rounds of SUPPRESSION_ROUNDS, then the rows
 * still below k dropped. The rounds run on the class sizes alone: rows of one class share its fate,
 * and a class after a round is the union of the classes whose blanked values make them equal. So
 * the rows are read once, by whoever reads `to` (a join to each class's fate).
 */
export async function suppressLocally(
  db: DuckSession,
  relations: { readonly from: string; readonly classSizes: string; readonly to: string },
  k: number,
  classes: readonly string[],
): Promise<LocalSuppression> {
  const { from, classSizes, to } = relations;
  const fate = `${to}_fate`;
  /** Each class column's value as the rounds so far left it. */
  const current = new Map<string, string>(classes.map((c) => [c, c]));
  const cellCounts: string[] = [];
  let relation = `(SELECT *, n AS size_0 FROM ${classSizes})`;
  for (const [i, round] of SUPPRESSION_ROUNDS.entries()) {
    const below = `size_${i} < ${k}`;
    const blanked = round.filter((c) => current.has(c));
    const added = blanked.flatMap((c) => [
      `CASE WHEN ${below} THEN NULL ELSE ${current.get(c)} END AS r${i + 1}_${c}`,
      `CASE WHEN ${below} AND ${current.get(c)} IS NOT NULL THEN n ELSE 0 END AS cells_${c}`,
    ]);
    for (const c of blanked) current.set(c, `r${i + 1}_${c}`);
    cellCounts.push(...round.map((c) => (blanked.includes(c) ? `sum(cells_${c}) AS ${c}` : `0 AS ${c}`)));
    const key = classes.map((c) => current.get(c)).join(', ');
    relation = `(SELECT *, sum(n) OVER (PARTITION BY ${key}) AS size_${i + 1} FROM (SELECT *, ${added.join(', ')} FROM ${relation}))`;
  }
  const kept = `size_${SUPPRESSION_ROUNDS.length} >= ${k}`;
  await db.run(
    plainQuery(
      `CREATE OR REPLACE TABLE ${fate} AS SELECT *, ${kept} AS kept FROM ${relation}`,
      'local suppression',
    ),
  );
  const [totals] = await db.run(
    plainQuery(
      `SELECT ${cellCounts.join(', ')}, coalesce(sum(n) FILTER (WHERE kept), 0) AS rows_out FROM ${fate}`,
      'count suppressed cells',
    ),
  );
  const suppressedCells = Object.fromEntries(
    SUPPRESSION_ROUNDS.flat().map((c) => [c, Number(totals?.[c] ?? 0)]),
  );
  const replaced = [...current].filter(([c, value]) => c !== value).map(([c, value]) => `x.${value} AS ${c}`);
  const joined = classes.map((c) => `f.${c} IS NOT DISTINCT FROM x.${c}`).join(' AND ');
  await db.run(
    plainQuery(
      `CREATE OR REPLACE VIEW ${to} AS SELECT f.*${replaced.length > 0 ? ` REPLACE (${replaced.join(', ')})` : ''}
       FROM ${from} f JOIN (SELECT * FROM ${fate} WHERE kept) x ON ${joined}`,
      'suppressed rows',
    ),
  );
  return { suppressedCells, rowsOut: Number(totals?.rows_out ?? 0) };
}
