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
 *    too). The truth lies in [Pmin / (1 + fmax), Pmax / (1 − fmax)] (for one company's contribution,
 *    with a gap between the factors' signs, in one of two pieces, each checked: `truthPieces`); that
 *    interval must be at least
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
 *
 * The parts: audit-truth.ts recomputes the truth (and runs check 2), audit-checks.ts runs checks 1
 * and 3, audit-model.ts holds what they share.
 */

import type { ObjectStore, QueryRunner } from '../ports/index.ts';
import { NotFoundError } from '../ports/index.ts';
import type { PlatformSettings } from '../settings.ts';
import * as z from '../zod.ts';
import { statsAdminPrefix } from '../zones.ts';
import {
  differenceChecks,
  inThreadSolver,
  planSuppressionChecks,
  type SuppressionSolver,
} from './audit-checks.ts';
import {
  type AuditFailure,
  type CellTruth,
  type EarlierCells,
  failureSchema,
  truthSchema,
} from './audit-model.ts';
import { computeTruth } from './audit-truth.ts';
import type { Statistic } from './catalog.ts';
import { publishedMarkerKey, publishedReleasesPrefix } from './release.ts';

export type { AuditFailure } from './audit-model.ts';

/** Key of a release's audit report (admin only). */
export const auditReportKey = (releaseId: string) => `${statsAdminPrefix(releaseId)}audit.json`;
/** Key of the audit's per-cell truth fingerprints of one statistic in a release (admin only). */
export const auditCellsKey = (releaseId: string, statistic: string) =>
  `${statsAdminPrefix(releaseId)}audit/cells/statistic=${statistic}.json`;

export const auditReportSchema = z.strictObject({
  releaseId: z.string(),
  passed: z.boolean(),
  /** The release's publication time (the report is the same whenever a resumed run writes it). */
  publishedAt: z.iso.datetime(),
  /** Earlier readable releases whose published figures the attacker model included. */
  earlierReleases: z.array(z.string()),
  checked: z.strictObject({
    suppressedCells: z.int().check(z.nonnegative()),
    linearPrograms: z.int().check(z.nonnegative()),
    quantiles: z.int().check(z.nonnegative()),
    differences: z.int().check(z.nonnegative()),
  }),
  failures: z.array(failureSchema),
});
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
  /**
   * Solves check 1's linear programs: in this thread by default; the release function spreads them
   * over worker threads (adapters/audit-workers.ts). Verdicts do not depend on it.
   */
  readonly solver?: SuppressionSolver;
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
  // Check 1 for every statistic first, as independent families of linear programs (one per statistic,
  // period and measure), so a solver can spread them over threads; then each statistic's findings in
  // catalogue order.
  const plans = [];
  for (const stat of statistics) {
    const current = truths.cells.get(stat.name) ?? [];
    const previous: EarlierCells[] = [];
    for (const id of earlier) {
      const cells = await readCellTruths(objects, id, stat.name);
      if (cells) previous.push({ releaseId: id, cells });
    }
    const planned = planSuppressionChecks(stat, current, previous, settings, options);
    checked.suppressedCells += planned.suppressed;
    plans.push({ stat, current, previous, checks: planned.checks });
  }
  const solver = options.solver ?? inThreadSolver;
  const solutions = await solver.solve(plans.flatMap((plan) => plan.checks.map((check) => check.job)));
  let next = 0;
  for (const { stat, current, previous, checks } of plans) {
    for (const check of checks) {
      const solution = solutions[next++];
      if (!solution) throw new Error('the audit solver returned fewer solutions than jobs');
      checked.linearPrograms += solution.programs;
      for (const f of check.judge(solution)) failures.push(f);
    }
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

/** For tests and tools: the runner type the audit's queries need. */
export type AuditRunner = QueryRunner;
