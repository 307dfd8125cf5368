/**
 * The release audit's checks over cell truths (audit.ts runs them, audit-truth.ts computes the
 * truths): check 1, every suppressed cell's feasibility interval given every published figure and
 * margin equation of this release and the earlier readable ones (linear programs, feasibility.ts),
 * and check 3, the change of a cell published in an earlier release with different content.
 */
import type { PlatformSettings } from '../settings.ts';
import {
  type Additive,
  type AuditFailure,
  additiveMeasures,
  type CellTruth,
  type EarlierCells,
} from './audit-model.ts';
import { type Statistic, statisticKeyColumns, TOTAL } from './catalog.ts';
import {
  feasibilityIntervals,
  type Highs,
  type LinearSystem,
  loadSolver,
  type TargetInterval,
} from './feasibility.ts';

/** Margin equations of one period's cells, derived from their coordinates: total = Σ members. */
export function marginEquations(
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

/** How wide the truth interval must be for a measure of a cell (see audit.ts's module comment). */
function requiredWidth(a: Additive, largest: number, settings: PlatformSettings): number {
  const { protection } = settings.disclosure;
  return a.kind === 'count' ? protection.countWidth : (2 * protection.magnitudePercent * largest) / 100;
}

/**
 * Where the truth can lie, given an interval [low, high] of the perturbed part P. Several companies'
 * factors mix into one range, [low / (1 + fmax), high / (1 − fmax)]. One company's contribution (a
 * cell with one company behind it, or a change between releases, which may be one company's) has
 * one factor: when the factors leave a gap around 1 (`companyFactorMin` > 0), its truth lies in one
 * of two pieces, one per sign, and an attacker who guesses the sign (right half the time) holds one
 * piece. Each piece must then be wide enough on its own.
 */
export function truthPieces(
  low: number,
  high: number,
  settings: PlatformSettings,
  oneCompany: boolean,
): Array<readonly [number, number]> {
  const { companyFactorMin: a, companyFactorMax: b } = settings.disclosure.perturbation;
  const from = Math.max(0, low);
  if (!oneCompany || a === 0) return [[from / (1 + b), high / (1 - b)]];
  const up = [from / (1 + b), high / (1 + a)] as const;
  const down = [from / (1 - a), high / (1 - b)] as const;
  return up[1] >= down[0] ? [[up[0], down[1]]] : [up, down];
}

/**
 * Whether every piece protects the truth: wide enough, or reaching down to nothing and far enough
 * above the truth (a small count cannot be bounded below zero: [0, truth + width/2] protects it as
 * well). Returns the narrowest piece for the finding.
 */
export function protects(
  pieces: Array<readonly [number, number]>,
  required: number,
  truth: number,
): { ok: boolean; from: number; to: number } {
  const narrowest = pieces.reduce((n, p) => (p[1] - p[0] < n[1] - n[0] ? p : n));
  const ok = pieces.every(([from, to]) => to - from >= required || (from <= 0 && to >= truth + required / 2));
  return { ok, from: narrowest[0], to: narrowest[1] };
}

/**
 * One family of linear programs of check 1 (a statistic, a period, an additive measure) as plain data,
 * so that any thread can solve it: the period's system over this release and the earlier ones, and
 * for every suppressed cell of this release its variable and what its interval must protect.
 */
export interface SuppressionJob {
  readonly system: LinearSystem;
  readonly measure: Additive;
  readonly targets: ReadonlyArray<{ readonly index: number } & TargetTruth>;
  readonly settings: PlatformSettings;
  readonly exhaustive: boolean;
}

/** What solving a job found: each target's interval, and how many programs it took. */
export interface SuppressionSolution {
  readonly intervals: ReadonlyArray<readonly [number, TargetInterval]>;
  readonly programs: number;
}

/** Solves the jobs of a release audit, in order (in this thread, or spread over worker threads). */
export interface SuppressionSolver {
  solve(jobs: readonly SuppressionJob[]): Promise<SuppressionSolution[]>;
}

/** What an interval of one suppressed cell must protect, for one measure. */
export interface TargetTruth {
  readonly largest: number;
  readonly single: boolean;
  readonly truth: number;
}

const targetTruth = (a: Additive, cell: CellTruth): TargetTruth => ({
  largest: cell.largest[a.column] ?? 0,
  single: cell.companies === 1,
  truth: cell.truth[a.column] ?? 0,
});

/** Solves one job: the feasibility intervals of its targets (feasibility.ts). */
export function solveSuppressionJob(highs: Highs, job: SuppressionJob): SuppressionSolution {
  const byIndex = new Map(job.targets.map((t) => [t.index, t]));
  const result = feasibilityIntervals(
    highs,
    job.system,
    job.targets.map((t) => t.index),
    (i, low, high) =>
      protectedInterval(job.measure, byIndex.get(i) as TargetTruth, low, high, job.settings).ok,
    { exhaustive: job.exhaustive },
  );
  return { intervals: [...result.intervals], programs: result.programs };
}

/** The solver in this thread: HiGHS loaded once, the jobs one after another. */
export const inThreadSolver: SuppressionSolver = {
  async solve(jobs) {
    if (jobs.length === 0) return [];
    const highs = await loadSolver();
    return jobs.map((job) => solveSuppressionJob(highs, job));
  },
};

/** A planned family of programs, and how its solution is judged. */
export interface SuppressionCheck {
  readonly job: SuppressionJob;
  judge(solution: SuppressionSolution): AuditFailure[];
}

/**
 * Check 1, planned: for each period and additive measure, one LP over every cell of this release and
 * of the earlier ones (identical content = one variable), minimising and maximising each suppressed
 * cell. Solving is left to a SuppressionSolver; `judge` turns a solution into findings.
 */
export function planSuppressionChecks(
  stat: Statistic,
  current: readonly CellTruth[],
  previous: readonly EarlierCells[],
  settings: PlatformSettings,
  options: { readonly exhaustive?: boolean },
): { suppressed: number; checks: SuppressionCheck[] } {
  const checks: SuppressionCheck[] = [];
  const suppressed = current.filter((c) => !c.published);
  if (suppressed.length === 0 || !stat.margins) return { suppressed: suppressed.length, checks };
  const periods = [...new Set(suppressed.map((c) => c.period))];
  for (const period of periods) {
    const releases: EarlierCells[] = [
      { releaseId: '', cells: current.filter((c) => c.period === period) },
      ...previous.map((p) => ({ releaseId: p.releaseId, cells: p.cells.filter((c) => c.period === period) })),
    ];
    for (const a of additiveMeasures(stat)) {
      const { system, index } = linearSystem(stat, releases, a);
      const targets = (releases[0]?.cells.filter((c) => !c.published) ?? []).map((cell) => ({
        cell,
        index: index.get(`${cell.key}#${cell.fingerprint}`) as number,
      }));
      checks.push({
        job: {
          system,
          measure: a,
          targets: targets.map((t) => ({ index: t.index, ...targetTruth(a, t.cell) })),
          settings,
          exhaustive: options.exhaustive ?? false,
        },
        judge: (solution) =>
          judgeIntervals(stat, a, targets, new Map(solution.intervals), releases, settings),
      });
    }
  }
  return { suppressed: suppressed.length, checks };
}

/**
 * One period's linear system for one additive measure: variables one per distinct (key, fingerprint)
 * with bounds from every release that published it, and every release's margin equations.
 */
function linearSystem(
  stat: Statistic,
  releases: readonly EarlierCells[],
  a: Additive,
): { system: LinearSystem; index: ReadonlyMap<string, number> } {
  const keyColumns = statisticKeyColumns(stat);
  const parse = (key: string) =>
    Object.fromEntries(key.split('|').map((v, i) => [keyColumns[i] as string, v]));
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
      upper.push(Number.POSITIVE_INFINITY);
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
  return { system: { lower, upper, rows }, index };
}

/** Whether the truth behind an interval [low, high] of a cell's P is protected, and what was required. */
function protectedInterval(
  a: Additive,
  target: TargetTruth,
  low: number,
  high: number,
  settings: PlatformSettings,
) {
  const required = requiredWidth(a, target.largest, settings);
  const pieces = truthPieces(low, high, settings, target.single);
  return { ...protects(pieces, required, target.truth), required };
}

/** Findings for the suppressed cells whose interval the solver found too narrow, or found none for. */
function judgeIntervals(
  stat: Statistic,
  a: Additive,
  targets: ReadonlyArray<{ cell: CellTruth; index: number }>,
  intervals: ReadonlyMap<number, TargetInterval>,
  releases: readonly EarlierCells[],
  settings: PlatformSettings,
): AuditFailure[] {
  const failures: AuditFailure[] = [];
  for (const { cell, index: i } of targets) {
    const interval = intervals.get(i);
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
    const { ok, from, to, required } = protectedInterval(
      a,
      targetTruth(a, cell),
      interval.low,
      interval.high,
      settings,
    );
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
  return failures;
}

/**
 * Check 3: every cell published in this release and an earlier one with different content, where
 * the change isolates fewer than `minIndividuals` people (individual statistics) or `minCompanies`
 * companies: the interval for the true change, from the two published figures, must be wide enough.
 */
export function differenceChecks(
  stat: Statistic,
  current: readonly CellTruth[],
  previous: readonly EarlierCells[],
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
        // The change may be one company's (a purge, a person added): its factor's sign counts.
        const pieces = truthPieces(Math.max(0, delta - 2 * a.bound), delta + 2 * a.bound, settings, true);
        const required =
          a.kind === 'count'
            ? settings.disclosure.protection.countWidth
            : requiredWidth(a, Math.abs(change), settings);
        const { from, to } = protects(pieces, required, Math.abs(change));
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
