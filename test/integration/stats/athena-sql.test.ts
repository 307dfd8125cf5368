import { describe, expect, it } from 'vitest';
import { MemoryObjectStore } from '../../../functions/adapters/memory/index.ts';
import { defaultSettings } from '../../../functions/domain/settings.ts';
import { statisticKeyColumns } from '../../../functions/domain/stats/catalog.ts';
import { withStatsDuckDb } from '../../../functions/domain/stats/duckdb-runner.ts';
import { compilePublishedQuery, sqlString } from '../../../functions/domain/stats/sql.ts';
import { compileCellsQuery } from '../../../functions/domain/stats/sql-cells.ts';
import { STATISTICS } from '../../../functions/domain/stats/statistics.ts';
import { TRINO_STAND_INS } from '../../support/trino-on-duckdb.ts';
import {
  company,
  companyMonth,
  employeeMonth,
  storeAnonymisedRelease,
  withAnonymisedParquet,
} from './fixtures.ts';

describe('Athena SQL text', () => {
  it('runs on DuckDB (approx_percentile standing in as quantile_cont) and gives the DuckDB cells', async () => {
    // Prepare: a small release, stored and fetched back as local Parquet.
    const objects = new MemoryObjectStore({ versioning: 'disabled' });
    const companies = [company('E', '13'), company('E', '13'), company('E', '14'), company('G', '27', '1-4')];
    const employees = companies.flatMap((c, k) =>
      Array.from({ length: 4 + k }, (_, i) =>
        employeeMonth(c, i % 2 ? '2026-09' : '2026-10', { overtime_hours: 3 * i + k, separated: i === 1 }),
      ),
    );
    await storeAnonymisedRelease(objects, 'r-sql', {
      employees,
      companies: companies.map((c, i) => companyMonth(c, '2026-10', { sales_amount: 1_000_000 * (i + 1) })),
    });
    await withAnonymisedParquet(objects, 'r-sql', async (runner, refs) => {
      for (const macro of TRINO_STAND_INS) await runner.run(macro);
      for (const stat of STATISTICS) {
        const options = {
          sourceRef: refs[stat.source] as string,
          releaseId: 'r-sql',
          disclosure: defaultSettings.disclosure,
        };
        const order = ` ORDER BY ${statisticKeyColumns(stat).join(', ')}`;
        // Act
        const athena = await runner.run(
          `${compileCellsQuery(stat, { ...options, dialect: 'athena' })}${order}`,
        );
        const duck = await runner.run(
          `${compileCellsQuery(stat, { ...options, dialect: 'duckdb' })}${order}`,
        );
        await runner.run(
          `CREATE TEMP TABLE c_${stat.name} AS ${compileCellsQuery(stat, { ...options, dialect: 'athena' })}`,
        );
        const published = await runner.run(
          compilePublishedQuery(stat, {
            cellsRef: `c_${stat.name}`,
            releaseId: 'r-sql',
            secondary: { keys: [] },
          }),
        );
        // Assess
        expect(athena.length, stat.name).toBeGreaterThan(0);
        expect(athena, stat.name).toEqual(duck);
        expect(published.length, stat.name).toBe(athena.length);
      }
    });
  });

  it('parses every Athena SELECT with a SQL parser', async () => {
    await withStatsDuckDb(async (runner) => {
      for (const stat of STATISTICS) {
        const sql = compileCellsQuery(stat, {
          dialect: 'athena',
          sourceRef: `kura_anonymised.${stat.source}`,
          releaseId: 'r1',
          disclosure: defaultSettings.disclosure,
        });
        const [row] = await runner.run(`SELECT json_serialize_sql(${sqlString(sql)}) AS tree`);
        expect(JSON.parse(String(row?.tree)).error, stat.name).toBe(false);
      }
    });
  });
});
