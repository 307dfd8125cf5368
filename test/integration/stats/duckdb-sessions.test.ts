/**
 * How the functions' DuckDB sessions are set up (functions/domain/duckdb-sessions.ts): threads follow
 * the input (one below a row group, where a second thread finds no scan of its own, the functions' two
 * from a full row group up), and a session that reads each file once keeps no external file cache.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getDataset } from '../../../functions/domain/catalog/index.ts';
import {
  DUCKDB_ROW_GROUP_ROWS,
  DUCKDB_THREADS,
  duckdbThreadsFor,
} from '../../../functions/domain/duckdb-sessions.ts';
import { validateFile } from '../../../functions/domain/ingest/process.ts';
import { fitThreads, plainQuery, withDuckDb } from '../../../functions/domain/masking/duckdb-engine.ts';
import { defaultSettings } from '../../../functions/domain/settings.ts';
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

describe('DuckDB sessions that read each file once do not cache it', () => {
  const cacheSetting = `SELECT current_setting('enable_external_file_cache') AS cached`;

  it('keeps no external file cache in a masking session', async () => {
    const cached = await withDuckDb(
      async (session) => (await session.run(plainQuery(cacheSetting, 'file cache')))[0]?.cached,
    );
    expect(cached).toBe(false);
  });

  it('keeps the external file cache in a statistics session, which reads each table again for every statistic', async () => {
    const cached = await withStatsDuckDb(async (runner) => (await runner.run(cacheSetting))[0]?.cached);
    expect(cached).toBe(true);
  });

  it('keeps no external file cache in an ingestion session', async () => {
    // The ingestion session is private to validateFile; its pass of masking runs what it is given there.
    const work = await mkdtemp(join(tmpdir(), 'kura-ingest-cache-'));
    try {
      const seen: unknown[] = [];
      let written: unknown[] = [];
      await validateFile(
        Readable.from([Buffer.from('employee_id,work_date,actual_hours\nE1,2025-04-01,8\n')]),
        {
          dataset: getDataset('attendance'),
          limits: defaultSettings.limits,
          workDir: work,
          fallbackPeriod: '2025-04',
          // The statement fails, and the pass falls back with a warning, when the session caches files.
          maskInPass: async () =>
            plainQuery(
              `SELECT CASE WHEN current_setting('enable_external_file_cache') THEN error('cached') END AS x`,
              'file cache',
            ),
          warn: (message) => seen.push(message),
        },
        async (_file, writeValid) => {
          written = await writeValid();
        },
      );
      expect(seen).toEqual([]);
      expect(written.length).toBe(1);
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  });
});
