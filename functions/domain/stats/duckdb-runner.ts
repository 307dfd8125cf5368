/**
 * An in-process DuckDB QueryRunner for statistics (local files only: the caller downloads and uploads
 * objects through the ObjectStore port). Numbers come back as JS numbers (BIGINT counts fit easily).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { QueryRunner, SqlRow } from '../ports/index.ts';

/** A statistics statement failed on DuckDB. */
export class StatsQueryError extends Error {
  override readonly name = 'StatsQueryError';
}

function plain(value: unknown): unknown {
  if (typeof value === 'bigint') return Number(value);
  return value;
}

/** Runs `work` with a fresh in-memory DuckDB runner, closed afterwards whatever happens. */
export async function withStatsDuckDb<T>(work: (runner: QueryRunner) => Promise<T>): Promise<T> {
  // Loaded on first use, not at module load: the native module costs ~100 ms of every cold start.
  const { DuckDBInstance } = await import('@duckdb/node-api');
  // Spill under the OS temp dir: in Lambda, /tmp is the only writable place (DuckDB's default `.tmp`
  // would sit in the read-only /var/task).
  const spillDir = await mkdtemp(join(tmpdir(), 'kura-stats-spill-'));
  const instance = await DuckDBInstance.create(':memory:', { threads: '2', temp_directory: spillDir });
  const connection = await instance.connect();
  const runner: QueryRunner = {
    engine: 'duckdb',
    async run(sql: string): Promise<SqlRow[]> {
      try {
        const reader = await connection.runAndReadAll(sql);
        return reader
          .getRowObjectsJS()
          .map((row) => Object.fromEntries(Object.entries(row).map(([k, v]) => [k, plain(v)])));
      } catch (error) {
        const reason = String(error instanceof Error ? error.message : error).split('\n')[0];
        throw new StatsQueryError(`A statistics query failed on DuckDB: ${reason}`);
      }
    },
  };
  try {
    return await work(runner);
  } finally {
    connection.closeSync();
    instance.closeSync();
    await rm(spillDir, { recursive: true, force: true });
  }
}
