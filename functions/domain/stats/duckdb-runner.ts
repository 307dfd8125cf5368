/**
 * An in-process DuckDB QueryRunner for statistics (local files only: the caller downloads and uploads
 * objects through the ObjectStore port). Numbers come back as JS numbers (BIGINT counts fit easily).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DUCKDB_THREADS, fitThreadsSql } from '../duckdb-sessions.ts';
import { ANONYMISED_TABLES, anonymisedTableKey } from '../masking/anonymised-schema.ts';
import { NotFoundError, type ObjectStore, type QueryRunner, type SqlRow } from '../ports/index.ts';
import { sqlLiteral } from '../sql-text.ts';
import { AnonymisedReleaseNotFoundError } from './release.ts';

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
  const instance = await DuckDBInstance.create(':memory:', {
    threads: String(DUCKDB_THREADS),
    temp_directory: spillDir,
  });
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

/** Fits the runner's threads to the largest of the release's anonymised tables (duckdb-sessions.ts). */
export async function fitThreadsToSources(
  runner: QueryRunner,
  sources: Record<string, string>,
): Promise<void> {
  const counts = Object.values(sources).map((source) => `SELECT count(*) AS n FROM ${source}`);
  if (counts.length === 0) return;
  const [row] = await runner.run(`SELECT max(n) AS rows FROM (${counts.join(' UNION ALL ')})`);
  await runner.run(fitThreadsSql(Number(row?.rows ?? 0)));
}

/**
 * Writes the release's anonymised tables to `dir` (publishing and the audit both read them there); returns each table's DuckDB source expression.
 */
export async function copyAnonymisedTables(
  objects: ObjectStore,
  releaseId: string,
  dir: string,
): Promise<Record<string, string>> {
  const sources: Record<string, string> = {};
  for (const table of ANONYMISED_TABLES) {
    const path = join(dir, `${table}.parquet`);
    try {
      await writeFile(path, await objects.get('curated', anonymisedTableKey(releaseId, table)));
    } catch (error) {
      if (error instanceof NotFoundError) {
        throw new AnonymisedReleaseNotFoundError(
          `Anonymised release ${releaseId} has no ${table} table; run the anonymisation for this release first.`,
        );
      }
      throw error;
    }
    sources[table] = `read_parquet(${sqlLiteral(path)})`;
  }
  return sources;
}
