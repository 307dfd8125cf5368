export type SqlRow = Record<string, unknown>;

/** Runs SQL on DuckDB (local, Lambda) or Athena (deployed). */
export interface QueryRunner {
  readonly engine: 'duckdb' | 'athena';
  run(sql: string): Promise<SqlRow[]>;
}
