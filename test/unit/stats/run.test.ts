import { describe, expect, it } from 'vitest';
import { MemoryObjectStore } from '../../../functions/adapters/memory/index.ts';
import type { QueryRunner, SqlRow } from '../../../functions/adapters/ports.ts';
import { glueDatabases } from '../../../functions/domain/athena-names.ts';
import { anonymisedTableKey } from '../../../functions/domain/masking/anonymised-schema.ts';
import { defaultSettings, platformSettingsSchema } from '../../../functions/domain/settings.ts';
import {
  AnonymisedReleaseNotFoundError,
  releaseIdFor,
  statisticKey,
} from '../../../functions/domain/stats/release.ts';
import { latestAnonymisedRelease, runStatsRelease } from '../../../functions/domain/stats/run.ts';

/** Athena that sees no rows; records statements and what the stats bucket held at each CTAS. */
class EmptyAthena implements QueryRunner {
  readonly engine = 'athena' as const;
  readonly statements: string[] = [];
  readonly leftoversAtCtas: string[] = [];
  constructor(private readonly objects: MemoryObjectStore) {}
  async run(sql: string): Promise<SqlRow[]> {
    this.statements.push(sql);
    if (/^CREATE TABLE kura_stats_work\.\w+_published_/.test(sql)) {
      for await (const o of this.objects.list('stats', 'stats/release=')) {
        if (o.key.includes('/statistic=')) this.leftoversAtCtas.push(o.key);
      }
    }
    return [];
  }
}

const athenaSettings = platformSettingsSchema.parse({ limits: { athenaThresholdBytes: 1 } });

async function seedAnonymised(objects: MemoryObjectStore, releaseId: string) {
  await objects.put('curated', anonymisedTableKey(releaseId, 'anon_employee_month'), 'not really parquet');
  await objects.put('curated', anonymisedTableKey(releaseId, 'anon_company_month'), 'not really parquet');
}

describe('runStatsRelease', () => {
  it('finds the latest anonymised release', async () => {
    const objects = new MemoryObjectStore();
    for (const id of ['20261001T000000Z', '20261101T000000Z', '20260901T000000Z'])
      await seedAnonymised(objects, id);
    expect(await latestAnonymisedRelease(objects)).toBe('20261101T000000Z');
  });

  it('says there is nothing to publish before the first anonymised release', async () => {
    await expect(latestAnonymisedRelease(new MemoryObjectStore())).rejects.toThrow(
      AnonymisedReleaseNotFoundError,
    );
  });

  it('makes a fresh anonymised release first when it can, and publishes that one on Athena above the threshold', async () => {
    // Prepare: an older release exists; the hook makes a new one (as after a purge).
    const objects = new MemoryObjectStore();
    await seedAnonymised(objects, '20261001T000000Z');
    const athena = new EmptyAthena(objects);
    const fresh = releaseIdFor(new Date('2026-11-22T12:34:56.789Z'));
    // Act
    const manifest = await runStatsRelease(
      {
        objects,
        athena,
        statsBucket: 'kura-dev-stats',
        databases: glueDatabases('dev'),
        newAnonymisedRelease: async () => {
          await seedAnonymised(objects, fresh);
          return fresh;
        },
      },
      athenaSettings,
      {},
    );
    // Assess
    expect(fresh).toBe('20261122T123456Z');
    expect(manifest).toMatchObject({ releaseId: fresh, engine: 'athena' });
    expect(athena.statements.some((s) => s.includes(`release_id = '${fresh}'`))).toBe(true);
  });

  it('clears what an interrupted Athena run left before writing a statistic again', async () => {
    // Prepare: a stale file of an earlier attempt at the same release.
    const objects = new MemoryObjectStore();
    await seedAnonymised(objects, 'r1');
    await objects.put('stats', statisticKey('r1', 'overtime_hours_monthly'), 'stale');
    const athena = new EmptyAthena(objects);
    // Act
    await runStatsRelease(
      { objects, athena, statsBucket: 'b', databases: glueDatabases('dev') },
      athenaSettings,
      {
        releaseId: 'r1',
      },
    );
    // Assess
    expect(athena.leftoversAtCtas).toEqual([]);
  });

  it('stays on DuckDB below the threshold even when Athena is available', async () => {
    // Prepare: the anonymised objects are not Parquet, so DuckDB fails while reading them.
    const objects = new MemoryObjectStore();
    await seedAnonymised(objects, 'r1');
    const athena = new EmptyAthena(objects);
    // Act
    const run = runStatsRelease(
      { objects, athena, statsBucket: 'b', databases: glueDatabases('dev') },
      defaultSettings,
      {
        releaseId: 'r1',
      },
    );
    // Assess
    await expect(run).rejects.toThrow(/DuckDB/);
    expect(athena.statements).toEqual([]);
  });
});
