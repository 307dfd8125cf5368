/**
 * The release audit's truth (audit.ts runs it): every published cell recomputed from the anonymised
 * tables with the audit's own queries (one GROUP BY per cell pattern), written apart from the
 * publishing SQL, and the quantile checks, which need the cells' rows (check 2 of audit.ts).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ObjectStore, QueryRunner, SqlRow } from '../ports/index.ts';
import type { PlatformSettings } from '../settings.ts';
import { type Additive, type AuditFailure, additiveMeasures, type CellTruth } from './audit-model.ts';
import {
  type Dimension,
  type Measure,
  type Statistic,
  statisticKeyColumns,
  TOTAL,
  UNSPECIFIED,
  VARIABLES,
  type Variable,
} from './catalog.ts';
import { copyAnonymisedTables, fitThreadsToSources, withStatsDuckDb } from './duckdb-runner.ts';
import { KEY_MODULUS } from './perturbation.ts';
import { quantileSql, quantilesByVariable, rowFilters, sqlString } from './sql.ts';

type Row = Readonly<Record<string, unknown>>;
type QuantileMeasure = Measure & { kind: 'quantile' };
/** One cell pattern: which dimensions are kept and the geography level (one GROUP BY each). */
interface Pattern {
  kept: Dimension[];
  geo: string;
}

/** A published quantile that is exactly the true quantile and lands on a value fewer than k rows share. */
interface ExactHit {
  statistic: string;
  cell: string;
  measure: string;
  holders: number;
  content: string;
}

/** The release's quantiles so far: the order-statistic check judges them together. */
interface QuantileTally {
  checked: number;
  readonly orderStatistics: Set<string>;
  readonly exactOrderStatistics: ExactHit[];
}

const num = (v: unknown): number | undefined =>
  typeof v === 'number' && Number.isFinite(v) ? v : typeof v === 'bigint' ? Number(v) : undefined;

/** The cell's pattern: which dimensions are kept and the geography level (one GROUP BY each). */
function patternOf(stat: Statistic, cell: Row): Pattern {
  return { kept: stat.dimensions.filter((d) => cell[d] !== TOTAL), geo: String(cell.geo_level) };
}

function cellKeyOf(stat: Statistic): (c: Row) => string {
  const keyColumns = statisticKeyColumns(stat);
  return (c) => keyColumns.map((k) => String(c[k])).join('|');
}

function quantileMeasures(stat: Statistic): QuantileMeasure[] {
  return stat.measures.filter((m): m is QuantileMeasure => m.kind === 'quantile');
}

/**
 * The truth of every published cell, recomputed from the anonymised tables with the audit's own
 * queries (one GROUP BY per cell pattern), and the quantile checks (which need the rows).
 */
export async function computeTruth(
  objects: ObjectStore,
  releaseId: string,
  statistics: readonly Statistic[],
  published: ReadonlyMap<string, readonly Row[]>,
  settings: PlatformSettings,
  fail: (f: AuditFailure) => void,
): Promise<{ cells: Map<string, CellTruth[]>; quantilesChecked: number }> {
  const dir = await mkdtemp(join(tmpdir(), 'kura-audit-'));
  try {
    const sources = await copyAnonymisedTables(objects, releaseId, dir);
    return await withStatsDuckDb(async (db) => {
      await fitThreadsToSources(db, sources);
      const cells = new Map<string, CellTruth[]>();
      const tally: QuantileTally = { checked: 0, orderStatistics: new Set(), exactOrderStatistics: [] };
      for (const stat of statistics) {
        const rows = published.get(stat.name) ?? [];
        const truthByKey = await truthOfStatistic(db, stat, rows, sources, releaseId);
        cells.set(stat.name, cellTruths(stat, rows, truthByKey, settings, tally, fail));
      }
      judgeOrderStatistics(tally, settings, fail);
      return { cells, quantilesChecked: tally.checked };
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The truth of each published cell of one statistic, by cell key (one query per cell pattern). */
async function truthOfStatistic(
  db: QueryRunner,
  stat: Statistic,
  rows: readonly Row[],
  sources: Record<string, string>,
  releaseId: string,
): Promise<Map<string, Record<string, unknown>>> {
  const additive = additiveMeasures(stat);
  const quantiles = quantileMeasures(stat);
  const variables = [
    ...new Set<Variable>([
      ...additive.flatMap((a) => (a.variable ? [a.variable] : [])),
      ...quantiles.map((q) => q.of),
    ]),
  ];
  await loadAuditRows(db, stat, variables, sources, releaseId);
  await aggregateAuditRows(db, stat, variables, quantiles);
  const keyOf = cellKeyOf(stat);
  const patterns = new Map<string, Pattern>();
  for (const r of rows) {
    const p = patternOf(stat, r);
    patterns.set(`${p.kept.join(',')}@${p.geo}`, p);
  }
  const truthByKey = new Map<string, Record<string, unknown>>();
  for (const pattern of patterns.values()) {
    const { groupCols, select } = patternColumns(stat, pattern);
    const perCompany = variables.map((v) => `sum(c_${v}) AS c_${v}`);
    const result = await db.run(
      `WITH per_company AS (SELECT ${[...groupCols, 'company_code'].join(', ')}, sum(n) AS n, sum(keys) AS keys${perCompany.length ? `, ${perCompany.join(', ')}` : ''} FROM audit_company_cells GROUP BY ${[...groupCols, 'company_code'].join(', ')})
             SELECT ${select.join(', ')}, sum(n) AS n_rows, count(*) AS n_companies, max(n) AS top_rows, sum(keys) % ${KEY_MODULUS} AS key_sum${variables.map((v) => `, sum(c_${v}) AS t_${v}, max(c_${v}) AS l_${v}`).join('')}
             FROM per_company GROUP BY ${groupCols.join(', ')}`,
    );
    for (const t of result) truthByKey.set(keyOf(t), t);
    // Every quantile's exact value per cell and how many rows hold it: one query per pattern.
    if (quantiles.length > 0) await exactQuantiles(db, quantiles, groupCols, select, keyOf, truthByKey);
  }
  return truthByKey;
}

/** The statistic's rows of this release, one per record, as the temporary table `audit_rows`. */
async function loadAuditRows(
  db: QueryRunner,
  stat: Statistic,
  variables: readonly Variable[],
  sources: Record<string, string>,
  releaseId: string,
): Promise<void> {
  const coalesce = (c: string) => `coalesce(CAST(${c} AS VARCHAR), ${sqlString(UNSPECIFIED)})`;
  await db.run(
    `CREATE OR REPLACE TEMP TABLE audit_rows AS SELECT ${[
      `${stat.period === 'month' ? 'period' : 'substr(period, 1, 4)'} AS period`,
      'company_code',
      'record_key',
      ...stat.dimensions.map((d) => `${coalesce(d)} AS ${d}`),
      `${coalesce('prefecture')} AS prefecture`,
      `${coalesce('region')} AS region`,
      ...variables.map((v) => `CAST(${VARIABLES[v].sql} AS DOUBLE) AS v_${v}`),
    ].join(
      ', ',
    )} FROM ${sources[stat.source]} WHERE ${[`release_id = ${sqlString(releaseId)}`, ...rowFilters(stat)].join(' AND ')}`,
  );
}

/** Every column a cell of the statistic can be grouped by: the finest cell, before any roll-up. */
function finestColumns(stat: Statistic): string[] {
  return ['period', ...stat.dimensions, 'prefecture', 'region'];
}

/**
 * What every pattern's queries read instead of the rows, built once per statistic (a pattern's cells
 * are unions of finest cells, so each sum, count and company's share adds up from these):
 * - `audit_company_cells`: per finest cell and company, its rows, their record keys' sum and each
 *   variable's sum;
 * - `audit_values_<variable>`: per finest cell, each value of a quantile's variable and how many rows
 *   hold it (the holders of an exact quantile are counted from these).
 * Integers add up exactly; a variable's sum may differ from the rows' in the last bits of a double,
 * as two orders of the same rows do.
 */
async function aggregateAuditRows(
  db: QueryRunner,
  stat: Statistic,
  variables: readonly Variable[],
  quantiles: readonly QuantileMeasure[],
): Promise<void> {
  const finest = finestColumns(stat).join(', ');
  await db.run(
    `CREATE OR REPLACE TEMP TABLE audit_company_cells AS SELECT ${finest}, company_code, count(*) AS n, sum(record_key) AS keys${variables.map((v) => `, sum(v_${v}) AS c_${v}`).join('')} FROM audit_rows GROUP BY ${finest}, company_code`,
  );
  for (const v of new Set(quantiles.map((q) => q.of))) {
    await db.run(
      `CREATE OR REPLACE TEMP TABLE audit_values_${v} AS SELECT ${finest}, v_${v}, count(*) AS m FROM audit_rows GROUP BY ${finest}, v_${v}`,
    );
  }
}

/** A pattern's GROUP BY columns and the select list that gives its cells their published keys. */
function patternColumns(stat: Statistic, { kept, geo }: Pattern): { groupCols: string[]; select: string[] } {
  const geoColumns = geo === 'prefecture' ? ['prefecture', 'region'] : geo === 'region' ? ['region'] : [];
  const groupCols = ['period', ...kept, ...geoColumns];
  const select = [
    'period',
    ...stat.dimensions.map((d) => (kept.includes(d) ? d : `${sqlString(TOTAL)} AS ${d}`)),
    `${sqlString(geo)} AS geo_level`,
    ...(stat.geography === 'prefecture'
      ? [geo === 'prefecture' ? 'prefecture' : `${sqlString(TOTAL)} AS prefecture`]
      : []),
    geo === 'national' ? `${sqlString(TOTAL)} AS region` : 'region',
  ];
  return { groupCols, select };
}

/**
 * Adds each cell's exact quantiles (`q_<column>`, from the rows) and how many rows hold them
 * (`h_<column>`, from the values each finest cell holds: `audit_values_<variable>`).
 */
async function exactQuantiles(
  db: QueryRunner,
  quantiles: readonly QuantileMeasure[],
  groupCols: readonly string[],
  select: readonly string[],
  keyOf: (c: Row) => string,
  truthByKey: ReadonlyMap<string, Record<string, unknown>>,
): Promise<void> {
  const cols = groupCols.join(', ');
  const byVariable = quantilesByVariable(quantiles);
  const variables = [...byVariable.keys()];
  const holders = variables.map((v, j) => {
    const counted = quantiles.flatMap((q, i) =>
      q.of === v
        ? [
            `coalesce(sum(m) FILTER (WHERE abs(held.v_${v} - exact.q${i}) <= 1e-6 * greatest(1e0, abs(exact.q${i}))), 0) AS h${i}`,
          ]
        : [],
    );
    return `held${j} AS (SELECT ${cols}, ${counted.join(', ')} FROM exact JOIN audit_values_${v} held USING (${cols}) GROUP BY ${cols})`;
  });
  // One aggregate per variable sorts its values once for all its levels (as the cells query does).
  const levels = [...byVariable].map(
    ([v, measures]) =>
      `, ${quantileSql(
        'duckdb',
        `v_${v}`,
        measures.map((q) => q.p),
      )} AS qs_${v}`,
  );
  const picked = quantiles.map(
    (q, i) => `, qs_${q.of}[${(byVariable.get(q.of) ?? []).indexOf(q) + 1}] AS q${i}`,
  );
  const exact: SqlRow[] = await db.run(
    `WITH exact AS (SELECT ${cols}${picked.join('')} FROM (SELECT ${cols}${levels.join('')} FROM audit_rows GROUP BY ${cols})),
          ${holders.join(',\n          ')}
     SELECT ${select.join(', ')}${quantiles.map((_, i) => `, q${i}, h${i}`).join('')}
     FROM exact${variables.map((_, j) => ` JOIN held${j} USING (${cols})`).join('')}`,
  );
  for (const e of exact) {
    const t = truthByKey.get(keyOf(e));
    if (!t) continue;
    for (const [i, q] of quantiles.entries()) {
      t[`q_${q.column}`] = e[`q${i}`];
      t[`h_${q.column}`] = e[`h${i}`];
    }
  }
}

/** The truths of one statistic's published cells, checking their quantiles on the way. */
function cellTruths(
  stat: Statistic,
  rows: readonly Row[],
  truthByKey: ReadonlyMap<string, Record<string, unknown>>,
  settings: PlatformSettings,
  tally: QuantileTally,
  fail: (f: AuditFailure) => void,
): CellTruth[] {
  const additive = additiveMeasures(stat);
  const keyOf = cellKeyOf(stat);
  const list: CellTruth[] = [];
  for (const r of rows) {
    const key = keyOf(r);
    const t = truthByKey.get(key);
    if (!t) continue;
    list.push(cellTruth(r, key, t, additive));
    checkQuantiles(stat, r, key, t, settings, tally, fail);
  }
  return list;
}

function cellTruth(
  r: Row,
  key: string,
  t: Record<string, unknown>,
  additive: readonly Additive[],
): CellTruth {
  const figures: Record<string, number> = {};
  const truth: Record<string, number> = {};
  const largest: Record<string, number> = {};
  for (const a of additive) {
    const value = num(r[a.column]);
    if (r.suppressed !== true && value !== undefined) figures[a.column] = value;
    truth[a.column] = a.kind === 'count' ? Number(t.n_rows) : Number(t[`t_${a.variable}`] ?? 0);
    largest[a.column] = a.kind === 'count' ? Number(t.top_rows) : Number(t[`l_${a.variable}`] ?? 0);
  }
  return {
    key,
    period: String(r.period),
    fingerprint: `${Number(t.n_rows)}:${Number(t.key_sum)}`,
    rows: Number(t.n_rows),
    companies: Number(t.n_companies),
    published: r.suppressed !== true,
    figures,
    truth,
    largest,
  };
}

/** Quantiles: the rules, recomputed here; then recoverability against the cell's rows. */
function checkQuantiles(
  stat: Statistic,
  r: Row,
  key: string,
  t: Record<string, unknown>,
  settings: PlatformSettings,
  tally: QuantileTally,
  fail: (f: AuditFailure) => void,
): void {
  for (const q of quantileMeasures(stat)) {
    const value = num(r[q.column]);
    if (r.suppressed === true || value === undefined) continue;
    tally.checked += 1;
    const rules = settings.disclosure.quantiles;
    const allowed =
      stat.unit === 'company'
        ? Number(t.n_companies) >= rules.minCompanies
        : Number(t.n_rows) >= rules.minIndividuals &&
          Number(t.top_rows) <= rules.maxCompanyShare * Number(t.n_rows);
    if (!allowed) {
      fail({
        check: 'quantile',
        statistic: stat.name,
        cell: key,
        measure: q.column,
        detail:
          'published where the quantile rules allow none (too few contributors or one company holds most rows)',
      });
      continue;
    }
    // Recoverable when the published figure IS the exact quantile of the true values and that
    // lands on a value fewer than k rows share (an order statistic: one person's, or an extreme).
    const exact = num(t[`q_${q.column}`]);
    const holders = Number(t[`h_${q.column}`] ?? 0);
    const same = exact !== undefined && Math.abs(value - exact) <= 1e-6 * Math.max(1, Math.abs(exact));
    if (holders > 0 && holders < settings.disclosure.kAnonymity) {
      // Margins with the same rows are one quantile, however many cells repeat it.
      const content = `${stat.name}|${q.column}|${Number(t.n_rows)}:${Number(t.key_sum)}`;
      tally.orderStatistics.add(content);
      if (same) {
        tally.exactOrderStatistics.push({
          statistic: stat.name,
          cell: key,
          measure: q.column,
          holders,
          content,
        });
      }
    }
  }
}

/**
 * A perturbed quantile can equal a true value by chance, and then nobody can tell it did. What
 * must not happen is the mechanism publishing order statistics: more than one exact hit, and
 * more than a fifth of the quantiles that land on a value fewer than k rows share.
 */
function judgeOrderStatistics(
  tally: QuantileTally,
  settings: PlatformSettings,
  fail: (f: AuditFailure) => void,
): void {
  const { orderStatistics, exactOrderStatistics } = tally;
  const exactContents = new Set(exactOrderStatistics.map((hit) => hit.content)).size;
  if (exactContents > Math.max(1, 0.2 * orderStatistics.size)) {
    for (const hit of exactOrderStatistics) {
      fail({
        check: 'quantile',
        statistic: hit.statistic,
        cell: hit.cell,
        measure: hit.measure,
        detail: `is the exact quantile and the exact value of ${hit.holders} row(s), fewer than k = ${settings.disclosure.kAnonymity} (${exactContents} of ${orderStatistics.size} such quantiles are exact)`,
      });
    }
  }
}
