import { FileRejectedError } from './errors.ts';

const QUOTE = 0x22;
const COMMA = 0x2c;
const LF = 0x0a;
const CR = 0x0d;

/** A record the scanner kept out of the clean CSV, with why. */
export interface StructuralError {
  readonly line: number;
  readonly code: 'COLUMN_COUNT' | 'MALFORMED_QUOTE';
  readonly fields: number;
}

export interface ScanLimits {
  readonly maxFieldBytes: number;
  readonly maxColumns: number;
  readonly maxRows: number;
}

/** Maps a record's position in the clean CSV to the line it started on in the uploaded file. */
export class LineMap {
  /** Breakpoints: from clean record `index` on, lines run on from `line` (a record spanning lines moves them). */
  private readonly indexes: number[] = [];
  private readonly lines: number[] = [];

  add(index: number, line: number): void {
    const last = this.indexes.length - 1;
    if (last >= 0 && (this.lines[last] ?? 0) + (index - (this.indexes[last] ?? 0)) === line) return;
    this.indexes.push(index);
    this.lines.push(line);
  }

  /** Line of clean record `index` (0-based, header excluded). */
  lineOf(index: number): number {
    let low = 0;
    let high = this.indexes.length - 1;
    while (low < high) {
      const mid = (low + high + 1) >> 1;
      if ((this.indexes[mid] ?? 0) <= index) low = mid;
      else high = mid - 1;
    }
    return (this.lines[low] ?? 0) + (index - (this.indexes[low] ?? 0));
  }
}

export interface ScanResult {
  readonly header: readonly string[];
  readonly headerLine: number;
  /** Data records written to the clean CSV. */
  readonly records: number;
  /** Records kept out, with their lines (they count as rejected rows). */
  readonly structuralErrors: readonly StructuralError[];
  readonly lineMap: LineMap;
}

const decoder = new TextDecoder();

/** Splits one CSV record (as bytes, no line end) into fields, Excel quoting rules. */
export function splitRecord(bytes: Uint8Array): string[] {
  const text = decoder.decode(bytes);
  const fields: string[] = [];
  let field = '';
  let i = 0;
  let quoted = false;
  while (i <= text.length) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i += 2;
          continue;
        }
        quoted = false;
      } else if (ch === undefined) {
        break;
      } else {
        field += ch;
      }
      i++;
      continue;
    }
    if (ch === ',' || ch === undefined) {
      fields.push(field);
      field = '';
      if (ch === undefined) break;
    } else if (ch === '"' && field === '') {
      quoted = true;
    } else if (ch !== '\r') {
      field += ch;
    }
    i++;
  }
  return fields;
}

/**
 * One pass over UTF-8 CSV bytes, as Excel writes them (CRLF or LF, quoted fields holding commas,
 * line breaks and doubled quotes, a trailing empty line). It finds record boundaries the way a CSV
 * reader will, checks the structure (column count, quoting, field size, row limit), writes the
 * well-formed records to a clean CSV under a replacement header, and remembers on which line each
 * record started, so errors found later (in SQL) name the right line even after multi-line fields.
 *
 * A byte loop without allocations: it runs at memory speed, unlike a row-object CSV parser.
 */
export class CsvScanner {
  private carry: Uint8Array = new Uint8Array(0);
  /** Line the next byte of `carry` (the start of the current record) is on. */
  private line = 1;
  private header: string[] | undefined;
  private headerLine = 0;
  private columns = 0;
  private written = 0;
  private readonly errors: StructuralError[] = [];
  private readonly lineMap = new LineMap();

  constructor(
    private readonly limits: ScanLimits,
    /**
     * Receives each non-blank row until one is the header; returns the header line to write instead (e.g.
     * canonical names), or undefined when the row is not the header (a title line above it: skipped).
     */
    private readonly onHeader: (fields: string[], line: number) => Uint8Array | undefined,
    private readonly write: (bytes: Uint8Array) => void,
    /** Called when the file ends before any row was the header (may throw a better reason than "empty"). */
    private readonly onEndWithoutHeader: () => void = () => {},
  ) {}

  /** The line the scanner has reached: all lines before it were read completely. */
  get currentLine(): number {
    let line = this.line;
    for (let i = 0; i < this.carry.length; i++) if (this.carry[i] === LF) line++;
    return line;
  }

  push(chunk: Uint8Array): void {
    const bytes = this.carry.length === 0 ? chunk : Buffer.concat([this.carry, chunk]);
    this.carry = new Uint8Array(0);
    this.scan(bytes, false);
  }

  end(): ScanResult {
    const rest = this.carry;
    this.carry = new Uint8Array(0);
    if (rest.length > 0) this.scan(rest, true);
    if (!this.header) {
      this.onEndWithoutHeader();
      throw new FileRejectedError({
        code: 'EMPTY_FILE',
        ja: 'ファイルが空です。見出し行とデータ行のある CSV をアップロードしてください。',
        en: 'The file is empty. Upload a CSV with a header line and data rows.',
      });
    }
    return {
      header: this.header,
      headerLine: this.headerLine,
      records: this.written,
      structuralErrors: this.errors,
      lineMap: this.lineMap,
    };
  }

  private scan(bytes: Uint8Array, final: boolean): void {
    const { maxFieldBytes } = this.limits;
    const length = bytes.length;
    let line = this.line;
    let recordStart = 0;
    let recordLine = line;
    /** Start of the run of good records not yet written. */
    let flushFrom = 0;
    let fields = 1;
    let fieldStart = 0;
    let inQuotes = false;
    let quotedField = false;
    let afterQuote = false;
    let malformed = false;
    let content = false;
    let i = 0;
    while (i <= length) {
      const byte = i < length ? (bytes[i] as number) : -1;
      if (byte === -1 && !final) break;
      if (inQuotes) {
        if (byte === QUOTE) {
          if (i + 1 < length && bytes[i + 1] === QUOTE) {
            i += 2;
            content = true;
            continue;
          }
          if (i + 1 >= length && !final) break; // cannot tell "" from " yet
          inQuotes = false;
          afterQuote = true;
        } else if (byte === -1) {
          throw new FileRejectedError(
            {
              code: 'UNCLOSED_QUOTE',
              ja: `${recordLine} 行目で始まる引用符（"）が閉じられていません。`,
              en: `A quote (") opened on line ${recordLine} is never closed.`,
            },
            recordLine,
          );
        } else {
          if (byte === LF) line++;
          content = true;
        }
        i++;
        continue;
      }
      if (byte === COMMA || byte === LF || byte === -1) {
        if (i - fieldStart > maxFieldBytes + (quotedField ? 2 : 0)) this.fieldTooLarge(recordLine);
        if (byte === COMMA) {
          fields++;
          fieldStart = i + 1;
          quotedField = false;
          afterQuote = false;
          i++;
          continue;
        }
        // End of a record (LF, or end of input).
        const recordEnd = byte === LF ? i + 1 : i;
        const blank = !content;
        if (this.header === undefined) {
          if (!blank) this.takeHeader(bytes.subarray(recordStart, i), recordLine, fields);
          flushFrom = recordEnd;
        } else if (blank) {
          this.flush(bytes, flushFrom, recordStart);
          flushFrom = recordEnd;
        } else if (malformed || fields !== this.columns) {
          this.flush(bytes, flushFrom, recordStart);
          flushFrom = recordEnd;
          this.errors.push({
            line: recordLine,
            code: malformed ? 'MALFORMED_QUOTE' : 'COLUMN_COUNT',
            fields,
          });
          this.countRow(recordLine);
        } else {
          this.lineMap.add(this.written, recordLine);
          this.written++;
          this.countRow(recordLine);
        }
        if (byte === -1) {
          // A last record without a line break: end it so the clean CSV stays well-formed.
          if (!blank && !malformed && this.header !== undefined && flushFrom < recordEnd) {
            this.flush(bytes, flushFrom, recordEnd);
            this.write(LINE_END);
            flushFrom = recordEnd;
          }
          break;
        }
        line++;
        i++;
        recordStart = i;
        recordLine = line;
        fields = 1;
        fieldStart = i;
        quotedField = false;
        afterQuote = false;
        malformed = false;
        content = false;
        continue;
      }
      if (byte === QUOTE) {
        if (i === fieldStart) {
          inQuotes = true;
          quotedField = true;
        } else {
          malformed = true;
        }
      } else if (afterQuote && byte !== CR) {
        malformed = true;
      } else if (byte !== CR) {
        content = true;
      } else if (i + 1 < length && bytes[i + 1] !== LF) {
        // A line ending in a bare CR before any header: an old Mac export, whose lines would all read
        // as one header line of data. Refused as a whole, the lines never echoed.
        if (this.header === undefined) this.crLineEnds(recordLine);
        // A carriage return inside an unquoted field: no CSV reader agrees on it.
        malformed = true;
      }
      i++;
    }
    // Keep the unfinished record for the next chunk; write the good records before it.
    if (this.header !== undefined) this.flush(bytes, flushFrom, recordStart);
    if (recordStart < length && !final) {
      this.carry = bytes.slice(recordStart);
      if (this.carry.length > maxFieldBytes * Math.max(this.columns, 1) + 1024)
        this.fieldTooLarge(recordLine);
    }
    this.line = recordLine;
  }

  private flush(bytes: Uint8Array, from: number, to: number): void {
    if (to > from) this.write(bytes.subarray(from, to));
  }

  private countRow(line: number): void {
    if (this.written + this.errors.length > this.limits.maxRows) {
      throw new FileRejectedError(
        {
          code: 'TOO_MANY_ROWS',
          ja: `行数が上限（${this.limits.maxRows} 行）を超えています（${line} 行目）。ファイルを分割してください。`,
          en: `The file has more than ${this.limits.maxRows} rows (line ${line}). Split it into smaller files.`,
        },
        line,
      );
    }
  }

  private fieldTooLarge(line: number): never {
    throw new FileRejectedError(
      {
        code: 'FIELD_TOO_LARGE',
        ja: `${line} 行目の値が大きすぎます（上限 ${this.limits.maxFieldBytes} バイト）。引用符（"）の閉じ忘れがないか確認してください。`,
        en: `A value on line ${line} is larger than ${this.limits.maxFieldBytes} bytes. Check for a quote (") that is never closed.`,
      },
      line,
    );
  }

  private crLineEnds(line: number): never {
    throw new FileRejectedError(
      {
        code: 'CR_LINE_ENDINGS',
        ja: '改行コードが CR だけの形式（古い Mac 形式）です。CRLF または LF の改行で保存し直してからアップロードしてください（Excel では「CSV UTF-8」で保存）。',
        en: 'The file ends its lines with CR only (the old Mac format). Save it again with CRLF or LF line ends (in Excel: "CSV UTF-8") and upload again.',
      },
      line,
    );
  }

  private takeHeader(bytes: Uint8Array, line: number, fields: number): void {
    if (fields > this.limits.maxColumns) {
      throw new FileRejectedError(
        {
          code: 'TOO_MANY_COLUMNS',
          ja: `列が多すぎます（${fields} 列、上限 ${this.limits.maxColumns} 列）。`,
          en: `The file has ${fields} columns; at most ${this.limits.maxColumns} are accepted.`,
        },
        line,
      );
    }
    const header = splitRecord(bytes);
    const replacement = this.onHeader(header, line);
    if (replacement === undefined) return;
    this.header = header;
    this.headerLine = line;
    this.columns = header.length;
    this.write(replacement);
  }
}

const LINE_END = new Uint8Array([LF]);
