/**
 * Excel workbooks (.xlsx) read into the same CSV row stream the CSV path validates, so every rule applies
 * once. Pure: the zip container comes in through the `WorkbookArchive` port (adapters/xlsx-archive.ts
 * implements it over yauzl), this module only reads the parts' XML (streamed through xml-reader.ts).
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

import { type FileRejectedError, reject } from './errors.ts';
import type { FileWarning } from './header.ts';
import { sheetDigest } from './sheet-digest.ts';
import {
  type ArchiveEntry,
  type MergedRange,
  type WorkbookArchive,
  type WorkbookFindings,
  XLSX_LIMITS,
} from './workbook.ts';
import {
  local,
  type NumberKind,
  parsePart,
  readSharedStrings,
  readStyles,
  readWorkbook,
  type SheetRef,
} from './xlsx-parts.ts';
import {
  cellColumn,
  csvField,
  dayFractionToHours,
  generalNumberField,
  mergedRange,
  numberText,
  plainWholeNumber,
  remembering,
  serialToIsoDate,
} from './xlsx-values.ts';

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

/**
 * The sheet to read: the first, or the one the upload named (by digest: sheet names are the company's
 * own text). Refused when it is not there; a notice when the workbook has others.
 */
function chooseSheet(
  archive: WorkbookArchive,
  sheets: readonly SheetRef[],
  options: { readonly sheetDigest?: string },
  findings: WorkbookFindings,
): SheetRef {
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
  return chosen;
}

/**
 * What a cell's value is read against: the shared strings, how each style shows a number, and the ISO
 * date of a day and the field of a general-format number as this sheet's reading remembers them.
 */
interface Book {
  readonly strings: readonly string[];
  readonly styles: readonly NumberKind[];
  readonly isoDateOfDay: (day: number) => string | undefined;
  readonly generalNumber: (value: string) => string;
}

/** How many dates and numbers a sheet's reading remembers, and the longest stored number it keeps. */
const REMEMBERED_VALUES = 100_000;
const REMEMBERED_LONGEST = 32;

/** The book of one sheet's reading. */
function openBook(strings: readonly string[], styles: readonly NumberKind[], date1904: boolean): Book {
  const rememberedNumber = remembering(generalNumberField, REMEMBERED_VALUES);
  return {
    strings,
    styles,
    isoDateOfDay: remembering((day: number) => serialToIsoDate(day, date1904), REMEMBERED_VALUES),
    generalNumber: (value) =>
      value.length <= REMEMBERED_LONGEST ? rememberedNumber(value) : generalNumberField(value),
  };
}

/** How a number with no style (or a style the workbook does not define) is shown. */
const PLAIN_NUMBER: NumberKind = { kind: 'number' };

/**
 * A cell's value as a CSV field: shared and inline strings, booleans, and numbers as their style says
 * (date, time, number). Only text the workbook holds is quoted: a number, date or duration as written
 * here never holds a comma, a double quote or a line break.
 */
function cellField(type: string, style: number, value: string, book: Book): string {
  const whole = plainWholeNumber(value);
  if (type === 's') return csvField(book.strings[whole < 0 ? Number(value) : whole] ?? '');
  if (type === 'inlineStr' || type === 'str' || type === 'e') return csvField(value);
  if (type === 'b') return value === '1' ? 'TRUE' : value === '0' ? 'FALSE' : csvField(value);
  if (value === '') return '';
  const kind = book.styles[style] ?? PLAIN_NUMBER;
  // A plainly written whole number is already its number text.
  if (kind.kind === 'number' && kind.decimals === undefined)
    return whole < 0 ? book.generalNumber(value) : value;
  const number = whole < 0 ? Number(value) : whole;
  if (!Number.isFinite(number)) return csvField(value);
  // A serial's date is its day's (the fraction is the time of day).
  if (kind.kind === 'date') return book.isoDateOfDay(Math.floor(number)) ?? numberText(number);
  if (kind.kind === 'time') return dayFractionToHours(number);
  return numberText(number, kind.decimals);
}

/** The notice that formulas were read as the results Excel saved (Kura never evaluates them). */
function formulaNotice(formulas: number, firstFormula: string): FileWarning {
  return {
    code: 'XLSX_FORMULAS',
    ja: `数式のセルが ${formulas} 個あり（最初は ${firstFormula}）、Excel が保存した計算結果の値を読みました。Kura は数式を計算しません。値が古い場合は Excel で開いて再計算・保存してからアップロードしてください。`,
    en: `${formulas} cell(s) hold formulas (the first ${firstFormula}); the results Excel saved were read. Kura never evaluates formulas: if they may be stale, recalculate and save in Excel before uploading.`,
  };
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
  const chosen = chooseSheet(archive, sheets, options, findings);
  const styles = await readStyles(archive);
  const strings = await readSharedStrings(archive);
  const encoder = new TextEncoder();

  const book = openBook(strings, styles, date1904);
  let lines: string[] = [];
  let lineNumber = 0;
  let row: string[] = [];
  let rowNumber = 0;
  // The cell being read (one at a time, so kept in place rather than as an object per cell).
  let inCell = false;
  let cellIndex = 0;
  let cellType = 'n';
  let cellStyle = 0;
  let cellReference = '';
  let value = '';
  let inValue = false;
  let inInline = false;
  let inPhonetic = 0;
  let formulas = 0;
  let firstFormula = '';

  const endCell = () => {
    if (!inCell) return;
    while (row.length < cellIndex) row.push('');
    row[cellIndex] = cellField(cellType, cellStyle, value, book);
    inCell = false;
  };

  // Tags by how often a sheet holds them: a cell and its value, then rows.
  const sheet = parsePart(archive, chosen.part, {
    onTag: (tagName, attributes) => {
      const name = local(tagName);
      if (name === 'c') {
        cellReference = attributes.r ?? '';
        const column = cellColumn(cellReference);
        cellIndex = column < 0 ? row.length : column;
        cellType = attributes.t ?? 'n';
        cellStyle = Number(attributes.s ?? 0);
        inCell = true;
        value = '';
      } else if (name === 'v' && inCell) {
        inValue = true;
      } else if (name === 'row') {
        const declared = Number(attributes.r ?? rowNumber + 1);
        rowNumber = Number.isInteger(declared) && declared > rowNumber ? declared : rowNumber + 1;
        if (rowNumber > XLSX_LIMITS.maxRow)
          throw reject(
            'XLSX_CORRUPT',
            'Excel ファイルの行番号が不正です。',
            'The Excel file has an invalid row number.',
          );
        row = [];
      } else if (name === 'is' && inCell) {
        inInline = true;
      } else if (name === 'rPh') {
        inPhonetic++;
      } else if (name === 'f' && inCell) {
        formulas++;
        if (firstFormula === '') firstFormula = cellReference;
      } else if (name === 'mergeCell') {
        const range = mergedRange(attributes.ref ?? '');
        if (range) findings.merges.push(range);
      }
    },
    onText: (text) => {
      if (inValue || (inInline && inPhonetic === 0)) value += text;
    },
    onClose: (closed) => {
      const name = local(closed);
      if (name === 'v') inValue = false;
      else if (name === 'c') endCell();
      else if (name === 'row') {
        while (lineNumber < rowNumber - 1) {
          lines.push('');
          lineNumber++;
        }
        lines.push(row.join(','));
        lineNumber = rowNumber;
      } else if (name === 'is') inInline = false;
      else if (name === 'rPh') inPhonetic--;
    },
  });
  for await (const _ of sheet) {
    if (lines.length > 0) {
      yield encoder.encode(`${lines.join('\n')}\n`);
      lines = [];
    }
  }
  if (lines.length > 0) yield encoder.encode(`${lines.join('\n')}\n`);
  if (formulas > 0) findings.warnings.push(formulaNotice(formulas, firstFormula));
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
