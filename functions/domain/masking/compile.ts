/**
 * Compiles the masking policy to SQL from its declaration. Pseudonymisation runs on DuckDB only (inside
 * the ingest and mask functions, and in the local platform): there is no Athena masking path, so a
 * tenant key never reaches a query engine's history (docs/PRIVACY.md, "Where tenant keys are used").
 * The dialect type remains for the facts and anonymisation SQL that Athena views share.
 *
 * Pseudonymisation SQL carries key material. It lives only inside a `CompiledQuery`, whose
 * `toString()`, `toJSON()` and `inspect` output are redacted; the text is reachable only through
 * `sqlForExecution()`, which the engine adapters call and nothing logs.
 */

import { inspect } from 'node:util';
import type { DatasetDef } from '../catalog/index.ts';
import { sqlIdentifier, sqlLiteral } from '../sql-text.ts';
import { type PseudonymisedColumn, pseudonymisedColumns } from './columns.ts';
import { hmacBlocksHex } from './hmac.ts';

export type Dialect = 'duckdb' | 'athena';

/** A compiled statement. Its text may hold key material, so it never prints itself. */
export class CompiledQuery {
  readonly #sql: string;
  readonly #secrets: readonly string[];
  /** What the statement does, safe to log (no key material, no values). */
  readonly description: string;
  readonly dialect: Dialect;

  constructor(dialect: Dialect, sql: string, description: string, secrets: readonly string[] = []) {
    this.dialect = dialect;
    this.#sql = sql;
    this.#secrets = secrets;
    this.description = description;
  }

  /** The SQL text, for the engine only. Never log it: it may contain key material. */
  sqlForExecution(): string {
    return this.#sql;
  }

  /** Whether the text carries key material (and so must never reach a log or an error). */
  get carriesKeyMaterial(): boolean {
    return this.#secrets.length > 0;
  }

  /** Removes key material (and any long hex run, which may be a fragment of it) from a text. */
  redact(text: string): string {
    let out = text;
    for (const secret of this.#secrets) out = out.split(secret).join('[redacted]');
    return out.replace(/[0-9a-fA-F]{16,}/g, '[redacted]');
  }

  describe(): string {
    return `${this.dialect}: ${this.description}${this.carriesKeyMaterial ? ' (key material redacted)' : ''}`;
  }

  toString(): string {
    return this.describe();
  }

  toJSON(): string {
    return this.describe();
  }

  [inspect.custom](): string {
    return `CompiledQuery(${this.describe()})`;
  }
}

/** Quotes an identifier (domain/sql-text.ts: same rule in DuckDB and Trino). */
export const quoteIdent = sqlIdentifier;

/** Quotes a string literal (domain/sql-text.ts: same rule in DuckDB and Trino). */
export const quoteLiteral = sqlLiteral;

/** The SQL type name of a pseudonymised column in a dialect. */
export function dialectType(dialect: Dialect, sqlType: PseudonymisedColumn['sqlType']): string {
  if (dialect === 'duckdb') return sqlType;
  return sqlType === 'VARCHAR' ? 'varchar' : sqlType.toLowerCase();
}

/**
 * The HMAC-SHA256 token expression (lowercase hex) of a VARCHAR expression under a key, in DuckDB: the
 * key appears only as its inner and outer pads, which the compiled query redacts.
 */
export function tokenExpression(valueSql: string, key: Uint8Array): string {
  const { ipadHex, opadHex } = hmacBlocksHex(key);
  return `sha256(unhex('${opadHex}') || unhex(sha256(unhex('${ipadHex}') || encode(${valueSql}))))`;
}

function keySecrets(key: Uint8Array): string[] {
  const { ipadHex, opadHex } = hmacBlocksHex(key);
  return [ipadHex, opadHex];
}

/** Name of the relation a pseudonymising SELECT reads its source rows from. */
const SOURCE = 'kura_src';

/**
 * The projection of the pseudonymised zone for a dataset: removed classes are absent, linking codes
 * become tokens, the rest is kept with its catalogue type. Columns the source lacks (optional columns
 * not uploaded) become typed NULLs, so every pseudonymised object has the same schema.
 *
 * `tokenOf(columnName)` names the SQL that yields a linking column's token; by default the token
 * expression over the value itself.
 */
export function pseudonymiseProjection(
  dataset: DatasetDef,
  key: Uint8Array,
  sourceColumns?: ReadonlySet<string>,
  tokenOf: (sourceColumn: string) => string = (name) =>
    tokenExpression(`CAST(${quoteIdent(name)} AS VARCHAR)`, key),
  qualifier = '',
): string[] {
  return pseudonymisedColumns(dataset).map((column) => {
    const present = sourceColumns === undefined || sourceColumns.has(column.source.name);
    const type = column.sqlType;
    if (!present) return `CAST(NULL AS ${type}) AS ${quoteIdent(column.name)}`;
    if (column.action === 'tokenise') return `${tokenOf(column.source.name)} AS ${quoteIdent(column.name)}`;
    return `CAST(${qualifier}${quoteIdent(column.source.name)} AS ${type}) AS ${quoteIdent(column.name)}`;
  });
}

/**
 * The pseudonymising SELECT over a source relation, as CTEs and a join: HMAC is computed once per
 * DISTINCT linking code (an attendance file of a million rows holds a few thousand employees), in
 * a small table `(v, t)` joined back to every row. Tokens are the same expression over the same
 * value, so bit-identical to computing them per row; a NULL code finds no match and stays NULL.
 * `extraColumns` are appended after the projection (the `period` column masking in ingestion's pass partitions by).
 */
function pseudonymiseSelectSql(options: {
  readonly dataset: DatasetDef;
  readonly key: Uint8Array;
  readonly from: string;
  readonly where?: string | undefined;
  readonly sourceColumns?: ReadonlySet<string> | undefined;
  readonly extraColumns?: readonly string[];
}): string {
  const { dataset, key, sourceColumns } = options;
  const linking = [
    ...new Set(
      pseudonymisedColumns(dataset)
        .filter((c) => c.action === 'tokenise')
        .filter((c) => sourceColumns === undefined || sourceColumns.has(c.source.name))
        .map((c) => c.source.name),
    ),
  ];
  const tokenTable = (name: string) => `kura_tok_${linking.indexOf(name)}`;
  const sourceValue = (name: string) => `CAST(${SOURCE}.${quoteIdent(name)} AS VARCHAR)`;
  const ctes = [
    // Not materialised: DuckDB would otherwise buffer every source row for the two reads of it, where
    // the token table's read needs only the linking column (ingest + mask of the bench's 1M rows: the
    // masking COPY 502–576 ms against 572–663, three alternating runs).
    `${SOURCE} AS NOT MATERIALIZED (SELECT * FROM ${options.from}${options.where ? ` WHERE ${options.where}` : ''})`,
    ...linking.map(
      (name) =>
        `${tokenTable(name)} AS (SELECT v, ${tokenExpression('v', key)} AS t FROM (SELECT DISTINCT ${sourceValue(name)} AS v FROM ${SOURCE}) AS codes)`,
    ),
  ];
  const joins = linking.map(
    (name) => ` LEFT JOIN ${tokenTable(name)} ON ${tokenTable(name)}.v = ${sourceValue(name)}`,
  );
  const projection = pseudonymiseProjection(
    dataset,
    key,
    sourceColumns,
    (name) => `${tokenTable(name)}.t`,
    `${SOURCE}.`,
  );
  const columns = [...projection, ...(options.extraColumns ?? []).map((c) => `${SOURCE}.${c}`)];
  return `WITH ${ctes.join(', ')} SELECT ${columns.join(', ')} FROM ${SOURCE}${joins.join('')}`;
}

/** The pseudonymising SELECT (DuckDB) over a source relation, e.g. a `read_parquet(...)`. */
export function compilePseudonymiseSelect(options: {
  readonly dataset: DatasetDef;
  readonly key: Uint8Array;
  readonly from: string;
  readonly where?: string;
  readonly sourceColumns?: ReadonlySet<string>;
}): CompiledQuery {
  const { dataset, key } = options;
  const sql = pseudonymiseSelectSql(options);
  return new CompiledQuery('duckdb', sql, `pseudonymise ${dataset.name}`, keySecrets(key));
}

/** DuckDB `read_parquet` over local files (DuckDB in Kura never reads s3:// directly). */
export function duckdbReadParquet(paths: readonly string[]): string {
  if (paths.length === 0) throw new RangeError('read_parquet needs at least one file');
  return `read_parquet([${paths.map(quoteLiteral).join(', ')}], union_by_name = true)`;
}

/** DuckDB: writes a pseudonymised dataset from local raw Parquet files to one local Parquet file. */
export function compileDuckdbPseudonymise(options: {
  readonly dataset: DatasetDef;
  readonly key: Uint8Array;
  readonly inputs: readonly string[];
  readonly output: string;
  readonly sourceColumns?: ReadonlySet<string>;
}): CompiledQuery {
  const select = compilePseudonymiseSelect({
    dataset: options.dataset,
    key: options.key,
    from: duckdbReadParquet(options.inputs),
    ...(options.sourceColumns ? { sourceColumns: options.sourceColumns } : {}),
  });
  const sql = `COPY (${select.sqlForExecution()}) TO ${quoteLiteral(options.output)} (FORMAT parquet, COMPRESSION zstd)`;
  return new CompiledQuery('duckdb', sql, select.description, keySecrets(options.key));
}

/**
 * DuckDB, masking in ingestion's own pass: writes the pseudonymised rows of a relation of the open
 * ingestion session (typed as the raw zone, with a `period` column) to `outDir`, one directory
 * `period=…` per period, without writing or reading the raw Parquet first. Same projection and tokens
 * as compileDuckdbPseudonymise over the raw files, so the same rows.
 */
export function compileDuckdbPseudonymiseInPass(options: {
  readonly dataset: DatasetDef;
  readonly key: Uint8Array;
  readonly relation: string;
  readonly outDir: string;
}): CompiledQuery {
  const select = pseudonymiseSelectSql({
    dataset: options.dataset,
    key: options.key,
    from: options.relation,
    extraColumns: ['period'],
  });
  const sql = `COPY (${select}) TO ${quoteLiteral(options.outDir)}
    (FORMAT parquet, COMPRESSION zstd, PARTITION_BY (period), OVERWRITE_OR_IGNORE)`;
  return new CompiledQuery(
    'duckdb',
    sql,
    `pseudonymise ${options.dataset.name} in ingestion's pass`,
    keySecrets(options.key),
  );
}
