/**
 * Builds small synthetic .xlsx workbooks for tests, as Excel lays them out (shared strings with
 * furigana runs, styles that make a number a date or a duration, formulas with cached values, merged
 * cells, several sheets, an optional macro part), so tests judge the reader against Excel's format
 * rather than against the reader's own assumptions.
 */
import { strToU8, zipSync } from 'fflate';

/** A cell: text, a number, a date (ISO), a duration in hours shown as [h]:mm, a 0.00 number, a formula. */
export type XlsxCell =
  | string
  | number
  | boolean
  | { readonly date: string }
  | { readonly hours: number }
  | { readonly fixed2: number }
  | { readonly formula: string; readonly cached: number }
  | { readonly inline: string }
  | { readonly furigana: string; readonly reading: string }
  | null;

export interface XlsxSheet {
  readonly name: string;
  /** Rows from `firstRow` (1-based) on; null rows are left out of the XML (Excel omits empty rows). */
  readonly rows: ReadonlyArray<ReadonlyArray<XlsxCell> | null>;
  readonly firstRow?: number;
  readonly merges?: readonly string[];
}

const xmlText = (text: string) =>
  text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;');

const column = (index: number): string => {
  let name = '';
  for (let n = index + 1; n > 0; n = Math.floor((n - 1) / 26))
    name = String.fromCharCode(65 + ((n - 1) % 26)) + name;
  return name;
};

/** Excel's serial day number (1900 system) of an ISO date. */
export const serialOf = (iso: string) => Date.parse(`${iso}T00:00:00Z`) / 86_400_000 + 25_569;

const STYLES = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">
<numFmts count="2"><numFmt numFmtId="164" formatCode="[h]:mm"/><numFmt numFmtId="165" formatCode="yyyy&quot;年&quot;m&quot;月&quot;d&quot;日&quot;"/></numFmts>
<cellXfs count="5"><xf numFmtId="0"/><xf numFmtId="14" applyNumberFormat="1"/><xf numFmtId="164" applyNumberFormat="1"/><xf numFmtId="2" applyNumberFormat="1"/><xf numFmtId="165" applyNumberFormat="1"/></cellXfs>
</styleSheet>`;

/** The workbook's parts; `extra` adds or replaces parts (e.g. a macro project). */
export function xlsxParts(
  sheets: readonly XlsxSheet[],
  extra: Readonly<Record<string, Uint8Array>> = {},
): Record<string, Uint8Array> {
  const strings: string[] = [];
  const shared = (xml: string) => {
    strings.push(xml);
    return strings.length - 1;
  };
  const cellXml = (cell: XlsxCell, ref: string): string => {
    if (cell === null) return '';
    if (typeof cell === 'string')
      return `<c r="${ref}" t="s"><v>${shared(`<t>${xmlText(cell)}</t>`)}</v></c>`;
    if (typeof cell === 'number') return `<c r="${ref}"><v>${cell}</v></c>`;
    if (typeof cell === 'boolean') return `<c r="${ref}" t="b"><v>${cell ? 1 : 0}</v></c>`;
    if ('date' in cell) return `<c r="${ref}" s="1"><v>${serialOf(cell.date)}</v></c>`;
    if ('hours' in cell) return `<c r="${ref}" s="2"><v>${cell.hours / 24}</v></c>`;
    if ('fixed2' in cell) return `<c r="${ref}" s="3"><v>${cell.fixed2}</v></c>`;
    if ('formula' in cell) return `<c r="${ref}"><f>${xmlText(cell.formula)}</f><v>${cell.cached}</v></c>`;
    if ('inline' in cell) return `<c r="${ref}" t="inlineStr"><is><t>${xmlText(cell.inline)}</t></is></c>`;
    return `<c r="${ref}" t="s"><v>${shared(
      `<t>${xmlText(cell.furigana)}</t><rPh sb="0" eb="1"><t>${xmlText(cell.reading)}</t></rPh><phoneticPr fontId="1"/>`,
    )}</v></c>`;
  };
  const parts: Record<string, Uint8Array> = {};
  sheets.forEach((sheet, index) => {
    const first = sheet.firstRow ?? 1;
    const rows = sheet.rows
      .map((row, i) =>
        row === null
          ? ''
          : `<row r="${first + i}">${row.map((cell, c) => cellXml(cell, `${column(c)}${first + i}`)).join('')}</row>`,
      )
      .join('');
    const merges =
      sheet.merges && sheet.merges.length > 0
        ? `<mergeCells count="${sheet.merges.length}">${sheet.merges.map((m) => `<mergeCell ref="${m}"/>`).join('')}</mergeCells>`
        : '';
    parts[`xl/worksheets/sheet${index + 1}.xml`] = strToU8(
      `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>${rows}</sheetData>${merges}</worksheet>`,
    );
  });
  const main = 'http://schemas.openxmlformats.org/spreadsheetml/2006/main';
  const rel = 'http://schemas.openxmlformats.org/officeDocument/2006/relationships';
  parts['[Content_Types].xml'] = strToU8(
    `<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/></Types>`,
  );
  parts['xl/workbook.xml'] = strToU8(
    `<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="${main}" xmlns:r="${rel}"><sheets>${sheets
      .map((s, i) => `<sheet name="${xmlText(s.name)}" sheetId="${i + 1}" r:id="rId${i + 1}"/>`)
      .join('')}</sheets></workbook>`,
  );
  parts['xl/_rels/workbook.xml.rels'] = strToU8(
    `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">${sheets
      .map(
        (_, i) =>
          `<Relationship Id="rId${i + 1}" Type="${rel}/worksheet" Target="worksheets/sheet${i + 1}.xml"/>`,
      )
      .join('')}</Relationships>`,
  );
  parts['xl/styles.xml'] = strToU8(STYLES);
  parts['xl/sharedStrings.xml'] = strToU8(
    `<?xml version="1.0" encoding="UTF-8"?><sst xmlns="${main}" count="${strings.length}" uniqueCount="${strings.length}">${strings
      .map((s) => `<si>${s}</si>`)
      .join('')}</sst>`,
  );
  return { ...parts, ...extra };
}

/** A synthetic .xlsx file. */
export function xlsx(
  sheets: readonly XlsxSheet[],
  extra: Readonly<Record<string, Uint8Array>> = {},
): Uint8Array {
  return zipSync(xlsxParts(sheets, extra), { level: 6 });
}

/**
 * Rewrites the uncompressed size an archive declares for one entry (local header and central
 * directory alike) to `declared`: a zip that lies about what it inflates to.
 */
export function withDeclaredSize(zip: Uint8Array, entry: string, declared: number): Uint8Array {
  const bytes = zip.slice();
  const view = new DataView(bytes.buffer);
  const name = strToU8(entry);
  const matches = (at: number) => name.every((b, i) => bytes[at + i] === b);
  for (let at = 0; at + 46 < bytes.length; at++) {
    const signature = view.getUint32(at, true);
    if (signature === 0x04034b50 && view.getUint16(at + 26, true) === name.length && matches(at + 30))
      view.setUint32(at + 22, declared, true);
    if (signature === 0x02014b50 && view.getUint16(at + 28, true) === name.length && matches(at + 46))
      view.setUint32(at + 24, declared, true);
  }
  return bytes;
}
