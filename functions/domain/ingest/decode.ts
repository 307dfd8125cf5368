/**
 * Stream 1 of validation: bytes → (gunzip, or an Excel workbook's sheet as CSV) → decoded to UTF-8 →
 * CSV structure scanned → a clean UTF-8 CSV on disk. Memory stays at a few chunks whatever the file size.
 */
import { createHash } from 'node:crypto';
import { closeSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { CsvTextDecoder, InvalidEncodingError, type TextEncoding } from '../japanese/encoding.ts';
import { type FileRejectedError, reject } from './errors.ts';
import { type FileWarning, HeaderFinder, type HeaderMapping } from './header.ts';
import { CsvScanner, type ScanResult } from './scan.ts';
import type { ProcessOptions } from './validated-file.ts';
import { ArchiveSizeError, type WorkbookArchive, type WorkbookFindings } from './workbook.ts';
import { refuseMergedData, workbookCsv, zipBomb } from './xlsx.ts';

const GZIP = [0x1f, 0x8b];
const ZIP = [0x50, 0x4b, 0x03, 0x04];
const startsWith = (bytes: Uint8Array, magic: number[]) => magic.every((b, i) => bytes[i] === b);

/** Bytes of a stream, hashed on the way, with the first chunk looked at for gzip and zip. */
async function* hashed(source: Readable, hash: ReturnType<typeof createHash>): AsyncGenerator<Uint8Array> {
  for await (const chunk of source) {
    const bytes = chunk as Uint8Array;
    hash.update(bytes);
    yield bytes;
  }
}

/** A landed file's bytes, ready to decode: gunzipped, or a workbook's sheet as CSV text; hashed as read. */
interface SourceBytes {
  readonly bytes: AsyncIterable<Uint8Array>;
  readonly compressed: boolean;
  readonly hash: ReturnType<typeof createHash>;
  readonly workbook?: { readonly archive: WorkbookArchive; readonly findings: WorkbookFindings } | undefined;
}

/**
 * Opens a landed file by what its first bytes say: a zip only when the upload was declared a workbook
 * (saved under the work directory, then read by random access), gzip decompressed on the fly, else as is.
 */
async function sourceBytes(source: Readable, options: ProcessOptions): Promise<SourceBytes> {
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
  let workbook: SourceBytes['workbook'];
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

  return { bytes, compressed, hash, workbook };
}

/**
 * Stream 1: bytes → (gunzip) → decode to UTF-8 → scan CSV structure → clean CSV on disk.
 * Memory stays at a few chunks whatever the file size.
 */
export async function decodeAndScan(
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
  const { bytes, compressed, hash, workbook } = await sourceBytes(source, options);
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
      throw readFailure(error, scanner);
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

/**
 * What a failure while reading the bytes means for the upload: the FileRejectedError that says what is
 * wrong with the file (encoding, a corrupt or inflating workbook part, corrupt gzip), else the error itself.
 */
function readFailure(error: unknown, scanner: CsvScanner): unknown {
  if (error instanceof InvalidEncodingError) {
    scanner.push(error.validPrefix);
    return encodingRejection(error, scanner.currentLine);
  }
  if (error instanceof ArchiveSizeError) {
    return error.corrupt
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
    return reject(
      'BAD_GZIP',
      'gzip ファイルが壊れています。もう一度圧縮してアップロードしてください。',
      'The gzip file is corrupt. Compress it again and upload.',
    );
  }
  return error;
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
