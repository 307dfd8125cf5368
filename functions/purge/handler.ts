import type { Context } from 'aws-lambda';
import { z } from 'zod';
import { runtime } from '../adapters/runtime.ts';
import { KuraError } from '../domain/errors.ts';
import type { PurgePorts } from '../domain/purge/ports.ts';
import { type PurgeResult, purgeTenant } from '../domain/purge/purge.ts';
import { purgeExpiredTenants, type ScheduledPurgeSummary } from '../domain/purge/scheduled.ts';
import { tenantIdSchema } from '../domain/tenants/model.ts';
import { observability, withObservability } from '../observability/observability.ts';
import { recordOutcome } from '../observability/outcomes.ts';
import { findStuckUploads } from '../observability/stuck-uploads.ts';
import { purgePortsFrom } from './runtime.ts';

const { logger, metrics } = observability('kura-purge');

/** Time kept back from the Lambda timeout to save the checkpoint and answer. */
const SAFETY_MARGIN_MS = 60_000;

/**
 * `{ tenantId, dryRun?, actor? }` purges one tenant now (operator route, CLI); anything else (a
 * schedule's event) purges every tenant due. Fields of a scheduled event are ignored.
 */
export const purgeEventSchema = z.object({
  tenantId: tenantIdSchema.optional(),
  dryRun: z.boolean().optional(),
  actor: z.object({ subject: z.string().min(1), roles: z.array(z.string()) }).optional(),
});

export type PurgeResponse =
  | PurgeResult
  | ScheduledPurgeSummary
  | { readonly outcome: 'refused'; readonly error: { code: string; message: KuraError['userMessage'] } };

/** A purge handler over the given ports (the local platform passes its own). */
export function createPurgeHandler(load: () => PurgePorts) {
  return withObservability('kura-purge', async (event: unknown, context: Context): Promise<PurgeResponse> => {
    const request = purgeEventSchema.parse(event ?? {});
    const ports = load();
    const now = ports.clock?.() ?? new Date();
    const remaining = context?.getRemainingTimeInMillis?.();
    const deadline =
      remaining === undefined ? undefined : new Date(now.getTime() + remaining - SAFETY_MARGIN_MS);
    if (request.tenantId === undefined) {
      const summary = await purgeExpiredTenants(ports, { now, budget: { deadline } });
      logger.info('scheduled purge', { ...summary });
      if (summary.failed.length > 0) logger.error('tenants failed to purge', { failed: summary.failed });
      recordOutcome(metrics, {
        kind: 'purge',
        purged: summary.purged.length,
        overdue: summary.failed.length + summary.inProgress.length,
        failed: summary.failed.length,
        blocked: summary.blocked.length,
      });
      const stuck = await findStuckUploads(ports.tables, now).catch((error: unknown) => {
        logger.warn('could not look for stuck uploads', { error });
        return undefined;
      });
      if (stuck?.length) logger.warn('uploads stuck in RECEIVED or VALIDATING', { stuck });
      if (stuck) recordOutcome(metrics, { kind: 'uploads-stuck', count: stuck.length });
      return summary;
    }
    try {
      const result = await purgeTenant(ports, {
        tenantId: request.tenantId,
        now,
        dryRun: request.dryRun,
        actor: request.actor,
        budget: { deadline },
      });
      logger.info('purge', { tenantId: request.tenantId, outcome: result.outcome, done: result.done });
      return result;
    } catch (error) {
      if (!(error instanceof KuraError)) throw error;
      logger.warn('purge refused', { tenantId: request.tenantId, code: error.code, reason: error.message });
      return { outcome: 'refused', error: { code: error.code, message: error.userMessage } };
    }
  });
}

/** The deployed function: scheduled (daily, Asia/Tokyo) or `{ tenantId, dryRun? }` from the operator. */
export const handler = createPurgeHandler(() => purgePortsFrom(runtime()));
