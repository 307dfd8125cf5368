import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  feasibilityIntervals,
  type LinearSystem,
  loadSolver,
  type TargetInterval,
} from '../../../functions/domain/stats/feasibility.ts';
import { table, tables } from './linear-tables.ts';

const arbitraryTable = tables({ min: 2, max: 4 }, 35);
/** Tables with enough suppressed cells (16 or more open targets) for the spreading rounds to run. */
const largeTable = tables({ min: 5, max: 8 }, 55);

/**
 * Solves a generated table both ways and holds the fast solve to the exhaustive one: the same verdict
 * for every target, witnessed ranges inside the exact interval, exact intervals equal, whichever method
 * solves the wide programs. Returns the three solves.
 */
function compareWithExhaustive(
  highs: Awaited<ReturnType<typeof loadSolver>>,
  {
    values,
    suppressed,
    noise,
    width,
  }: { values: number[][]; suppressed: boolean[][]; noise: number; width: number },
) {
  const { system, targets } = table(values, suppressed, noise);
  const wideEnough = (_t: number, low: number, high: number) => high - low >= width;
  const exact = feasibilityIntervals(highs, system, targets, wideEnough, { exhaustive: true });
  // Programs solved afresh by the dual simplex (systems this small) and by the interior-point method
  // (from 1,000 variables): witnesses differ, verdicts may not.
  const fast = feasibilityIntervals(highs, system, targets, wideEnough);
  const interior = feasibilityIntervals(highs, system, targets, wideEnough, { interiorPointFrom: 0 });
  for (const t of targets) compareTarget(t, wideEnough, exact.intervals.get(t), fast.intervals.get(t));
  for (const t of targets) compareTarget(t, wideEnough, exact.intervals.get(t), interior.intervals.get(t));
  return { exact, fast, interior };
}

/** One target of the fast solve held to the exhaustive one. */
function compareTarget(
  t: number,
  wideEnough: (t: number, low: number, high: number) => boolean,
  e: TargetInterval | undefined,
  f: TargetInterval | undefined,
) {
  expect(e?.kind).toBe('exact');
  if (e?.kind !== 'exact' || !f || f.kind === 'infeasible' || f.kind === 'undecided')
    throw new Error('the table is always feasible and the solver decides it');
  expect(wideEnough(t, f.low, f.high)).toBe(wideEnough(t, e.low, e.high));
  expect(f.low).toBeGreaterThanOrEqual(e.low - 1e-6);
  expect(f.high).toBeLessThanOrEqual(e.high + 1e-6);
  if (f.kind === 'exact') {
    expect(f.low).toBeCloseTo(e.low, 6);
    expect(f.high).toBeCloseTo(e.high, 6);
  }
}

describe('feasibility intervals (the audit’s LP attacker)', () => {
  it('skipping programs by witnessed points never changes a verdict, and witnessed ranges lie inside the exact interval', async () => {
    const highs = await loadSolver();
    let skipped = 0;
    fc.assert(
      fc.property(arbitraryTable, (sample) => {
        const { exact, fast } = compareWithExhaustive(highs, sample);
        expect(fast.programs).toBeLessThanOrEqual(exact.programs + 2);
        skipped += exact.programs - fast.programs;
      }),
      { numRuns: 150 },
    );
    // The shortcut is exercised, not only allowed.
    expect(skipped).toBeGreaterThan(0);
  });

  it('spreading witnesses over many open targets changes no verdict either (large tables)', async () => {
    const highs = await loadSolver();
    let skipped = 0;
    fc.assert(
      fc.property(largeTable, (sample) => {
        const { exact, fast } = compareWithExhaustive(highs, sample);
        skipped += exact.programs - fast.programs;
      }),
      { numRuns: 60, seed: 20261206 },
    );
    expect(skipped).toBeGreaterThan(0);
  });

  it('a cell alone in its row and column is pinned by its margins: the exact interval is its value', async () => {
    const highs = await loadSolver();
    const { system, targets } = table(
      [
        [10, 20],
        [30, 40],
      ],
      [
        [true, false, false],
        [false, false, false],
        [false, false],
      ],
      0,
    );
    const result = feasibilityIntervals(highs, system, targets, (_t, low, high) => high - low >= 1);
    const interval = result.intervals.get(targets[0] as number);
    expect(interval).toMatchObject({ kind: 'exact' });
    if (interval?.kind !== 'exact') throw new Error('expected an exact interval');
    expect(interval.low).toBeCloseTo(10, 6);
    expect(interval.high).toBeCloseTo(10, 6);
  });

  it('published figures that contradict the equations are reported infeasible', async () => {
    const highs = await loadSolver();
    const system: LinearSystem = {
      lower: [5, 0, 100],
      upper: [6, Number.POSITIVE_INFINITY, 101],
      rows: [
        { indices: [2, 0, 1], values: [1, -1, -1] },
        { indices: [1], values: [1] },
      ],
    };
    const result = feasibilityIntervals(highs, system, [1], () => true);
    expect(result.intervals.get(1)).toEqual({ kind: 'infeasible' });
  });

  it('yen-sized tables (totals of 10^11) give the same intervals as the same table in units of 10^8', async () => {
    // Prepare: HiGHS's tolerances are absolute; the solver works in scaled units (Programs.scale)
    const highs = await loadSolver();
    await fc.assert(
      fc.property(
        fc.array(fc.array(fc.integer({ min: 1, max: 2000 }), { minLength: 4, maxLength: 4 }), {
          minLength: 4,
          maxLength: 4,
        }),
        fc.array(fc.array(fc.boolean(), { minLength: 5, maxLength: 5 }), { minLength: 5, maxLength: 5 }),
        (values, hidden) => {
          const unit = 1e8;
          const small = table(values, hidden, 0.5);
          const large = table(
            values.map((row) => row.map((v) => v * unit)),
            hidden,
            0.5 * unit,
          );
          // Act
          const a = feasibilityIntervals(highs, small.system, small.targets, () => false, {
            exhaustive: true,
          });
          const b = feasibilityIntervals(highs, large.system, large.targets, () => false, {
            exhaustive: true,
          });
          // Assess
          for (const t of small.targets) {
            const x = a.intervals.get(t);
            const y = b.intervals.get(t);
            expect(y?.kind).toBe(x?.kind);
            if (x?.kind !== 'exact' || y?.kind !== 'exact') continue;
            expect(Math.abs(y.low - x.low * unit)).toBeLessThanOrEqual(1e-6 * unit);
            if (x.high === Number.POSITIVE_INFINITY) expect(y.high).toBe(Number.POSITIVE_INFINITY);
            else expect(Math.abs(y.high - x.high * unit)).toBeLessThanOrEqual(1e-6 * unit);
          }
        },
      ),
      { numRuns: 40 },
    );
  });

  it('a warm-started program that ends without an optimum is solved again from scratch before its verdict counts', async () => {
    // Prepare: HiGHS whose every warm-started run claims "infeasible" or "unbounded" (as a warm start
    // on yen-sized totals did at 1,000 companies); runs after clearSolver answer truthfully
    const real = await loadSolver();
    const { infeasible, unbounded, optimal } = real.constants.modelStatus;
    const liar = (claim: number): typeof real =>
      Object.assign(Object.create(real) as typeof real, {
        createModel: (source?: Parameters<typeof real.createModel>[0]) => {
          const model = real.createModel(source);
          let fresh = false;
          let lastFresh = false;
          const clear = model.clearSolver.bind(model);
          const run = model.run.bind(model);
          const status = model.getModelStatus.bind(model);
          return Object.assign(model, {
            clearSolver: () => {
              fresh = true;
              clear();
            },
            run: () => {
              lastFresh = fresh;
              fresh = false;
              run();
            },
            getModelStatus: () => (lastFresh || status() !== optimal ? status() : claim),
          });
        },
      });
    // Row total 100 ± 1 = a + b, a published 40 ± 1, b suppressed: b lies in [58, 62]
    const system: LinearSystem = {
      lower: [99, 39, 0],
      upper: [101, 41, Number.POSITIVE_INFINITY],
      rows: [{ indices: [0, 1, 2], values: [1, -1, -1] }],
    };
    for (const claim of [infeasible, unbounded]) {
      // Act
      const result = feasibilityIntervals(liar(claim), system, [2], () => false);
      // Assess
      const interval = result.intervals.get(2);
      expect(interval?.kind, String(claim)).toBe('exact');
      if (interval?.kind !== 'exact') continue;
      expect(interval.low).toBeCloseTo(58, 6);
      expect(interval.high).toBeCloseTo(62, 6);
    }
  });
});
