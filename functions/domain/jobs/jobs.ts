/**
 * Asynchronous jobs: a statistics release or a purge runs in its own function, never inside an API
 * request. Whoever starts one (an administrator through the API, a schedule, a finished purge) gets a
 * job id at once; the job's record in the `jobs` table says where it is and how it ended, and the API
 * serves it (`GET /admin/jobs/{jobId}`). Records hold ids, counts and error codes — never personal data.
 */

import { createHash } from 'node:crypto';
import { NotFoundError, ServiceUnavailableError } from '../errors.ts';
import { type Message, msg } from '../i18n.ts';
import {
  ConditionFailedError,
  JOB_KINDS,
  type JobKind,
  type JobStarter,
  type Table,
} from '../ports/index.ts';
import * as z from '../zod.ts';

export const JOBS_TABLE = 'jobs';
/** Job records expire this long after they were requested (DynamoDB TTL on `expiresAtEpoch`). */
export const JOB_RECORD_DAYS = 90;

export const JOB_STATES = ['QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED', 'JOINED'] as const;
export type JobState = (typeof JOB_STATES)[number];
/** States a job does not leave. */
export const FINAL_JOB_STATES: readonly JobState[] = ['SUCCEEDED', 'FAILED', 'JOINED'];

const actorSchema = z.object({ subject: z.string().check(z.minLength(1)), roles: z.array(z.string()) });
export type JobActor = z.infer<typeof actorSchema>;

const messageSchema = z.object({ ja: z.string(), en: z.string() });

export const jobRecordSchema = z.object({
  jobId: z.uuid(),
  kind: z.enum(JOB_KINDS),
  state: z.enum(JOB_STATES),
  /** Why it runs: `scheduled`, `on-demand`, `tenant-purged`, … */
  reason: z.string().check(z.minLength(1), z.maxLength(40)),
  /** The tenant a purge is about. */
  tenantId: z.optional(z.string()),
  requestedBy: actorSchema,
  requestedAt: z.string(),
  startedAt: z.optional(z.string()),
  finishedAt: z.optional(z.string()),
  /** Invocations that started it (Lambda retries a failed asynchronous invocation). */
  attempts: z.int().check(z.nonnegative()),
  /** What it produced: ids and counts (a release id, a certificate id, a dry-run plan's counts). */
  result: z.optional(z.record(z.string(), z.unknown())),
  /** Why it failed: a code and a bilingual message without personal data. */
  error: z.optional(z.object({ code: z.string(), message: messageSchema })),
  /** Set when this job found the same kind of job running and left the work to it. */
  joinedJobId: z.optional(z.string()),
  expiresAtEpoch: z.int(),
});
export type JobRecord = z.infer<typeof jobRecordSchema>;

/**
 * The event a job function receives: its job id when one was requested, or, from a schedule, the time the
 * schedule fired (EventBridge Scheduler's `<aws.scheduler.scheduled-time>`, infra/constructs/job-schedule.ts),
 * plus the job's own fields.
 */
export const jobEventSchema = z.object({
  jobId: z.optional(z.uuid()),
  // Scheduler writes `2022-03-22T18:59:43Z`; an offset is taken too (jobIdOf compares instants).
  scheduledAt: z.optional(z.iso.datetime({ offset: true })),
});

/**
 * The job an event runs: the one it names; for a schedule's event, the one job of its kind and scheduled
 * time, so that a retry of the same event (Lambda retries a failed asynchronous invocation, Scheduler an
 * invocation Lambda refused) is the same job and can resume it; otherwise a new job.
 */
export function jobIdOf(
  event: { readonly jobId?: string | undefined; readonly scheduledAt?: string | undefined },
  kind: JobKind,
  newId: () => string,
): string {
  if (event.jobId) return event.jobId;
  if (event.scheduledAt)
    return nameBasedUuid(JOB_ID_NAMESPACE, `${kind}@${new Date(event.scheduledAt).toISOString()}`);
  return newId();
}

/** Kura's namespace for name-based job ids (a random UUID, fixed once). */
const JOB_ID_NAMESPACE = '6f1d3c0e-5a7b-4e2f-9c8d-1b2a3c4d5e6f';

/** A name-based UUID (RFC 9562 version 5: SHA-1 of the namespace's 16 bytes and the name). */
export function nameBasedUuid(namespace: string, name: string): string {
  const digest = createHash('sha1')
    .update(Buffer.from(namespace.replaceAll('-', ''), 'hex'))
    .update(name, 'utf8')
    .digest();
  const bytes = digest.subarray(0, 16);
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x50;
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export interface JobPorts {
  readonly table: Table;
  readonly clock: () => Date;
  readonly newId: () => string;
}

const JOB_NOT_STARTED = msg(
  '処理を開始できませんでした。しばらくしてからもう一度お試しください。',
  'The job could not be started. Try again in a few minutes.',
);

/** The job could not be handed to its function; nothing runs (503). */
export class JobStartError extends ServiceUnavailableError {
  override readonly name = 'JobStartError';
  override readonly code = 'JOB_NOT_STARTED';
  constructor(options?: ErrorOptions) {
    super(JOB_NOT_STARTED);
    if (options?.cause !== undefined) this.cause = options.cause;
  }
}

const expiresAt = (at: Date) => Math.floor(at.getTime() / 1000) + JOB_RECORD_DAYS * 86_400;

/**
 * Records a job as QUEUED and hands it to its function. The function's event carries the job id and
 * `fields` (e.g. the tenant of a purge); the caller answers 202 with the id.
 * @throws JobStartError when the function could not be started (the record says FAILED)
 */
export async function requestJob(
  ports: JobPorts & { readonly jobs: JobStarter },
  request: {
    readonly kind: JobKind;
    readonly reason: string;
    readonly actor: JobActor;
    readonly tenantId?: string;
    readonly fields?: Readonly<Record<string, unknown>>;
  },
): Promise<JobRecord> {
  const now = ports.clock();
  const record = jobRecordSchema.parse({
    jobId: ports.newId(),
    kind: request.kind,
    state: 'QUEUED',
    reason: request.reason,
    ...(request.tenantId ? { tenantId: request.tenantId } : {}),
    requestedBy: request.actor,
    requestedAt: now.toISOString(),
    attempts: 0,
    expiresAtEpoch: expiresAt(now),
  });
  await ports.table.put(JOBS_TABLE, record, { ifAbsent: 'jobId' });
  try {
    await ports.jobs.start(request.kind, {
      ...request.fields,
      jobId: record.jobId,
      reason: request.reason,
      actor: request.actor,
      ...(request.tenantId ? { tenantId: request.tenantId } : {}),
    });
  } catch (error) {
    const failed = {
      ...record,
      state: 'FAILED' as const,
      finishedAt: ports.clock().toISOString(),
      error: { code: 'JOB_NOT_STARTED', message: JOB_NOT_STARTED },
    };
    await ports.table.put(JOBS_TABLE, failed);
    throw new JobStartError({ cause: error });
  }
  return record;
}

/** A job's record. @throws NotFoundError (404) when there is none */
export async function getJob(table: Table, jobId: string): Promise<JobRecord> {
  const parsed = z.uuid().safeParse(jobId);
  const item = parsed.success ? await table.get(JOBS_TABLE, { jobId: parsed.data }) : undefined;
  const record = jobRecordSchema.safeParse(item);
  if (!record.success) {
    throw new NotFoundError(
      msg(`ジョブ ${jobId.slice(0, 40)} は見つかりません。`, `There is no job ${jobId.slice(0, 40)}.`),
      'jobId',
    );
  }
  return record.data;
}

/**
 * Marks the job RUNNING for this invocation: the record the API created, or a new one when a schedule
 * started the function without a job id. Counts the attempt.
 */
export async function beginJob(
  ports: JobPorts,
  start: {
    readonly jobId?: string | undefined;
    readonly kind: JobKind;
    readonly reason: string;
    readonly actor: JobActor;
    readonly tenantId?: string | undefined;
  },
): Promise<JobRecord> {
  const now = ports.clock();
  const existing = start.jobId ? await ports.table.get(JOBS_TABLE, { jobId: start.jobId }) : undefined;
  const base = existing
    ? jobRecordSchema.parse(existing)
    : jobRecordSchema.parse({
        jobId: start.jobId ?? ports.newId(),
        kind: start.kind,
        state: 'QUEUED',
        reason: start.reason,
        ...(start.tenantId ? { tenantId: start.tenantId } : {}),
        requestedBy: start.actor,
        requestedAt: now.toISOString(),
        attempts: 0,
        expiresAtEpoch: expiresAt(now),
      });
  const { error: _error, finishedAt: _finishedAt, ...rest } = base;
  const running: JobRecord = {
    ...rest,
    state: 'RUNNING',
    startedAt: now.toISOString(),
    attempts: base.attempts + 1,
  };
  await ports.table.put(JOBS_TABLE, running);
  return running;
}

/** Records how a job ended. */
export async function finishJob(
  ports: Pick<JobPorts, 'table' | 'clock'>,
  job: JobRecord,
  outcome:
    | { readonly state: 'SUCCEEDED'; readonly result: Readonly<Record<string, unknown>> }
    | { readonly state: 'JOINED'; readonly joinedJobId: string }
    | { readonly state: 'FAILED'; readonly code: string; readonly message: Message }
    | { readonly state: 'RUNNING'; readonly result: Readonly<Record<string, unknown>> },
): Promise<JobRecord> {
  const finishedAt = outcome.state === 'RUNNING' ? {} : { finishedAt: ports.clock().toISOString() };
  const next: JobRecord = jobRecordSchema.parse({
    ...job,
    ...finishedAt,
    state: outcome.state,
    ...(outcome.state === 'SUCCEEDED' || outcome.state === 'RUNNING'
      ? { result: { ...outcome.result } }
      : {}),
    ...(outcome.state === 'JOINED' ? { joinedJobId: outcome.joinedJobId } : {}),
    ...(outcome.state === 'FAILED' ? { error: { code: outcome.code, message: outcome.message } } : {}),
  });
  await ports.table.put(JOBS_TABLE, next);
  return next;
}

/** The lease item of a job kind that must not run twice at once. */
const leaseKey = (kind: JobKind) => ({ jobId: `lease#${kind}` });
const leaseSchema = z.object({ jobId: z.string(), holder: z.string(), until: z.string() });

/**
 * Takes the lease of a job kind for `holder` until `until`, so two runs started at once (the monthly
 * schedule and an administrator) do one release between them. A lease past its time (a run that died)
 * can be taken over. Returns the current holder when someone else holds it.
 */
export async function acquireLease(
  ports: Pick<JobPorts, 'table' | 'clock'>,
  kind: JobKind,
  holder: string,
  until: Date,
): Promise<{ readonly acquired: true } | { readonly acquired: false; readonly holder: string }> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const current = leaseSchema.safeParse(await ports.table.get(JOBS_TABLE, leaseKey(kind)));
    const item = { ...leaseKey(kind), holder, until: until.toISOString() };
    try {
      if (!current.success) {
        await ports.table.put(JOBS_TABLE, item, { ifAbsent: 'jobId' });
        return { acquired: true };
      }
      const expired = current.data.until <= ports.clock().toISOString();
      if (current.data.holder !== holder && !expired) return { acquired: false, holder: current.data.holder };
      await ports.table.put(JOBS_TABLE, item, {
        ifMatch: { holder: current.data.holder, until: current.data.until },
      });
      return { acquired: true };
    } catch (error) {
      if (!(error instanceof ConditionFailedError)) throw error;
      // Someone took or moved the lease between our read and write: read again.
    }
  }
  const holderNow = leaseSchema.safeParse(await ports.table.get(JOBS_TABLE, leaseKey(kind)));
  return { acquired: false, holder: holderNow.success ? holderNow.data.holder : 'unknown' };
}

/**
 * Hands the lease of a job kind from `from` to `to` until `until`, only while `from` holds it and its time
 * has not run out: whoever holds a lease can pass it on without a moment in which another run could take
 * it. Returns whether it was handed over.
 */
export async function handOverLease(
  ports: Pick<JobPorts, 'table' | 'clock'>,
  kind: JobKind,
  handOver: { readonly from: string; readonly to: string; readonly until: Date },
): Promise<boolean> {
  const current = leaseSchema.safeParse(await ports.table.get(JOBS_TABLE, leaseKey(kind)));
  if (!current.success || current.data.holder !== handOver.from) return false;
  if (current.data.until <= ports.clock().toISOString()) return false;
  try {
    await ports.table.put(
      JOBS_TABLE,
      { ...leaseKey(kind), holder: handOver.to, until: handOver.until.toISOString() },
      { ifMatch: { holder: current.data.holder, until: current.data.until } },
    );
    return true;
  } catch (error) {
    if (!(error instanceof ConditionFailedError)) throw error;
    return false;
  }
}

/** Gives the lease back (only when `holder` still holds it). */
export async function releaseLease(
  ports: Pick<JobPorts, 'table'>,
  kind: JobKind,
  holder: string,
): Promise<void> {
  const current = leaseSchema.safeParse(await ports.table.get(JOBS_TABLE, leaseKey(kind)));
  if (!current.success || current.data.holder !== holder) return;
  try {
    await ports.table.put(
      JOBS_TABLE,
      { ...leaseKey(kind), holder, until: new Date(0).toISOString() },
      { ifMatch: { holder, until: current.data.until } },
    );
  } catch (error) {
    if (!(error instanceof ConditionFailedError)) throw error;
  }
}
