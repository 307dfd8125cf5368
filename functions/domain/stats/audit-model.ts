/**
 * What the release audit's parts share (audit.ts runs them): a finding, a cell's truth as the audit
 * recomputes it (stored so later audits can link identical cells), and the additive measures the
 * attacker model reasons about.
 */
import * as z from '../zod.ts';
import { publishedUnit, type Statistic, VARIABLES, type Variable } from './catalog.ts';
import { TABLE_NOISE_MAX } from './perturbation.ts';

export const failureSchema = z.strictObject({
  check: z.enum(['suppressed_cell', 'quantile', 'difference']),
  statistic: z.string(),
  /** Cell coordinates (period, dimensions, geography): no value. */
  cell: z.string(),
  measure: z.string(),
  /** Earlier release involved (differences and pooled suppression patterns). */
  against: z.optional(z.string()),
  /** What failed, without a value: e.g. the interval's width as a share of what protection requires. */
  detail: z.string(),
});
export type AuditFailure = z.infer<typeof failureSchema>;

/** A cell's truth as the audit recomputes it; stored so later audits can link identical cells. */
export const truthSchema = z.strictObject({
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
});
export type CellTruth = z.infer<typeof truthSchema>;

/** An additive published measure: the count, or a total (sum) of a variable. */
export interface Additive {
  readonly column: string;
  readonly kind: 'count' | 'sum';
  readonly variable?: Variable;
  /** Largest difference between a published figure and the perturbed part P (table noise and rounding). */
  readonly bound: number;
}

export function additiveMeasures(stat: Statistic): Additive[] {
  return stat.measures.flatMap((m): Additive[] => {
    if (m.kind === 'count') return [{ column: m.column, kind: 'count', bound: TABLE_NOISE_MAX + 0.5 }];
    if (m.kind === 'sum') {
      const v = VARIABLES[m.of];
      return [
        {
          column: m.column,
          kind: 'sum',
          variable: m.of,
          bound: TABLE_NOISE_MAX * v.noiseUnit + 0.5 * publishedUnit(m.of),
        },
      ];
    }
    return [];
  });
}

/** One statistic's cell truths in an earlier release. */
export interface EarlierCells {
  readonly releaseId: string;
  readonly cells: readonly CellTruth[];
}
