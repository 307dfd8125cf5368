/**
 * The purge function's work: the daily run over every tenant due, or one tenant's purge as a job that an
 * administrator requested (`POST /admin/tenants/{tenantId}/purge` answers 202 with the job id). A purge
 * that needs more than one invocation saves its checkpoint and starts itself again under the same job.
 */

import { ConflictError, type KuraError, NotFoundError } from '../errors.ts';
import { msg } from '../i18n.ts';
import { beginJob, finishJob, type JobPorts, jobEventSchema } from '../jobs/jobs.ts';
import type { JobStarter } from '../ports/index.ts';
import { tenantIdSchema } from '../tenants/model.ts';
import * as z from '../zod.ts';
import { type PurgePorts, SCHEDULER_ACTOR } from './ports.ts';
import { type PurgeBudget, type PurgeResult, purgeTenant } from './purge.ts';
import { purgeExpiredTenants, type ScheduledPurgeSummary } from './scheduled.ts';

/**
 * `{ tenantId, jobId?, dryRun?, actor? }` purges one tenant (a job); anything else (a schedule's event)
 * purges every tenant due. Other fields of a scheduled event are ignored (a `scheduledAt`, which
 * jobEventSchema reads, must be an ISO date-time).
 */
export const purgeEventSchema = z.extend(jobEventSchema, {
  tenantId: z.optional(tenantIdSchema),
  dryRun: z.optional(z.boolean()),
  actor: z.optional(z.object({ subject: z.string().check(z.minLength(1)), roles: z.array(z.string()) })),
  reason: z.optional(z.string().check(z.maxLength(40))),
});
export type PurgeEvent = z.input<typeof purgeEventSchema>;

export type PurgeJobPorts = PurgePorts & JobPorts & { readonly jobs: JobStarter };

export type PurgeJobOutcome =
  | { readonly kind: 'scheduled'; readonly summary: ScheduledPurgeSummary }
  | { readonly kind: 'tenant'; readonly jobId: string; readonly result: PurgeResult }
  | {
      readonly kind: 'refused';
      readonly jobId: string;
      readonly error: { readonly code: string; readonly message: KuraError['userMessage'] };
    };

/** What a job record keeps of a purge's result: ids and counts, never object keys (they name files). */
function recordedResult(result: PurgeResult): Record<string, unknown> {
  if (result.outcome === 'purged') {
    return {
      outcome: 'purged',
      certificateId: result.certificate.certificateId,
      alreadyPurged: result.alreadyPurged,
      releaseJobId: result.releaseJobId ?? null,
      totals: result.certificate.deleted.totals,
      // Purged before: what appeared after the certificate and was deleted now (counts and stores only).
      ...(result.residueDeleted ? { residueDeleted: result.residueDeleted } : {}),
    };
  }
  if (result.outcome === 'dry-run') {
    const { samples: _samples, ...plan } = result.plan;
    return { outcome: 'dry-run', plan };
  }
  return { outcome: 'in-progress', phase: result.phase, batches: result.batches };
}

/** Runs the purge function's event. `budget` stops deleting in time to save the checkpoint. */
export async function runPurgeJob(
  ports: PurgeJobPorts,
  rawEvent: unknown,
  budget: PurgeBudget,
): Promise<PurgeJobOutcome> {
  const event = purgeEventSchema.parse(rawEvent ?? {});
  const now = ports.clock();
  if (event.tenantId === undefined) {
    return { kind: 'scheduled', summary: await purgeExpiredTenants(ports, { now, budget }) };
  }
  const actor = event.actor ?? SCHEDULER_ACTOR;
  const job = await beginJob(ports, {
    jobId: event.jobId,
    kind: 'purge',
    reason: event.reason ?? (event.dryRun ? 'dry-run' : 'on-demand'),
    actor: { subject: actor.subject, roles: [...actor.roles] },
    tenantId: event.tenantId,
  });
  try {
    const result = await purgeTenant(ports, {
      tenantId: event.tenantId,
      now,
      dryRun: event.dryRun,
      actor,
      budget,
    });
    if (result.outcome === 'in-progress') {
      // Not finished within this invocation: the checkpoint is saved; go on in a fresh one.
      await finishJob(ports, job, { state: 'RUNNING', result: recordedResult(result) });
      await ports.jobs.start('purge', { ...event, jobId: job.jobId });
    } else {
      await finishJob(ports, job, { state: 'SUCCEEDED', result: recordedResult(result) });
    }
    return { kind: 'tenant', jobId: job.jobId, result };
  } catch (error) {
    if (error instanceof ConflictError || error instanceof NotFoundError) {
      // Refused (legal hold, contract still running, unknown tenant, a purge already running): a retry
      // of this invocation would not help.
      await finishJob(ports, job, { state: 'FAILED', code: error.code, message: error.userMessage });
      return { kind: 'refused', jobId: job.jobId, error: { code: error.code, message: error.userMessage } };
    }
    await finishJob(ports, job, {
      state: 'FAILED',
      code: error instanceof Error ? error.name : 'UNKNOWN',
      message: msg(
        '削除処理が途中で失敗しました。自動で再試行され、途中から再開します。',
        'The purge failed partway. It is retried automatically and resumes where it stopped.',
      ),
    });
    throw error;
  }
}
