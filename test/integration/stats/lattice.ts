/**
 * An outsider's lattice attack on one company's fixed factor (found by an outsider review of a purge
 * release, 2026-12-06). Like outsider.ts it reads only what releases publish.
 *
 * A company's true monthly values are whole multiples of a granularity g (a headcount of whole
 * persons; sales a company reports in thousands of yen). Between two releases (a purge) its
 * contribution to a covering cell changes, in month m, by
 *
 *     d_m = v_m · f + j_m · u,
 *
 * where f is the company's one factor for the measure (documented: the same in every cell, month and
 * release, 1 ± at most `factorMax`), j_m a whole number (the difference of two table noises, at most
 * `noiseMax` either way) and u the variable's noise unit. Each (v_1, j_1) of the first month gives
 * one f; an f survives when every other month has some whole (v_m, j_m) that fits d_m within
 * `tolerance`. When published figures carry more precision than their noise, only the true f
 * survives and every month's value is pinned.
 */

export interface LatticeModel {
  /** The granularity of the company's true values (1 person, 1,000 yen). */
  readonly granularity: number;
  /** The noise unit u of the variable, and the largest whole |j| of a difference of two noises. */
  readonly noiseUnit: number;
  readonly noiseMax: number;
  /** The documented range of |f − 1|. */
  readonly factorMin: number;
  readonly factorMax: number;
  /** How far from a published difference a candidate may be and still fit it. */
  readonly tolerance: number;
  /** Stop after this many surviving candidates (many survivors pin nothing). */
  readonly limit: number;
}

export interface LatticeCandidate {
  readonly factor: number;
  /** One value per month, in the order of the differences. */
  readonly values: readonly number[];
}

/** The candidates (factor and monthly values) that fit every month's published difference. */
export function latticeCandidates(deltas: readonly number[], model: LatticeModel): LatticeCandidate[] {
  const [first, ...rest] = deltas;
  if (first === undefined) return [];
  const { granularity: g, noiseUnit: u, tolerance } = model;
  const noises = Array.from({ length: 2 * model.noiseMax + 1 }, (_, i) => (i - model.noiseMax) * u);
  const fitMonth = (d: number, f: number): number | undefined => {
    for (const noise of noises) {
      const k = Math.round((d - noise) / (f * g));
      if (k >= 0 && Math.abs(d - noise - k * g * f) <= tolerance) return k * g;
    }
    return undefined;
  };
  const survivors: LatticeCandidate[] = [];
  for (const noise of noises) {
    const base = first - noise;
    if (base <= 0) continue;
    const kLow = Math.max(1, Math.ceil(base / (1 + model.factorMax) / g));
    const kHigh = Math.floor(base / (1 - model.factorMax) / g);
    for (let k = kLow; k <= kHigh; k++) {
      const factor = base / (k * g);
      if (Math.abs(factor - 1) < model.factorMin) continue;
      const values = [k * g];
      for (const d of rest) {
        const v = fitMonth(d, factor);
        if (v === undefined) break;
        values.push(v);
      }
      if (values.length < deltas.length) continue;
      survivors.push({ factor, values });
      if (survivors.length >= model.limit) return survivors;
    }
  }
  return survivors;
}

/** Whether the candidates pin the truth: some survive and every one of them is the truth. */
export function pinsTruth(
  candidates: readonly LatticeCandidate[],
  truth: readonly number[],
  granularity: number,
): boolean {
  return (
    candidates.length > 0 &&
    candidates.every((c) => c.values.every((v, i) => Math.abs(v - (truth[i] as number)) < granularity / 2))
  );
}
