import type { ColumnDef } from '../catalog/schema.ts';
import { compactDateText, parseDate, parseMonth } from '../japanese/era.ts';
import { neutraliseFormula } from '../japanese/formula.ts';
import { toHalfWidth, trimSpaces } from '../japanese/width.ts';

/**
 * Cell rules, one per column type: the TypeScript twin of the SQL that ingestion runs (sql.ts).
 * Both read their patterns from here and from japanese/, and a property test checks they agree.
 */

/** Row-level error codes (each has a bilingual message in messages.ts). */
export const CELL_ERROR_CODES = [
  'REQUIRED',
  'TOO_LONG',
  'INVALID_CODE',
  'INVALID_NUMBER',
  /** A duration not in the upload's declared time format (e.g. 1.75 in 60進数, 90.5 in minutes). */
  'INVALID_TIME',
  'INVALID_DATE',
  'ERA_MISMATCH',
  'OUT_OF_RANGE',
  'INVALID_VALUE',
  'DUPLICATE_ROW',
] as const;
export type CellErrorCode = (typeof CELL_ERROR_CODES)[number];

/** Thousands separators as Excel writes them: 1,234,567 (also with decimals: 1,234.5). */
export const GROUPED_NUMBER_PATTERN = '^[+-]?[0-9]{1,3}(,[0-9]{3})+(\\.[0-9]+)?$';
export const INTEGER_PATTERN = '^[+-]?[0-9]+$';
/**
 * A yen sign before or 円 after an amount, as Excel's currency format exports it (in Shift_JIS the
 * yen sign is byte 0x5C, which decodes as a backslash): removed from integer cells.
 */
export const CURRENCY_PATTERN = '^[¥￥\\\\]|円$';
const CURRENCY = new RegExp(CURRENCY_PATTERN, 'g');
export const DECIMAL_PATTERN = '^[+-]?([0-9]+(\\.[0-9]*)?|\\.[0-9]+)$';
/** Hours written as a clock duration, as attendance systems export them: 7:30 → 7.5. */
export const DURATION_PATTERN = '^([0-9]+):([0-5][0-9])$';
/** 60進数 (time format `hours-minutes`): hours, then optionally a point and two digits of minutes. */
export const HOURS_MINUTES_PATTERN = '^([0-9]+)(\\.([0-9]{2}))?$';
/** Time format `minutes`: whole minutes. */
export const MINUTES_PATTERN = '^[0-9]+$';
/** Control characters have no place in a code (a code spans one line). */
export const CODE_INVALID_PATTERN = '[\\x00-\\x1f\\x7f]';

export type CellValue = string | number | null;
export interface CellResult {
  readonly value: CellValue;
  readonly error?: CellErrorCode;
}

const ok = (value: CellValue): CellResult => ({ value });
const fail = (error: CellErrorCode): CellResult => ({ value: null, error });
const re = (pattern: string) => new RegExp(pattern);
const GROUPED = re(GROUPED_NUMBER_PATTERN);
const INTEGER = re(INTEGER_PATTERN);
const DECIMAL = re(DECIMAL_PATTERN);
const DURATION = re(DURATION_PATTERN);
const HOURS_MINUTES = re(HOURS_MINUTES_PATTERN);
const MINUTES = re(MINUTES_PATTERN);
const CODE_INVALID = re(CODE_INVALID_PATTERN);

/** The text a cell holds before type rules: width-normalised for everything but free text, trimmed. */
export function preNormalise(column: ColumnDef, raw: string | null): string | null {
  if (raw === null) return null;
  if (column.type === 'text') return trimSpaces(raw) || null;
  const half = trimSpaces(toHalfWidth(raw));
  if (column.type === 'date' || column.type === 'month') return compactDateText(half) || null;
  return half || null;
}

const inRange = (value: number, column: ColumnDef) =>
  (column.min === undefined || value >= column.min) && (column.max === undefined || value <= column.max);

/** Enum spellings (width-normalised as cells are, lower-cased) → stored value. */
export function enumLookup(column: ColumnDef): Map<string, string> {
  const lookup = new Map<string, string>();
  for (const v of column.values ?? []) {
    // Spellings go through the same width normalisation as cells (パート → パ-ト on both sides).
    for (const spelling of [v.value, ...v.accepts]) {
      lookup.set(trimSpaces(toHalfWidth(spelling)).toLowerCase(), v.value);
    }
  }
  return lookup;
}

/** Validates and normalises one cell (raw text, or null when the column is absent or empty). */
export function normaliseCell(column: ColumnDef, raw: string | null): CellResult {
  const text = preNormalise(column, raw);
  if (text === null) return column.required ? fail('REQUIRED') : ok(null);
  switch (column.type) {
    case 'text':
      if ([...text].length > (column.maxLength ?? Number.POSITIVE_INFINITY)) return fail('TOO_LONG');
      return ok(neutraliseFormula(text));
    case 'code':
      if ([...text].length > (column.maxLength ?? Number.POSITIVE_INFINITY)) return fail('TOO_LONG');
      if (CODE_INVALID.test(text)) return fail('INVALID_CODE');
      return ok(neutraliseFormula(text));
    case 'integer': {
      const amount = text.replace(CURRENCY, '');
      const digits = GROUPED.test(amount) ? amount.replace(/,/g, '') : amount;
      if (!INTEGER.test(digits)) return fail('INVALID_NUMBER');
      const value = Number(digits);
      if (!Number.isSafeInteger(value) || !inRange(value, column)) return fail('OUT_OF_RANGE');
      return ok(value === 0 ? 0 : value); // -0 is not an integer value
    }
    case 'decimal': {
      const digits = GROUPED.test(text) ? text.replace(/,/g, '') : text;
      const duration = DURATION.exec(digits);
      if (column.timeFormat === 'hours-minutes' || column.timeFormat === 'minutes') {
        const sexagesimal = HOURS_MINUTES.exec(digits);
        const value = duration
          ? Number(duration[1]) + Number(duration[2]) / 60
          : column.timeFormat === 'minutes'
            ? MINUTES.test(digits)
              ? Number(digits) / 60
              : undefined
            : sexagesimal && Number(sexagesimal[3] ?? '0') < 60
              ? Number(sexagesimal[1]) + Number(sexagesimal[3] ?? '0') / 60
              : undefined;
        if (value === undefined || !Number.isFinite(value)) return fail('INVALID_TIME');
        if (!inRange(value, column)) return fail('OUT_OF_RANGE');
        return ok(value);
      }
      const value = DECIMAL.test(digits)
        ? Number(digits)
        : duration
          ? Number(duration[1]) + Number(duration[2]) / 60
          : undefined;
      if (value === undefined || !Number.isFinite(value)) return fail('INVALID_NUMBER');
      if (!inRange(value, column)) return fail('OUT_OF_RANGE');
      return ok(value);
    }
    case 'date': {
      const parsed = parseDate(text);
      return parsed.ok ? ok(parsed.iso) : fail(parsed.code);
    }
    case 'month': {
      const parsed = parseMonth(text);
      return parsed.ok ? ok(parsed.month) : fail(parsed.code);
    }
    case 'enum': {
      const value = enumLookup(column).get(text.toLowerCase());
      return value === undefined ? fail('INVALID_VALUE') : ok(value);
    }
  }
}
