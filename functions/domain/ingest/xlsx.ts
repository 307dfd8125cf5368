/**
 * Excel workbooks (.xlsx) read into the same CSV row stream the CSV path validates, so every rule applies
 * once. Pure: the zip container comes in through the `WorkbookArchive` port (adapters/xlsx-archive.ts
 * implements it over yauzl), this module only reads the parts' XML (streamed through saxes).
 *
 * Values are read as Excel stores them, not as it displays them: a number is its stored value (with the
 * decimals a fixed-decimal format shows, so 60進数 `1.30` stays recognisable), a date is a serial number
 * styled as a date (→ ISO date), a duration a day fraction styled as time (→ `h:mm`), a formula's cached
 * result (formulas are never evaluated; the upload says so). Macros are never opened: a workbook with a
 * macro project is refused. The container is checked before anything is inflated (entry count, declared
 * sizes, compression ratio) and while inflating (the adapter refuses more bytes than declared).
 *
 * Each spreadsheet row becomes one CSV line at the same line number (rows Excel left out become blank
 * lines), so a row error names the Excel row. Line breaks inside a cell become spaces for that reason.
 */
import { createHash } from 'node:crypto';
import { SaxesParser, type SaxesTagPlain } from 'saxes';
import { FileRejectedError } from './errors.ts';
import type { FileWarning } from './header.ts';

/** One entry of a zip archive, as its central directory declares it. */
export interface ArchiveEntry {
  readonly name: string;
  readonly compressedSize: number;
  readonly uncompressedSize: number;
}

/** The port: a zip archive whose entries can be inflated one at a time. */
export interface WorkbookArchive {
  readonly entries: readonly ArchiveEntry[];
  /**
   * The inflated bytes of one entry. Throws ArchiveSizeError when the entry inflates to more bytes than
   * it declares (or its data is corrupt), without reading on.
   */
  open(name: string): AsyncIterable<Uint8Array>;
  close(): Promise<void>;
}

/** Opens a workbook saved at `path` (a scratch file under the ingest's work directory). */
export type OpenWorkbook = (path: string) => Promise<WorkbookArchive>;

/** An entry inflated to more than it declared, or could not be inflated: the adapter's typed error. */
export class ArchiveSizeError extends Error {
  constructor(
    readonly entry: string,
    readonly corrupt = false,
  ) {
    super(`zip entry ${entry} ${corrupt ? 'is corrupt' : 'inflates to more bytes than it declares'}`);
    this.name = 'ArchiveSizeError';
  }
}

/** Limits on a workbook's container, checked before anything is inflated. */
export const XLSX_LIMITS = {
  maxEntries: 10_000,
  /** An entry may inflate to at most this many times its compressed size (when it is larger than 1 MiB). */
  maxCompressionRatio: 200,
  ratioAppliesAbove: 1024 ** 2,
  /** Shared strings are held in memory while the sheet is read: their part may inflate to at most this. */
  maxSharedStringsBytes: 64 * 1024 ** 2,
  /** Excel's own limit on rows in a sheet. */
  maxRow: 1_048_576,
} as const;

/** A merged range of the sheet read, for the check against the header line. */
export interface MergedRange {
  readonly ref: string;
  readonly firstRow: number;
  readonly lastRow: number;
}

/** What reading the workbook found besides its rows. */
export interface WorkbookFindings {
  readonly warnings: FileWarning[];
  readonly merges: MergedRange[];
}

const reject = (code: string, ja: string, en: string, line?: number) =>
  new FileRejectedError({ code, ja, en }, line);

const local = (name: string) => name.slice(name.indexOf(':') + 1);

/** Reads an XML part through saxes, calling `onTag`/`onText`/`onClose`; yields between chunks. */
async function* parsePart(
  archive: WorkbookArchive,
  name: string,
  handlers: {
    onTag?: (tag: SaxesTagPlain) => void;
    onText?: (text: string) => void;
    onClose?: (name: string) => void;
  },
): AsyncGenerator<void> {
  const parser = new SaxesParser();
  if (handlers.onTag) {
    const onTag = handlers.onTag;
    parser.on('opentag', (tag) => onTag(tag as SaxesTagPlain));
  }
  if (handlers.onText) parser.on('text', handlers.onText);
  if (handlers.onText) parser.on('cdata', handlers.onText);
  if (handlers.onClose) {
    const onClose = handlers.onClose;
    parser.on('closetag', (tag) => onClose(local(tag.name)));
  }
  const decoder = new TextDecoder('utf-8', { fatal: false });
  try {
    for await (const chunk of archive.open(name)) {
      parser.write(decoder.decode(chunk, { stream: true }));
      yield;
    }
    parser.write(decoder.decode());
    parser.close();
  } catch (error) {
    if (error instanceof ArchiveSizeError || error instanceof FileRejectedError) throw error;
    throw reject(
      'XLSX_CORRUPT',
      `Excel ファイルの「${name}」が壊れているか読めません。Excel で開いて保存し直すか、CSV で保存してアップロードしてください。`,
      `Part ${name} of the Excel file is corrupt or unreadable. Open and save it again in Excel, or save the sheet as CSV and upload that.`,
    );
  }
}

async function drain(parts: AsyncGenerator<void>): Promise<void> {
  for await (const _ of parts);
}

/** Refuses a container that is too big or too compressed, or holds macros, from its directory alone. */
export function checkArchive(entries: readonly ArchiveEntry[], maxBytes: number): void {
  if (entries.length > XLSX_LIMITS.maxEntries) {
    throw reject(
      'XLSX_ZIP_BOMB',
      `Excel ファイルの部品が多すぎます（${entries.length} 個、上限 ${XLSX_LIMITS.maxEntries} 個）。Excel で作り直すか、CSV で保存してください。`,
      `The Excel file has ${entries.length} parts (at most ${XLSX_LIMITS.maxEntries}). Save it again in Excel, or save the sheet as CSV.`,
    );
  }
  const total = entries.reduce((sum, e) => sum + e.uncompressedSize, 0);
  for (const entry of entries) {
    const ratio = entry.uncompressedSize / Math.max(entry.compressedSize, 1);
    if (entry.uncompressedSize > XLSX_LIMITS.ratioAppliesAbove && ratio > XLSX_LIMITS.maxCompressionRatio) {
      throw zipBomb(
        entry.name,
        `展開すると圧縮時の ${Math.round(ratio)} 倍（上限 ${XLSX_LIMITS.maxCompressionRatio} 倍）になります`,
        `would inflate to ${Math.round(ratio)} times its compressed size (at most ${XLSX_LIMITS.maxCompressionRatio})`,
      );
    }
  }
  const strings = entries.find((e) => e.name === 'xl/sharedStrings.xml');
  if (strings && strings.uncompressedSize > XLSX_LIMITS.maxSharedStringsBytes) {
    throw reject(
      'XLSX_TOO_LARGE',
      `Excel ファイルの文字列の部分（xl/sharedStrings.xml、展開後 ${strings.uncompressedSize} バイト）が大きすぎます（上限 ${XLSX_LIMITS.maxSharedStringsBytes} バイト）。ファイルを分割するか、CSV で保存してアップロードしてください。`,
      `The text part of the Excel file (xl/sharedStrings.xml, ${strings.uncompressedSize} bytes inflated) is larger than ${XLSX_LIMITS.maxSharedStringsBytes} bytes. Split the file, or save it as CSV and upload that.`,
    );
  }
  if (total > maxBytes) {
    throw reject(
      'XLSX_TOO_LARGE',
      `Excel ファイルは展開すると ${total} バイトになり、上限（${maxBytes} バイト）を超えます。ファイルを分割してください。`,
      `The Excel file inflates to ${total} bytes, more than the ${maxBytes} allowed. Split it.`,
    );
  }
  const macros = entries.find((e) => /(^|\/)vbaProject\.bin$/i.test(e.name));
  if (macros) {
    throw reject(
      'XLSX_MACROS',
      `マクロ付きのブックです（${macros.name}）。Kura はマクロを開かず、マクロ付きのブックは受け付けません。「Excel ブック（.xlsx）」または CSV で保存し直してアップロードしてください。`,
      `The workbook contains macros (${macros.name}). Kura never opens macros and does not accept macro-enabled workbooks: save it as "Excel Workbook (.xlsx)" or CSV and upload that.`,
    );
  }
}

/** The refusal for a zip bomb: which part, and why. */
export function zipBomb(entry: string, ja: string, en: string): FileRejectedError {
  return reject(
    'XLSX_ZIP_BOMB',
    `Excel ファイルの部品「${entry}」は${ja}。異常な圧縮ファイルのため受け付けません（何も保存していません）。Excel で保存し直すか、CSV で保存してアップロードしてください。`,
    `Part ${entry} of the Excel file ${en}: an abnormal archive, refused (nothing was stored). Save it again in Excel, or save the sheet as CSV and upload that.`,
  );
}

interface SheetRef {
  readonly name: string;
  readonly part: string;
}

/** The workbook's sheets in order, and whether it counts dates from 1904. */
async function readWorkbook(archive: WorkbookArchive): Promise<{ sheets: SheetRef[]; date1904: boolean }> {
  const has = (name: string) => archive.entries.some((e) => e.name === name);
  if (!has('xl/workbook.xml')) {
    throw reject(
      'ZIP_NOT_ACCEPTED',
      'ZIP ファイルは受け付けていません（Excel ブック .xlsx ではありません）。CSV ファイルか .xlsx をそのままアップロードしてください。',
      'This ZIP archive is not an Excel workbook (.xlsx). Upload the CSV file itself, or an .xlsx.',
    );
  }
  const targets = new Map<string, string>();
  if (has('xl/_rels/workbook.xml.rels')) {
    await drain(
      parsePart(archive, 'xl/_rels/workbook.xml.rels', {
        onTag: (tag) => {
          if (local(tag.name) !== 'Relationship') return;
          const target = String(tag.attributes.Target ?? '');
          const part = target.startsWith('/') ? target.slice(1) : `xl/${target}`;
          targets.set(String(tag.attributes.Id ?? ''), part);
        },
      }),
    );
  }
  const sheets: SheetRef[] = [];
  let date1904 = false;
  await drain(
    parsePart(archive, 'xl/workbook.xml', {
      onTag: (tag) => {
        const name = local(tag.name);
        if (name === 'workbookPr') date1904 = ['1', 'true'].includes(String(tag.attributes.date1904 ?? ''));
        if (name !== 'sheet') return;
        const id = Object.entries(tag.attributes).find(([key]) => local(key) === 'id')?.[1];
        const part = targets.get(String(id ?? '')) ?? `xl/worksheets/sheet${sheets.length + 1}.xml`;
        sheets.push({ name: String(tag.attributes.name ?? ''), part });
      },
    }),
  );
  return { sheets, date1904 };
}

/** How a cell style shows a number. */
type NumberKind =
  | { readonly kind: 'date' }
  | { readonly kind: 'time' }
  | { readonly kind: 'number'; readonly decimals?: number };

/** Built-in formats that are dates or times (ECMA-376 18.8.30, and the Japanese locale's 27–36, 50–58). */
const BUILTIN_DATES = new Set([
  14, 15, 16, 17, 22, 27, 28, 29, 30, 31, 34, 35, 36, 50, 51, 52, 53, 54, 57, 58,
]);
const BUILTIN_TIMES = new Set([18, 19, 20, 21, 32, 33, 45, 46, 47, 55, 56]);

/** Classifies a number format code: a date (y, d, e, g outside quotes), a time (h, s), or a number. */
export function classifyFormat(code: string): NumberKind {
  const bare =
    code
      .replace(/"[^"]*"/g, '')
      .replace(/\\./g, '')
      .replace(/\[(?!h\]|m\]|s\])[^\]]*\]/gi, '')
      .split(';')[0]
      ?.toLowerCase() ?? '';
  if (/[ydeg]/.test(bare)) return { kind: 'date' };
  if (/[hs]/.test(bare) || /\[m\]/.test(bare)) return { kind: 'time' };
  const decimals = /\.(0+)/.exec(bare)?.[1]?.length;
  return decimals === undefined ? { kind: 'number' } : { kind: 'number', decimals };
}

async function readStyles(archive: WorkbookArchive): Promise<NumberKind[]> {
  if (!archive.entries.some((e) => e.name === 'xl/styles.xml')) return [];
  const formats = new Map<number, string>();
  const xfs: number[] = [];
  let inCellXfs = false;
  await drain(
    parsePart(archive, 'xl/styles.xml', {
      onTag: (tag) => {
        const name = local(tag.name);
        if (name === 'numFmt')
          formats.set(Number(tag.attributes.numFmtId), String(tag.attributes.formatCode ?? ''));
        if (name === 'cellXfs') inCellXfs = true;
        if (name === 'xf' && inCellXfs) xfs.push(Number(tag.attributes.numFmtId ?? 0));
      },
      onClose: (name) => {
        if (name === 'cellXfs') inCellXfs = false;
      },
    }),
  );
  return xfs.map((id) => {
    const custom = formats.get(id);
    if (custom !== undefined) return classifyFormat(custom);
    if (BUILTIN_DATES.has(id)) return { kind: 'date' };
    if (BUILTIN_TIMES.has(id)) return { kind: 'time' };
    if (id === 2 || id === 4) return { kind: 'number', decimals: 2 };
    return { kind: 'number' };
  });
}

/** Shared strings, without their phonetic (furigana) runs. */
async function readSharedStrings(archive: WorkbookArchive): Promise<string[]> {
  if (!archive.entries.some((e) => e.name === 'xl/sharedStrings.xml')) return [];
  const strings: string[] = [];
  let current = '';
  let inText = false;
  let phonetic = 0;
  await drain(
    parsePart(archive, 'xl/sharedStrings.xml', {
      onTag: (tag) => {
        const name = local(tag.name);
        if (name === 'si') current = '';
        if (name === 'rPh') phonetic++;
        if (name === 't' && !tag.isSelfClosing) inText = true;
      },
      onText: (text) => {
        if (inText && phonetic === 0) current += text;
      },
      onClose: (name) => {
        if (name === 't') inText = false;
        if (name === 'rPh') phonetic--;
        if (name === 'si') strings.push(current);
      },
    }),
  );
  return strings;
}

const pad = (n: number, width: number) => String(n).padStart(width, '0');

/** The ISO date of a serial day number (1900 system with its phantom 29 Feb 1900, or 1904). */
export function serialToIsoDate(serial: number, date1904: boolean): string | undefined {
  if (!Number.isFinite(serial) || serial < 1) return undefined;
  const day = Math.floor(serial);
  const epoch = date1904 ? Date.UTC(1904, 0, 1) : day < 60 ? Date.UTC(1899, 11, 31) : Date.UTC(1899, 11, 30);
  const date = new Date(epoch + day * 86_400_000);
  return `${pad(date.getUTCFullYear(), 4)}-${pad(date.getUTCMonth() + 1, 2)}-${pad(date.getUTCDate(), 2)}`;
}

/** A day fraction as hours:minutes (`0.0625` → `1:30`), rounded to the minute. */
export function dayFractionToHours(value: number): string {
  const minutes = Math.round(value * 24 * 60);
  return `${Math.floor(minutes / 60)}:${pad(minutes % 60, 2)}`;
}

/** A stored number as text: shortest round-trip form, with the decimals its format shows when exact. */
export function numberText(value: number, decimals?: number): string {
  if (decimals !== undefined && decimals <= 4 && Number(value.toFixed(decimals)) === value)
    return value.toFixed(decimals);
  return Number.isInteger(value) ? value.toFixed(0) : String(value);
}

const csvField = (text: string) => {
  const flat = text.replace(/\r\n|\r|\n/g, ' ');
  return /[",]/.test(flat) ? `"${flat.replaceAll('"', '""')}"` : flat;
};

/** "C12" → [row 12, column index 2]. */
function cellRef(ref: string): { row: number; column: number } | undefined {
  const match = /^([A-Z]{1,3})(\d+)$/.exec(ref);
  if (!match) return undefined;
  let column = 0;
  for (const ch of match[1] ?? '') column = column * 26 + (ch.charCodeAt(0) - 64);
  return { row: Number(match[2]), column: column - 1 };
}

function mergedRange(ref: string): MergedRange | undefined {
  const [from, to] = ref.split(':');
  const first = from ? cellRef(from) : undefined;
  const last = to ? cellRef(to) : first;
  return first && last ? { ref, firstRow: first.row, lastRow: last.row } : undefined;
}

/**
 * How an upload record names a sheet: the SHA-256 (hex) of its NFC name. Sheet names are the
 * company's own text and may name people; records and messages never hold them.
 */
export function sheetDigest(name: string): string {
  return createHash('sha256').update(name.normalize('NFC'), 'utf8').digest('hex');
}

/**
 * The chosen sheet of a workbook as UTF-8 CSV bytes, one line per spreadsheet row. `findings` receives
 * the notices (several sheets, formulas read as cached values) and the merged ranges as they are found.
 */
export async function* workbookCsv(
  archive: WorkbookArchive,
  options: { readonly sheetDigest?: string; readonly maxBytes: number },
  findings: WorkbookFindings,
): AsyncGenerator<Uint8Array> {
  checkArchive(archive.entries, options.maxBytes);
  const { sheets, date1904 } = await readWorkbook(archive);
  const chosen =
    options.sheetDigest === undefined
      ? sheets[0]
      : sheets.find((s) => sheetDigest(s.name) === options.sheetDigest);
  if (!chosen) {
    throw reject(
      'XLSX_SHEET_NOT_FOUND',
      options.sheetDigest === undefined
        ? 'Excel ファイルにシートがありません。'
        : `指定のシート名はこのブックにありません（シートは ${sheets.length} 枚）。Excel でシート名を確かめ、--sheet で指定し直してください。`,
      options.sheetDigest === undefined
        ? 'The Excel file has no sheet.'
        : `The workbook has no sheet by the name given (it has ${sheets.length} sheet(s)). Check the sheet's name in Excel and name it again with --sheet.`,
    );
  }
  // Sheet names are the company's own text (a sheet per employee would name people): messages give
  // positions and counts, never names.
  const position = sheets.indexOf(chosen) + 1;
  if (!archive.entries.some((e) => e.name === chosen.part)) {
    throw reject(
      'XLSX_CORRUPT',
      `${position} 枚目のシートの中身がファイルにありません。Excel で保存し直してください。`,
      `The content of sheet ${position} is missing from the file. Save it again in Excel.`,
    );
  }
  if (sheets.length > 1) {
    findings.warnings.push({
      code: 'XLSX_SHEETS',
      ja: `ブックには ${sheets.length} 枚のシートがあり、${position} 枚目${options.sheetDigest === undefined ? '' : '（指定のシート）'}を読みました。別のシートは --sheet でシート名を指定してください（API では sheet）。`,
      en: `The workbook has ${sheets.length} sheets; sheet ${position}${options.sheetDigest === undefined ? '' : ' (the one named)'} was read. Name another with --sheet (API: sheet).`,
    });
  }
  const styles = await readStyles(archive);
  const strings = await readSharedStrings(archive);
  const encoder = new TextEncoder();

  let lines: string[] = [];
  let lineNumber = 0;
  let row: string[] = [];
  let rowNumber = 0;
  let cell: { column: number; type: string; style: number; ref: string } | undefined;
  let value = '';
  let inValue = false;
  let inInline = false;
  let inPhonetic = 0;
  let formulas = 0;
  let firstFormula = '';

  const endCell = () => {
    if (!cell) return;
    let text = '';
    if (cell.type === 's') text = strings[Number(value)] ?? '';
    else if (cell.type === 'inlineStr' || cell.type === 'str' || cell.type === 'e') text = value;
    else if (cell.type === 'b') text = value === '1' ? 'TRUE' : value === '0' ? 'FALSE' : value;
    else if (value !== '') {
      const number = Number(value);
      const kind = styles[cell.style] ?? { kind: 'number' };
      if (!Number.isFinite(number)) text = value;
      else if (kind.kind === 'date') text = serialToIsoDate(number, date1904) ?? numberText(number);
      else if (kind.kind === 'time') text = dayFractionToHours(number);
      else text = numberText(number, kind.decimals);
    }
    while (row.length < cell.column) row.push('');
    row[cell.column] = csvField(text);
    cell = undefined;
  };

  const sheet = parsePart(archive, chosen.part, {
    onTag: (tag) => {
      const name = local(tag.name);
      if (name === 'row') {
        const declared = Number(tag.attributes.r ?? rowNumber + 1);
        rowNumber = Number.isInteger(declared) && declared > rowNumber ? declared : rowNumber + 1;
        if (rowNumber > XLSX_LIMITS.maxRow)
          throw reject(
            'XLSX_CORRUPT',
            'Excel ファイルの行番号が不正です。',
            'The Excel file has an invalid row number.',
          );
        row = [];
      } else if (name === 'c') {
        const ref = String(tag.attributes.r ?? '');
        const position = cellRef(ref);
        cell = {
          column: position ? position.column : row.length,
          type: String(tag.attributes.t ?? 'n'),
          style: Number(tag.attributes.s ?? 0),
          ref,
        };
        value = '';
      } else if (name === 'v' && cell) {
        inValue = true;
      } else if (name === 'is' && cell) {
        inInline = true;
      } else if (name === 'rPh') {
        inPhonetic++;
      } else if (name === 'f' && cell) {
        formulas++;
        if (firstFormula === '') firstFormula = cell.ref;
      } else if (name === 'mergeCell') {
        const range = mergedRange(String(tag.attributes.ref ?? ''));
        if (range) findings.merges.push(range);
      }
    },
    onText: (text) => {
      if (inValue || (inInline && inPhonetic === 0)) value += text;
    },
    onClose: (name) => {
      if (name === 'v') inValue = false;
      else if (name === 'is') inInline = false;
      else if (name === 'rPh') inPhonetic--;
      else if (name === 'c') endCell();
      else if (name === 'row') {
        while (lineNumber < rowNumber - 1) {
          lines.push('');
          lineNumber++;
        }
        lines.push(row.join(','));
        lineNumber = rowNumber;
      }
    },
  });
  for await (const _ of sheet) {
    if (lines.length > 0) {
      yield encoder.encode(`${lines.join('\n')}\n`);
      lines = [];
    }
  }
  if (lines.length > 0) yield encoder.encode(`${lines.join('\n')}\n`);
  if (formulas > 0) {
    findings.warnings.push({
      code: 'XLSX_FORMULAS',
      ja: `数式のセルが ${formulas} 個あり（最初は ${firstFormula}）、Excel が保存した計算結果の値を読みました。Kura は数式を計算しません。値が古い場合は Excel で開いて再計算・保存してからアップロードしてください。`,
      en: `${formulas} cell(s) hold formulas (the first ${firstFormula}); the results Excel saved were read. Kura never evaluates formulas: if they may be stale, recalculate and save in Excel before uploading.`,
    });
  }
}

/** Refuses merged cells at or below the header line (they would leave values in the wrong rows). */
export function refuseMergedData(merges: readonly MergedRange[], headerLine: number): void {
  const inData = merges.filter((m) => m.lastRow >= headerLine);
  const first = inData[0];
  if (!first) return;
  const refs = inData.slice(0, 5).map((m) => m.ref);
  throw reject(
    'XLSX_MERGED_CELLS',
    `見出し行（${headerLine} 行目）以降に結合されたセルがあります（${refs.join('、')}${inData.length > 5 ? ' ほか' : ''}）。結合を解除し、各行に値を入れてからアップロードしてください。`,
    `Cells are merged at or below the header line (line ${headerLine}): ${refs.join(', ')}${inData.length > 5 ? ' and more' : ''}. Unmerge them and put a value in each row, then upload again.`,
    first.firstRow,
  );
}
