/**
 * Feasibility intervals of a linear system, for the release audit (audit.ts): for each target
 * variable, the smallest and largest value it takes over every solution of
 * `lower ≤ x ≤ upper, Σ row · x = 0`. This is what an attacker who knows the equations and the
 * published boxes can learn about an unpublished cell.
 *
 * Exact by default, with one shortcut that changes no verdict: every optimal solution the solver
 * returns is a feasible point, so the values it gives every target lie inside their true intervals.
 * The audit only needs to know whether an interval is wide enough, and "wide enough" is monotone
 * (a wider interval never fails where a narrower one passes). So once the points seen so far already
 * span a wide-enough range for a target, its true interval is wide enough too and its two programs
 * are skipped; a target whose witnesses fall short gets both programs solved exactly, as before.
 * Two programs at the start (minimise and maximise the sum of every target) spread the witnesses, then
 * up to SPREAD_ROUNDS pairs that push the targets still open in opposite directions (spreadWitnesses).
 * These wide programs are solved afresh: by the interior-point method (with crossover, so the point is
 * still a vertex) from INTERIOR_POINT_MIN_VARIABLES variables, by the dual simplex below; the programs
 * of one target each start from the last basis (primal simplex).
 * `exhaustive: true` solves every program (tests compare both modes).
 */
export type Highs = import('highs').Highs;
type ModelData = import('highs').ModelData;

/** The HiGHS WASM solver, loaded once per process on first use. */
export function loadSolver(): Promise<Highs> {
  solver ??= import('highs').then((module) => {
    const imported: unknown = module.default;
    const loader = (
      typeof imported === 'function' ? imported : (imported as { default: unknown }).default
    ) as () => Promise<Highs>;
    return loader();
  });
  return solver;
}
let solver: Promise<Highs> | undefined;

/** HiGHS's `simplex_strategy` values: primal simplex, and (serial) dual simplex, its default. */
const PRIMAL_SIMPLEX = 4;
const DUAL_SIMPLEX = 1;
/** The largest bound's size once scaled (see `Programs.scale`). */
const SCALED_MAGNITUDE = 1e6;

/** A sparse equation row: Σ values[k] · x[indices[k]] = 0. */
export interface SparseRow {
  readonly indices: readonly number[];
  readonly values: readonly number[];
}

export interface LinearSystem {
  readonly lower: readonly number[];
  readonly upper: readonly number[];
  readonly rows: readonly SparseRow[];
}

/** What is known of one target's interval. */
export type TargetInterval =
  /** Both ends solved: the attacker's exact interval (high may be +∞). */
  | { readonly kind: 'exact'; readonly low: number; readonly high: number }
  /** Feasible points span [low, high]; the exact interval contains it and is wide enough. */
  | { readonly kind: 'witnessed'; readonly low: number; readonly high: number }
  /** The system has no solution: published figures contradict the equations. */
  | { readonly kind: 'infeasible' }
  /** The solver reached no verdict (its status code): the audit fails closed. */
  | { readonly kind: 'undecided'; readonly code: number };

export interface FeasibilityResult {
  readonly intervals: ReadonlyMap<number, TargetInterval>;
  /** Linear programs solved. */
  readonly programs: number;
}

type Outcome =
  | { readonly status: 'optimal'; readonly value: number }
  | { readonly status: 'unbounded' }
  | { readonly status: 'infeasible' }
  | { readonly status: 'undecided'; readonly code: number };

/**
 * The system loaded once into a HiGHS model and solved for one objective after another, keeping the
 * range of values every target took in the optimal solutions seen (the witnesses).
 */
class Programs {
  private readonly model: ReturnType<Highs['createModel']>;
  readonly seenLow: Map<number, number>;
  readonly seenHigh: Map<number, number>;
  solved = 0;
  /**
   * Variables are solved in units of `scale`, so that the largest finite bound is about a million:
   * HiGHS's tolerances are absolute, and a sales total of 10^11 yen carries only about 10^-5 of
   * precision in a double. The equations are homogeneous (Σ ±x = 0), so dividing every variable by
   * one number changes no solution; values are multiplied back when read.
   */
  private readonly scale: number;
  /** Whether programs solved afresh use the interior-point method (large systems) or the dual simplex. */
  private readonly interiorPoint: boolean;

  constructor(
    private readonly highs: Highs,
    system: LinearSystem,
    private readonly targets: readonly number[],
    interiorPointFrom: number,
  ) {
    this.seenLow = new Map(targets.map((t) => [t, Number.POSITIVE_INFINITY]));
    this.seenHigh = new Map(targets.map((t) => [t, Number.NEGATIVE_INFINITY]));
    const largest = Math.max(
      0,
      ...system.upper.filter(Number.isFinite),
      ...system.lower.filter(Number.isFinite),
    );
    this.scale = Math.max(1, largest / SCALED_MAGNITUDE);
    this.interiorPoint = system.lower.length >= interiorPointFrom;
    // The whole model in one call: a call per variable and per row cost 5–20 ms of bridging for a
    // few hundred variables, more than the programs solved on it at 24 companies.
    this.model = highs.createModel(modelData(system, this.scale));
    // Primal simplex: every program differs from the last only in its costs, so the last basis stays
    // primal feasible and the primal simplex goes on from it. The default (dual) simplex started each
    // program almost afresh: on the 1,000-company bench's base_pay_by_age count program of one month
    // (2,485 variables, 1,648 equations) 80 programs took 76.7 s dual and 5.6 s primal, every interval
    // identical (same run, this machine).
    this.model.options.set({ output_flag: false, simplex_strategy: PRIMAL_SIMPLEX });
  }

  dispose(): void {
    this.model.dispose();
  }

  /**
   * Optimises Σ costs · x in the given sense; an optimum's solution widens the witnessed ranges.
   * `afresh`: a program whose costs cover many targets lands far from the last program's basis, and
   * the primal simplex walks there slowly; HiGHS's interior-point method (with crossover to a vertex,
   * which leaves a basis for the next warm start) solves it from scratch faster. On the 1,000-company
   * bench release's 110 audit jobs (48,651 targets), in one thread: 87.5 s with every program warm
   * started, 36.6 s with the wide ones afresh, every verdict the same (same run, this machine).
   */
  solve(
    costs: ReadonlyMap<number, number>,
    sense: 'minimize' | 'maximize',
    start: 'warm' | 'afresh' = 'warm',
  ): Outcome {
    const { modelStatus, objectiveSense } = this.highs.constants;
    this.solved += 1;
    for (const [i, c] of costs) this.model.changeColCost(i, c);
    this.model.changeObjectiveSense(objectiveSense[sense]);
    const status = this.runDecisively(start);
    // Read before the costs are reset: the objective is re-evaluated on every change.
    const value = this.model.getObjectiveValue() * this.scale;
    if (status === modelStatus.optimal) this.witness(this.model.getSolution().colValue);
    for (const i of costs.keys()) this.model.changeColCost(i, 0);
    if (status === modelStatus.optimal) return { status: 'optimal', value };
    if (status === modelStatus.unbounded) return { status: 'unbounded' };
    if (status === modelStatus.infeasible) return { status: 'infeasible' };
    return { status: 'undecided', code: status };
  }

  private witness(x: ArrayLike<number>): void {
    for (const t of this.targets) {
      const v = (x[t] as number) * this.scale;
      if (v < (this.seenLow.get(t) as number)) this.seenLow.set(t, v);
      if (v > (this.seenHigh.get(t) as number)) this.seenHigh.set(t, v);
    }
  }

  /**
   * Each program starts from the previous one's basis with the primal simplex (warm start). Only an
   * optimum is taken from it as it comes. Any other verdict is confirmed from scratch with the dual
   * simplex, then also without presolve (which cannot always tell infeasible from unbounded): at
   * 1,000 companies a warm-started program on yen-sized totals ended "infeasible" (and, with the
   * dual simplex, "unknown") where the same program solved afresh is optimal. An unbounded verdict
   * is confirmed the same way, since it would pass a cell as protected.
   */
  private runDecisively(start: 'warm' | 'afresh'): number {
    const { optimal, infeasible, unbounded } = this.highs.constants.modelStatus;
    if (start === 'afresh' && this.interiorPoint) {
      // Interior point for this program only: the next starts from the basis its crossover leaves.
      this.model.options.set({ solver: 'ipm' });
      this.model.run();
      this.model.options.set({ solver: 'simplex' });
    } else if (start === 'afresh') {
      // A small system: the dual simplex from scratch; the next starts from the basis it leaves.
      this.model.clearSolver();
      this.model.options.set({ simplex_strategy: DUAL_SIMPLEX });
      this.model.run();
      this.model.options.set({ simplex_strategy: PRIMAL_SIMPLEX });
    } else {
      this.model.run();
    }
    let status: number = this.model.getModelStatus();
    // A program the dual simplex just solved from scratch is not solved the same way again: only
    // without presolve.
    const confirmations = start === 'afresh' && !this.interiorPoint ? ['off'] : ['choose', 'off'];
    for (const presolve of confirmations) {
      if (status === optimal) break;
      this.model.options.set({ simplex_strategy: DUAL_SIMPLEX, presolve });
      this.model.clearSolver();
      this.model.run();
      status = this.model.getModelStatus();
      this.model.options.set({ simplex_strategy: PRIMAL_SIMPLEX, presolve: 'choose' });
      if (status === optimal || status === infeasible || status === unbounded) break;
    }
    return status;
  }
}

/**
 * From this many variables on, a program solved afresh uses the interior-point method, below it the
 * dual simplex from scratch. Measured on the bench's audit programs (minimise and maximise the sum of
 * every target, one family after another, in one thread, this machine, 2026-12-07): at 24 companies
 * (110 families of about 156 variables) 1.45 s interior point against 0.62 s dual simplex; at 1,000
 * companies, families of 300–600 variables 0.83 s against 0.39 s, 600–1,200 2.98 s against 1.41 s,
 * 1,200–2,000 3.88 s against 8.62 s and over 2,000 5.57 s against 24.0 s.
 */
const INTERIOR_POINT_MIN_VARIABLES = 1000;

/** The system as one HiGHS model (rows in CSR), every cost zero, variables in units of `scale`. */
function modelData(system: LinearSystem, scale: number): ModelData {
  const numCols = system.lower.length;
  const numRows = system.rows.length;
  const colLower = Float64Array.from(system.lower, (l) => l / scale);
  const colUpper = Float64Array.from(system.upper, (u) => (Number.isFinite(u) ? u / scale : u));
  const starts = new Int32Array(numRows + 1);
  for (const [i, row] of system.rows.entries()) starts[i + 1] = (starts[i] as number) + row.indices.length;
  const indices = new Int32Array(starts[numRows] as number);
  const values = new Float64Array(starts[numRows] as number);
  for (const [i, row] of system.rows.entries()) {
    indices.set(row.indices, starts[i]);
    values.set(row.values, starts[i]);
  }
  return {
    numCols,
    numRows,
    colCost: new Float64Array(numCols),
    colLower,
    colUpper,
    rowLower: new Float64Array(numRows),
    rowUpper: new Float64Array(numRows),
    matrix: { format: 'csr', numRows, numCols, starts, indices, values },
  };
}

/** A failed program's verdict for its target, if it failed. */
function failed(outcome: Outcome): TargetInterval | undefined {
  if (outcome.status === 'infeasible') return { kind: 'infeasible' };
  if (outcome.status === 'undecided') return { kind: 'undecided', code: outcome.code };
  return undefined;
}

/** Targets still without a wide-enough witnessed range below which spreading stops. */
const SPREAD_MIN_OPEN = 16;
/** At most this many spreading rounds (two programs each). */
const SPREAD_ROUNDS = 2;

/**
 * More witnesses for many targets at once: the targets still short of a wide-enough range are split in
 * two (a different split each round), and one program pushes the first part down and the second up,
 * another the reverse. A round that no longer settles at least one target per program it cost ends it. Each
 * settled target saves its own two programs, so it pays while many targets remain open.
 */
function spreadWitnesses(
  programs: Programs,
  targets: readonly number[],
  settled: (t: number) => boolean,
): void {
  let open = targets.filter((t) => !settled(t));
  for (let round = 0; round < SPREAD_ROUNDS && open.length >= SPREAD_MIN_OPEN; round++) {
    // A different split each round (a bit of a multiplicative hash of the position), deterministic.
    const costs = new Map(
      open.map((t, i) => [t, (Math.imul(i + 1, 0x9e3779b1) >>> (round + 7)) & 1 ? 1 : -1]),
    );
    programs.solve(costs, 'minimize', 'afresh');
    programs.solve(costs, 'maximize', 'afresh');
    const still = open.filter((t) => !settled(t));
    if (open.length - still.length < 2) break;
    open = still;
  }
}

/**
 * Feasibility intervals of `targets`. `wideEnough(target, low, high)` must be monotone: true for
 * [low, high] implies true for every interval containing it.
 */
export function feasibilityIntervals(
  highs: Highs,
  system: LinearSystem,
  targets: readonly number[],
  wideEnough: (target: number, low: number, high: number) => boolean,
  options: {
    readonly exhaustive?: boolean;
    /** Variables from which programs solved afresh use the interior-point method (tests vary it). */
    readonly interiorPointFrom?: number;
  } = {},
): FeasibilityResult {
  const intervals = new Map<number, TargetInterval>();
  const programs = new Programs(
    highs,
    system,
    targets,
    options.interiorPointFrom ?? INTERIOR_POINT_MIN_VARIABLES,
  );
  try {
    const { seenLow, seenHigh } = programs;
    const witnessed = (t: number, low = seenLow.get(t) as number, high = seenHigh.get(t) as number) =>
      !options.exhaustive && low <= high && wideEnough(t, low, high);
    if (!options.exhaustive && targets.length > 1) {
      const all = new Map(targets.map((t) => [t, 1]));
      programs.solve(all, 'minimize', 'afresh');
      programs.solve(all, 'maximize', 'afresh');
      spreadWitnesses(programs, targets, (t) => witnessed(t));
    }
    for (const t of targets) {
      if (witnessed(t)) {
        intervals.set(t, {
          kind: 'witnessed',
          low: seenLow.get(t) as number,
          high: seenHigh.get(t) as number,
        });
        continue;
      }
      const one = new Map([[t, 1]]);
      const min = programs.solve(one, 'minimize');
      const minFailed = failed(min);
      if (minFailed) {
        intervals.set(t, minFailed);
        continue;
      }
      // Every variable is bounded below (x ≥ lower ≥ 0 in the audit), so a minimum exists.
      const low = min.status === 'optimal' ? min.value : Number.NEGATIVE_INFINITY;
      if (witnessed(t, low)) {
        intervals.set(t, { kind: 'witnessed', low, high: seenHigh.get(t) as number });
        continue;
      }
      const max = programs.solve(one, 'maximize');
      const high = max.status === 'optimal' ? max.value : Number.POSITIVE_INFINITY;
      intervals.set(t, failed(max) ?? { kind: 'exact', low, high });
    }
  } finally {
    programs.dispose();
  }
  return { intervals, programs: programs.solved };
}
