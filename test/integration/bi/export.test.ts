import { stat as fileStat, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryObjectStore } from '../../../functions/adapters/memory/object-store.ts';
import { BI_VIEW_DATABASES, exportBiDatabase } from '../../../functions/domain/stats/bi-export.ts';
import { statisticColumns } from '../../../functions/domain/stats/catalog.ts';
import { withStatsDuckDb } from '../../../functions/domain/stats/duckdb-runner.ts';
import { manifestKey, publishedMarkerKey, statisticKey } from '../../../functions/domain/stats/release.ts';
import { sqlString } from '../../../functions/domain/stats/sql.ts';
import { STATISTICS } from '../../../functions/domain/stats/statistics.ts';
import { biViews } from '../../../functions/domain/stats/views.ts';

let workDir: string;
const objects = new MemoryObjectStore();

/** One published cell per statistic: national totals with every measure 1 (the values do not matter here). */
async function putRelease(releaseId: string, options: { readonly published: boolean }) {
  await withStatsDuckDb(async (runner) => {
    for (const stat of STATISTICS) {
      const select = statisticColumns(stat)
        .map((c) => {
          const value =
            c.name === 'period'
              ? `'${stat.period === 'year' ? '2026' : '2026-10'}'`
              : c.name === 'geo_level'
                ? `'national'`
                : c.type === 'string'
                  ? `'_total'`
                  : c.type === 'boolean'
                    ? 'false'
                    : c.type === 'bigint'
                      ? 'CAST(42 AS BIGINT)'
                      : 'CAST(1.5 AS DOUBLE)';
          return `${value} AS ${c.name}`;
        })
        .join(', ');
      const path = join(workDir, `${releaseId}-${stat.name}.parquet`);
      await runner.run(`COPY (SELECT ${select}) TO ${sqlString(path)} (FORMAT parquet)`);
      const { readFile } = await import('node:fs/promises');
      await objects.put('stats', statisticKey(releaseId, stat.name), await readFile(path));
    }
  });
  const manifest = {
    releaseId,
    publishedAt: '2026-11-01T00:00:00.000Z',
    engine: 'duckdb',
    disclosure: { minIndividuals: 10, minCompanies: 3, dominanceN: 2, dominancePercent: 85 },
    statistics: STATISTICS.map((s) => ({
      name: s.name,
      prefix: statisticKey(releaseId, s.name).replace(/part-0\.parquet$/, ''),
      files: [statisticKey(releaseId, s.name)],
      cells: 1,
      suppressedCells: 0,
      columns: statisticColumns(s).map((c) => c.name),
    })),
    notice: { json: 'notice.json', markdown: 'notice.md' },
  };
  await objects.put('stats', manifestKey(releaseId), new TextEncoder().encode(JSON.stringify(manifest)));
  if (options.published) {
    const marker = { release_id: releaseId, published_at: '2026-11-01T00:00:00.000Z' };
    await objects.put(
      'stats',
      publishedMarkerKey(releaseId),
      new TextEncoder().encode(JSON.stringify(marker)),
    );
  }
}

beforeAll(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'kura-bi-export-'));
  await putRelease('20261001T000000Z', { published: true });
  await putRelease('20261101T000000Z', { published: true });
  await putRelease('20261201T000000Z', { published: false }); // still running: no completion marker
}, 60_000);

afterAll(async () => {
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

describe('kura bi export: a DuckDB file with the Athena BI views', () => {
  it('writes every BI view with the Athena view columns, over published releases only', async () => {
    // Prepare
    const out = join(workDir, 'kura-bi.duckdb');

    // Act
    const summary = await exportBiDatabase(objects, out);
    const instance = await DuckDBInstance.create(out, { access_mode: 'READ_ONLY' });
    const connection = await instance.connect();
    const query = async (sql: string) => (await connection.runAndReadAll(sql)).getRowObjectsJS();
    const results = [];
    for (const view of biViews(BI_VIEW_DATABASES)) {
      const columns = (await query(`DESCRIBE ${view.name}`)).map((row) => String(row.column_name));
      const releases = (await query(`SELECT DISTINCT release_id FROM ${view.name} ORDER BY 1`)).map((row) =>
        String(row.release_id),
      );
      results.push({ view, columns, releases });
    }
    const tables = (
      await query(
        `SELECT table_name FROM information_schema.tables WHERE table_type = 'BASE TABLE' ORDER BY 1`,
      )
    ).map((row) => String(row.table_name));
    connection.closeSync();
    instance.closeSync();

    // Assess
    expect((await fileStat(out)).size).toBeGreaterThan(0);
    expect(summary.releases).toEqual(['20261001T000000Z', '20261101T000000Z']);
    expect(results).toHaveLength(STATISTICS.length * 2);
    for (const { view, columns, releases } of results) {
      expect(columns).toEqual(view.columns.map((c) => c.name));
      expect(releases).toEqual(
        view.name.endsWith('_latest') ? ['20261101T000000Z'] : ['20261001T000000Z', '20261101T000000Z'],
      );
    }
    // Statistics and the releases table only: nothing admin-only (suppression reasons) is exported.
    expect(tables).toEqual(['releases', ...STATISTICS.map((s) => s.name)].sort());
  });
});
