/**
 * The release audit: an independent check, written apart from the suppression and perturbation code,
 * that gates every release before anything makes it visible (partitions, notice, manifest, marker).
 *
 * Its reasoning is an attacker's. The attacker holds every published figure of this release and of
 * every earlier release still readable, knows the documented perturbation (the ptable's bound, the
 * company factor range) and that every margin is the sum of its cells. Before perturbation, a cell's
 * perturbed part P = Σ contributions × company factor is exactly additive over margins; a published
 * figure tells the attacker P within the table's bound. The audit recomputes the truth of every cell
 * itself from the anonymised tables, then checks three things:
 *
 * 1. **Suppressed cells** (linear programming with HiGHS): for every suppressed cell, per period and
 *    per additive measure (the count and every published total), the feasibility interval of P given
 *    every published box and every margin equation of this release and of earlier readable releases
 *    (a cell with identical content in both is one variable: its published value is then identical
 *    too). The truth lies in [Pmin / (1 + fmax), Pmax / (1 − fmax)]; that interval must be at least
 *    `protection.countWidth` wide for counts and 2 × `protection.magnitudePercent` % of the cell's
 *    largest company contribution for magnitudes (or, where it reaches down to zero, extend at least
 *    half that width above the truth: a small count cannot be bounded below zero).
 * 2. **Quantiles**: a published quantile must satisfy the quantile rules recomputed here (enough
 *    contributors, no company holding most rows); and the release must not publish order statistics:
 *    among quantiles whose exact value is one fewer than `kAnonymity` rows share (one person's value,
 *    or an extreme), at most one, and at most a fifth, may be published exactly (a perturbed quantile
 *    can equal a true value by chance, which nobody can tell; unperturbed ones always do).
 * 3. **Differences to earlier releases**: for a cell published in both with different content and a
 *    change that isolates fewer than `minIndividuals` people or `minCompanies` companies, the
 *    attacker's interval for the true change, from both published values, must be as wide as in 1.
 *
 * The audit writes its findings (never a value: cell coordinates and ratios only) to
 * `stats-admin/release=<id>/audit.json`, and the truth fingerprints of the release's cells to
 * `stats-admin/release=<id>/audit/cells/…` so later audits can link identical cells across releases.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { ANONYMISED_TABLES, anonymisedTableKey } from '../masking/anonymised-schema.ts';
import type { ObjectStore, QueryRunner } from '../ports/index.ts';
import { NotFoundError } from '../ports/index.ts';
import type { PlatformSettings } from '../settings.ts';
import { statsAdminPrefix } from '../zones.ts';
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
import { withStatsDuckDb } from './duckdb-runner.ts';
import { feasibilityIntervals, type Highs, loadSolver } from './feasibility.ts';
import { KEY_MODULUS, TABLE_NOISE_MAX } from './perturbation.ts';
import { publishedMarkerKey, publishedReleasesPrefix } from './release.ts';
import { rowFilters, sqlString } from './sql.ts';

/** Key of a release's audit report (admin only). */
export const auditReportKey = (releaseId: string) => `${statsAdminPrefix(releaseId)}audit.json`;
/** Key of the audit's per-cell truth fingerprints of one statistic in a release (admin only). */
export const auditCellsKey = (releaseId: string, statistic: string) =>
  `${statsAdminPrefix(releaseId)}audit/cells/statistic=${statistic}.json`;

const failureSchema = z
  .object({
    check: z.enum(['suppressed_cell', 'quantile', 'difference']),
    statistic: z.string(),
    /** Cell coordinates (period, dimensions, geography): no value. */
    cell: z.string(),
    measure: z.string(),
    /** Earlier release involved (differences and pooled suppression patterns). */
    against: z.string().optional(),
    /** What failed, without a value: e.g. the interval's width as a share of what protection requires. */
    detail: z.string(),
  })
  .strict();
export type AuditFailure = z.infer<typeof failureSchema>;

export const auditReportSchema = z
  .object({
    releaseId: z.string(),
    passed: z.boolean(),
    /** The release's publication time (the report is the same whenever a resumed run writes it). */
    publishedAt: z.iso.datetime(),
    /** Earlier readable releases whose published figures the attacker model included. */
    earlierReleases: z.array(z.string()),
    checked: z
      .object({
        suppressedCells: z.number().int().nonnegative(),
        linearPrograms: z.number().int().nonnegative(),
        quantiles: z.number().int().nonnegative(),
        differences: z.number().int().nonnegative(),
      })
      .strict(),
    failures: z.array(failureSchema),
  })
  .strict();
export type AuditReport = z.infer<typeof auditReportSchema>;

/** The audit found a release unsafe: nothing of it may become visible. */
export class ReleaseAuditFailedError extends Error {
  override readonly name = 'ReleaseAuditFailedError';
  constructor(readonly report: AuditReport) {
    super(
      `Release ${report.releaseId} failed its disclosure audit (${report.failures.length} finding(s)); see ${auditReportKey(report.releaseId)}. Nothing was published.`,
    );
  }
}

/** A cell's truth as the audit recomputes it; stored so later audits can link identical cells. */
const truthSchema = z
  .object({
    key: z.string(),
    period: z.string(),
    /** Content fingerprint: rows and the sum of their record keys modulo 2^32. */
    fingerprint: z.string(),
    rows: z.number(),
    companies: z.number(),
    published: z.boolean(),
    /** Published additive figures (count and totals) by measure column; absent when suppressed. */
    figures: z.record(z.string(), z.number()),
    /** True additive figures by measure column. */
    truth: z.record(z.string(), z.number()),
    /** Largest company contribution to each true total. */
    largest: z.record(z.string(), z.number()),
  })
  .strict();
type CellTruth = z.infer<typeof truthSchema>;

/** An additive published measure: the count, or a total (sum) of a variable. */
interface Additive {
  readonly column: string;
  readonly kind: 'count' | 'sum';
  readonly variable?: Variable;
  /** Largest difference between a published figure and the perturbed part P (table noise and rounding). */
  readonly bound: number;
}

function additiveMeasures(stat: Statistic): Additive[] {
  return stat.measures.flatMap((m): Additive[] => {
    if (m.kind === 'count') return [{ column: m.column, kind: 'count', bound: TABLE_NOISE_MAX + 0.5 }];
    if (m.kind === 'sum') {
      const v = VARIABLES[m.of];
      return [
        {
          column: m.column,
          kind: 'sum',
          variable: m.of,
          bound: TABLE_NOISE_MAX * v.noiseUnit + 0.5 * 10 ** -v.decimals,
        },
      ];
    }
    return [];
  });
}

const num = (v: unknown): number | undefined =>
  typeof v === 'number' && Number.isFinite(v) ? v : typeof v === 'bigint' ? Number(v) : undefined;

/** The cell's pattern: which dimensions are kept and the geography level (one GROUP BY each). */
function patternOf(
  stat: Statistic,
  cell: Readonly<Record<string, unknown>>,
): { kept: Dimension[]; geo: string } {
  return { kept: stat.dimensions.filter((d) => cell[d] !== TOTAL), geo: String(cell.geo_level) };
}

/** Margin equations of one period's cells, derived from their coordinates: total = Σ members. */
function marginEquations(
  stat: Statistic,
  cells: ReadonlyArray<Readonly<Record<string, unknown>>>,
): Array<{ total: string; members: string[] }> {
  const keyColumns = statisticKeyColumns(stat);
  const keyOf = (c: Readonly<Record<string, unknown>>) => keyColumns.map((k) => String(c[k])).join('|');
  const present = new Set(cells.map(keyOf));
  const groups = new Map<string, { total: string; members: string[] }>();
  const add = (axis: string, parent: Record<string, unknown>, member: string) => {
    const total = keyOf(parent);
    if (!present.has(total)) return;
    const id = `${total}#${axis}`;
    const g = groups.get(id) ?? { total, members: [] };
    g.members.push(member);
    groups.set(id, g);
  };
  if (!stat.margins) return [];
  for (const c of cells) {
    const key = keyOf(c);
    for (const d of stat.dimensions) if (c[d] !== TOTAL) add(d, { ...c, [d]: TOTAL }, key);
    if (c.geo_level === 'prefecture') add('geo', { ...c, geo_level: 'region', prefecture: TOTAL }, key);
    if (c.geo_level === 'region') {
      add(
        'geo',
        {
          ...c,
          geo_level: 'national',
          region: TOTAL,
          ...(stat.geography === 'prefecture' ? { prefecture: TOTAL } : {}),
        },
        key,
      );
    }
  }
  return [...groups.values()];
}

export interface AuditOptions {
  readonly releaseId: string;
  readonly settings: PlatformSettings;
  readonly statistics: readonly Statistic[];
  /** Published rows of each statistic of this release, as written (before anything makes them visible). */
  readonly published: ReadonlyMap<string, ReadonlyArray<Readonly<Record<string, unknown>>>>;
  /** The release's publication time, recorded in the report. */
  readonly publishedAt: string;
  /**
   * Solve both programs of every suppressed cell instead of skipping those whose witnessed feasible
   * points already prove protection (feasibility.ts). Same verdicts, slower; for tests.
   */
  readonly exhaustive?: boolean;
}

/**
 * Audits a release and stores its report and cell fingerprints (admin only). Returns the report;
 * the caller refuses to publish when `passed` is false (`assertReleaseSafe`).
 */
export async function auditRelease(objects: ObjectStore, options: AuditOptions): Promise<AuditReport> {
  const { releaseId, settings, statistics } = options;
  const earlier = await readableEarlierReleases(objects, releaseId);
  const failures: AuditFailure[] = [];
  const checked = { suppressedCells: 0, linearPrograms: 0, quantiles: 0, differences: 0 };
  const truths = await computeTruth(objects, releaseId, statistics, options.published, settings, (f) =>
    failures.push(f),
  );
  checked.quantiles = truths.quantilesChecked;
  const highs = await loadSolver();
  for (const stat of statistics) {
    const current = truths.cells.get(stat.name) ?? [];
    const previous: Array<{ releaseId: string; cells: CellTruth[] }> = [];
    for (const id of earlier) {
      const cells = await readCellTruths(objects, id, stat.name);
      if (cells) previous.push({ releaseId: id, cells });
    }
    const pooled = poolSuppressedCells(stat, current, previous, settings, highs, options);
    checked.suppressedCells += pooled.suppressed;
    checked.linearPrograms += pooled.programs;
    for (const f of pooled.failures) failures.push(f);
    const diffs = differenceChecks(stat, current, previous, settings);
    checked.differences += diffs.checked;
    for (const f of diffs.failures) failures.push(f);
    await objects.put('stats', auditCellsKey(releaseId, stat.name), `${JSON.stringify(current)}\n`, {
      contentType: 'application/json',
    });
  }
  const report = auditReportSchema.parse({
    releaseId,
    passed: failures.length === 0,
    publishedAt: options.publishedAt,
    earlierReleases: earlier,
    checked,
    failures: failures.slice(0, 1000),
  });
  await objects.put('stats', auditReportKey(releaseId), `${JSON.stringify(report, null, 2)}\n`, {
    contentType: 'application/json',
  });
  return report;
}

/** Throws ReleaseAuditFailedError when the report did not pass. */
export function assertReleaseSafe(report: AuditReport): void {
  if (!report.passed) throw new ReleaseAuditFailedError(report);
}

/** Ids of published releases (completion marker written) other than this one. */
async function readableEarlierReleases(objects: ObjectStore, releaseId: string): Promise<string[]> {
  const ids: string[] = [];
  for await (const o of objects.list('stats', publishedReleasesPrefix)) {
    const name = o.key.slice(publishedReleasesPrefix.length);
    if (!name.endsWith('.json')) continue;
    const id = name.slice(0, -'.json'.length);
    if (id !== releaseId && o.key === publishedMarkerKey(id)) ids.push(id);
  }
  return ids.sort();
}

async function readCellTruths(
  objects: ObjectStore,
  releaseId: string,
  statistic: string,
): Promise<CellTruth[] | undefined> {
  try {
    const text = new TextDecoder().decode(await objects.get('stats', auditCellsKey(releaseId, statistic)));
    return z.array(truthSchema).parse(JSON.parse(text));
  } catch (error) {
    // A release published before the audit existed has no fingerprints: nothing can be linked to it.
    if (error instanceof NotFoundError) return undefined;
    throw error;
  }
}

/**
 * The truth of every published cell, recomputed from the anonymised tables with the audit's own
 * queries (one GROUP BY per cell pattern), and the quantile checks (which need the rows).
 */
async function computeTruth(
  objects: ObjectStore,
  releaseId: string,
  statistics: readonly Statistic[],
  published: AuditOptions['published'],
  settings: PlatformSettings,
  fail: (f: AuditFailure) => void,
): Promise<{ cells: Map<string, CellTruth[]>; quantilesChecked: number }> {
  const dir = await mkdtemp(join(tmpdir(), 'kura-audit-'));
  try {
    const sources: Record<string, string> = {};
    for (const table of ANONYMISED_TABLES) {
      const path = join(dir, `${table}.parquet`);
      await writeFile(path, await objects.get('curated', anonymisedTableKey(releaseId, table)));
      sources[table] = `read_parquet(${sqlString(path)})`;
    }
    return await withStatsDuckDb(async (db) => {
      const cells = new Map<string, CellTruth[]>();
      let quantilesChecked = 0;
      const orderStatistics = new Set<string>();
      const exactOrderStatistics: Array<{
        statistic: string;
        cell: string;
        measure: string;
        holders: number;
        content: string;
      }> = [];
      for (const stat of statistics) {
        const rows = published.get(stat.name) ?? [];
        const additive = additiveMeasures(stat);
        const quantiles = stat.measures.filter(
          (m): m is Measure & { kind: 'quantile' } => m.kind === 'quantile',
        );
        const variables = [
          ...new Set<Variable>([
            ...additive.flatMap((a) => (a.variable ? [a.variable] : [])),
            ...quantiles.map((q) => q.of),
          ]),
        ];
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
        const keyColumns = statisticKeyColumns(stat);
        const keyOf = (c: Readonly<Record<string, unknown>>) => keyColumns.map((k) => String(c[k])).join('|');
        const patterns = new Map<string, { kept: Dimension[]; geo: string }>();
        for (const r of rows) {
          const p = patternOf(stat, r);
          patterns.set(`${p.kept.join(',')}@${p.geo}`, p);
        }
        const truthByKey = new Map<string, Record<string, unknown>>();
        for (const { kept, geo } of patterns.values()) {
          const geoColumns =
            geo === 'prefecture' ? ['prefecture', 'region'] : geo === 'region' ? ['region'] : [];
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
          const perCompany = variables.map((v) => `sum(v_${v}) AS c_${v}`);
          const result = await db.run(
            `WITH per_company AS (SELECT ${[...groupCols, 'company_code'].join(', ')}, count(*) AS n, sum(record_key) AS keys${perCompany.length ? `, ${perCompany.join(', ')}` : ''} FROM audit_rows GROUP BY ${[...groupCols, 'company_code'].join(', ')})
             SELECT ${select.join(', ')}, sum(n) AS n_rows, count(*) AS n_companies, max(n) AS top_rows, sum(keys) % ${KEY_MODULUS} AS key_sum${variables.map((v) => `, sum(c_${v}) AS t_${v}, max(c_${v}) AS l_${v}`).join('')}
             FROM per_company GROUP BY ${groupCols.join(', ')}`,
          );
          for (const t of result) truthByKey.set(keyOf(t), t);
          // Every quantile's exact value per cell and how many rows hold it: one query per pattern.
          if (quantiles.length > 0) {
            const exact = await db.run(
              `WITH exact AS (SELECT ${groupCols.join(', ')}${quantiles.map((q, i) => `, quantile_cont(v_${q.of}, ${q.p}) AS q${i}`).join('')} FROM audit_rows GROUP BY ${groupCols.join(', ')})
               SELECT ${select.join(', ')}${quantiles
                 .map(
                   (q, i) =>
                     `, any_value(exact.q${i}) AS q${i}, count(*) FILTER (WHERE abs(audit_rows.v_${q.of} - exact.q${i}) <= 1e-6 * greatest(1e0, abs(exact.q${i}))) AS h${i}`,
                 )
                 .join('')}
               FROM exact JOIN audit_rows USING (${groupCols.join(', ')}) GROUP BY ${groupCols.join(', ')}`,
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
        }
        const list: CellTruth[] = [];
        for (const r of rows) {
          const key = keyOf(r);
          const t = truthByKey.get(key);
          if (!t) continue;
          const figures: Record<string, number> = {};
          const truth: Record<string, number> = {};
          const largest: Record<string, number> = {};
          for (const a of additive) {
            const value = num(r[a.column]);
            if (r.suppressed !== true && value !== undefined) figures[a.column] = value;
            truth[a.column] = a.kind === 'count' ? Number(t.n_rows) : Number(t[`t_${a.variable}`] ?? 0);
            largest[a.column] = a.kind === 'count' ? Number(t.top_rows) : Number(t[`l_${a.variable}`] ?? 0);
          }
          list.push({
            key,
            period: String(r.period),
            fingerprint: `${Number(t.n_rows)}:${Number(t.key_sum)}`,
            rows: Number(t.n_rows),
            companies: Number(t.n_companies),
            published: r.suppressed !== true,
            figures,
            truth,
            largest,
          });
          // Quantiles: the rules, recomputed here; then recoverability against the cell's rows.
          for (const q of quantiles) {
            const value = num(r[q.column]);
            if (r.suppressed === true || value === undefined) continue;
            quantilesChecked += 1;
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
            const same =
              exact !== undefined && Math.abs(value - exact) <= 1e-6 * Math.max(1, Math.abs(exact));
            if (holders > 0 && holders < settings.disclosure.kAnonymity) {
              // Margins with the same rows are one quantile, however many cells repeat it.
              const content = `${stat.name}|${q.column}|${Number(t.n_rows)}:${Number(t.key_sum)}`;
              orderStatistics.add(content);
              if (same) {
                exactOrderStatistics.push({
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
        cells.set(stat.name, list);
      }
      // A perturbed quantile can equal a true value by chance, and then nobody can tell it did. What
      // must not happen is the mechanism publishing order statistics: more than one exact hit, and
      // more than a fifth of the quantiles that land on a value fewer than k rows share.
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
      return { cells, quantilesChecked };
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * HiGHS (WebAssembly), loaded on first use: the audit is the only user, and the module is 3.5 MB.
 * The package is CommonJS with an ESM build; its types describe the CommonJS shape, so the loader is
 * taken from `default` whichever shape the runtime hands over.
 */

/** How wide the truth interval must be for a measure of a cell (see the module comment). */
function requiredWidth(a: Additive, largest: number, settings: PlatformSettings): number {
  const { protection } = settings.disclosure;
  return a.kind === 'count' ? protection.countWidth : (2 * protection.magnitudePercent * largest) / 100;
}

/** The truth interval from an interval of the perturbed part P (factors between 1 − fmax and 1 + fmax). */
function truthHull(low: number, high: number, settings: PlatformSettings): [number, number] {
  const f = settings.disclosure.perturbation.companyFactorMax;
  return [Math.max(0, low) / (1 + f), high / (1 - f)];
}

/**
 * Check 1: for each period and additive measure, one LP over every cell of this release and of the
 * earlier ones (identical content = one variable), minimising and maximising each suppressed cell.
 */
function poolSuppressedCells(
  stat: Statistic,
  current: readonly CellTruth[],
  previous: ReadonlyArray<{ releaseId: string; cells: readonly CellTruth[] }>,
  settings: PlatformSettings,
  highs: Highs,
  options: { readonly exhaustive?: boolean },
): { suppressed: number; programs: number; failures: AuditFailure[] } {
  const failures: AuditFailure[] = [];
  let programs = 0;
  const suppressed = current.filter((c) => !c.published);
  if (suppressed.length === 0 || !stat.margins) return { suppressed: suppressed.length, programs, failures };
  const keyColumns = statisticKeyColumns(stat);
  const parse = (key: string) =>
    Object.fromEntries(key.split('|').map((v, i) => [keyColumns[i] as string, v]));
  const periods = [...new Set(suppressed.map((c) => c.period))];
  for (const period of periods) {
    const releases = [
      { releaseId: '', cells: current.filter((c) => c.period === period) },
      ...previous.map((p) => ({ releaseId: p.releaseId, cells: p.cells.filter((c) => c.period === period) })),
    ];
    for (const a of additiveMeasures(stat)) {
      // Variables: one per distinct (key, fingerprint); bounds from every release that published it.
      const index = new Map<string, number>();
      const lower: number[] = [];
      const upper: number[] = [];
      const variable = (c: CellTruth) => {
        const id = `${c.key}#${c.fingerprint}`;
        let i = index.get(id);
        if (i === undefined) {
          i = lower.length;
          index.set(id, i);
          lower.push(0);
          upper.push(highs.infinity);
        }
        const figure = c.figures[a.column];
        if (figure !== undefined) {
          lower[i] = Math.max(lower[i] as number, figure - a.bound);
          upper[i] = Math.min(upper[i] as number, figure + a.bound);
        }
        return i;
      };
      const rows: Array<{ indices: number[]; values: number[] }> = [];
      for (const release of releases) {
        const ids = new Map(release.cells.map((c) => [c.key, variable(c)]));
        for (const eq of marginEquations(
          stat,
          release.cells.map((c) => parse(c.key)),
        )) {
          const total = ids.get(eq.total);
          const members = eq.members.map((m) => ids.get(m));
          if (total === undefined || members.some((m) => m === undefined)) continue;
          const terms = new Map<number, number>([[total, 1]]);
          for (const m of members as number[]) terms.set(m, (terms.get(m) ?? 0) - 1);
          const nonZero = [...terms].filter(([, v]) => v !== 0);
          if (nonZero.length > 0) {
            rows.push({ indices: nonZero.map(([i]) => i), values: nonZero.map(([, v]) => v) });
          }
        }
      }
      const targets = (releases[0]?.cells.filter((c) => !c.published) ?? []).map((cell) => ({
        cell,
        index: index.get(`${cell.key}#${cell.fingerprint}`) as number,
      }));
      const byIndex = new Map(targets.map((t) => [t.index, t.cell]));
      const protectedInterval = (cell: CellTruth, low: number, high: number) => {
        const required = requiredWidth(a, cell.largest[a.column] ?? 0, settings);
        const [from, to] = truthHull(low, high, settings);
        // Wide enough, or reaching down to nothing and far enough above the truth (a small count
        // cannot be bounded below zero: [0, truth + width/2] protects it as well).
        const truth = cell.truth[a.column] ?? 0;
        return { ok: to - from >= required || (from <= 0 && to >= truth + required / 2), from, to, required };
      };
      const result = feasibilityIntervals(
        highs,
        { lower, upper, rows },
        targets.map((t) => t.index),
        (i, low, high) => protectedInterval(byIndex.get(i) as CellTruth, low, high).ok,
        { exhaustive: options.exhaustive ?? false },
      );
      programs += result.programs;
      for (const { cell, index: i } of targets) {
        const interval = result.intervals.get(i);
        if (!interval || interval.kind === 'infeasible' || interval.kind === 'undecided') {
          failures.push({
            check: 'suppressed_cell',
            statistic: stat.name,
            cell: cell.key,
            measure: a.column,
            detail:
              interval?.kind === 'undecided'
                ? `the solver reached no verdict (HiGHS model status ${interval.code}); nothing is assumed safe`
                : 'the published figures are inconsistent with the documented perturbation (no feasible solution)',
          });
          continue;
        }
        const { ok, from, to, required } = protectedInterval(cell, interval.low, interval.high);
        if (!ok) {
          const against = releases.slice(1).find((r) => r.cells.some((c) => c.key === cell.key))?.releaseId;
          failures.push({
            check: 'suppressed_cell',
            statistic: stat.name,
            cell: cell.key,
            measure: a.column,
            ...(against ? { against } : {}),
            detail: `feasible interval only ${Math.round(((to - from) / required) * 100)} % of the required width`,
          });
        }
      }
    }
  }
  return { suppressed: suppressed.length, programs, failures };
}

/**
 * Check 3: every cell published in this release and an earlier one with different content, where
 * the change isolates fewer than `minIndividuals` people (individual statistics) or `minCompanies`
 * companies: the interval for the true change, from the two published figures, must be wide enough.
 */
function differenceChecks(
  stat: Statistic,
  current: readonly CellTruth[],
  previous: ReadonlyArray<{ releaseId: string; cells: readonly CellTruth[] }>,
  settings: PlatformSettings,
): { checked: number; failures: AuditFailure[] } {
  const failures: AuditFailure[] = [];
  let checked = 0;
  const { minIndividuals, minCompanies } = settings.disclosure;
  for (const { releaseId, cells } of previous) {
    const before = new Map(cells.map((c) => [c.key, c]));
    for (const cell of current) {
      const old = before.get(cell.key);
      if (!old?.published || !cell.published || old.fingerprint === cell.fingerprint) continue;
      const people = Math.abs(cell.rows - old.rows);
      const companies = Math.abs(cell.companies - old.companies);
      const small =
        (stat.unit === 'individual' && people > 0 && people < minIndividuals) ||
        (companies > 0 && companies < minCompanies);
      if (!small) continue;
      for (const a of additiveMeasures(stat)) {
        const x = cell.figures[a.column];
        const y = old.figures[a.column];
        if (x === undefined || y === undefined) continue;
        checked += 1;
        const change = (cell.truth[a.column] ?? 0) - (old.truth[a.column] ?? 0);
        if (change === 0) continue;
        const delta = Math.abs(x - y);
        const [from, to] = truthHull(Math.max(0, delta - 2 * a.bound), delta + 2 * a.bound, settings);
        const required =
          a.kind === 'count'
            ? settings.disclosure.protection.countWidth
            : requiredWidth(a, Math.abs(change), settings);
        if (to - from < required) {
          failures.push({
            check: 'difference',
            statistic: stat.name,
            cell: cell.key,
            measure: a.column,
            against: releaseId,
            detail: `the change since ${releaseId} is bounded to ${Math.round(((to - from) / required) * 100)} % of the required width`,
          });
        }
      }
    }
  }
  return { checked, failures };
}

/** For tests and tools: the runner type the audit's queries need. */
export type AuditRunner = QueryRunner;
