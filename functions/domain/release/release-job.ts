/**
 * The release function's job (functions/stats-release/handler.ts): one release job in one invocation or
 * two, under the release lease, recorded on the job (functions/domain/jobs/jobs.ts). The steps
 * themselves are release.ts's.
 */
import { KuraError } from '../errors.ts';
import { msg } from '../i18n.ts';
import {
  acquireLease,
  beginJob,
  finishJob,
  handOverLease,
  JOBS_TABLE,
  type JobRecord,
  jobEventSchema,
  jobIdOf,
  jobRecordSchema,
  releaseLease,
} from '../jobs/jobs.ts';
import { auditReportKey, ReleaseAuditFailedError } from '../stats/audit.ts';
import * as z from '../zod.ts';
import {
  type AnonymisedStep,
  anonymisedStepSchema,
  anonymiseStep,
  type BuiltRelease,
  builtRelease,
  publishStep,
  RELEASE_ACTOR,
  type ReleasePorts,
  releaseReasonSchema,
  settlePendingReleases,
} from './release.ts';

/**
 * The release function's event: `{ scheduledAt }` from the schedule (jobs.ts jobIdOf), `{}` when run by hand, or a
 * job the API, a purge or a release requested.
 */
export const releaseJobEventSchema = z.extend(jobEventSchema, {
  reason: z._default(releaseReasonSchema, 'scheduled'),
  actor: z.optional(z.object({ subject: z.string().check(z.minLength(1)), roles: z.array(z.string()) })),
  /** The purged tenant a `tenant-purged` release is for (for the record only). */
  tenantId: z.optional(z.string()),
  /** Set by a release that handed its publishing to this invocation: the hand-over's id. */
  handover: z.optional(z.uuid()),
});
export type ReleaseJobEvent = z.input<typeof releaseJobEventSchema>;

export type ReleaseJobOutcome =
  | { readonly outcome: 'published'; readonly job: JobRecord; readonly release: BuiltRelease }
  | { readonly outcome: 'joined'; readonly job: JobRecord; readonly runningJobId: string }
  | {
      /** Anonymised; publishing goes on in a fresh invocation of the release function (same job). */
      readonly outcome: 'continued';
      readonly job: JobRecord;
      readonly releaseId: string;
      /** Tenants left out for outdated facts (for the operators' log; never recorded). */
      readonly factsOutdated: readonly string[];
    }
  | {
      /**
       * The event came again (Lambda delivers an asynchronous event at least once) for a job that has
       * ended, or that another invocation is running: nothing done, the record untouched.
       */
      readonly outcome: 'duplicate';
      readonly jobId: string;
    }
  | {
      readonly outcome: 'refused';
      readonly job: JobRecord;
      readonly releaseId: string;
      /** Findings of the disclosure audit (their details are in the admin-only audit report). */
      readonly findings: number;
    };

/**
 * Publishing (cells, suppression, the disclosure audit) took 2.1–3.7 times as long as anonymising at
 * 5,000 and 50,000 companies in the bench (docs/LIMITS.md), and up to 11 times at small sizes, where
 * both take seconds. A release publishes in the invocation that anonymised it only when the time left
 * is at least this many times what anonymising took plus `PUBLISH_FLOOR_MS`; otherwise it hands
 * publishing to a fresh invocation, which has the function's whole timeout.
 */
export const PUBLISH_PER_ANONYMISE = 4;
export const PUBLISH_FLOOR_MS = 120_000;
/**
 * How long a handed-over lease waits for the invocation it was handed to. That invocation publishes the
 * recorded step only if it takes the lease over within this time (Lambda queues an asynchronous event
 * for well under a second unless throttled); later, the step may be older than a withdrawal, a purge or
 * another release, so it anonymises again instead.
 */
export const HANDOVER_LEASE_MS = 10 * 60_000;
/** A hand-over needs this much time left (a record, a lease and an Invoke), else the release fails to be retried. */
export const HANDOVER_MARGIN_MS = 20_000;

/** Whether publishing must go on in a fresh invocation: too little time left after anonymising. */
export function publishNeedsFreshInvocation(anonymiseMs: number, remainingMs: number): boolean {
  return remainingMs < anonymiseMs * PUBLISH_PER_ANONYMISE + PUBLISH_FLOOR_MS;
}

/** The release lease's holder while a job hands its publishing over (an invocation's is the job id). */
const handoverHolder = (jobId: string, handover: string) => `${jobId}#handover-${handover}`;
/**
 * The holder of an invocation started by a hand-over: its own, so that no other invocation of the job
 * (Lambda's retry of the one that handed over) takes the lease from it while it publishes; its own retry
 * (the same hand-over) takes it again.
 */
const publisherHolder = (jobId: string, handover: string) => `${jobId}#publish-${handover}`;
/** The job of a lease holder. */
const jobOfHolder = (holder: string) => holder.split('#')[0] ?? holder;

/**
 * A job not to run again when its event comes again: it succeeded, joined another, or failed in a way a
 * retry would not change (the audit refused it; its function never started). A release that failed
 * otherwise threw, and Lambda's retry runs it.
 */
function ended(job: JobRecord): boolean {
  return (
    job.state === 'SUCCEEDED' ||
    job.state === 'JOINED' ||
    (job.state === 'FAILED' && (job.error?.code === 'AUDIT_FAILED' || job.error?.code === 'JOB_NOT_STARTED'))
  );
}

/** Raised when the release lease could not pass to or from a hand-over; Lambda retries the release. */
export class ReleaseHandoverError extends Error {
  override readonly name = 'ReleaseHandoverError';
}

/** Raised when anonymising left too little time even to hand publishing over; Lambda retries the release. */
export class ReleaseHandoverTooLateError extends Error {
  override readonly name = 'ReleaseHandoverTooLateError';
}

/**
 * Runs one release job, in one invocation or two. Two jobs started at once (the schedule and an
 * administrator) produce one release: the second finds the lease held and records that it joined the
 * first. The lease is held under the job's id, so Lambda's retry of a job that crashed takes it again; an
 * event that comes again for a job that has ended (`ended`) does nothing.
 *
 * When too little time is left after anonymising (`publishNeedsFreshInvocation`) and the function can
 * start itself (`ports.jobs`), the job records its step (`result.step: 'anonymised'` with a hand-over
 * id), hands the lease to that hand-over and starts the release function again with the job and the
 * hand-over id. The invocation of the job that takes the lease over from the hand-over (the one started,
 * or Lambda's retry of the first when starting it failed; only one can) publishes the recorded release.
 * An invocation started by a hand-over holds the lease under a holder of its own (`publisherHolder`), so
 * that another invocation of the job finds it held and leaves the job to it (`duplicate`), as one started
 * by a hand-over does when the retry of the first took the step over. Any other (the hand-over's time
 * ran out, another release took the lease meanwhile) anonymises again and publishes in one go: a recorded
 * step is published only under a lease held without a gap since its tenants were picked, and never twice.
 * An invocation started by a hand-over never hands over again. A failure is recorded on the job and
 * thrown, so Lambda retries the asynchronous invocation.
 */
export async function runReleaseJob(
  ports: ReleasePorts,
  rawEvent: unknown,
  options: { readonly leaseMs: number; readonly remainingMs: () => number },
): Promise<ReleaseJobOutcome> {
  const event = releaseJobEventSchema.parse(rawEvent ?? {});
  const actor = event.actor ?? RELEASE_ACTOR;
  const jobId = jobIdOf(event, 'release', ports.newId);
  const recordedJob = jobRecordSchema.safeParse(await ports.table.get(JOBS_TABLE, { jobId }));
  if (recordedJob.success && ended(recordedJob.data)) return { outcome: 'duplicate', jobId };
  const until = new Date(ports.clock().getTime() + options.leaseMs);
  const recorded = anonymisedStepSchema.safeParse(recordedJob.success ? recordedJob.data.result : undefined);
  const holder = event.handover === undefined ? jobId : publisherHolder(jobId, event.handover);
  // The recorded step counts only when the lease passes straight from its hand-over to this invocation.
  const resumed =
    recorded.success &&
    (await handOverLease(ports, 'release', {
      from: handoverHolder(jobId, recorded.data.handover),
      to: holder,
      until,
    }));
  const begin = () =>
    beginJob(ports, { jobId, kind: 'release', reason: event.reason, actor, tenantId: event.tenantId });
  if (!resumed) {
    const lease = await acquireLease(ports, 'release', holder, until);
    if (!lease.acquired) {
      const runningJobId = jobOfHolder(lease.holder);
      if (runningJobId === jobId) {
        // A hand-over of this job holds it (a record read before its step was written): retry later.
        if (lease.holder.includes('#handover-'))
          throw new ReleaseHandoverError('the release lease is with a hand-over of this job');
        // Another invocation of this job publishes it (a hand-over, or the retry that took its step over);
        // its own retries carry the job on if it fails.
        return { outcome: 'duplicate', jobId };
      }
      const joined = await finishJob(ports, await begin(), { state: 'JOINED', joinedJobId: runningJobId });
      return { outcome: 'joined', job: joined, runningJobId };
    }
  }
  const job = await begin();
  let handedOver = false;
  // The record as last written: a failure after the first step keeps the step for the retry.
  let current = job;
  try {
    let step: AnonymisedStep;
    let factsOutdated: readonly string[] = [];
    if (resumed && recorded.success) {
      step = recorded.data;
    } else {
      const started = performance.now();
      const anonymised = await anonymiseStep(ports, ports.clock(), ports.newId());
      ({ step, factsOutdated } = anonymised);
      const anonymiseMs = performance.now() - started;
      const remainingMs = options.remainingMs();
      if (
        ports.jobs &&
        event.handover === undefined &&
        publishNeedsFreshInvocation(anonymiseMs, remainingMs)
      ) {
        if (remainingMs < HANDOVER_MARGIN_MS) {
          throw new ReleaseHandoverTooLateError(
            `anonymising took ${Math.round(anonymiseMs / 1000)} s and left ${Math.round(remainingMs / 1000)} s: too little to hand publishing over`,
          );
        }
        current = await finishJob(ports, job, { state: 'RUNNING', result: step });
        const passed = await handOverLease(ports, 'release', {
          from: holder,
          to: handoverHolder(jobId, step.handover),
          until: new Date(ports.clock().getTime() + HANDOVER_LEASE_MS),
        });
        if (!passed)
          throw new ReleaseHandoverError('the release lease ran out before publishing could be handed over');
        await ports.jobs.start('release', { ...event, jobId, handover: step.handover });
        handedOver = true;
        return { outcome: 'continued', job: current, releaseId: step.releaseId, factsOutdated };
      }
    }
    const manifest = await publishStep(ports, step, { reason: event.reason, actor });
    await settlePendingReleases(ports.table, step.selectedAt);
    const done = await finishJob(ports, current, {
      state: 'SUCCEEDED',
      result: {
        releaseId: step.releaseId,
        contributingTenants: step.contributingTenants,
        pooledCompanies: step.pooledCompanies,
        leftOut: { ...step.leftOut },
      },
    });
    return {
      outcome: 'published',
      job: done,
      release: builtRelease(step, event.reason, manifest, factsOutdated),
    };
  } catch (error) {
    if (error instanceof ReleaseAuditFailedError) {
      // The audit refused the release: nothing was published, and running it again would refuse again.
      const refused = await finishJob(ports, current, {
        state: 'FAILED',
        code: 'AUDIT_FAILED',
        message: msg(
          `統計の公表を取りやめました。開示リスク監査が ${error.report.failures.length} 件の問題を見つけました（管理者向けの記録: ${auditReportKey(error.report.releaseId)}）。`,
          `The statistics release was withheld: the disclosure audit found ${error.report.failures.length} problem(s) (for administrators: ${auditReportKey(error.report.releaseId)}).`,
        ),
      });
      return {
        outcome: 'refused',
        job: refused,
        releaseId: error.report.releaseId,
        findings: error.report.failures.length,
      };
    }
    await finishJob(ports, current, {
      state: 'FAILED',
      code: error instanceof KuraError ? error.code : error instanceof Error ? error.name : 'UNKNOWN',
      message: msg(
        '統計の公表に失敗しました。自動で再試行されます。続く場合は運用者に連絡してください。',
        'The statistics release failed. It is retried automatically; if it keeps failing, contact the operators.',
      ),
    });
    throw error;
  } finally {
    // A lease handed over stays with the hand-over; otherwise this invocation gives its own back (a
    // lease it handed over before failing is no longer its own, and waits for the retry or runs out).
    if (!handedOver) await releaseLease(ports, 'release', holder);
  }
}
