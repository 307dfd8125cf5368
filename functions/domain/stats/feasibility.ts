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
 * Two programs at the start (minimise and maximise the sum of every target) spread the witnesses.
 * `exhaustive: true` solves every program (tests compare both modes).
 */
export type Highs = import('highs').Highs;

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

/**
 * Feasibility intervals of `targets`. `wideEnough(target, low, high)` must be monotone: true for
 * [low, high] implies true for every interval containing it.
 */
export function feasibilityIntervals(
  highs: Highs,
  system: LinearSystem,
  targets: readonly number[],
  wideEnough: (target: number, low: number, high: number) => boolean,
  options: { readonly exhaustive?: boolean } = {},
): FeasibilityResult {
  const intervals = new Map<number, TargetInterval>();
  let programs = 0;
  const seenLow = new Map<number, number>(targets.map((t) => [t, Number.POSITIVE_INFINITY]));
  const seenHigh = new Map<number, number>(targets.map((t) => [t, Number.NEGATIVE_INFINITY]));
  const model = highs.createModel();
  try {
    // Primal simplex: every program differs from the last only in its costs, so the last basis stays
    // primal feasible and the primal simplex goes on from it. The default (dual) simplex started each
    // program almost afresh: on the 1,000-company bench's base_pay_by_age count program of one month
    // (2,485 variables, 1,648 equations) 80 programs took 76.7 s dual and 5.6 s primal, every interval
    // identical (same run, this machine).
    model.options.set({ output_flag: false, simplex_strategy: PRIMAL_SIMPLEX });
    for (let i = 0; i < system.lower.length; i++) {
      model.addVar(system.lower[i] as number, system.upper[i] as number);
    }
    for (const row of system.rows) model.addRow(0, 0, { indices: [...row.indices], values: [...row.values] });

    type Outcome =
      | { status: 'optimal'; value: number }
      | { status: 'unbounded' }
      | { status: 'infeasible' }
      | { status: 'undecided'; code: number };
    const { modelStatus } = highs.constants;
    const decisive = (s: number) =>
      s === modelStatus.optimal || s === modelStatus.infeasible || s === modelStatus.unbounded;
    /**
     * Each program starts from the previous one's basis with the primal simplex (warm start). Only an
     * optimum is taken from it as it comes. Any other verdict is confirmed from scratch with the dual
     * simplex, then also without presolve (which cannot always tell infeasible from unbounded): at
     * 1,000 companies a warm-started program on yen-sized totals ended "infeasible" (and, with the
     * dual simplex, "unknown") where the same program solved afresh is optimal. An unbounded verdict
     * is confirmed the same way, since it would pass a cell as protected.
     */
    const { optimal } = modelStatus;
    const runDecisively = (): number => {
      model.run();
      let status: number = model.getModelStatus();
      for (const presolve of ['choose', 'off']) {
        if (status === optimal) break;
        model.options.set({ simplex_strategy: DUAL_SIMPLEX, presolve });
        model.clearSolver();
        model.run();
        status = model.getModelStatus();
        model.options.set({ simplex_strategy: PRIMAL_SIMPLEX, presolve: 'choose' });
        if (decisive(status)) break;
      }
      return status;
    };
    const solve = (costs: ReadonlyMap<number, number>, sense: 'minimize' | 'maximize'): Outcome => {
      programs += 1;
      for (const [i, c] of costs) model.changeColCost(i, c);
      model.changeObjectiveSense(highs.constants.objectiveSense[sense]);
      const status = runDecisively();
      // Read before the costs are reset: the objective is re-evaluated on every change.
      const value = model.getObjectiveValue();
      if (status === highs.constants.modelStatus.optimal) {
        const x = model.getSolution().colValue;
        for (const t of targets) {
          const v = x[t] as number;
          if (v < (seenLow.get(t) as number)) seenLow.set(t, v);
          if (v > (seenHigh.get(t) as number)) seenHigh.set(t, v);
        }
      }
      for (const i of costs.keys()) model.changeColCost(i, 0);
      if (status === highs.constants.modelStatus.optimal) return { status: 'optimal', value };
      if (status === highs.constants.modelStatus.unbounded) return { status: 'unbounded' };
      if (status === highs.constants.modelStatus.infeasible) return { status: 'infeasible' };
      return { status: 'undecided', code: status };
    };

    const witnessed = (t: number, low = seenLow.get(t) as number, high = seenHigh.get(t) as number) =>
      !options.exhaustive && low <= high && wideEnough(t, low, high);

    if (!options.exhaustive && targets.length > 1) {
      const all = new Map(targets.map((t) => [t, 1]));
      solve(all, 'minimize');
      solve(all, 'maximize');
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
      const min = solve(one, 'minimize');
      if (min.status === 'infeasible' || min.status === 'undecided') {
        intervals.set(
          t,
          min.status === 'infeasible' ? { kind: 'infeasible' } : { kind: 'undecided', code: min.code },
        );
        continue;
      }
      // Every variable is bounded below (x ≥ lower ≥ 0 in the audit), so a minimum exists.
      const low = min.status === 'optimal' ? min.value : Number.NEGATIVE_INFINITY;
      if (witnessed(t, low)) {
        intervals.set(t, { kind: 'witnessed', low, high: seenHigh.get(t) as number });
        continue;
      }
      const max = solve(one, 'maximize');
      if (max.status === 'infeasible' || max.status === 'undecided') {
        intervals.set(
          t,
          max.status === 'infeasible' ? { kind: 'infeasible' } : { kind: 'undecided', code: max.code },
        );
        continue;
      }
      intervals.set(t, {
        kind: 'exact',
        low,
        high: max.status === 'optimal' ? max.value : Number.POSITIVE_INFINITY,
      });
    }
  } finally {
    model.dispose();
  }
  return { intervals, programs };
}
