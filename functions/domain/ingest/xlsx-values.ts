/** A workbook cell's value as CSV text (dates, times, numbers as Excel stores them) and cell references. */
import { needsCsvQuotes, quoteCsvField } from '../csv.ts';
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
  return Number.isInteger(value) ? integerText(value) : String(value);
}

/**
 * An integer's digits in full (`toFixed(0)`: 2^60 is `1152921504606846976`, where `String` would round it
 * to `1152921504606847000`). Below 2^53 both write the same digits, and `String` is the faster.
 */
function integerText(value: number): string {
  return Number.isSafeInteger(value) ? String(value) : value.toFixed(0);
}

/**
 * The whole number a stored value plainly writes (digits only, no leading zero, at most 15 digits, so
 * exact), or -1 when it is written any other way. Such a value is its own number text (`String` writes
 * it back unchanged), and reading it here is faster than `Number` on the millions of cells of a sheet.
 */
export function plainWholeNumber(value: string): number {
  const length = value.length;
  if (length === 0 || length > 15 || (length > 1 && value.charCodeAt(0) === 48)) return -1;
  let whole = 0;
  for (let at = 0; at < length; at++) {
    const digit = value.charCodeAt(at) - 48;
    if (digit < 0 || digit > 9) return -1;
    whole = whole * 10 + digit;
  }
  return whole;
}

/**
 * The CSV field of a value stored in a general-format number cell: its number text, or (when it is not
 * a finite number) the value itself as a field.
 */
export function generalNumberField(value: string): string {
  const number = Number(value);
  return Number.isFinite(number) ? numberText(number) : csvField(value);
}

/**
 * `compute` (a pure function) remembering its results for the keys seen last, at most `limit` of them
 * (emptied when full, so a sheet of distinct values cannot grow it without end). Made for one sheet's
 * reading and dropped with it, so no upload's values outlive it: a sheet repeats few dates and numbers
 * over its millions of cells.
 */
export function remembering<K, V>(compute: (key: K) => V, limit: number): (key: K) => V {
  const results = new Map<K, V>();
  return (key) => {
    let result = results.get(key);
    if (result === undefined) {
      result = compute(key);
      if (results.size >= limit) results.clear();
      results.set(key, result);
    }
    return result;
  };
}

/** A cell's text as a CSV field: line breaks become spaces (a spreadsheet row stays one line), then quoted. */
export function csvField(text: string): string {
  return needsCsvQuotes(text) ? quoteCsvField(text.replace(/\r\n|\r|\n/g, ' ')) : text;
}

/** How many capital letters (a column's name) `ref` starts with. */
function columnLetters(ref: string): number {
  let count = 0;
  while (count < ref.length) {
    const code = ref.charCodeAt(count);
    if (code < 65 || code > 90) break;
    count++;
  }
  return count;
}

/** Whether `ref` holds one ASCII digit or more from `from` to its end. */
function digitsFrom(ref: string, from: number): boolean {
  if (from >= ref.length) return false;
  for (let at = from; at < ref.length; at++) {
    const code = ref.charCodeAt(at);
    if (code < 48 || code > 57) return false;
  }
  return true;
}

/**
 * "C12" → column index 2; -1 when `ref` is not a cell reference (one to three capitals, then digits).
 * `cellRef`'s rule without building its row: the sheet reader needs only the column, once per cell.
 */
export function cellColumn(ref: string): number {
  // One pass over the letters, reading the column as it goes.
  let column = 0;
  let letters = 0;
  for (; letters < ref.length; letters++) {
    const code = ref.charCodeAt(letters);
    if (code < 65 || code > 90) break;
    column = column * 26 + (code - 64);
  }
  return letters >= 1 && letters <= 3 && digitsFrom(ref, letters) ? column - 1 : -1;
}

/** "C12" → [row 12, column index 2]. */
export function cellRef(ref: string): { row: number; column: number } | undefined {
  const column = cellColumn(ref);
  return column < 0 ? undefined : { row: Number(ref.slice(columnLetters(ref))), column };
}

export function mergedRange(ref: string): MergedRange | undefined {
  const [from, to] = ref.split(':');
  const first = from ? cellRef(from) : undefined;
  const last = to ? cellRef(to) : first;
  return first && last ? { ref, firstRow: first.row, lastRow: last.row } : undefined;
}
