import { describe, expect, it } from 'vitest';
import { MemoryObjectStore } from '../../../functions/adapters/memory/index.ts';
import { glueDatabases } from '../../../functions/domain/athena-names.ts';
import { anonymisedTableKey } from '../../../functions/domain/masking/anonymised-schema.ts';
import type { QueryRunner, SqlRow } from '../../../functions/domain/ports/index.ts';
import { defaultSettings, platformSettingsSchema } from '../../../functions/domain/settings.ts';
import { releaseIdFor, statisticKey } from '../../../functions/domain/stats/release.ts';
import { publishAnonymisedRelease } from '../../../functions/domain/stats/run.ts';
import { storeEmptyAnonymisedRelease } from './empty-anonymised.ts';

/** Athena that sees no rows; records statements and what the stats bucket held at each CTAS. */
class EmptyAthena implements QueryRunner {
  readonly engine = 'athena' as const;
  readonly statements: string[] = [];
  readonly leftoversAtCtas: string[] = [];
  publishedCtas = 0;
  constructor(private readonly objects: MemoryObjectStore) {}
  async run(sql: string): Promise<SqlRow[]> {
    this.statements.push(sql);
    if (/^CREATE TABLE "kura_dev_stats_work"\."\w+_published_/.test(sql)) {
      this.publishedCtas++;
      for await (const o of this.objects.list('stats', 'stats/release=')) {
        if (o.key.includes('/statistic=')) this.leftoversAtCtas.push(o.key);
      }
    }
    return [];
  }
}

const athenaSettings = platformSettingsSchema.parse({ limits: { athenaThresholdBytes: 1 } });

async function seedAnonymised(objects: MemoryObjectStore, releaseId: string) {
  await storeEmptyAnonymisedRelease(objects, releaseId);
}

const athenaOf = (runner: QueryRunner) => ({
  runner,
  statsBucket: 'kura-dev-stats',
  databases: glueDatabases('dev'),
});

describe('publishAnonymisedRelease', () => {
  it('publishes on Athena when the anonymised data is above the threshold and Athena is there', async () => {
    // Prepare
    const objects = new MemoryObjectStore();
    const releaseId = releaseIdFor(new Date('2026-11-22T12:34:56.789Z'));
    await seedAnonymised(objects, releaseId);
    const athena = new EmptyAthena(objects);

    // Act
    const manifest = await publishAnonymisedRelease(
      { objects, athena: athenaOf(athena) },
      athenaSettings,
      releaseId,
    );

    // Assess
    expect(releaseId).toBe('20261122T123456Z');
    expect(manifest).toMatchObject({ releaseId, engine: 'athena' });
    expect(athena.statements.some((s) => s.includes(`release_id = '${releaseId}'`))).toBe(true);
  });

  it('clears what an interrupted Athena run left before writing a statistic again', async () => {
    // Prepare: a stale file of an earlier attempt at the same release.
    const objects = new MemoryObjectStore();
    await seedAnonymised(objects, 'r1');
    await objects.put('stats', statisticKey('r1', 'overtime_hours_monthly'), 'stale');
    const athena = new EmptyAthena(objects);

    // Act
    await publishAnonymisedRelease({ objects, athena: athenaOf(athena) }, athenaSettings, 'r1');

    // Assess
    expect(athena.publishedCtas).toBeGreaterThan(0);
    expect(athena.leftoversAtCtas).toEqual([]);
  });

  it('stays on DuckDB below the threshold even when Athena is available', async () => {
    // Prepare: the anonymised objects are not Parquet, so DuckDB fails while reading them.
    const objects = new MemoryObjectStore();
    await objects.put('curated', anonymisedTableKey('r1', 'anon_employee_month'), 'not really parquet');
    await objects.put('curated', anonymisedTableKey('r1', 'anon_company_month'), 'not really parquet');
    const athena = new EmptyAthena(objects);

    // Act
    const run = publishAnonymisedRelease({ objects, athena: athenaOf(athena) }, defaultSettings, 'r1');

    // Assess
    await expect(run).rejects.toThrow(/DuckDB/);
    expect(athena.statements).toEqual([]);
  });
});
