/**
 * A release published on DuckDB while deployed (an Athena runner at hand) registers its partitions in
 * Glue through that runner, so BI on AWS sees releases of every size; and it does so only once every
 * statistic's objects exist, before the completion marker that makes the release visible.
 */

import { describe, expect, it } from 'vitest';
import { MemoryObjectStore } from '../../../functions/adapters/memory/index.ts';
import { glueDatabases } from '../../../functions/domain/athena-names.ts';
import { anonymisedTableKey } from '../../../functions/domain/masking/anonymised-schema.ts';
import type { QueryRunner, SqlRow } from '../../../functions/domain/ports/index.ts';
import { defaultSettings } from '../../../functions/domain/settings.ts';
import {
  manifestKey,
  publishedMarkerKey,
  statisticKey,
  suppressionKey,
} from '../../../functions/domain/stats/release.ts';
import { publishAnonymisedRelease } from '../../../functions/domain/stats/run.ts';
import { STATISTICS } from '../../../functions/domain/stats/statistics.ts';
import { company, companyMonth, employeeMonth, storeAnonymisedRelease } from './fixtures.ts';

const RELEASE = '20261101T000000Z';
const STATS_BUCKET = 'kura-dev-stats';

/** Athena that records each statement with what the stats bucket held when it ran. */
class RecordingAthena implements QueryRunner {
  readonly engine = 'athena' as const;
  readonly statements: Array<{ sql: string; objectsMissing: string[]; markerPresent: boolean }> = [];
  constructor(private readonly objects: MemoryObjectStore) {}
  async run(sql: string): Promise<SqlRow[]> {
    const expected = STATISTICS.flatMap((s) => [
      statisticKey(RELEASE, s.name),
      suppressionKey(RELEASE, s.name),
    ]);
    const objectsMissing: string[] = [];
    for (const key of expected) if (!(await this.objects.head('stats', key))) objectsMissing.push(key);
    const markerPresent = (await this.objects.head('stats', publishedMarkerKey(RELEASE))) !== undefined;
    this.statements.push({ sql, objectsMissing, markerPresent });
    return [];
  }
}

async function seeded(): Promise<MemoryObjectStore> {
  const objects = new MemoryObjectStore({ versioning: 'disabled' });
  const companies = Array.from({ length: 6 }, () => company('E', '13'));
  const employees = companies.flatMap((c) =>
    Array.from({ length: 12 }, (_, i) => employeeMonth(c, '2026-09', { overtime_hours: 4 + i })),
  );
  const totals = companies.map((c, ci) =>
    companyMonth(c, '2026-09', { sales_amount: 9_000_000 + ci * 500_000 }),
  );
  await storeAnonymisedRelease(objects, RELEASE, { employees, companies: totals });
  return objects;
}

describe('Glue registration of a DuckDB-published release', () => {
  it('registers every statistic partition through Athena after all objects exist and before the marker', async () => {
    // Prepare: data well under the Athena threshold, so the release runs on DuckDB.
    const objects = await seeded();
    const size =
      (await objects.head('curated', anonymisedTableKey(RELEASE, 'anon_employee_month')))?.size ?? 0;
    expect(size).toBeLessThan(defaultSettings.limits.athenaThresholdBytes);
    const athena = new RecordingAthena(objects);

    // Act
    const manifest = await publishAnonymisedRelease(
      { objects, athena: { runner: athena, statsBucket: STATS_BUCKET, databases: glueDatabases('dev') } },
      defaultSettings,
      RELEASE,
    );

    // Assess
    expect(manifest.engine).toBe('duckdb');
    expect(athena.statements.map((s) => s.sql).sort()).toEqual(
      STATISTICS.flatMap((stat) => [
        `ALTER TABLE \`kura_dev_stats\`.\`${stat.name}\` ADD IF NOT EXISTS PARTITION (release_id = '${RELEASE}') LOCATION 's3://${STATS_BUCKET}/stats/release=${RELEASE}/statistic=${stat.name}/release_id=${RELEASE}/'`,
        `ALTER TABLE \`kura_dev_stats_admin\`.\`${stat.name}_suppression\` ADD IF NOT EXISTS PARTITION (release_id = '${RELEASE}') LOCATION 's3://${STATS_BUCKET}/stats-admin/release=${RELEASE}/statistic=${stat.name}/release_id=${RELEASE}/'`,
      ]).sort(),
    );
    for (const statement of athena.statements) {
      expect(statement.objectsMissing, statement.sql).toEqual([]);
      expect(statement.markerPresent, statement.sql).toBe(false);
    }
    expect(await objects.head('stats', manifestKey(RELEASE))).toBeDefined();
    expect(await objects.head('stats', publishedMarkerKey(RELEASE))).toBeDefined();
  });

  it('publishes with its completion marker where no Athena runner exists (the local platform)', async () => {
    // Prepare
    const objects = await seeded();

    // Act
    const manifest = await publishAnonymisedRelease({ objects }, defaultSettings, RELEASE);

    // Assess: published all the same, marker last.
    expect(manifest.engine).toBe('duckdb');
    expect(await objects.head('stats', publishedMarkerKey(RELEASE))).toBeDefined();
  });
});
