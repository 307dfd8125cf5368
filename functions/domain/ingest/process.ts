import { mkdir, readdir, rm } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import type { DuckDBConnection } from '@duckdb/node-api';
import { type DatasetDef, withTimeFormat } from '../catalog/index.ts';
import { DUCKDB_ROW_GROUP_ROWS, DUCKDB_SESSION_OPTIONS } from '../duckdb-sessions.ts';
import { runCompiled } from '../masking/duckdb-engine.ts';
import { reportedValue } from '../masking/policy.ts';
import type { RowError } from '../uploads/model.ts';
import { decodeAndScan } from './decode.ts';
import type { HeaderMapping } from './header.ts';
import { type RowErrorCode, rowErrorMessage } from './messages.ts';
import { query, refuseAmbiguousTimes, refuseDataInUnnamedColumns, refuseMyNumbers } from './refusals.ts';
import type { ScanResult } from './scan.ts';
import { acceptedViewSql, checkedViewSql, duplicateRowsSql, invalidTableSql, sourceTableSql } from './sql.ts';
import { errorColumn } from './sql-column-rules.ts';
import { ingestMacros } from './sql-macros.ts';
import { ident, lit } from './sql-text.ts';
import type { PeriodFile, ProcessOptions, ValidatedFile } from './validated-file.ts';

/** Row errors kept in the full report; beyond it the report says how many more there were. */
export const MAX_REPORTED_ERRORS = 10_000;
/**
 * DuckDB's memory before it spills to the work directory: with Node and the decode buffers the
 * process then stays well under 512 MiB for a 1M-row file (bench/ingest.ts measures it).
 */
export const DUCKDB_MEMORY_LIMIT = '192MB';

/**
 * Validates and normalises an uploaded CSV: a streaming pass decodes it and checks its structure
 * into a clean UTF-8 CSV, then DuckDB applies the catalogue's rules to all rows in SQL. Returns the
 * counts and row errors; `writeValid` is then called with the DuckDB session still open so the
 * caller can decide (by policy) whether to write Parquet.
 */
export async function validateFile<T>(
  source: Readable,
  options: ProcessOptions,
  decide: (file: ValidatedFile, writeValid: () => Promise<PeriodFile[]>) => Promise<T>,
): Promise<T> {
  await mkdir(options.workDir, { recursive: true });
  const cleanPath = join(options.workDir, 'clean.csv');
  const trace = options.trace ?? (() => {});
  const decoded = await decodeAndScan(source, options, cleanPath);
  trace('decode+scan');
  const { scan, mapping } = decoded;
  // A profile whose export writes hours one way only declares them, unless the upload did.
  const profileFormat = options.timeFormatDeclared ? undefined : mapping.profile?.timeFormat;
  const dataset = profileFormat ? withTimeFormat(options.dataset, profileFormat) : options.dataset;
  const timeFormatDeclared = options.timeFormatDeclared === true || profileFormat !== undefined;
  const present = new Set(mapping.columns.flatMap((c) => (c ? [c.name] : [])));
  const { instance, connection } = await openDuckDb(options);
  const checked: CheckedFile = { connection, dataset, present, mapping, scan, options, trace };
  try {
    await readAndCheck(checked, cleanPath, timeFormatDeclared);
    const found = await findRowErrors(checked);
    trace('errors');
    const file: ValidatedFile = {
      encoding: decoded.encoding,
      compressed: decoded.compressed,
      sha256: decoded.sha256,
      rows: found.rows,
      errors: found.errors,
      errorCount: found.errorCount,
      errorCountsByCode: found.byCode,
      warnings: [...decoded.sourceWarnings, ...mapping.warnings],
      ...(mapping.profile ? { profile: mapping.profile } : {}),
      columnMapping: mapping.columns.map((c, i) => ({ position: i + 1, column: c ? c.name : null })),
    };
    return await decide(file, () => writeValidParquet(checked));
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

/** The file as DuckDB checks it: the session, the dataset as this upload reads it, the columns present. */
interface CheckedFile {
  readonly connection: DuckDBConnection;
  readonly dataset: DatasetDef;
  readonly present: ReadonlySet<string>;
  readonly mapping: HeaderMapping;
  readonly scan: ScanResult;
  readonly options: ProcessOptions;
  readonly trace: (phase: string) => void;
}

/** A fresh in-memory DuckDB for one file, spilling to the work directory above its memory limit. */
async function openDuckDb(options: ProcessOptions) {
  const spillDir = join(options.workDir, 'duckdb');
  await mkdir(spillDir, { recursive: true });
  // Loaded on first use, not at module load: the native module costs ~100 ms of cold start.
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const instance = await DuckDBInstance.create(':memory:', {
    ...DUCKDB_SESSION_OPTIONS,
    memory_limit: options.memoryLimit ?? DUCKDB_MEMORY_LIMIT,
    temp_directory: spillDir,
    threads: String(Math.max(1, Math.min(availableParallelism(), 4))),
    enable_external_access: 'true',
  });
  return { instance, connection: await instance.connect() };
}

/**
 * Reads the clean CSV into DuckDB, refuses the file for what no row may hold (data without a header, a
 * My Number, ambiguous hours), then applies the catalogue's rules: the rows in error go to `invalid`.
 */
async function readAndCheck(
  checked: CheckedFile,
  cleanPath: string,
  timeFormatDeclared: boolean,
): Promise<void> {
  const { connection, dataset, present, mapping, scan, options, trace } = checked;
  for (const macro of ingestMacros()) await connection.run(macro);
  const csvColumns = mapping.columns
    .map((c, i) => `${lit(c ? c.name : `__unnamed_${i}`)}: 'VARCHAR'`)
    .join(', ');
  const source = `read_csv(${lit(cleanPath)}, header = true, auto_detect = false, columns = {${csvColumns}},
      delim = ',', quote = '"', escape = '"', strict_mode = false,
      max_line_size = ${options.limits.maxFieldBytes * Math.max(mapping.columns.length, 1) + 4096})`;
  await connection.run(sourceTableSql(dataset, present, source, { fastPath: options.fastPath ?? true }));
  await refuseDataInUnnamedColumns(connection, mapping, scan);
  await refuseMyNumbers(connection, dataset, mapping, scan);
  if (!timeFormatDeclared) await refuseAmbiguousTimes(connection, dataset, mapping, scan);
  trace('read');
  for (const statement of checkedViewSql(dataset, present, options.fallbackPeriod)) {
    await connection.run(statement);
  }
  // One pass finds the rows in error; everything about errors then reads that small table.
  await connection.run(invalidTableSql(dataset, present));
  trace('validate');
}

/**
 * One SELECT per checked column of its cells in error (rec, col, code, ord), plus the duplicate rows
 * (a `duplicates` table, empty when the dataset has no row key or no row repeats one).
 */
async function cellErrorSelects({ connection, dataset, present }: CheckedFile): Promise<string[]> {
  const errorColumns = dataset.columns.filter((c) => present.has(c.name));
  const duplicates = duplicateRowsSql(dataset, present);
  const selects = errorColumns.map(
    (c) =>
      `SELECT rec, ${lit(c.name)} AS col, ${ident(errorColumn(c))} AS code, ${dataset.columns.indexOf(c)} AS ord FROM invalid WHERE ${ident(errorColumn(c))} IS NOT NULL`,
  );
  if (duplicates && Number((await query(connection, duplicates.exists))[0]?.n ?? 0) > 0) {
    await connection.run(`CREATE TEMP TABLE duplicates AS ${duplicates.rows}`);
    await connection.run('DELETE FROM duplicates WHERE rec IN (SELECT rec FROM invalid)');
    const keyColumn = dataset.rowKey[0] ?? '';
    selects.push(`SELECT rec, ${lit(keyColumn)} AS col, 'DUPLICATE_ROW' AS code, -1 AS ord FROM duplicates`);
  } else {
    await connection.run('CREATE TEMP TABLE duplicates (rec BIGINT)');
  }
  return selects;
}

/**
 * The file's counts and row errors: structural errors from the scan and cell errors from DuckDB, in line
 * order, at most MAX_REPORTED_ERRORS of them, personal values masked as the masking policy says.
 */
async function findRowErrors(checked: CheckedFile) {
  const { connection, dataset, present, mapping, scan } = checked;
  const selects = await cellErrorSelects(checked);
  const [counts] = await query(
    connection,
    `SELECT (SELECT count(*) FROM src) AS total,
              (SELECT count(*) FROM invalid) + (SELECT count(*) FROM duplicates) AS invalid`,
  );
  const checkedRows = Number(counts?.total ?? 0);
  if (checkedRows !== scan.records) {
    throw new Error(`DuckDB read ${checkedRows} records but the scanner wrote ${scan.records}`);
  }
  const accepted = checkedRows - Number(counts?.invalid ?? 0);
  const total = scan.records + scan.structuralErrors.length;
  const errorColumns = dataset.columns.filter((c) => present.has(c.name));
  const headerOf = (name: string) => mapping.headers.get(name) ?? name;
  const cellErrors =
    selects.length > 0
      ? selects.join(' UNION ALL ')
      : 'SELECT NULL::BIGINT AS rec, NULL::VARCHAR AS col, NULL::VARCHAR AS code, NULL::INTEGER AS ord WHERE false';
  const [errorTotal] = await query(connection, `SELECT count(*) AS n FROM (${cellErrors})`);
  const rows = await query(
    connection,
    `SELECT e.rec, e.col, e.code, ${errorColumns.length > 0 ? `CASE e.col ${errorColumns.map((c) => `WHEN ${lit(c.name)} THEN s.${ident(c.name)}`).join(' ')} END` : 'NULL'} AS value
       FROM (SELECT * FROM (${cellErrors}) ORDER BY rec, ord LIMIT ${MAX_REPORTED_ERRORS}) e
       JOIN src s ON s.rowid = e.rec ORDER BY e.rec, e.ord`,
  );
  const structural = scan.structuralErrors.map((s) => ({
    line: s.line,
    code: s.code as RowErrorCode,
    message: rowErrorMessage(s.code, undefined, '', scan.header.length),
  }));
  const cells = rows.map((r) => {
    const name = String(r.col);
    const column = dataset.columns.find((c) => c.name === name);
    const code = String(r.code) as RowErrorCode;
    const value = reportedValue(column, r.value);
    return {
      line: scan.lineMap.lineOf(Number(r.rec)),
      column: headerOf(name),
      code,
      message: rowErrorMessage(code, column, headerOf(name)),
      ...(value === undefined ? {} : { value }),
    };
  });
  const errors: RowError[] = [];
  for (const e of [...structural, ...cells].sort((a, b) => a.line - b.line)) {
    if (errors.length < MAX_REPORTED_ERRORS) errors.push(e);
  }
  const byCode: Record<string, number> = {};
  for (const e of structural) byCode[e.code] = (byCode[e.code] ?? 0) + 1;
  for (const r of await query(connection, `SELECT code, count(*) AS n FROM (${cellErrors}) GROUP BY code`)) {
    byCode[String(r.code)] = Number(r.n);
  }
  return {
    rows: { total, accepted, rejected: total - accepted },
    errors,
    errorCount: Number(errorTotal?.n ?? 0) + structural.length,
    byCode,
  };
}

/** Writes the accepted rows as one Parquet file per period (`writeValid`), with the session still open. */
async function writeValidParquet(checked: CheckedFile): Promise<PeriodFile[]> {
  const { connection, dataset, present, options, trace } = checked;
  const outDir = join(options.workDir, 'parquet');
  await rm(outDir, { recursive: true, force: true });
  await connection.run(acceptedViewSql(dataset, present, options.fallbackPeriod));
  await connection.run('SET preserve_insertion_order = false');
  // A partitioned write buffers rows per period until this many are held (DuckDB's default: 524,288),
  // then flushes them. Flushing every row group's worth instead writes a million rows' raw and
  // pseudonymised periods about a third faster (bench machine, 2026-12-07, three alternating runs of
  // the bench's 1M-row file: raw 369–515 ms against 519–684, masked 628–746 against 875–1,082), at two
  // row groups per period file instead of one and files about 4 % larger.
  await connection.run(`SET partitioned_write_flush_threshold = ${DUCKDB_ROW_GROUP_ROWS}`);
  const columns = dataset.columns.map((c) => ident(c.name)).join(', ');
  // One pass writes every period; a period DuckDB split into several files is written again alone.
  await connection.run(
    `COPY (SELECT ${columns}, period FROM accepted) TO ${lit(outDir)}
         (FORMAT parquet, COMPRESSION zstd, PARTITION_BY (period), OVERWRITE_OR_IGNORE)`,
  );
  trace('parquet');
  const masked = await maskInPass(checked);
  const files: PeriodFile[] = [];
  for (const period of await partitions(outDir)) {
    const dir = join(outDir, `period=${period}`);
    const written = (await readdir(dir)).filter((f) => f.endsWith('.parquet'));
    let path = join(dir, written[0] ?? 'missing.parquet');
    if (written.length !== 1) {
      path = join(outDir, `${period}.parquet`);
      await connection.run(
        `COPY (SELECT ${columns} FROM accepted WHERE period = ${lit(period)})
             TO ${lit(path)} (FORMAT parquet, COMPRESSION zstd)`,
      );
    }
    const maskedPath = masked?.get(period);
    files.push({ period, path, ...(maskedPath ? { masked: maskedPath } : {}) });
  }
  return files;
}

/** The periods of a directory written with PARTITION_BY (period), in order. */
async function partitions(dir: string): Promise<string[]> {
  return (await readdir(dir).catch(() => [] as string[]))
    .filter((d) => d.startsWith('period='))
    .map((d) => d.slice('period='.length))
    .sort();
}

/**
 * Masking in the same pass (options.maskInPass): the accepted rows, still in this session, are
 * written pseudonymised per period, so masking need not read the raw Parquet back. A period DuckDB
 * split into several files is left out, and a failure leaves all out (masking then reads raw back).
 */
async function maskInPass({
  connection,
  options,
  trace,
}: CheckedFile): Promise<Map<string, string> | undefined> {
  if (!options.maskInPass) return undefined;
  const outDir = join(options.workDir, 'masked');
  await rm(outDir, { recursive: true, force: true });
  try {
    await runCompiled(connection, await options.maskInPass('accepted', outDir));
  } catch (error) {
    // An optimisation only: masking then reads the raw Parquet back, as a re-mask does. Only the
    // error's class is logged: an engine's reason may quote a cell.
    options.warn?.('Masking in the ingestion pass failed; masking will read the raw objects back', {
      error: error instanceof Error ? error.name : 'unknown',
    });
    await rm(outDir, { recursive: true, force: true });
    return undefined;
  }
  const files = new Map<string, string>();
  for (const period of await partitions(outDir)) {
    const dir = join(outDir, `period=${period}`);
    const written = (await readdir(dir)).filter((f) => f.endsWith('.parquet'));
    if (written.length === 1 && written[0]) files.set(period, join(dir, written[0]));
  }
  trace('mask in pass');
  return files;
}
