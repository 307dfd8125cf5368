import { createHash } from 'node:crypto';
import { closeSync, openSync, writeSync } from 'node:fs';
import { mkdir, readdir, rm } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import type { DuckDBConnection } from '@duckdb/node-api';
import { withTimeFormat } from '../catalog/index.ts';
import type { ColumnDef, DatasetDef } from '../catalog/schema.ts';
import { CsvTextDecoder, InvalidEncodingError, type TextEncoding } from '../japanese/encoding.ts';
import { reportedValue } from '../masking/policy.ts';
import type { LimitSettings } from '../settings.ts';
import type { RowError } from '../uploads/model.ts';
import { FileRejectedError } from './errors.ts';
import {
  type AppliedProfile,
  type FileWarning,
  HeaderFinder,
  type HeaderMapping,
  type HeaderVocabulary,
} from './header.ts';
import { type RowErrorCode, rowErrorMessage } from './messages.ts';
import { CsvScanner, type ScanResult } from './scan.ts';
import {
  acceptedViewSql,
  checkedViewSql,
  duplicateRowsSql,
  errorColumn,
  ident,
  ingestMacros,
  invalidTableSql,
  lit,
  sourceTableSql,
} from './sql.ts';
import {
  ArchiveSizeError,
  type OpenWorkbook,
  refuseMergedData,
  type WorkbookArchive,
  type WorkbookFindings,
  workbookCsv,
  zipBomb,
} from './xlsx.ts';

/** Row errors kept in the full report; beyond it the report says how many more there were. */
export const MAX_REPORTED_ERRORS = 10_000;
/**
 * DuckDB's memory before it spills to the work directory: with Node and the decode buffers the
 * process then stays well under 512 MiB for a 1M-row file (bench/ingest.ts measures it).
 */
export const DUCKDB_MEMORY_LIMIT = '192MB';

/** One Parquet file of valid rows for one period, on local disk. */
export interface PeriodFile {
  readonly period: string;
  readonly path: string;
}

/** What validation of one file found. */
export interface ValidatedFile {
  readonly encoding: TextEncoding;
  readonly compressed: boolean;
  /** SHA-256 (base64) of the bytes as uploaded. */
  readonly sha256: string;
  readonly rows: { readonly total: number; readonly accepted: number; readonly rejected: number };
  /** Row errors in line order, at most MAX_REPORTED_ERRORS. */
  readonly errors: RowError[];
  readonly errorCount: number;
  readonly errorCountsByCode: Readonly<Record<string, number>>;
  /** Remarks on a file accepted anyway (e.g. unknown columns dropped), in both languages. */
  readonly warnings: readonly FileWarning[];
  /** The import profile the header was read with, if any. */
  readonly profile?: AppliedProfile;
  /** Each file column by position (1-based): the catalogue column it maps to, or null (dropped, unnamed). */
  readonly columnMapping: ReadonlyArray<{ readonly position: number; readonly column: string | null }>;
}

export interface ProcessOptions {
  readonly dataset: DatasetDef;
  readonly limits: LimitSettings;
  /** Private scratch directory for this file (created). */
  readonly workDir: string;
  /** YYYY-MM for datasets without a period column. */
  readonly fallbackPeriod: string;
  /** Memory DuckDB may use before spilling to workDir; default DUCKDB_MEMORY_LIMIT. */
  readonly memoryLimit?: string;
  /** Whether the upload declared its time format; if not, hours that read two ways refuse the file. */
  readonly timeFormatDeclared?: boolean;
  /** Header names beyond the catalogue's: the company's saved mapping, a named or detectable profile. */
  readonly vocabulary?: HeaderVocabulary;
  /** Opens an Excel workbook (the zip container): given only for uploads declared as .xlsx; other zips are refused. */
  readonly openWorkbook?: OpenWorkbook;
  /** The sheet of a workbook to read, as `sheetDigest` of its name (default: the first). */
  readonly sheetDigest?: string;
  /** Called as each phase ends (for benchmarks). */
  readonly trace?: (phase: string) => void;
  /**
   * Whether canonical rows take the fast path (plain casts) instead of the full rules. Only the
   * differential test turns it off, to hold the two paths to the same verdicts. @default true
   */
  readonly fastPath?: boolean;
}

const GZIP = [0x1f, 0x8b];
const ZIP = [0x50, 0x4b, 0x03, 0x04];
const startsWith = (bytes: Uint8Array, magic: number[]) => magic.every((b, i) => bytes[i] === b);

const reject = (code: string, ja: string, en: string, line?: number) =>
  new FileRejectedError({ code, ja, en }, line);

/** Bytes of a stream, hashed on the way, with the first chunk looked at for gzip and zip. */
async function* hashed(source: Readable, hash: ReturnType<typeof createHash>): AsyncGenerator<Uint8Array> {
  for await (const chunk of source) {
    const bytes = chunk as Uint8Array;
    hash.update(bytes);
    yield bytes;
  }
}

/**
 * Stream 1: bytes → (gunzip) → decode to UTF-8 → scan CSV structure → clean CSV on disk.
 * Memory stays at a few chunks whatever the file size.
 */
async function decodeAndScan(
  source: Readable,
  options: ProcessOptions,
  cleanPath: string,
): Promise<{
  scan: ScanResult;
  mapping: HeaderMapping;
  encoding: TextEncoding;
  compressed: boolean;
  sha256: string;
  /** Notices about the source itself (an Excel workbook's sheets, formulas). */
  sourceWarnings: readonly FileWarning[];
}> {
  const hash = createHash('sha256');
  const iterator = hashed(source, hash)[Symbol.asyncIterator]();
  const first = await iterator.next();
  const head = first.done ? new Uint8Array(0) : first.value;
  const isZip = startsWith(head, ZIP);
  if (isZip && !options.openWorkbook) {
    throw reject(
      'ZIP_NOT_ACCEPTED',
      'ZIP ファイルは受け付けていません。CSV ファイルをそのまま（または gzip 圧縮して）アップロードしてください。',
      'ZIP archives are not accepted. Upload the CSV file itself (or gzip-compressed).',
    );
  }
  if (!isZip && options.openWorkbook) {
    throw reject(
      'XLSX_CORRUPT',
      'Excel ブック（.xlsx）としてアップロードされましたが、中身が .xlsx ではありません。Excel で「Excel ブック」として保存し直すか、CSV としてアップロードしてください。',
      'The file was uploaded as an Excel workbook (.xlsx) but is not one. Save it in Excel as "Excel Workbook", or upload it as CSV.',
    );
  }
  const compressed = startsWith(head, GZIP);
  async function* raw() {
    if (!first.done) yield head;
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) yield next.value;
  }
  let workbook: { archive: WorkbookArchive; findings: WorkbookFindings } | undefined;
  let bytes: AsyncIterable<Uint8Array>;
  if (isZip && options.openWorkbook) {
    // A workbook is read by random access: saved under the work directory first (Lambda: /tmp).
    const path = join(options.workDir, 'upload.xlsx');
    const spool = openSync(path, 'w');
    try {
      for await (const chunk of raw()) writeSync(spool, chunk);
    } finally {
      closeSync(spool);
    }
    let archive: WorkbookArchive;
    try {
      archive = await options.openWorkbook(path);
    } catch {
      throw reject(
        'XLSX_CORRUPT',
        'Excel ファイル（.xlsx）として開けません。壊れていないか確かめ、Excel で保存し直すか CSV で保存してアップロードしてください。',
        'The file cannot be opened as an Excel workbook (.xlsx). Check it is intact; save it again in Excel, or as CSV, and upload that.',
      );
    }
    workbook = { archive, findings: { warnings: [], merges: [] } };
    bytes = workbookCsv(
      archive,
      {
        ...(options.sheetDigest ? { sheetDigest: options.sheetDigest } : {}),
        maxBytes: options.limits.maxFileBytes,
      },
      workbook.findings,
    );
  } else {
    bytes = compressed ? Readable.from(raw()).pipe(createGunzip()) : raw();
  }

  let mapping: HeaderMapping | undefined;
  const fd = openSync(cleanPath, 'w');
  const decoder = new CsvTextDecoder();
  const finder = new HeaderFinder(options.dataset, options.vocabulary);
  const scanner = new CsvScanner(
    options.limits,
    (fields, line) => {
      mapping = finder.consider(fields, line);
      if (!mapping) return undefined;
      const names = mapping.columns.map((c, i) => (c ? c.name : `__unnamed_${i}`));
      return Buffer.from(`${names.map((n) => `"${n}"`).join(',')}\n`, 'utf8');
    },
    (chunk) => {
      writeSync(fd, chunk);
    },
    () => finder.finish(false),
  );
  let decodedBytes = 0;
  try {
    try {
      for await (const chunk of bytes) {
        const text = decoder.push(chunk as Uint8Array);
        decodedBytes += text.length;
        if (decodedBytes > options.limits.maxFileBytes) {
          throw reject(
            'FILE_TOO_LARGE',
            `展開後のファイルが大きすぎます（上限 ${options.limits.maxFileBytes} バイト）。分割してください。`,
            `The file is larger than ${options.limits.maxFileBytes} bytes once decompressed. Split it.`,
          );
        }
        scanner.push(text);
      }
      scanner.push(decoder.end());
    } catch (error) {
      if (error instanceof InvalidEncodingError) {
        scanner.push(error.validPrefix);
        throw encodingRejection(error, scanner.currentLine);
      }
      if (error instanceof ArchiveSizeError) {
        throw error.corrupt
          ? reject(
              'XLSX_CORRUPT',
              `Excel ファイルの部品「${error.entry}」が壊れていて読めません。Excel で保存し直してください。`,
              `Part ${error.entry} of the Excel file is corrupt. Save it again in Excel.`,
            )
          : zipBomb(
              error.entry,
              'が、宣言された大きさを超えて展開されます',
              'inflates to more bytes than the archive declares',
            );
      }
      if (error instanceof Error && 'code' in error && String(error.code).startsWith('Z_')) {
        throw reject(
          'BAD_GZIP',
          'gzip ファイルが壊れています。もう一度圧縮してアップロードしてください。',
          'The gzip file is corrupt. Compress it again and upload.',
        );
      }
      throw error;
    }
    const scan = scanner.end();
    if (!mapping) throw new Error('scanner ended without a header');
    if (workbook) refuseMergedData(workbook.findings.merges, scan.headerLine);
    return {
      scan,
      mapping,
      encoding: decoder.encoding,
      compressed,
      sha256: hash.digest('base64'),
      sourceWarnings: workbook?.findings.warnings ?? [],
    };
  } finally {
    closeSync(fd);
    await workbook?.archive.close();
  }
}

function encodingRejection(error: InvalidEncodingError, line: number): FileRejectedError {
  if (error.failure === 'UTF16') {
    return reject(
      'UNSUPPORTED_ENCODING',
      'UTF-16（Unicode テキスト）のファイルは受け付けていません。Excel で「CSV UTF-8」または「CSV（コンマ区切り）」で保存してください。',
      'UTF-16 ("Unicode text") files are not accepted. In Excel, save as "CSV UTF-8" or "CSV (Comma delimited)".',
      1,
    );
  }
  const encoding = error.encoding === 'cp932' ? 'Shift_JIS (CP932)' : 'UTF-8';
  if (error.failure === 'GAIJI') {
    return reject(
      'GAIJI',
      `${line} 行目に外字（利用者定義文字）があります。標準の文字に置き換えてください。`,
      `Line ${line} contains a user-defined character (gaiji) with no standard meaning. Replace it with a standard character.`,
      line,
    );
  }
  return reject(
    'INVALID_ENCODING',
    `${line} 行目に ${encoding} として読めない文字があります。ファイルを UTF-8 または Shift_JIS で保存し直してください。`,
    `Line ${line} has bytes that are not valid ${encoding}. Save the file again as UTF-8 or Shift_JIS.`,
    line,
  );
}

/**
 * A column without a header is ignored only while it is empty (Excel often exports a few); a value
 * in one would otherwise be dropped without a word, so the file is refused, naming where it is.
 */
async function refuseDataInUnnamedColumns(
  connection: DuckDBConnection,
  mapping: HeaderMapping,
  scan: ScanResult,
): Promise<void> {
  for (const [index, column] of mapping.columns.entries()) {
    if (column || mapping.dropped.includes(index)) continue;
    const name = ident(`__unnamed_${index}`);
    const [found] = await query(
      connection,
      `SELECT min(rowid) AS rec FROM src WHERE ${name} IS NOT NULL AND trim(${name}) <> ''`,
    );
    if (found?.rec === null || found?.rec === undefined) continue;
    const line = scan.lineMap.lineOf(Number(found.rec));
    throw reject(
      'UNNAMED_COLUMN',
      `${index + 1} 列目に見出しがありませんが、${line} 行目に値があります。見出しを付けるか、列を削除してください。`,
      `Column ${index + 1} has no header but holds a value on line ${line}. Give it a header or remove the column.`,
      line,
    );
  }
}

/**
 * Kura never stores a My Number, wherever it sits: a cell of any column that holds 12 digits whose
 * last is the check digit of the first 11 (japanese/my-number.ts) refuses the file. The message
 * names the column and line and the count, never the value; the bytes are deleted with the file.
 */
async function refuseMyNumbers(
  connection: DuckDBConnection,
  dataset: DatasetDef,
  mapping: HeaderMapping,
  scan: ScanResult,
): Promise<void> {
  // Every column with data: the catalogue's, and those dropped as unknown (a My Number there is still
  // a My Number sent to the platform), the latter named by position only.
  const columns = mapping.columns.flatMap((c, index) =>
    c
      ? [{ name: c.name, column: c as ColumnDef | undefined, index }]
      : mapping.dropped.includes(index)
        ? [{ name: `__unnamed_${index}`, column: undefined, index }]
        : [],
  );
  if (columns.length === 0) return;
  const flags = columns.map((c, i) => `kura_has_my_number(${ident(c.name)}) AS h${i}`).join(', ');
  const found = columns.map(
    (_, i) => `count_if(h${i}) AS n${i}, min(CASE WHEN h${i} THEN rowid END) AS r${i}`,
  );
  // One prefilter per row (cells joined by a separator no pattern crosses), check digits per cell.
  const joined = `concat_ws(chr(31), ${columns.map((c) => ident(c.name)).join(', ')})`;
  const [row] = await query(
    connection,
    `SELECT ${found.join(', ')} FROM (SELECT rowid, ${flags} FROM src WHERE kura_may_hold_my_number(${joined}))`,
  );
  const hits = columns
    .map((scanned, i) => ({ ...scanned, count: Number(row?.[`n${i}`] ?? 0), rec: row?.[`r${i}`] }))
    .filter((hit) => hit.count > 0 && hit.rec !== null && hit.rec !== undefined);
  if (hits.length === 0) return;
  const first = hits.reduce((a, b) => (Number(b.rec) < Number(a.rec) ? b : a));
  const line = scan.lineMap.lineOf(Number(first.rec));
  const count = hits.reduce((sum, hit) => sum + hit.count, 0);
  const known = first.column;
  const where = known
    ? {
        ja: `「${mapping.headers.get(known.name) ?? known.name}」`,
        en: `"${mapping.headers.get(known.name) ?? known.name}"`,
      }
    : { ja: `${first.index + 1} 列目`, en: `column ${first.index + 1}` };
  const numeric = known?.type === 'integer' || known?.type === 'decimal';
  throw reject(
    'MY_NUMBER_VALUE',
    `個人番号（マイナンバー）と思われる 12 桁の番号が ${count} か所にあります（最初は ${line} 行目の${where.ja}）。Kura は個人番号を保存しません。値を削除してからアップロードしてください。${numeric ? '金額などの数値であれば、3 桁ごとのカンマ付き（例: 123,456,789,012）で書くと受け付けます。' : ''}`,
    `${count} cell(s) hold what looks like a My Number (12 digits with a valid check digit), the first on line ${line} in ${where.en} of dataset ${dataset.name}. Kura never stores My Numbers: remove them and upload again.${numeric ? ' If it is an amount, write it with thousands separators (e.g. 123,456,789,012).' : ''}`,
    line,
  );
}

/** A duration that reads as decimal hours and as 60進数 alike: `1.30` (1.3 h or 1 h 30 min). */
const AMBIGUOUS_TIME = '^[0-9]+\\.[0-5][0-9]$';
/** Quarter hours, which read the same way in both: `8.00`, `1.25`, `7.50`, `0.75`. */
const QUARTER_HOUR = '\\.(00|25|50|75)$';
/** Durations only decimal hours can be: `1.75`, `7.5`, `8.125` (60進数 writes two digits below 60). */
const DECIMAL_ONLY_TIME = '^[0-9]+\\.([6-9][0-9]|[0-9]|[0-9]{3,})$';

/**
 * A file whose hours could be decimal hours or 60進数 (`1.30`, `7.45` and no value only decimal hours can
 * be) is refused unless the upload declared its time format: guessing would store 1 h 30 min as 1.3 h or
 * the reverse. The message names the column and line and how to declare it, never the value.
 */
async function refuseAmbiguousTimes(
  connection: DuckDBConnection,
  dataset: DatasetDef,
  mapping: HeaderMapping,
  scan: ScanResult,
): Promise<void> {
  const durations = mapping.columns.flatMap((c) => (c?.duration ? [c] : []));
  if (durations.length === 0) return;
  const values = durations.map((c) => `kura_digits(kura_pre(${ident(c.name)}))`);
  const ambiguous = (v: string) =>
    `(regexp_matches(${v}, ${lit(AMBIGUOUS_TIME)}) AND NOT regexp_matches(${v}, ${lit(QUARTER_HOUR)}))`;
  const columns = values.map(
    (v, i) =>
      `count_if(${ambiguous(v)}) AS a${i}, min(CASE WHEN ${ambiguous(v)} THEN rowid END) AS r${i}, count_if(regexp_matches(${v}, ${lit(DECIMAL_ONLY_TIME)})) AS d${i}`,
  );
  const [row] = await query(connection, `SELECT ${columns.join(', ')} FROM src`);
  const decisive = durations.some((_, i) => Number(row?.[`d${i}`] ?? 0) > 0);
  if (decisive) return;
  const hits = durations
    .map((column, i) => ({ column, count: Number(row?.[`a${i}`] ?? 0), rec: row?.[`r${i}`] }))
    .filter((hit) => hit.count > 0 && hit.rec !== null && hit.rec !== undefined);
  if (hits.length === 0) return;
  const first = hits.reduce((a, b) => (Number(b.rec) < Number(a.rec) ? b : a));
  const line = scan.lineMap.lineOf(Number(first.rec));
  const header = mapping.headers.get(first.column.name) ?? first.column.name;
  throw reject(
    'TIME_FORMAT_AMBIGUOUS',
    `「${header}」の値（最初は ${line} 行目）は、10 進数（1.30 = 1.3 時間）とも 60 進数（1.30 = 1 時間 30 分）とも読めます。時間表示形式を指定してアップロードしてください: kura upload … --time-format decimal（10 進数）、hours-minutes（60 進数）、minutes（分）。API では timeFormat です。`,
    `The values of "${header}" (first on line ${line}) read both as decimal hours (1.30 = 1.3 h) and as hours.minutes (1.30 = 1 h 30 min) in dataset ${dataset.name}. Upload again declaring the time format: kura upload … --time-format decimal, hours-minutes or minutes (API: timeFormat).`,
    line,
  );
}

async function query(connection: DuckDBConnection, sql: string): Promise<Record<string, unknown>[]> {
  return (await connection.runAndReadAll(sql)).getRowObjectsJS() as Record<string, unknown>[];
}

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
  const spillDir = join(options.workDir, 'duckdb');
  await mkdir(spillDir, { recursive: true });
  // Loaded on first use, not at module load: the native module costs ~100 ms of cold start.
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const instance = await DuckDBInstance.create(':memory:', {
    memory_limit: options.memoryLimit ?? DUCKDB_MEMORY_LIMIT,
    temp_directory: spillDir,
    threads: String(Math.max(1, Math.min(availableParallelism(), 4))),
    enable_external_access: 'true',
  });
  const connection = await instance.connect();
  try {
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
    const errorColumns = dataset.columns.filter((c) => present.has(c.name));
    // One pass finds the rows in error; everything about errors then reads that small table.
    await connection.run(invalidTableSql(dataset, present));
    trace('validate');
    const duplicates = duplicateRowsSql(dataset, present);
    const cellErrorSelects = errorColumns.map(
      (c) =>
        `SELECT rec, ${lit(c.name)} AS col, ${ident(errorColumn(c))} AS code, ${dataset.columns.indexOf(c)} AS ord FROM invalid WHERE ${ident(errorColumn(c))} IS NOT NULL`,
    );
    if (duplicates && Number((await query(connection, duplicates.exists))[0]?.n ?? 0) > 0) {
      await connection.run(`CREATE TEMP TABLE duplicates AS ${duplicates.rows}`);
      await connection.run('DELETE FROM duplicates WHERE rec IN (SELECT rec FROM invalid)');
      const keyColumn = dataset.rowKey[0] ?? '';
      cellErrorSelects.push(
        `SELECT rec, ${lit(keyColumn)} AS col, 'DUPLICATE_ROW' AS code, -1 AS ord FROM duplicates`,
      );
    } else {
      await connection.run('CREATE TEMP TABLE duplicates (rec BIGINT)');
    }
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

    const errors: RowError[] = [];
    const byCode: Record<string, number> = {};
    const headerOf = (name: string) => mapping.headers.get(name) ?? name;
    const masked = (name: string, value: unknown) =>
      reportedValue(
        dataset.columns.find((c) => c.name === name),
        value,
      );
    const cellErrors =
      cellErrorSelects.length > 0
        ? cellErrorSelects.join(' UNION ALL ')
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
      const value = masked(name, r.value);
      return {
        line: scan.lineMap.lineOf(Number(r.rec)),
        column: headerOf(name),
        code,
        message: rowErrorMessage(code, column, headerOf(name)),
        ...(value === undefined ? {} : { value }),
      };
    });
    for (const e of [...structural, ...cells].sort((a, b) => a.line - b.line)) {
      if (errors.length < MAX_REPORTED_ERRORS) errors.push(e);
    }
    for (const e of structural) byCode[e.code] = (byCode[e.code] ?? 0) + 1;
    for (const r of await query(
      connection,
      `SELECT code, count(*) AS n FROM (${cellErrors}) GROUP BY code`,
    )) {
      byCode[String(r.code)] = Number(r.n);
    }

    trace('errors');
    const file: ValidatedFile = {
      encoding: decoded.encoding,
      compressed: decoded.compressed,
      sha256: decoded.sha256,
      rows: { total, accepted, rejected: total - accepted },
      errors,
      errorCount: Number(errorTotal?.n ?? 0) + structural.length,
      errorCountsByCode: byCode,
      warnings: [...decoded.sourceWarnings, ...mapping.warnings],
      ...(mapping.profile ? { profile: mapping.profile } : {}),
      columnMapping: mapping.columns.map((c, i) => ({ position: i + 1, column: c ? c.name : null })),
    };
    const writeValid = async (): Promise<PeriodFile[]> => {
      const outDir = join(options.workDir, 'parquet');
      await rm(outDir, { recursive: true, force: true });
      await connection.run(acceptedViewSql(dataset, present, options.fallbackPeriod));
      await connection.run('SET preserve_insertion_order = false');
      const columns = dataset.columns.map((c) => ident(c.name)).join(', ');
      // One pass writes every period; a period DuckDB split into several files is written again alone.
      await connection.run(
        `COPY (SELECT ${columns}, period FROM accepted) TO ${lit(outDir)}
         (FORMAT parquet, COMPRESSION zstd, PARTITION_BY (period), OVERWRITE_OR_IGNORE)`,
      );
      trace('parquet');
      const files: PeriodFile[] = [];
      const periods = (await readdir(outDir).catch(() => [] as string[]))
        .filter((d) => d.startsWith('period='))
        .map((d) => d.slice('period='.length))
        .sort();
      for (const period of periods) {
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
        files.push({ period, path });
      }
      return files;
    };
    return await decide(file, writeValid);
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}
