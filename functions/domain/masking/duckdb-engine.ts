/**
 * In-process DuckDB for masking: local files only (no httpfs; the callers download and upload
 * objects through the ObjectStore port). Errors never carry SQL text, which may hold key material.
 */
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
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

/** Runs `work` with a fresh in-memory DuckDB, closed afterwards whatever happens. */
export async function withDuckDb<T>(work: (session: DuckSession) => Promise<T>): Promise<T> {
  const instance = await DuckDBInstance.create(':memory:', { threads: '2' });
  const connection = await instance.connect();
  try {
    return await work({ run: (query) => runCompiled(connection, query) });
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

async function runCompiled(connection: DuckDBConnection, query: CompiledQuery): Promise<Row[]> {
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
