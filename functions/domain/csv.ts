import { neutraliseFormula } from './japanese/formula.ts';

/**
 * CSV that Excel in Japan opens safely: every download Kura hands out (row errors, support exports, the
 * BI page) is written here. Cells are formula-neutralised and quoted when needed (RFC 4180); the file has
 * a UTF-8 BOM (so Excel reads it as UTF-8, not Shift_JIS) and CRLF line ends.
 */
export function csvCell(value: string | number | null | undefined): string {
  if (value === null || value === undefined) return '';
  const text = typeof value === 'number' ? String(value) : neutraliseFormula(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** CSV with a UTF-8 BOM and CRLF line ends. */
export function toCsv(
  header: readonly string[],
  rows: ReadonlyArray<ReadonlyArray<string | number | null | undefined>>,
) {
  const lines = [header.map(csvCell).join(','), ...rows.map((r) => r.map(csvCell).join(','))];
  return `\uFEFF${lines.join('\r\n')}\r\n`;
}
