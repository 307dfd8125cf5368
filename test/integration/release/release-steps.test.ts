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
    expect(handedOn).toEqual({ kind: 'release', event: { jobId: first.jobId, reason: 'scheduled' } });
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

  it('publishes the recorded release when Lambda retries a first invocation whose hand-on failed', async () => {
    // Prepare: Lambda refuses the hand-on once
    const runtime = await companies();
    const release = createReleaseHandler(() => composeRelease(runtime));
    runtime.jobs.fail = true;
    const jobId = '11111111-1111-4111-8111-111111111111';
    const failure = await release({ jobId }, SHORT).catch((error: Error) => error.message);
    const recorded = (await readLedger(runtime.table)).length;
    const { result } = await getJob(runtime.table, jobId);
    runtime.jobs.fail = false;
    runtime.setNow(new Date('2026-11-20T02:00:00.000Z'));

    // Act: Lambda's retry of the same event, with its whole timeout
    const retried = await release({ jobId }, FULL);

    // Assess: the anonymised release of the first attempt is published; nothing anonymised again
    expect(failure).toBe('Lambda refused the invocation');
    expect(result).toMatchObject({ step: 'anonymised' });
    expect(retried).toMatchObject({ outcome: 'published', releaseId: result?.releaseId });
    expect(recorded).toBe(0);
    expect((await published(runtime)).map((e) => e.details.releaseId)).toEqual([result?.releaseId]);
  });

  it('does not count a purge that finished between the two invocations as settled by the release', async () => {
    // Prepare: t-a is in the anonymised release; its purge finishes before the second invocation
    const runtime = await companies();
    const release = createReleaseHandler(() => composeRelease(runtime));
    const first = await release({}, SHORT);
    const tenant = await runtime.table.get('tenants', { tenantId: 't-a' });
    runtime.setNow(new Date('2026-11-20T01:10:00.000Z'));
    await runtime.table.put('tenants', {
      ...tenant,
      state: 'PURGED',
      releasePending: true,
      purge: { startedAt: '2026-11-20T01:02:00.000Z', finishedAt: '2026-11-20T01:03:00.000Z' },
    });

    // Act
    const second = await release(runtime.jobs.started[0]?.event, FULL);

    // Assess: the release holds t-a's data, so t-a still waits for a release without it
    expect(second).toMatchObject({ outcome: 'published', releaseId: first.releaseId });
    expect(await runtime.table.get('tenants', { tenantId: 't-a' })).toMatchObject({ releasePending: true });
  });
});
