import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { getJob } from '../../../functions/domain/jobs/jobs.ts';
import { publishedReleasesPrefix } from '../../../functions/domain/stats/release.ts';
import { listPublishedReleases } from '../../../functions/domain/stats/service.ts';
import { seedDemo } from '../../../local/demo/seed-demo.ts';
import { startLocalPlatform } from '../../../local/platform.ts';
import { demoPlan } from '../../../local/synthetic/plan.ts';

let dataDir: string;
afterAll(async () => {
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe('a data folder of a version before completion markers', () => {
  it('keeps its unaudited releases unlisted and publishes a new release from the same data at the first start', async () => {
    // Prepare: a folder with a release, whose completion marker an earlier version never wrote.
    dataDir = await mkdtemp(join(tmpdir(), 'kura-migration-'));
    const first = await startLocalPlatform({ dataDir, port: 0, seed: false, onError: () => undefined });
    const summary = await seedDemo(first, {
      plan: demoPlan({ companies: 3, datasets: ['employees', 'attendance'], withRejectedFile: false }),
      progress: () => ({ update: () => undefined, stop: () => undefined }),
    });
    const markers: Array<{ key: string }> = [];
    for await (const o of first.ports.objects.list('stats', publishedReleasesPrefix))
      markers.push({ key: o.key });
    await first.ports.objects.deleteMany('stats', markers);
    const listedBefore = await listPublishedReleases(first.ports.objects);
    await first.stop();

    // Act
    const second = await startLocalPlatform({ dataDir, port: 0, seed: false, onError: () => undefined });
    await second.settled();
    const listedAfter = await listPublishedReleases(second.ports.objects);
    const job = await getJob(second.ports.table, second.reconciled.migrationReleaseJob ?? '');
    await second.stop();

    // Assess
    expect(summary.release.releaseId).toBeDefined();
    expect(listedBefore).toEqual([]);
    expect(second.reconciled.legacyReleases).toBe(1);
    expect(second.reconciled.migrationReleaseJob).toBeDefined();
    expect(job, JSON.stringify(job)).toMatchObject({ state: 'SUCCEEDED', reason: 'data-folder-migration' });
    expect(listedAfter).toHaveLength(1);
    expect(listedAfter[0]?.releaseId).not.toBe(summary.release.releaseId);
  }, 180_000);
});
