/**
 * Reading a workbook's XML parts by streaming (never whole): the workbook's sheets and date system,
 * the styles' number formats (which numbers are dates, times or durations), the shared strings.
 */
import { FileRejectedError, reject } from './errors.ts';
import { ArchiveSizeError, type WorkbookArchive } from './workbook.ts';
import { type XmlHandlers, XmlReader } from './xml-reader.ts';

/** A tag or attribute name without its namespace prefix (`x:c` → `c`); an unprefixed name as it is, uncopied. */
export function local(name: string): string {
  // Most of a sheet's tags are `c` and `v`: a one-character name other than `:` has no prefix to look for.
  if (name.length === 1 && name !== ':') return name;
  const colon = name.indexOf(':');
  return colon < 0 ? name : name.slice(colon + 1);
}

/** Reads an XML part through the XmlReader, calling the handlers as it goes; yields between chunks. */
export async function* parsePart(
  archive: WorkbookArchive,
  name: string,
  handlers: XmlHandlers,
): AsyncGenerator<void> {
  const reader = new XmlReader(handlers);
  const decoder = new TextDecoder('utf-8', { fatal: false });
  try {
    for await (const chunk of archive.open(name)) {
      reader.write(decoder.decode(chunk, { stream: true }));
      yield;
    }
    reader.write(decoder.decode());
    reader.close();
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

export interface SheetRef {
  readonly name: string;
  readonly part: string;
}

/** The workbook's sheets in order, and whether it counts dates from 1904. */
export async function readWorkbook(
  archive: WorkbookArchive,
): Promise<{ sheets: SheetRef[]; date1904: boolean }> {
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
        onTag: (tagName, attributes) => {
          if (local(tagName) !== 'Relationship') return;
          const target = String(attributes.Target ?? '');
          const part = target.startsWith('/') ? target.slice(1) : `xl/${target}`;
          targets.set(String(attributes.Id ?? ''), part);
        },
      }),
    );
  }
  const sheets: SheetRef[] = [];
  let date1904 = false;
  await drain(
    parsePart(archive, 'xl/workbook.xml', {
      onTag: (tagName, attributes) => {
        const name = local(tagName);
        if (name === 'workbookPr') date1904 = ['1', 'true'].includes(String(attributes.date1904 ?? ''));
        if (name !== 'sheet') return;
        const id = Object.entries(attributes).find(([key]) => local(key) === 'id')?.[1];
        const part = targets.get(String(id ?? '')) ?? `xl/worksheets/sheet${sheets.length + 1}.xml`;
        sheets.push({ name: String(attributes.name ?? ''), part });
      },
    }),
  );
  return { sheets, date1904 };
}

/** How a cell style shows a number. */
export type NumberKind =
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

export async function readStyles(archive: WorkbookArchive): Promise<NumberKind[]> {
  if (!archive.entries.some((e) => e.name === 'xl/styles.xml')) return [];
  const formats = new Map<number, string>();
  const xfs: number[] = [];
  let inCellXfs = false;
  await drain(
    parsePart(archive, 'xl/styles.xml', {
      onTag: (tagName, attributes) => {
        const name = local(tagName);
        if (name === 'numFmt') formats.set(Number(attributes.numFmtId), String(attributes.formatCode ?? ''));
        if (name === 'cellXfs') inCellXfs = true;
        if (name === 'xf' && inCellXfs) xfs.push(Number(attributes.numFmtId ?? 0));
      },
      onClose: (name) => {
        if (local(name) === 'cellXfs') inCellXfs = false;
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
export async function readSharedStrings(archive: WorkbookArchive): Promise<string[]> {
  if (!archive.entries.some((e) => e.name === 'xl/sharedStrings.xml')) return [];
  const strings: string[] = [];
  let current = '';
  let inText = false;
  let phonetic = 0;
  await drain(
    parsePart(archive, 'xl/sharedStrings.xml', {
      onTag: (tagName, _attributes, isSelfClosing) => {
        const name = local(tagName);
        if (name === 'si') current = '';
        if (name === 'rPh') phonetic++;
        if (name === 't' && !isSelfClosing) inText = true;
      },
      onText: (text) => {
        if (inText && phonetic === 0) current += text;
      },
      onClose: (closed) => {
        const name = local(closed);
        if (name === 't') inText = false;
        if (name === 'rPh') phonetic--;
        if (name === 'si') strings.push(current);
      },
    }),
  );
  return strings;
}
