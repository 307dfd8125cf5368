/**
 * In-process DuckDB for masking: local files only (no httpfs; the callers download and upload
 * objects through the ObjectStore port). Errors never carry SQL text, which may hold key material.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { DUCKDB_SESSION_OPTIONS, DUCKDB_THREADS, fitThreadsSql } from '../duckdb-sessions.ts';
import { CompiledQuery } from './compile.ts';

/** A masking statement failed; the message holds the engine's reason, never the statement. */
export class MaskingQueryError extends Error {
  override readonly name = 'MaskingQueryError';
}

export type Row = Record<string, unknown>;

/** A DuckDB session scoped to one masking run. */
export interface DuckSession {
  /** Runs a compiled statement and returns its rows (as JS values; BIGINT as bigint). */
  run(query: CompiledQuery): Promise<Row[]>;
}

/**
 * Memory a per-upload masking DuckDB may use before it spills to its temp directory. Masking shares
 * the Lambda with ingestion (same invocation), so it gets the same cap as ingestion's DuckDB.
 */
export const MASKING_MEMORY_LIMIT = '192MB';

export interface DuckDbOptions {
  /**
   * DuckDB `memory_limit`; beyond it DuckDB spills to a private temp directory.
   * `'engine-default'` leaves DuckDB's own limit (80% of the memory it detects), for the pooled
   * anonymisation, which runs in its own function over every tenant's facts.
   * @default MASKING_MEMORY_LIMIT
   */
  readonly memoryLimit?: string;
}

/**
 * Runs `work` with a fresh in-memory DuckDB, closed afterwards whatever happens, spilling to a
 * private temp directory (removed after) above its memory limit (MASKING_MEMORY_LIMIT by default).
 */
export async function withDuckDb<T>(
  work: (session: DuckSession) => Promise<T>,
  options: DuckDbOptions = {},
): Promise<T> {
  const memoryLimit = options.memoryLimit ?? MASKING_MEMORY_LIMIT;
  // Loaded on first use: the native module costs ~100 ms, paid only by invocations that mask.
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const spillDir = await mkdtemp(join(tmpdir(), 'kura-mask-spill-'));
  try {
    const instance = await DuckDBInstance.create(':memory:', {
      ...DUCKDB_SESSION_OPTIONS,
      threads: String(DUCKDB_THREADS),
      ...(memoryLimit === 'engine-default' ? {} : { memory_limit: memoryLimit }),
      temp_directory: spillDir,
      preserve_insertion_order: 'false',
    });
    const connection = await instance.connect();
    try {
      return await work({ run: (query) => runCompiled(connection, query) });
    } finally {
      connection.closeSync();
      instance.closeSync();
    }
  } finally {
    await rm(spillDir, { recursive: true, force: true });
  }
}

/** Runs a compiled statement on an open connection; a failure names it and keeps no key material. */
export async function runCompiled(connection: DuckDBConnection, query: CompiledQuery): Promise<Row[]> {
  if (query.dialect !== 'duckdb') throw new MaskingQueryError(`${query.describe()} is not DuckDB SQL`);
  try {
    const reader = await connection.runAndReadAll(query.sqlForExecution());
    return reader.getRowObjectsJS() as Row[];
  } catch (error) {
    // DuckDB quotes the statement around the failing token; keep only the first line, redacted.
    const reason = String(error instanceof Error ? error.message : error).split('\n')[0] ?? 'unknown error';
    throw new MaskingQueryError(`${query.describe()} failed: ${query.redact(reason)}`);
  }
}

/** A statement without key material (facts, anonymisation, introspection). */
export function plainQuery(sql: string, description: string): CompiledQuery {
  return new CompiledQuery('duckdb', sql, description);
}

/** Fits the session's threads to the work's largest input, of `rows` rows (duckdb-sessions.ts). */
export async function fitThreads(session: DuckSession, rows: number): Promise<void> {
  await session.run(plainQuery(fitThreadsSql(rows), 'fit threads to the input'));
}
