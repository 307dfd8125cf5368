/**
 * The cells query (sql.ts has the primitives both engines share and the queries over its result): one
 * row per cell of every grouping set, with every measure perturbed (perturbation.ts), the disclosure
 * inputs and the primary-suppression reason decided in SQL from `settings.disclosure`.
 */
import type { DisclosureSettings } from '../settings.ts';
import {
  type Dimension,
  GEO_LEVELS,
  type Measure,
  publishedUnit,
  type Statistic,
  statisticKeyColumns,
  TOTAL,
  UNSPECIFIED,
  VARIABLES,
  type Variable,
} from './catalog.ts';
import { companyFactorSql, quantileFactorSql, tableNoiseSql } from './perturbation.ts';
import {
  cellKeySql,
  type Dialect,
  type GroupingSet,
  groupingSets,
  quantileSql,
  quantilesByVariable,
  rowFilters,
  sqlString,
  usedVariables,
} from './sql.ts';

type QuantileMeasure = Measure & { kind: 'quantile' };

/** Where a quantile measure sits in its variable's aggregate `q_<variable>` of a grouping set (1-based). */
const quantilePosition = (stat: Statistic, m: QuantileMeasure): number =>
  (
    quantilesByVariable(stat.measures.filter((x): x is QuantileMeasure => x.kind === 'quantile')).get(m.of) ??
    []
  ).indexOf(m) + 1;

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
 * (cell keys `ck_sum` for counts, `ckm_sum` for magnitudes), sums rounded to their published unit;
 * means and ratios come from those published figures, never from finer ones;
 * quantiles are over values times each row's own factor and only where the quantile rules allow.
 */
function publishedMeasureSql(
  stat: Statistic,
  m: Measure,
  { g, q }: { g: string; q: string },
  quantileAllowed: string,
): string {
  const count = `greatest(0e0, round(${g}.p_count) + ${tableNoiseSql(`${g}.ck_sum`)})`;
  // A published total: the perturbed sum rounded to its unit (publishedUnit: never finer than the noise).
  const sum = (v: Variable) => {
    const unit = publishedUnit(v);
    const perturbed = `(${g}.ps_${v} + ${VARIABLES[v].noiseUnit}e0 * ${tableNoiseSql(`${g}.ckm_sum`)})`;
    return `round(round(${perturbed} / ${unit}e0) * ${unit}e0, ${VARIABLES[v].decimals})`;
  };
  // A ratio over `employed` in a statistic of employed rows is over the published count itself.
  const denominator = (v: Variable) => (v === 'employed' && stat.employedOnly ? count : sum(v));
  switch (m.kind) {
    case 'count':
      return `CAST(${count} AS BIGINT)`;
    case 'sum':
      return sum(m.of);
    case 'mean':
      return `round(${sum(m.of)} / nullif(${count}, 0e0) * ${m.scale}e0, 2)`;
    case 'quantile':
      // Over each row's own factor, so no factor is shared by two quantiles to be found by a sweep; not
      // rounded to the unit, which would make the perturbed quantile land on the true one (an order
      // statistic) as often as the true one lies on the unit's grid.
      return `CASE WHEN ${quantileAllowed} THEN round(${q}.q_${m.of}[${quantilePosition(stat, m)}], ${VARIABLES[m.of].decimals}) END`;
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

/**
 * The cells query: one row per cell of every grouping set, with `cell_key`, the key columns, every
 * measure (unsuppressed: this result is internal and never published), the disclosure inputs
 * (`n_rows`, `n_individuals`, `n_companies`, `dominance_share`) and `primary_reason` (null when the cell
 * passes primary suppression).
 */
export function compileCellsQuery(stat: Statistic, options: CellsQueryOptions): string {
  const { disclosure } = options;
  const quantiles = stat.measures.filter((m): m is QuantileMeasure => m.kind === 'quantile');
  const ctes = [baseCte(stat, options, quantiles), perCompanyCte(stat, options)];
  const selects: string[] = [];

  groupingSets(stat).forEach((set, i) => {
    const { ctes: setCtes, select } = groupingSetSql(stat, set, i, options, quantiles);
    ctes.push(...setCtes);
    selects.push(select);
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

/** The `base` CTE: the statistic's rows of the release, keyed, with company factors and variables. */
function baseCte(stat: Statistic, options: CellsQueryOptions, quantiles: readonly QuantileMeasure[]): string {
  const { dialect, disclosure } = options;
  const variables = usedVariables(stat);
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
    // A ranked variable's quantiles are over each row's own factor (quantileFactor), never the
    // company's; the company factors are per company (per_company).
    ...[...new Set(quantiles.map((m) => m.of))].map(
      (v) => `${quantileFactorSql('record_key', 'period', disclosure, v, dialect)} AS fq_${v}`,
    ),
    ...variables.map((v) => `${VARIABLES[v].sql} AS v_${v}`),
  ].join(',\n    ');
  return `base AS (\n  ${base}\n  FROM ${options.sourceRef}\n  WHERE ${[...new Set(filters)].join('\n    AND ')}\n)`;
}

/**
 * The `per_company` CTE: the statistic's rows added up per finest cell, source month and company (rows,
 * record keys, each summed variable, the dominance variable), with the company's factors (perturbation.ts:
 * one per measure, the count's and each summed variable's). A grouping set's cells are unions of finest
 * cells and everything but a quantile adds up, so every grouping set's aggregates (groupingSetSql) and
 * what the disclosure inputs need per company or per month (individualsSql, dominanceSql,
 * quantileAllowedSql) add up from it: a company's factored sum over a cell is its factor times its sum
 * there. DuckDB computes a CTE used more than once once, so each grouping set reads a few aggregates
 * per company and finest cell instead of every row again, and each company's factors are hashed once
 * per finest cell instead of once per row. Athena (Trino) inlines CTEs, so there every use of it, and
 * every set's quantiles (`q<i>`), scans the source again: a statistic with quantiles reads its columns
 * one more time per set than when the quantiles shared the set's aggregate (Athena bills bytes read).
 */
function perCompanyCte(stat: Statistic, { disclosure, dialect }: CellsQueryOptions): string {
  const finest = [
    'period',
    'source_month',
    ...stat.dimensions,
    ...(stat.geography === 'prefecture' ? ['prefecture'] : []),
    'region',
    'company_code',
    'company_key',
  ].join(', ');
  const summed = summedVariables(stat);
  const aggregates = [
    'count(*) AS company_rows',
    'sum(record_key) AS record_keys',
    ...summed.map((v) => `sum(v_${v}) AS s_${v}`),
    ...(stat.dominanceOn ? [`sum(v_${stat.dominanceOn}) AS contribution`] : []),
    `${companyFactorSql('company_key', disclosure, 'count', dialect)} AS f_count`,
    ...summed.map((v) => `${companyFactorSql('company_key', disclosure, v, dialect)} AS f_${v}`),
  ];
  return `per_company AS (
  SELECT ${finest}, ${aggregates.join(', ')}
  FROM base GROUP BY ${finest}
)`;
}

/** How one grouping set's CTEs are grouped and joined to its aggregates `g<i>`. */
interface SetGrouping {
  readonly i: number;
  readonly group: readonly string[];
  readonly groupBy: (extra?: string[]) => string;
  readonly joinOn: (a: string, b: string) => string;
}

/** One grouping set: its CTEs (aggregates, then what the disclosure inputs need) and its SELECT. */
function groupingSetSql(
  stat: Statistic,
  set: GroupingSet,
  i: number,
  options: CellsQueryOptions,
  quantiles: readonly QuantileMeasure[],
): { ctes: string[]; select: string } {
  const { dialect, disclosure } = options;
  const summed = summedVariables(stat);
  const keyCols = statisticKeyColumns(stat);
  const ctes: string[] = [];
  const keys = keySelect(stat, set);
  const group = groupColumns(stat, set);
  const keyList = keys.map(([c, e]) => (c === e ? c : `${e} AS ${c}`)).join(', ');
  const groupBy = (extra: string[] = []) => {
    const cols = [...group, ...extra];
    return cols.length > 0 ? ` GROUP BY ${cols.join(', ')}` : '';
  };
  const joinOn = (a: string, b: string) =>
    group.length > 0 ? ` ON ${group.map((c) => `${a}.${c} = ${b}.${c}`).join(' AND ')}` : ' ON true';
  const grouping: SetGrouping = { i, group, groupBy, joinOn };
  // Perturbation inputs (perturbation.ts): factored count, cell keys and factored sums, added up from
  // per_company; the quantiles, over each row's own factor, from the rows.
  const aggregates = [
    'CAST(sum(company_rows) AS BIGINT) AS n_rows',
    'count(DISTINCT company_code) AS n_companies',
    'sum(f_count * company_rows) AS p_count',
    'sum(record_keys) AS ck_sum',
    'sum(company_key * company_rows) AS ckm_sum',
    ...summed.map((v) => `sum(f_${v} * s_${v}) AS ps_${v}`),
  ];
  ctes.push(
    `g${i} AS (\n  SELECT ${keyList},\n    ${aggregates.join(',\n    ')}\n  FROM per_company${groupBy()}\n)`,
  );
  const joins: string[] = [];
  if (quantiles.length > 0) {
    const cols = group.join(', ');
    const ranked = [...quantilesByVariable(quantiles)].map(
      ([v, measures]) =>
        `${quantileSql(
          dialect,
          `v_${v} * fq_${v}`,
          measures.map((m) => m.p),
        )} AS q_${v}`,
    );
    ctes.push(
      `q${i} AS (\n  SELECT ${cols}${cols ? ', ' : ''}${ranked.join(', ')}\n  FROM base${groupBy()}\n)`,
    );
    joins.push(`LEFT JOIN q${i}${joinOn(`g${i}`, `q${i}`)}`);
  }
  const individuals = individualsSql(stat, grouping, ctes, joins);
  const dominance = dominanceSql(stat, grouping, disclosure, ctes, joins);
  const quantileAllowed = quantileAllowedSql(
    stat,
    grouping,
    { disclosure, quantiles, individuals },
    ctes,
    joins,
  );
  const measures = stat.measures.map(
    (m) => `${publishedMeasureSql(stat, m, { g: `g${i}`, q: `q${i}` }, quantileAllowed)} AS ${m.column}`,
  );
  const select = `SELECT ${keyCols.map((c) => `g${i}.${c}`).join(', ')}, g${i}.n_rows, ${individuals} AS n_individuals, g${i}.n_companies, ${dominance} AS dominance_share, ${measures.join(', ')}\nFROM g${i}${joins.length ? ` ${joins.join(' ')}` : ''}`;
  return { ctes, select };
}

/** The cell's number of individuals (adds the yearly lower bound's CTE and join where needed). */
function individualsSql(
  stat: Statistic,
  { i, group, groupBy, joinOn }: SetGrouping,
  ctes: string[],
  joins: string[],
): string {
  // Typed nulls: Athena CTAS refuses columns of unknown type.
  let individuals = 'CAST(NULL AS BIGINT)';
  if (stat.unit === 'individual') {
    if (stat.period === 'month') {
      individuals = `g${i}.n_rows`;
    } else {
      // No identity links a person across months in the anonymised zone, so the number of distinct
      // people behind a yearly cell is only known to be at least its largest monthly count.
      const cols = group.join(', ');
      ctes.push(
        `p${i} AS (\n  SELECT ${cols}${cols ? ', ' : ''}max(monthly_rows) AS n_individuals\n  FROM (SELECT ${cols}${cols ? ', ' : ''}source_month, sum(company_rows) AS monthly_rows FROM per_company${groupBy(['source_month'])}) monthly${groupBy()}\n)`,
      );
      joins.push(`LEFT JOIN p${i}${joinOn(`g${i}`, `p${i}`)}`);
      individuals = `p${i}.n_individuals`;
    }
  }
  return individuals;
}

/** The share of the cell's magnitude its largest companies hold (adds its CTE and join where needed). */
function dominanceSql(
  stat: Statistic,
  { i, group, groupBy, joinOn }: SetGrouping,
  disclosure: DisclosureSettings,
  ctes: string[],
  joins: string[],
): string {
  // Typed nulls: Athena CTAS refuses columns of unknown type.
  let dominance = 'CAST(NULL AS DOUBLE)';
  if (stat.dominanceOn) {
    const cols = group.join(', ');
    const partition = group.length > 0 ? `PARTITION BY ${cols} ` : '';
    ctes.push(
      `d${i} AS (\n  SELECT ${cols}${cols ? ', ' : ''}sum(CASE WHEN contribution_rank <= ${disclosure.dominanceN} THEN contribution ELSE 0 END) AS top_contribution, sum(contribution) AS all_contribution\n  FROM (\n    SELECT ${cols}${cols ? ', ' : ''}contribution, row_number() OVER (${partition}ORDER BY contribution DESC) AS contribution_rank\n    FROM (SELECT ${cols}${cols ? ', ' : ''}company_code, sum(contribution) AS contribution FROM per_company${groupBy(['company_code'])}) companies\n  ) ranked${groupBy()}\n)`,
    );
    joins.push(`LEFT JOIN d${i}${joinOn(`g${i}`, `d${i}`)}`);
    dominance = `CASE WHEN d${i}.all_contribution > 0 THEN d${i}.top_contribution / d${i}.all_contribution END`;
  }
  return dominance;
}

/**
 * Quantile rules (settings.disclosure.quantiles): enough contributors, and for individuals no
 * company holding most of the rows (its own rows would then be most of the order statistics).
 * Adds the largest company's rows as a CTE and join where needed.
 */
function quantileAllowedSql(
  stat: Statistic,
  { i, group, groupBy, joinOn }: SetGrouping,
  {
    disclosure,
    quantiles,
    individuals,
  }: { disclosure: DisclosureSettings; quantiles: readonly QuantileMeasure[]; individuals: string },
  ctes: string[],
  joins: string[],
): string {
  const rules = disclosure.quantiles;
  let quantileAllowed = 'false';
  if (quantiles.length > 0 && stat.unit === 'company') {
    quantileAllowed = `g${i}.n_companies >= ${rules.minCompanies}`;
  } else if (quantiles.length > 0) {
    const cols = group.join(', ');
    ctes.push(
      `s${i} AS (\n  SELECT ${cols}${cols ? ', ' : ''}max(company_rows) AS top_company_rows\n  FROM (SELECT ${cols}${cols ? ', ' : ''}company_code, sum(company_rows) AS company_rows FROM per_company${groupBy(['company_code'])}) companies${groupBy()}\n)`,
    );
    joins.push(`LEFT JOIN s${i}${joinOn(`g${i}`, `s${i}`)}`);
    quantileAllowed = `${individuals} >= ${rules.minIndividuals} AND CAST(s${i}.top_company_rows AS DOUBLE) <= ${rules.maxCompanyShare}e0 * CAST(g${i}.n_rows AS DOUBLE) AND g${i}.n_companies >= ${disclosure.minCompanies}`;
  }
  return quantileAllowed;
}
