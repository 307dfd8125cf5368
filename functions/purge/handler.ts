import type { Context } from 'aws-lambda';
import { deployedRuntime } from '../adapters/runtime.ts';
import { type PurgeJobOutcome, type PurgeJobPorts, runPurgeJob } from '../domain/purge/job.ts';
import { observability, withObservability } from '../observability/observability.ts';
import { recordOutcome } from '../observability/outcomes.ts';
import { composePurge, PURGE_NEEDS } from './runtime.ts';

const { logger, metrics } = observability('kura-purge');

/** Time kept back from the Lambda timeout to save the checkpoint and answer. */
export const SAFETY_MARGIN_MS = 60_000;

/** A purge handler over the given ports (its composition root builds them; the local platform passes its own runtime). */
export function createPurgeHandler(load: () => PurgeJobPorts) {
  return withObservability(
    'kura-purge',
    async (event: unknown, context: Context): Promise<PurgeJobOutcome> => {
      const ports = load();
      const remaining = context?.getRemainingTimeInMillis?.();
      const deadline =
        remaining === undefined
          ? undefined
          : new Date(ports.clock().getTime() + remaining - SAFETY_MARGIN_MS);
      const outcome = await runPurgeJob(ports, event, { deadline });
      if (outcome.kind === 'scheduled') {
        const { summary } = outcome;
        logger.info('scheduled purge', { ...summary });
        if (summary.failed.length > 0) logger.error('tenants failed to purge', { failed: summary.failed });
        if (summary.residueDeleted.length > 0)
          logger.warn('deleted what appeared of purged tenants after their certificates', {
            residueDeleted: summary.residueDeleted,
          });
        recordOutcome(metrics, {
          kind: 'purge',
          purged: summary.purged.length,
          overdue: summary.failed.length + summary.inProgress.length,
          failed: summary.failed.length,
          blocked: summary.blocked.length,
        });
      } else if (outcome.kind === 'refused') {
        logger.warn('purge refused', { jobId: outcome.jobId, code: outcome.error.code });
      } else {
        logger.info('purge', {
          jobId: outcome.jobId,
          outcome: outcome.result.outcome,
          done: outcome.result.done,
        });
      }
      return outcome;
    },
  );
}

/** The deployed function: scheduled (daily, Asia/Tokyo) or a purge job `{ jobId, tenantId, dryRun? }`. */
export const handler = createPurgeHandler(() => composePurge(deployedRuntime(PURGE_NEEDS)));
