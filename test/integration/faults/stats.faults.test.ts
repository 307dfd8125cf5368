/**
 * Faults during a statistics release, through the real `publishRelease` (DuckDB path): readers of the
 * release (the manifest the API reads, the BI views) never see a half-published release, and publishing
 * again ends where an uninterrupted run ends.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FaultPlan, fault } from '../../../functions/adapters/faults/plan.ts';
import { faultyObjectStore } from '../../../functions/adapters/faults/ports.ts';
import { MemoryObjectStore } from '../../../functions/adapters/memory/index.ts';
import { defaultSettings } from '../../../functions/domain/settings.ts';
import { withStatsDuckDb } from '../../../functions/domain/stats/duckdb-runner.ts';
import { publishRelease } from '../../../functions/domain/stats/publish.ts';
import { readReleaseManifest } from '../../../functions/domain/stats/service.ts';
import { STATISTICS } from '../../../functions/domain/stats/statistics.ts';
import { duckdbViews } from '../../../functions/domain/stats/views.ts';
import {
  company,
  companyMonth,
  employeeMonth,
  fixtureKey,
  storeAnonymisedRelease,
} from '../stats/fixtures.ts';
import { bucketDigest, crashPoints, describeRule } from './fixtures.ts';

const OLD = '20261001T000000Z';
const NEW = '20261101T000000Z';
const PUBLISHED_AT = '2026-11-01T00:00:00.000Z';

/** Ten companies of 20 employees each in one prefecture and industry, two releases of the same data. */
async function seed(): Promise<MemoryObjectStore> {
  const objects = new MemoryObjectStore({ versioning: 'disabled' });
  const companies = Array.from({ length: 10 }, () => company('E', '13'));
  const employees = companies.flatMap((c, ci) =>
    Array.from({ length: 20 }, (_, i) =>
      employeeMonth(c, '2026-09', {
        overtime_hours: 5 + ((ci * 20 + i) % 17),
        gender: i % 2 ? 'male' : 'female',
        // Keys fixed per person and company, so every seeded store perturbs alike.
        record_key: fixtureKey(`person-${ci}-${i}`),
        company_key: fixtureKey(`company-${ci}`),
      }),
    ),
  );
  const totals = companies.map((c, ci) =>
    companyMonth(c, '2026-09', {
      sales_amount: 10_000_000 + ci * 1_000_000,
      record_key: fixtureKey(`company-${ci}`),
      company_key: fixtureKey(`company-${ci}`),
    }),
  );
  await storeAnonymisedRelease(objects, OLD, { employees, companies: totals });
  await storeAnonymisedRelease(objects, NEW, { employees, companies: totals });
  await publishRelease({ objects }, { releaseId: OLD, settings: defaultSettings, publishedAt: PUBLISHED_AT });
  return objects;
}

/**
 * A fresh copy of the seeded store (both anonymised releases, the first one published). Seeded once:
 * every copy starts from the same objects, as seeding anew would give (the keys are fixed), without
 * publishing the first release again for every crash point.
 */
let template: Promise<MemoryObjectStore> | undefined;
async function seeded(): Promise<MemoryObjectStore> {
  template ??= seed();
  const source = await template;
  const copy = new MemoryObjectStore({ versioning: 'disabled' });
  for (const bucket of ['curated', 'stats']) {
    for await (const { key } of source.list(bucket, '')) {
      const head = await source.head(bucket, key);
      await copy.put(bucket, key, await source.get(bucket, key), {
        contentType: head?.contentType,
        metadata: head?.metadata,
      });
    }
  }
  return copy;
}

const publishNew = (objects: MemoryObjectStore, plan = new FaultPlan()) =>
  publishRelease(
    { objects: faultyObjectStore(objects, plan) },
    { releaseId: NEW, settings: defaultSettings, publishedAt: PUBLISHED_AT },
  );

/** The release ids the local BI views (`<statistic>_latest`) show, read from a copy of the stats bucket. */
async function latestReleaseInViews(objects: MemoryObjectStore): Promise<Set<string>> {
  const root = await mkdtemp(join(tmpdir(), 'kura-faults-stats-'));
  try {
    for await (const { key } of objects.list('stats', 'stats/')) {
      const path = join(root, key);
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, await objects.get('stats', key));
    }
    return await withStatsDuckDb(async (runner) => {
      const ids = new Set<string>();
      for (const sql of duckdbViews(root)) await runner.run(sql);
      for (const stat of STATISTICS) {
        for (const row of await runner.run(`SELECT DISTINCT release_id FROM ${stat.name}_latest`)) {
          ids.add(String(row.release_id));
        }
      }
      return ids;
    });
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

describe('statistics release under faults', () => {
  it('fails on a throttled write, leaves the previous release current, and publishes when run again', async () => {
    // Prepare
    const objects = await seeded();
    const plan = new FaultPlan([{ port: 'objects', method: 'put', nth: 3, fault: fault.throttle() }]);

    // Act
    const error = await publishNew(objects, plan).catch((e: unknown) => e);
    const current = await readReleaseManifest(objects);
    const manifest = await publishNew(objects);

    // Assess
    expect(error).toMatchObject({ name: 'SlowDown' });
    expect(current.releaseId).toBe(OLD);
    expect(manifest.releaseId).toBe(NEW);
    expect((await readReleaseManifest(objects)).releaseId).toBe(NEW);
  });

  // Every sampled crash point seeds and publishes twice; each publication runs the release audit.
  it('keeps a half-published release out of the manifest readers use after a crash (before or after a write, sampled), and ends as an uninterrupted run', {
    timeout: 240_000,
  }, async () => {
    // Prepare
    const referenceStore = await seeded();
    await publishNew(referenceStore);
    const reference = await bucketDigest(referenceStore, 'stats');
    const all = await crashPoints(async (plan) => publishNew(await seeded(), plan), { after: true });
    expect(all.length).toBeGreaterThan(STATISTICS.length);
    // The first write, every twelfth (statistic and suppression tables alike) and the release documents.
    const rules = all.filter((_, index) => index % 12 === 0 || index >= all.length - 6);

    for (const rule of rules) {
      const objects = await seeded();
      const plan = new FaultPlan([rule]);

      // Act
      const crash = await publishNew(objects, plan).catch((e: unknown) => e);
      const current = await readReleaseManifest(objects);
      // The manifest is the release's commit point: a reader sees the new release only once it is whole.
      const visibleWhenCurrent = current.releaseId === NEW ? await bucketDigest(objects, 'stats') : reference;
      await publishNew(objects);

      // Assess
      expect(crash, describeRule(rule)).toMatchObject({ name: 'SimulatedCrash' });
      expect([OLD, NEW], describeRule(rule)).toContain(current.releaseId);
      expect(visibleWhenCurrent, describeRule(rule)).toEqual(reference);
      expect(await bucketDigest(objects, 'stats'), describeRule(rule)).toEqual(reference);
    }
  });

  // The views show only releases with a completion marker (written after the manifest, last of all), so
  // statistics written before a crash stay invisible: every `_latest` view still shows the previous one.
  it('keeps the half-published release out of the BI views after a crash mid-release', async () => {
    // Prepare
    const objects = await seeded();
    const plan = new FaultPlan([
      {
        port: 'objects',
        method: 'put',
        when: (_bucket, key) => String(key).includes('manifest'),
        fault: fault.crash(),
      },
    ]);

    // Act
    await publishNew(objects, plan).catch(() => undefined);
    const shown = await latestReleaseInViews(objects);

    // Assess
    expect(plan.crashed).toBe(true);
    expect([...shown]).toEqual([OLD]);
  });
});
