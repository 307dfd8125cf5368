import { describe, expect, it } from 'vitest';
import { MemoryObjectStore } from '../../../functions/adapters/memory/index.ts';
import {
  manifestKey,
  publishedMarkerKey,
  type ReleaseManifest,
} from '../../../functions/domain/stats/release.ts';
import {
  compileOwnValueQuery,
  readPublishedCells,
  readReleaseManifest,
  StatsReleaseNotFoundError,
} from '../../../functions/domain/stats/service.ts';
import { getStatistic } from '../../../functions/domain/stats/statistics.ts';

const manifest = (releaseId: string): ReleaseManifest => ({
  releaseId,
  publishedAt: '2026-11-22T00:00:00.000Z',
  engine: 'duckdb',
  disclosure: { minIndividuals: 10, minCompanies: 3, dominanceN: 2, dominancePercent: 85 },
  statistics: [],
  notice: { json: 'n.json', markdown: 'n.md' },
});

describe('statistics release reading', () => {
  it('finds the latest release by its completion marker, never one still being written', async () => {
    // Prepare
    const objects = new MemoryObjectStore();
    for (const id of ['2026-09', '2026-11', '2026-10']) {
      await objects.put('stats', manifestKey(id), JSON.stringify(manifest(id)));
      await objects.put('stats', publishedMarkerKey(id), JSON.stringify({ release_id: id }));
    }
    await objects.put(
      'stats',
      'stats/release=2026-12/statistic=overtime_hours_monthly/release_id=2026-12/part-0.parquet',
      'unfinished',
    );
    await objects.put('stats', manifestKey('2026-12'), JSON.stringify(manifest('2026-12')));
    // Act
    const latest = await readReleaseManifest(objects);
    // Assess: 2026-12 has its files and even its manifest, but no marker yet, so it is not a release.
    expect(latest.releaseId).toBe('2026-11');
    await expect(readReleaseManifest(objects, '2026-12')).rejects.toThrow(/2026-12 does not exist/);
    await expect(readPublishedCells(objects, '2026-12', 'overtime_hours_monthly')).rejects.toThrow(
      StatsReleaseNotFoundError,
    );
  });

  it('says so when no release has been published', async () => {
    await expect(readReleaseManifest(new MemoryObjectStore())).rejects.toThrow(StatsReleaseNotFoundError);
    await expect(readReleaseManifest(new MemoryObjectStore(), 'nope')).rejects.toThrow(/nope does not exist/);
  });

  it('computes the own value with the published measure and the same row filters', () => {
    expect(compileOwnValueQuery(getStatistic('overtime_hours_monthly'), 'facts', '2026-10')).toBe(
      "SELECT CAST(avg(v_overtime_hours) AS DOUBLE) AS own_value FROM (SELECT *, CAST(overtime_hours AS DOUBLE) AS v_overtime_hours FROM facts WHERE period = '2026-10' AND employed AND overtime_hours IS NOT NULL) own",
    );
    expect(compileOwnValueQuery(getStatistic('paid_leave_days_yearly'), 'facts', '2026')).toContain(
      "avg(v_paid_leave_days) * 12 AS DOUBLE) AS own_value FROM (SELECT *, CAST(paid_leave_days AS DOUBLE) AS v_paid_leave_days FROM facts WHERE substr(period, 1, 4) = '2026'",
    );
  });
});
