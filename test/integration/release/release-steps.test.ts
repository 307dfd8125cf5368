/**
 * A release in two invocations (functions/domain/release/release.ts, runReleaseJob): an invocation with
 * too little time left after anonymising records its step and starts the release function again, which
 * publishes the release the record names. A national release needs it: anonymising and publishing
 * 50,000 companies take longer together than one invocation's 15 minutes (docs/LIMITS.md).
 */
import { describe, expect, it } from 'vitest';
import { getJob, JOBS_TABLE } from '../../../functions/domain/jobs/jobs.ts';
import { readLedger } from '../../../functions/domain/ledger/ledger.ts';
import { readReleaseManifest } from '../../../functions/domain/stats/service.ts';
import { createReleaseHandler } from '../../../functions/stats-release/handler.ts';
import { composeRelease } from '../../../functions/stats-release/runtime.ts';
import { type MemoryRuntime, memoryRuntime } from '../../support/memory-runtime.ts';
import { seedMaskedCompanies } from './companies.ts';

/** A Lambda context with this much time left. */
const withTimeLeft = (ms: number) =>
  ({ functionName: 'kura-stats-release', awsRequestId: 'r', getRemainingTimeInMillis: () => ms }) as never;
/** Less than the floor publishing is given (PUBLISH_FLOOR_MS): the release hands publishing on. */
const SHORT = withTimeLeft(60_000);
const FULL = withTimeLeft(900_000);

async function companies(): Promise<MemoryRuntime> {
  const runtime = memoryRuntime({ now: new Date('2026-11-20T01:00:00.000Z') });
  await seedMaskedCompanies(runtime, ['t-a', 't-b', 't-c', 't-d']);
  return runtime;
}

const published = (runtime: MemoryRuntime) =>
  readLedger(runtime.table).then((entries) => entries.filter((e) => e.action === 'stats.release_published'));

describe('a release published in a fresh invocation of the release function', () => {
  it('anonymises in the first, keeps the lease, and publishes the same release in the second', async () => {
    // Prepare
    const runtime = await companies();
    const release = createReleaseHandler(() => composeRelease(runtime));

    // Act: the first invocation has a minute left; meanwhile the schedule starts another release
    const first = await release({}, SHORT);
    const recorded = await getJob(runtime.table, first.jobId);
    const unpublished = await readReleaseManifest(runtime.objects).catch((error: Error) => error.name);
    runtime.setNow(new Date('2026-11-20T01:05:00.000Z'));
    const meanwhile = await release({}, FULL);
    const [handedOn, ...others] = runtime.jobs.started;
    const second = await release(handedOn?.event, FULL);

    // Assess
    expect(first).toMatchObject({ outcome: 'continued', releaseId: expect.any(String) });
    expect(recorded).toMatchObject({
      state: 'RUNNING',
      result: { step: 'anonymised', releaseId: first.releaseId, contributingTenants: 4, pooledCompanies: 4 },
    });
    expect(unpublished).toBe('StatsReleaseNotFoundError');
    expect(meanwhile).toMatchObject({ outcome: 'joined', runningJobId: first.jobId });
    expect(handedOn).toEqual({
      kind: 'release',
      event: { jobId: first.jobId, reason: 'scheduled', handover: recorded.result?.handover },
    });
    expect(others).toEqual([]);
    expect(second).toMatchObject({ outcome: 'published', jobId: first.jobId, releaseId: first.releaseId });
    expect((await readReleaseManifest(runtime.objects)).releaseId).toBe(first.releaseId);
    expect(await getJob(runtime.table, first.jobId)).toMatchObject({
      state: 'SUCCEEDED',
      attempts: 2,
      result: { releaseId: first.releaseId, contributingTenants: 4, pooledCompanies: 4 },
    });
    expect((await published(runtime)).map((e) => e.details.releaseId)).toEqual([first.releaseId]);
    expect(await runtime.table.get(JOBS_TABLE, { jobId: 'lease#release' })).toMatchObject({
      until: new Date(0).toISOString(),
    });
  });

  it('publishes what a release in one invocation publishes', async () => {
    // Prepare: the same companies on the same clock, twice
    const [split, whole] = [await companies(), await companies()];

    // Act
    const first = await createReleaseHandler(() => composeRelease(split))({}, SHORT);
    await createReleaseHandler(() => composeRelease(split))(split.jobs.started[0]?.event, FULL);
    const once = await createReleaseHandler(() => composeRelease(whole))({}, FULL);

    // Assess
    expect(once.outcome).toBe('published');
    expect(once.releaseId).toBe(first.releaseId);
    const figures = async (runtime: MemoryRuntime) =>
      (await readReleaseManifest(runtime.objects)).statistics.map(({ name, cells, suppressedCells }) => ({
        name,
        cells,
        suppressedCells,
      }));
    expect(await figures(split)).toEqual(await figures(whole));
  });

  it('publishes the recorded release when Lambda retries a first invocation whose hand-over failed', async () => {
    // Prepare: Lambda refuses the hand-over once
    const runtime = await companies();
    const release = createReleaseHandler(() => composeRelease(runtime));
    runtime.jobs.fail = true;
    const jobId = '11111111-1111-4111-8111-111111111111';
    const failure = await release({ jobId }, SHORT).catch((error: Error) => error.message);
    const { result } = await getJob(runtime.table, jobId);
    runtime.jobs.fail = false;
    runtime.setNow(new Date('2026-11-20T01:02:00.000Z'));

    // Act: Lambda's retry of the same event a minute or two later, with its whole timeout
    const retried = await release({ jobId }, FULL);

    // Assess: the anonymised release of the first attempt is published; nothing anonymised again
    expect(failure).toBe('Lambda refused the invocation');
    expect(result).toMatchObject({ step: 'anonymised' });
    expect(retried).toMatchObject({ outcome: 'published', releaseId: result?.releaseId });
    expect((await published(runtime)).map((e) => e.details.releaseId)).toEqual([result?.releaseId]);
  });

  it('publishes the recorded release when Lambda retries a scheduled release whose hand-over failed', async () => {
    // Prepare: the schedule's event carries its scheduled time (infra: JobSchedule), not a job id;
    // Lambda refuses the hand-over once
    const runtime = await companies();
    const release = createReleaseHandler(() => composeRelease(runtime));
    const scheduled = { scheduledAt: '2026-11-20T01:00:00Z' };
    runtime.jobs.fail = true;
    const failure = await release(scheduled, SHORT).catch((error: Error) => error.message);
    const steps = runtime.table
      .dump(JOBS_TABLE)
      .flatMap((job) => ((job.result as { step?: string } | undefined)?.step === 'anonymised' ? [job] : []));
    runtime.jobs.fail = false;
    runtime.setNow(new Date('2026-11-20T01:02:00.000Z'));

    // Act: Lambda's retry of the same event, then the next month's schedule
    const retried = await release(scheduled, FULL);
    runtime.setNow(new Date('2026-12-20T01:00:00.000Z'));
    const nextMonth = await release({ scheduledAt: '2026-12-20T01:00:00Z' }, FULL);

    // Assess: the retry is the same job and publishes the step the first attempt recorded (before, it
    // was a new job that found the lease with the failed job's hand-over and joined it: no release
    // until the lease ran out); the next schedule is a job of its own
    expect(failure).toBe('Lambda refused the invocation');
    expect(steps).toHaveLength(1);
    expect(retried).toMatchObject({ outcome: 'published', jobId: steps[0]?.jobId });
    expect(retried.releaseId).toBe((steps[0]?.result as { releaseId?: string } | undefined)?.releaseId);
    expect(nextMonth).toMatchObject({ outcome: 'published' });
    expect(nextMonth.jobId).not.toBe(retried.jobId);
    expect((await published(runtime)).map((e) => e.details.releaseId)).toEqual([
      retried.releaseId,
      nextMonth.releaseId,
    ]);
  });

  it('publishes the recorded release once when the hand-over and the retry of its sender both run', async () => {
    // Prepare: Lambda queues the hand-over but the caller sees an error, so Lambda also retries the first
    const runtime = await companies();
    const release = createReleaseHandler(() => composeRelease(runtime));
    runtime.jobs.run = async () => {
      throw new Error('socket hang up after the invocation was queued');
    };
    const jobId = '22222222-2222-4222-8222-222222222222';
    await release({ jobId }, SHORT).catch(() => undefined);
    runtime.jobs.run = undefined;
    const { result } = await getJob(runtime.table, jobId);
    const handover = runtime.jobs.started[0]?.event;
    runtime.setNow(new Date('2026-11-20T01:01:00.000Z'));

    // Act: the queued hand-over and the retry at once, then a second delivery of the hand-over
    const outcomes = await Promise.all([release(handover, FULL), release({ jobId }, FULL)]);
    const again = await release(handover, FULL);

    // Assess: one of them took the lease over and published the recorded release; the other found the
    // lease with that invocation of its job and left the job to it (before, it took the lease again as
    // the job's own, anonymised afresh and published a second release, or handed over again under the
    // first); a later delivery does nothing
    const ids = (await published(runtime)).map((e) => e.details.releaseId);
    expect(outcomes.map((o) => o.outcome).sort()).toEqual(['duplicate', 'published']);
    expect(ids).toEqual([result?.releaseId]);
    expect(again.outcome).toBe('duplicate');
    expect(await getJob(runtime.table, jobId)).toMatchObject({ state: 'SUCCEEDED' });
  });

  it('anonymises again when the hand-over arrives after its lease ran out and another release published', async () => {
    // Prepare: t-a is in the anonymised step; its purge finishes and a release without it settles it,
    // all before the hand-over arrives
    const runtime = await companies();
    const release = createReleaseHandler(() => composeRelease(runtime));
    const first = await release({}, SHORT);
    const handover = runtime.jobs.started[0]?.event;
    runtime.setNow(new Date('2026-11-20T01:15:00.000Z'));
    await purged(runtime, 't-a', '2026-11-20T01:12:00.000Z');
    const between = await release({}, FULL);
    runtime.setNow(new Date('2026-11-20T01:20:00.000Z'));

    // Act
    const late = await release(handover, FULL);

    // Assess: the step holding t-a is never published; the late invocation published a release of its own
    expect(between).toMatchObject({ outcome: 'published' });
    expect(late).toMatchObject({ outcome: 'published', jobId: first.jobId });
    expect(late.releaseId).not.toBe(first.releaseId);
    expect(
      (await published(runtime)).map((e) => [e.details.releaseId, e.details.contributingTenants]),
    ).toEqual([
      [between.releaseId, 3],
      [late.releaseId, 3],
    ]);
    expect(await readReleaseManifest(runtime.objects, first.releaseId).catch((e: Error) => e.name)).toBe(
      'StatsReleaseNotFoundError',
    );
    expect(await runtime.table.get('tenants', { tenantId: 't-a' })).toMatchObject({ releasePending: false });
  });

  it('does nothing when the event of a finished job comes again', async () => {
    // Prepare
    const runtime = await companies();
    const release = createReleaseHandler(() => composeRelease(runtime));
    const jobId = '33333333-3333-4333-8333-333333333333';
    const done = await release({ jobId }, FULL);
    const record = await getJob(runtime.table, jobId);
    runtime.setNow(new Date('2026-11-20T02:00:00.000Z'));

    // Act
    const again = await release({ jobId }, FULL);

    // Assess
    expect(done.outcome).toBe('published');
    expect(again).toEqual({ jobId, outcome: 'duplicate' });
    expect(await getJob(runtime.table, jobId)).toEqual(record);
    expect(await published(runtime)).toHaveLength(1);
  });

  it('does not count a purge that finished between the two invocations as settled by the release', async () => {
    // Prepare: t-a is in the anonymised release; its purge finishes before the second invocation
    const runtime = await companies();
    const release = createReleaseHandler(() => composeRelease(runtime));
    const first = await release({}, SHORT);
    runtime.setNow(new Date('2026-11-20T01:05:00.000Z'));
    await purged(runtime, 't-a', '2026-11-20T01:03:00.000Z');

    // Act
    const second = await release(runtime.jobs.started[0]?.event, FULL);

    // Assess: the release holds t-a's data, so t-a still waits for a release without it
    expect(second).toMatchObject({ outcome: 'published', releaseId: first.releaseId });
    expect(await runtime.table.get('tenants', { tenantId: 't-a' })).toMatchObject({ releasePending: true });
  });
});

/** Records a tenant as purged at `finishedAt` and waiting for a release without it. */
async function purged(runtime: MemoryRuntime, tenantId: string, finishedAt: string): Promise<void> {
  const tenant = await runtime.table.get('tenants', { tenantId });
  await runtime.table.put('tenants', {
    ...tenant,
    state: 'PURGED',
    releasePending: true,
    purge: { startedAt: finishedAt, finishedAt },
  });
}
