import type { AthenaClient } from '@aws-sdk/client-athena';
import type { QueryRunner, SqlRow } from '../domain/ports/index.ts';

type AthenaSdk = typeof import('@aws-sdk/client-athena');
/**
 * The SDK module, loaded on the first call rather than at module load: bundlers keep a dynamic
 * `import()` of an external package dynamic, so a Lambda that never calls this adapter never loads
 * the client (see runtime.ts).
 */
let athenaSdkModule: Promise<AthenaSdk> | undefined;
const athenaSdk = (): Promise<AthenaSdk> => (athenaSdkModule ??= import('@aws-sdk/client-athena'));

/** BIGINTs that fit a double become numbers, so DuckDB and Athena rows compare alike. */
function plainValue(value: unknown): unknown {
  if (typeof value === 'bigint') {
    return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER)
      ? Number(value)
      : value.toString();
  }
  return value;
}

interface DuckDbConnection {
  runAndReadAll(sql: string): Promise<{ getRowObjectsJS(): Record<string, unknown>[] }>;
  closeSync(): void;
}

/**
 * DuckDB (local platform and inside Lambda). Opens the database on first use, so functions that
 * never query do not load the native module. Reads local files only (no s3:// paths).
 */
export class DuckDbQueryRunner implements QueryRunner {
  readonly engine = 'duckdb' as const;
  readonly #path: string;
  #connection: Promise<DuckDbConnection> | undefined;

  /** @param path database file, or `:memory:` (default) */
  constructor(path = ':memory:') {
    this.#path = path;
  }

  #connect(): Promise<DuckDbConnection> {
    this.#connection ??= import('@duckdb/node-api').then(async ({ DuckDBInstance }) => {
      const instance = await DuckDBInstance.create(this.#path);
      return (await instance.connect()) as unknown as DuckDbConnection;
    });
    return this.#connection;
  }

  async run(sql: string): Promise<SqlRow[]> {
    const connection = await this.#connect();
    const reader = await connection.runAndReadAll(sql);
    return reader
      .getRowObjectsJS()
      .map((row) =>
        Object.fromEntries(Object.entries(row).map(([name, value]) => [name, plainValue(value)])),
      );
  }

  async close(): Promise<void> {
    if (!this.#connection) return;
    const connection = await this.#connection;
    connection.closeSync();
    this.#connection = undefined;
  }
}

/** Raised when Athena ends a query in FAILED or CANCELLED. */
export class AthenaQueryError extends Error {
  override readonly name = 'AthenaQueryError';
}

export interface AthenaQueryRunnerOptions {
  readonly client: AthenaClient;
  /** Workgroup that fixes the result location, encryption and scan limits. */
  readonly workgroup: string;
  /** Waits between polls; injectable so tests do not sleep. */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Longest wait between polls, ms. @default 5000 */
  readonly maxPollMs?: number;
}

const NUMERIC = new Set([
  'tinyint',
  'smallint',
  'integer',
  'int',
  'bigint',
  'double',
  'float',
  'real',
  'decimal',
]);

/** Athena (deployed, for data too large for DuckDB inside Lambda): start, poll with backoff, read. */
export class AthenaQueryRunner implements QueryRunner {
  readonly engine = 'athena' as const;
  readonly #client: AthenaClient;
  readonly #workgroup: string;
  readonly #sleep: (ms: number) => Promise<void>;
  readonly #maxPollMs: number;

  constructor(options: AthenaQueryRunnerOptions) {
    this.#client = options.client;
    this.#workgroup = options.workgroup;
    this.#sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.#maxPollMs = options.maxPollMs ?? 5000;
  }

  async run(sql: string): Promise<SqlRow[]> {
    const started = await this.#client.send(
      new (await athenaSdk()).StartQueryExecutionCommand({ QueryString: sql, WorkGroup: this.#workgroup }),
    );
    const id = started.QueryExecutionId;
    if (!id) throw new AthenaQueryError('Athena returned no query execution id');
    let wait = 200;
    for (;;) {
      const { QueryExecution } = await this.#client.send(
        new (await athenaSdk()).GetQueryExecutionCommand({ QueryExecutionId: id }),
      );
      const state = QueryExecution?.Status?.State;
      if (state === 'SUCCEEDED') break;
      if (state === 'FAILED' || state === 'CANCELLED') {
        throw new AthenaQueryError(
          `Athena query ${id} ${state}: ${QueryExecution?.Status?.StateChangeReason ?? 'no reason given'}`,
        );
      }
      await this.#sleep(wait);
      wait = Math.min(wait * 2, this.#maxPollMs);
    }
    return this.#results(id);
  }

  async #results(id: string): Promise<SqlRow[]> {
    const rows: SqlRow[] = [];
    let NextToken: string | undefined;
    let columns: { name: string; type: string }[] | undefined;
    let first = true;
    do {
      const page = await this.#client.send(
        new (await athenaSdk()).GetQueryResultsCommand({ QueryExecutionId: id, NextToken }),
      );
      columns ??= (page.ResultSet?.ResultSetMetadata?.ColumnInfo ?? []).map((c) => ({
        name: c.Name ?? '',
        type: (c.Type ?? 'varchar').toLowerCase(),
      }));
      for (const row of page.ResultSet?.Rows ?? []) {
        // The first row of the first page repeats the column names.
        if (first) {
          first = false;
          continue;
        }
        const values = row.Data ?? [];
        rows.push(
          Object.fromEntries(
            (columns ?? []).map((column, index) => {
              const raw = values[index]?.VarCharValue;
              if (raw === undefined) return [column.name, null];
              if (NUMERIC.has(column.type)) return [column.name, Number(raw)];
              if (column.type === 'boolean') return [column.name, raw === 'true'];
              return [column.name, raw];
            }),
          ),
        );
      }
      NextToken = page.NextToken;
    } while (NextToken);
    return rows;
  }
}
