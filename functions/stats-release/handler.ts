import type { Context } from 'aws-lambda';
import { deployedRuntime } from '../adapters/runtime.ts';
import type { ReleasePorts } from '../domain/release/release.ts';
import { runReleaseJob } from '../domain/release/release-job.ts';
import { observability, withObservability } from '../observability/observability.ts';
import { recordOutcome } from '../observability/outcomes.ts';
import { composeRelease, RELEASE_NEEDS } from './runtime.ts';

const { logger, metrics } = observability('kura-stats-release');

/** A release holds its lease this long when the invocation does not say how long it may run. */
const DEFAULT_LEASE_MS = 15 * 60_000;

/** What the function answers: ids and counts (the full manifest is in the stats bucket). */
export interface ReleaseResponse {
  readonly jobId: string;
  readonly outcome: 'published' | 'joined' | 'continued' | 'duplicate' | 'refused';
  readonly releaseId?: string;
  readonly runningJobId?: string;
  readonly statistics?: ReadonlyArray<{ name: string; cells: number; suppressed: number }>;
}

/** Names the companies a release left out for outdated facts (ids only), where it picked them. */
function warnFactsOutdated(releaseId: string, tenantIds: readonly string[]): void {
  if (tenantIds.length === 0) return;
  // Tenant ids, no values: the operators rebuild these companies' facts (docs/OPERATIONS.md).
  logger.warn('companies left out of the release: their facts are not of the generation in force', {
    releaseId,
    tenantIds: [...tenantIds],
  });
}

/** A release handler over the given ports (its composition root builds them; the local platform passes its own runtime). */
export function createReleaseHandler(load: () => ReleasePorts) {
  return withObservability(
    'kura-stats-release',
    async (event: unknown, context: Context): Promise<ReleaseResponse> => {
      const ports = load();
      const remainingMs = () => context?.getRemainingTimeInMillis?.() ?? DEFAULT_LEASE_MS;
      const outcome = await runReleaseJob(ports, event, { leaseMs: remainingMs(), remainingMs }).catch(
        (error: unknown) => {
          recordOutcome(metrics, { kind: 'stats-release', ok: false });
          throw error;
        },
      );
      if (outcome.outcome === 'joined') {
        logger.info('release already running; this job joined it', {
          jobId: outcome.job.jobId,
          runningJobId: outcome.runningJobId,
        });
        return { jobId: outcome.job.jobId, outcome: 'joined', runningJobId: outcome.runningJobId };
      }
      if (outcome.outcome === 'refused') {
        recordOutcome(metrics, { kind: 'stats-release-audit-failed' });
        logger.error('statistics release withheld by the disclosure audit', {
          jobId: outcome.job.jobId,
          releaseId: outcome.releaseId,
          findings: outcome.findings,
        });
        return { jobId: outcome.job.jobId, outcome: 'refused', releaseId: outcome.releaseId };
      }
      if (outcome.outcome === 'duplicate') {
        logger.info('release event delivered again for a job that ended or runs elsewhere; nothing done', {
          jobId: outcome.jobId,
        });
        return { jobId: outcome.jobId, outcome: 'duplicate' };
      }
      if (outcome.outcome === 'continued') {
        warnFactsOutdated(outcome.releaseId, outcome.factsOutdated);
        logger.info('statistics release anonymised; publishing continues in a fresh invocation', {
          jobId: outcome.job.jobId,
          releaseId: outcome.releaseId,
        });
        return { jobId: outcome.job.jobId, outcome: 'continued', releaseId: outcome.releaseId };
      }
      const { manifest } = outcome.release;
      const statistics = manifest.statistics.map((s) => ({
        name: s.name,
        cells: s.cells,
        suppressed: s.suppressedCells,
      }));
      const suppressedCells = statistics.reduce((sum, s) => sum + s.suppressed, 0);
      recordOutcome(metrics, {
        kind: 'stats-release',
        ok: true,
        suppressedCells,
        factsOutdated: outcome.release.leftOut.factsOutdated,
      });
      warnFactsOutdated(manifest.releaseId, outcome.release.factsOutdated);
      logger.info('statistics release published', {
        jobId: outcome.job.jobId,
        releaseId: manifest.releaseId,
        engine: manifest.engine,
        statistics,
      });
      return { jobId: outcome.job.jobId, outcome: 'published', releaseId: manifest.releaseId, statistics };
    },
  );
}

/** The deployed function: `{ scheduledAt }` from the monthly schedule, or a release job from the API or a purge. */
export const handler = createReleaseHandler(() => composeRelease(deployedRuntime(RELEASE_NEEDS)));
