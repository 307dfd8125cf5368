import { neutraliseFormula } from './japanese/formula.ts';

/**
 * CSV that Excel in Japan opens safely: every download Kura hands out (row errors, support exports, the
 * BI page) is written here. Cells are formula-neutralised and quoted when needed (RFC 4180); the file has
 * a UTF-8 BOM (so Excel reads it as UTF-8, not Shift_JIS) and CRLF line ends.
 */
export function csvCell(value: string | number | null | undefined): string {
  if (value === null || value === undefined) return '';
  return quoteCsvField(typeof value === 'number' ? String(value) : neutraliseFormula(value));
}

/**
 * A CSV field as RFC 4180 writes it, the one home of the rule: quoted when it holds a comma, a double
 * quote or a line break, each double quote doubled. No formula neutralising (see `csvCell`).
 */
export function quoteCsvField(text: string): string {
  return needsCsvQuotes(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** Whether RFC 4180 quotes the field: it holds a comma, a double quote or a line break. */
export function needsCsvQuotes(text: string): boolean {
  return /[",\r\n]/.test(text);
}

/** CSV with a UTF-8 BOM and CRLF line ends. */
export function toCsv(
  header: readonly string[],
  rows: ReadonlyArray<ReadonlyArray<string | number | null | undefined>>,
) {
  const lines = [header.map(csvCell).join(','), ...rows.map((r) => r.map(csvCell).join(','))];
  return `\uFEFF${lines.join('\r\n')}\r\n`;
}
