/** A workbook cell's value as CSV text (dates, times, numbers as Excel stores them) and cell references. */
import { quoteCsvField } from '../csv.ts';
import type { MergedRange } from './workbook.ts';

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

export const csvField = (text: string) => quoteCsvField(text.replace(/\r\n|\r|\n/g, ' '));

/** "C12" → [row 12, column index 2]. */
export function cellRef(ref: string): { row: number; column: number } | undefined {
  const match = /^([A-Z]{1,3})(\d+)$/.exec(ref);
  if (!match) return undefined;
  let column = 0;
  for (const ch of match[1] ?? '') column = column * 26 + (ch.charCodeAt(0) - 64);
  return { row: Number(match[2]), column: column - 1 };
}

export function mergedRange(ref: string): MergedRange | undefined {
  const [from, to] = ref.split(':');
  const first = from ? cellRef(from) : undefined;
  const last = to ? cellRef(to) : first;
  return first && last ? { ref, firstRow: first.row, lastRow: last.row } : undefined;
}
