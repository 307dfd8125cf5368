import { sqlLiteral } from '../sql-text.ts';
import {
  type Dimension,
  GEO_LEVELS,
  type GeoLevel,
  type Measure,
  type Statistic,
  statisticKeyColumns,
  VARIABLES,
  type Variable,
} from './catalog.ts';

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

/**
 * Quantile measures by the variable they rank, in catalogue order: each variable's quantiles are one
 * aggregate (quantileSql) over their levels in this order, and a measure is the element at its place.
 */
export function quantilesByVariable<M extends Measure & { kind: 'quantile' }>(
  quantiles: readonly M[],
): Map<Variable, M[]> {
  const byVariable = new Map<Variable, M[]>();
  for (const m of quantiles) byVariable.set(m.of, [...(byVariable.get(m.of) ?? []), m]);
  return byVariable;
}

/**
 * Quantiles of one expression at several levels, as one aggregate whose value is the array of them
 * (1-based, in the order of `ps`): the exact ones (DuckDB) or their approximation (Athena); see the
 * module comment. One aggregate sorts (or digests) the values once for all its levels; a quantile
 * per level sorted them once per level.
 */
export function quantileSql(dialect: Dialect, expression: string, ps: readonly number[]): string {
  const levels = `ARRAY[${ps.join(', ')}]`;
  return dialect === 'duckdb'
    ? `quantile_cont(${expression}, ${levels})`
    : `approx_percentile(${expression}, ${levels})`;
}

/** Single-quoted SQL string literal (domain/sql-text.ts). */
export const sqlString = sqlLiteral;

const SEPARATOR = '|';
/** The text key of a cell: its key column values joined by `|` (values never contain `|`). */
export function cellKey(stat: Statistic, row: Readonly<Record<string, unknown>>): string {
  return statisticKeyColumns(stat)
    .map((c) => String(row[c]))
    .join(SEPARATOR);
}
/** SQL of a cell's text key (`cellKey`), optionally over a table alias. */
export function cellKeySql(stat: Statistic, alias?: string): string {
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
      return `${quantileSql(dialect, `v_${m.of}`, [m.p])}[1]`;
    case 'ratio':
      // DOUBLE on both sides: a Trino DECIMAL division can round 3/120 to 0.0.
      return `CAST(sum(v_${m.numerator}) AS DOUBLE) / nullif(CAST(sum(v_${m.denominator}) AS DOUBLE), 0e0)`;
  }
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
