/**
 * DuckDB's threads follow the input (functions/domain/duckdb-threads.ts): one below a row group, where
 * a second thread finds no scan of its own, the functions' two from a full row group up.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DUCKDB_ROW_GROUP_ROWS,
  DUCKDB_THREADS,
  duckdbThreadsFor,
} from '../../../functions/domain/duckdb-threads.ts';
import { fitThreads, plainQuery, withDuckDb } from '../../../functions/domain/masking/duckdb-engine.ts';
import { fitThreadsToSources, withStatsDuckDb } from '../../../functions/domain/stats/duckdb-runner.ts';

let dir: string;
const parquet = (rows: number) => `read_parquet('${join(dir, `rows-${rows}.parquet`)}')`;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kura-threads-'));
  await withStatsDuckDb(async (runner) => {
    for (const rows of [200, DUCKDB_ROW_GROUP_ROWS - 1, DUCKDB_ROW_GROUP_ROWS]) {
      await runner.run(
        `COPY (SELECT range AS x FROM range(${rows})) TO '${join(dir, `rows-${rows}.parquet`)}' (FORMAT parquet)`,
      );
    }
  });
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('DuckDB threads fitted to the input', () => {
  it('gives one thread below a row group and the functions’ threads from one up', () => {
    expect(duckdbThreadsFor(0)).toBe(1);
    expect(duckdbThreadsFor(DUCKDB_ROW_GROUP_ROWS - 1)).toBe(1);
    expect(duckdbThreadsFor(DUCKDB_ROW_GROUP_ROWS)).toBe(DUCKDB_THREADS);
    expect(DUCKDB_THREADS).toBeGreaterThan(1);
  });

  it('sets a statistics session by the largest of the release’s tables', async () => {
    const threadsAfterFitting = (sources: Record<string, string>) =>
      withStatsDuckDb(async (runner) => {
        await fitThreadsToSources(runner, sources);
        return Number((await runner.run(`SELECT current_setting('threads') AS t`))[0]?.t);
      });

    expect(await threadsAfterFitting({ a: parquet(200), b: parquet(DUCKDB_ROW_GROUP_ROWS - 1) })).toBe(1);
    expect(await threadsAfterFitting({ a: parquet(200), b: parquet(DUCKDB_ROW_GROUP_ROWS) })).toBe(
      DUCKDB_THREADS,
    );
  });

  it('sets a masking session by the rows it is given', async () => {
    const threads = await withDuckDb(async (session) => {
      const setting = async () =>
        Number((await session.run(plainQuery(`SELECT current_setting('threads') AS t`, 'threads')))[0]?.t);
      const before = await setting();
      await fitThreads(session, 200);
      const small = await setting();
      await fitThreads(session, DUCKDB_ROW_GROUP_ROWS);
      return { before, small, large: await setting() };
    });

    expect(threads).toEqual({ before: DUCKDB_THREADS, small: 1, large: DUCKDB_THREADS });
  });
});
