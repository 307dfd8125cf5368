/**
 * Compiles a catalogue statistic to SQL. One logical query for both engines; the only dialect
 * difference is isolated in `quantileSql`:
 *
 * - DuckDB: `quantile_cont(x, p)`, the exact quantile with linear interpolation between the two
 *   nearest order statistics (type 7, like R's default and numpy's `linear`).
 * - Athena (Trino): `approx_percentile(x, p)`, an approximate quantile from a t-digest/q-digest
 *   sketch; it returns a value near the data's p-th order statistic without interpolating, with a
 *   small rank error. The two engines therefore agree on every count, sum, mean and ratio, but their
 *   quantiles can differ slightly on the same data. Local tests assert DuckDB's exact values.
 *
 * The cells query computes every cell of every grouping set (the finest cells and, when the statistic
 * publishes margins, every total), with the primary-suppression reason decided in SQL from
 * `settings.disclosure`. Secondary suppression happens in TypeScript over the cell keys
 * (suppression.ts); the published query then nulls every measure of every suppressed cell.
 */
import type { DisclosureSettings } from '../settings.ts';
import {
  type Dimension,
  GEO_LEVELS,
  type GeoLevel,
  type Measure,
  type Statistic,
  statisticKeyColumns,
  TOTAL,
  UNSPECIFIED,
  VARIABLES,
  type Variable,
} from './catalog.ts';
import { companyFactorSql, tableNoiseSql } from './perturbation.ts';

export type Dialect = 'duckdb' | 'athena';

/** A grouping set: the dimensions kept (the others are `_total`) and the geography level. */
export interface GroupingSet {
  readonly kept: readonly Dimension[];
  readonly geo: GeoLevel;
}

/** Every grouping set a statistic publishes: the finest cells, plus all margins when it has them. */
export function groupingSets(stat: Statistic): GroupingSet[] {
  const finest = GEO_LEVELS.indexOf(stat.geography);
  if (!stat.margins) return [{ kept: [...stat.dimensions], geo: stat.geography }];
  const subsets: Dimension[][] = [[]];
  for (const d of stat.dimensions) {
    for (const s of [...subsets]) subsets.push([...s, d]);
  }
  const sets: GroupingSet[] = [];
  for (const geo of GEO_LEVELS.slice(finest)) {
    for (const kept of subsets) sets.push({ kept: stat.dimensions.filter((d) => kept.includes(d)), geo });
  }
  return sets;
}

/** The exact quantile (DuckDB) or its approximation (Athena); see the module comment. */
export function quantileSql(dialect: Dialect, expression: string, p: number): string {
  return dialect === 'duckdb'
    ? `quantile_cont(${expression}, ${p})`
    : `approx_percentile(${expression}, ${p})`;
}

/** Single-quoted SQL string literal. */
export function sqlString(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

const SEPARATOR = '|';
/** The text key of a cell: its key column values joined by `|` (values never contain `|`). */
export function cellKey(stat: Statistic, row: Readonly<Record<string, unknown>>): string {
  return statisticKeyColumns(stat)
    .map((c) => String(row[c]))
    .join(SEPARATOR);
}
function cellKeySql(stat: Statistic, alias?: string): string {
  const prefix = alias ? `${alias}.` : '';
  return statisticKeyColumns(stat)
    .map((c) => `${prefix}${c}`)
    .join(` || '${SEPARATOR}' || `);
}

function measureVariables(m: Measure): Variable[] {
  if (m.kind === 'count') return [];
  if (m.kind === 'ratio') return [m.numerator, m.denominator];
  return [m.of];
}

/** Variables a statistic reads (measures, required ones and the dominance magnitude). */
export function usedVariables(stat: Statistic): Variable[] {
  return [
    ...new Set<Variable>([
      ...stat.requires,
      ...stat.measures.flatMap(measureVariables),
      ...(stat.dominanceOn ? [stat.dominanceOn] : []),
    ]),
  ];
}

/**
 * SQL of one measure over rows with `v_<variable>` columns, unperturbed: a tenant's own value in its
 * benchmark (computed over its own facts only). Published cells use `publishedMeasureSql` instead.
 */
export function measureSql(dialect: Dialect, m: Measure): string {
  switch (m.kind) {
    case 'count':
      return 'count(*)';
    case 'sum':
      return `sum(v_${m.of})`;
    case 'mean':
      return m.scale === 1 ? `avg(v_${m.of})` : `avg(v_${m.of}) * ${m.scale}`;
    case 'quantile':
      return quantileSql(dialect, `v_${m.of}`, m.p);
    case 'ratio':
      // DOUBLE on both sides: a Trino DECIMAL division can round 3/120 to 0.0.
      return `CAST(sum(v_${m.numerator}) AS DOUBLE) / nullif(CAST(sum(v_${m.denominator}) AS DOUBLE), 0e0)`;
  }
}

/** Variables whose perturbed sum a statistic's measures need (sums, means, ratios). */
function summedVariables(stat: Statistic): Variable[] {
  return [
    ...new Set(
      stat.measures.flatMap((m): Variable[] =>
        m.kind === 'sum' || m.kind === 'mean'
          ? [m.of]
          : m.kind === 'ratio'
            ? [m.numerator, m.denominator]
            : [],
      ),
    ),
  ];
}

/**
 * The published (perturbed) value of a measure over a grouping set's aggregates `g` (see
 * perturbation.ts): counts and sums are the companies' factored contributions plus the table's noise
 * (cell keys `ck_sum` for counts, `ckm_sum` for magnitudes); means and ratios come from those;
 * quantiles are over factored values and only where the quantile rules allow.
 */
function publishedMeasureSql(stat: Statistic, m: Measure, g: string, quantileAllowed: string): string {
  const count = `greatest(0e0, round(${g}.p_count) + ${tableNoiseSql(`${g}.ck_sum`)})`;
  const sum = (v: Variable) =>
    `(${g}.ps_${v} + ${VARIABLES[v].noiseUnit}e0 * ${tableNoiseSql(`${g}.ckm_sum`)})`;
  // A ratio over `employed` in a statistic of employed rows is over the published count itself.
  const denominator = (v: Variable) => (v === 'employed' && stat.employedOnly ? count : sum(v));
  const rounded = (sql: string, v: Variable) => `round(${sql}, ${VARIABLES[v].decimals})`;
  switch (m.kind) {
    case 'count':
      return `CAST(${count} AS BIGINT)`;
    case 'sum':
      return rounded(sum(m.of), m.of);
    case 'mean':
      return `round(${sum(m.of)} / nullif(${count}, 0e0) * ${m.scale}e0, 2)`;
    case 'quantile':
      return `CASE WHEN ${quantileAllowed} THEN ${rounded(`${g}.q_${m.column}`, m.of)} END`;
    case 'ratio':
      return `round(${sum(m.numerator)} / nullif(${denominator(m.denominator)}, 0e0), 6)`;
  }
}

/** Key column expressions of a grouping set, in key-column order (rolled-up columns are `_total`). */
function keySelect(stat: Statistic, set: GroupingSet): Array<[column: string, expression: string]> {
  const level = GEO_LEVELS.indexOf(set.geo);
  return statisticKeyColumns(stat).map((c): [string, string] => {
    if (c === 'period') return [c, 'period'];
    if (c === 'geo_level') return [c, sqlString(set.geo)];
    if (c === 'prefecture') return [c, level === 0 ? 'prefecture' : sqlString(TOTAL)];
    if (c === 'region') return [c, level <= 1 ? 'region' : sqlString(TOTAL)];
    return [c, set.kept.includes(c as Dimension) ? c : sqlString(TOTAL)];
  });
}

/** Columns a grouping set groups by (the ones not constant). */
function groupColumns(stat: Statistic, set: GroupingSet): string[] {
  return keySelect(stat, set)
    .filter(([c, e]) => c === e)
    .map(([c]) => c);
}

/** The row filters that decide which anonymised rows a statistic counts (besides the release). */
export function rowFilters(stat: Statistic): string[] {
  const variables = usedVariables(stat);
  return [
    ...new Set([
      ...(stat.employedOnly ? ['employed'] : []),
      ...variables.flatMap((v) => {
        const variable: { columns: readonly string[]; nullable?: false } = VARIABLES[v];
        return variable.nullable === false ? [] : variable.columns.map((c) => `${c} IS NOT NULL`);
      }),
      ...(variables.includes('sales_per_employee') ? ['employees > 0'] : []),
    ]),
  ].sort();
}

/**
 * Statistics with the same population signature count exactly the same rows, so a cell present in
 * both (same period, dimensions and geography, the others at `_total`) has the same count in both:
 * such tables are linked and must be suppressed together.
 */
export function populationSignature(stat: Statistic): string {
  return [stat.source, stat.period, ...rowFilters(stat)].join(';');
}

export interface CellsQueryOptions {
  readonly dialect: Dialect;
  /** Table reference of the statistic's source, e.g. `read_parquet('/tmp/x.parquet')` or `kura_anonymised.anon_employee_month`. */
  readonly sourceRef: string;
  readonly releaseId: string;
  readonly disclosure: DisclosureSettings;
  /**
   * Partition column of the source table that must also be filtered (Athena: the anonymised Glue
   * tables project `release` as an injected partition, which every query has to name).
   */
  readonly releasePartition?: string;
}

/**
 * The cells query: one row per cell of every grouping set, with `cell_key`, the key columns, every
 * measure (unsuppressed: this result is internal and never published), the disclosure inputs
 * (`n_rows`, `n_individuals`, `n_companies`, `dominance_share`) and `primary_reason` (null when the cell
 * passes primary suppression).
 */
export function compileCellsQuery(stat: Statistic, options: CellsQueryOptions): string {
  const { dialect, disclosure } = options;
  const variables = usedVariables(stat);
  const summed = summedVariables(stat);
  const quantiles = stat.measures.filter((m): m is Measure & { kind: 'quantile' } => m.kind === 'quantile');
  const keyCols = statisticKeyColumns(stat);
  const coalesced = (c: string) => `coalesce(CAST(${c} AS VARCHAR), ${sqlString(UNSPECIFIED)}) AS ${c}`;
  const periodSql = stat.period === 'month' ? 'period' : 'substr(period, 1, 4)';
  const filters = [
    ...(options.releasePartition ? [`${options.releasePartition} = ${sqlString(options.releaseId)}`] : []),
    `release_id = ${sqlString(options.releaseId)}`,
    ...rowFilters(stat),
  ];
  const base = [
    'SELECT company_code',
    `${periodSql} AS period`,
    'period AS source_month',
    ...stat.dimensions.map(coalesced),
    ...(stat.geography === 'prefecture' ? [coalesced('prefecture')] : []),
    coalesced('region'),
    'record_key',
    'company_key',
    // One factor per measure (perturbation.ts): the count's, and each variable's that is summed or ranked.
    `${companyFactorSql('company_key', disclosure, 'count', dialect)} AS f_count`,
    ...[...new Set([...summed, ...quantiles.map((m) => m.of)])].map(
      (v) => `${companyFactorSql('company_key', disclosure, v, dialect)} AS f_${v}`,
    ),
    ...variables.map((v) => `${VARIABLES[v].sql} AS v_${v}`),
  ].join(',\n    ');
  const ctes = [
    `base AS (\n  ${base}\n  FROM ${options.sourceRef}\n  WHERE ${[...new Set(filters)].join('\n    AND ')}\n)`,
  ];
  const selects: string[] = [];

  groupingSets(stat).forEach((set, i) => {
    const keys = keySelect(stat, set);
    const group = groupColumns(stat, set);
    const keyList = keys.map(([c, e]) => (c === e ? c : `${e} AS ${c}`)).join(', ');
    const groupBy = (extra: string[] = []) => {
      const cols = [...group, ...extra];
      return cols.length > 0 ? ` GROUP BY ${cols.join(', ')}` : '';
    };
    const joinOn = (a: string, b: string) =>
      group.length > 0 ? ` ON ${group.map((c) => `${a}.${c} = ${b}.${c}`).join(' AND ')}` : ' ON true';
    const aggregates = [
      'count(*) AS n_rows',
      'count(DISTINCT company_code) AS n_companies',
      // Perturbation inputs (perturbation.ts): factored count, cell keys, factored sums and quantiles.
      'sum(f_count) AS p_count',
      'sum(record_key) AS ck_sum',
      'sum(company_key) AS ckm_sum',
      ...summed.map((v) => `sum(v_${v} * f_${v}) AS ps_${v}`),
      ...quantiles.map((m) => `${quantileSql(dialect, `v_${m.of} * f_${m.of}`, m.p)} AS q_${m.column}`),
    ];
    ctes.push(
      `g${i} AS (\n  SELECT ${keyList},\n    ${aggregates.join(',\n    ')}\n  FROM base${groupBy()}\n)`,
    );
    // Typed nulls: Athena CTAS refuses columns of unknown type.
    let individuals = 'CAST(NULL AS BIGINT)';
    const joins: string[] = [];
    if (stat.unit === 'individual') {
      if (stat.period === 'month') {
        individuals = `g${i}.n_rows`;
      } else {
        // No identity links a person across months in the anonymised zone, so the number of distinct
        // people behind a yearly cell is only known to be at least its largest monthly count.
        const cols = group.join(', ');
        ctes.push(
          `p${i} AS (\n  SELECT ${cols}${cols ? ', ' : ''}max(monthly_rows) AS n_individuals\n  FROM (SELECT ${cols}${cols ? ', ' : ''}source_month, count(*) AS monthly_rows FROM base${groupBy(['source_month'])}) monthly${groupBy()}\n)`,
        );
        joins.push(`LEFT JOIN p${i}${joinOn(`g${i}`, `p${i}`)}`);
        individuals = `p${i}.n_individuals`;
      }
    }
    let dominance = 'CAST(NULL AS DOUBLE)';
    if (stat.dominanceOn) {
      const cols = group.join(', ');
      const partition = group.length > 0 ? `PARTITION BY ${cols} ` : '';
      ctes.push(
        `d${i} AS (\n  SELECT ${cols}${cols ? ', ' : ''}sum(CASE WHEN contribution_rank <= ${disclosure.dominanceN} THEN contribution ELSE 0 END) AS top_contribution, sum(contribution) AS all_contribution\n  FROM (\n    SELECT ${cols}${cols ? ', ' : ''}contribution, row_number() OVER (${partition}ORDER BY contribution DESC) AS contribution_rank\n    FROM (SELECT ${cols}${cols ? ', ' : ''}company_code, sum(v_${stat.dominanceOn}) AS contribution FROM base${groupBy(['company_code'])}) per_company\n  ) ranked${groupBy()}\n)`,
      );
      joins.push(`LEFT JOIN d${i}${joinOn(`g${i}`, `d${i}`)}`);
      dominance = `CASE WHEN d${i}.all_contribution > 0 THEN d${i}.top_contribution / d${i}.all_contribution END`;
    }
    // Quantile rules (settings.disclosure.quantiles): enough contributors, and for individuals no
    // company holding most of the rows (its own rows would then be most of the order statistics).
    const rules = disclosure.quantiles;
    let quantileAllowed = 'false';
    if (quantiles.length > 0 && stat.unit === 'company') {
      quantileAllowed = `g${i}.n_companies >= ${rules.minCompanies}`;
    } else if (quantiles.length > 0) {
      const cols = group.join(', ');
      ctes.push(
        `s${i} AS (\n  SELECT ${cols}${cols ? ', ' : ''}max(company_rows) AS top_company_rows\n  FROM (SELECT ${cols}${cols ? ', ' : ''}company_code, count(*) AS company_rows FROM base${groupBy(['company_code'])}) per_company${groupBy()}\n)`,
      );
      joins.push(`LEFT JOIN s${i}${joinOn(`g${i}`, `s${i}`)}`);
      quantileAllowed = `${individuals} >= ${rules.minIndividuals} AND CAST(s${i}.top_company_rows AS DOUBLE) <= ${rules.maxCompanyShare}e0 * CAST(g${i}.n_rows AS DOUBLE) AND g${i}.n_companies >= ${disclosure.minCompanies}`;
    }
    const measures = stat.measures.map(
      (m) => `${publishedMeasureSql(stat, m, `g${i}`, quantileAllowed)} AS ${m.column}`,
    );
    selects.push(
      `SELECT ${keyCols.map((c) => `g${i}.${c}`).join(', ')}, g${i}.n_rows, ${individuals} AS n_individuals, g${i}.n_companies, ${dominance} AS dominance_share, ${measures.join(', ')}\nFROM g${i}${joins.length ? ` ${joins.join(' ')}` : ''}`,
    );
  });

  const primary = [
    ...(stat.unit === 'individual'
      ? [`WHEN n_individuals < ${disclosure.minIndividuals} THEN 'min_individuals'`]
      : []),
    `WHEN n_companies < ${disclosure.minCompanies} THEN 'min_companies'`,
    ...(stat.dominanceOn
      ? [`WHEN dominance_share * 100 > ${disclosure.dominancePercent} THEN 'dominance'`]
      : []),
  ];
  return `WITH ${ctes.join(',\n')},\ncells AS (\n${selects.join('\nUNION ALL\n')}\n)\nSELECT ${cellKeySql(stat)} AS cell_key, cells.*,\n  CASE ${primary.join(' ')} ELSE NULL END AS primary_reason\nFROM cells`;
}

/**
 * Secondary cells, either inline (DuckDB, small lists) or as a one-column table of cell keys (Athena,
 * where a long IN list would exceed the query length limit).
 */
export type SecondaryCells = { readonly keys: readonly string[] } | { readonly table: string };

/** The `suppressed` expression: primary reason or a secondary key. */
function suppressedSql(secondary: SecondaryCells): string {
  if ('table' in secondary) {
    return `(primary_reason IS NOT NULL OR cell_key IN (SELECT cell_key FROM ${secondary.table}))`;
  }
  if (secondary.keys.length === 0) return 'primary_reason IS NOT NULL';
  const chunks: string[] = [];
  for (let i = 0; i < secondary.keys.length; i += 500) {
    chunks.push(
      `cell_key IN (${secondary.keys
        .slice(i, i + 500)
        .map(sqlString)
        .join(', ')})`,
    );
  }
  return `(primary_reason IS NOT NULL OR ${chunks.join(' OR ')})`;
}

/**
 * The published query over the cells table: key columns, every measure nulled when the cell is
 * suppressed, `suppressed`, and `release_id` last (the partition column). No reason, no disclosure
 * inputs: those go to the admin table only.
 */
export function compilePublishedQuery(
  stat: Statistic,
  options: {
    readonly cellsRef: string;
    readonly releaseId: string;
    readonly secondary: SecondaryCells;
  },
): string {
  const suppressed = suppressedSql(options.secondary);
  const measures = stat.measures.map((m) => {
    const type = m.kind === 'count' ? 'BIGINT' : 'DOUBLE';
    return `CASE WHEN ${suppressed} THEN CAST(NULL AS ${type}) ELSE CAST(${m.column} AS ${type}) END AS ${m.column}`;
  });
  return `SELECT ${[...statisticKeyColumns(stat), ...measures, `${suppressed} AS suppressed`, `${sqlString(options.releaseId)} AS release_id`].join(',\n  ')}\nFROM ${options.cellsRef}`;
}

/** Admin-only: every suppressed cell with the rule that fired (`secondary` for complementary suppression). */
export function compileAdminQuery(
  stat: Statistic,
  options: {
    readonly cellsRef: string;
    readonly releaseId: string;
    readonly secondary: SecondaryCells;
  },
): string {
  const suppressed = suppressedSql(options.secondary);
  return `SELECT ${[
    'cell_key',
    ...statisticKeyColumns(stat),
    `coalesce(primary_reason, 'secondary') AS reason`,
    'n_rows',
    'n_individuals',
    'n_companies',
    'dominance_share',
    `${sqlString(options.releaseId)} AS release_id`,
  ].join(', ')}\nFROM ${options.cellsRef}\nWHERE ${suppressed}`;
}

/** The query that feeds secondary suppression: keys, size and primary reason of every cell. */
export function compileCellIndexQuery(stat: Statistic, cellsRef: string): string {
  return `SELECT cell_key, ${statisticKeyColumns(stat).join(', ')}, n_rows, primary_reason FROM ${cellsRef}`;
}
