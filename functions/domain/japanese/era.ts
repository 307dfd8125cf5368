/**
 * Japanese era (和暦) dates. Each era's first and last day are the official ones, so a date that
 * never existed in that era (平成31年5月1日: Heisei ended on 30 April 2019) is refused, not guessed.
 * The same table compiles to SQL (functions/domain/ingest/sql-macros.ts and sql-column-rules.ts), so TypeScript and DuckDB agree.
 */
export interface Era {
  readonly name: string;
  /** Latin initial used in abbreviations such as R5.4.1. */
  readonly initial: string;
  readonly en: string;
  /** Gregorian year of the era's year 1 (元年). */
  readonly firstYear: number;
  /** First and last day (ISO), inclusive. */
  readonly start: string;
  readonly end: string;
}

export const ERAS: readonly Era[] = [
  { name: '令和', initial: 'R', en: 'Reiwa', firstYear: 2019, start: '2019-05-01', end: '9999-12-31' },
  { name: '平成', initial: 'H', en: 'Heisei', firstYear: 1989, start: '1989-01-08', end: '2019-04-30' },
  { name: '昭和', initial: 'S', en: 'Showa', firstYear: 1926, start: '1926-12-25', end: '1989-01-07' },
  { name: '大正', initial: 'T', en: 'Taisho', firstYear: 1912, start: '1912-07-30', end: '1926-12-25' },
];

/** Earliest and latest dates Kura accepts in any date column. */
export const MIN_DATE = '1900-01-01';
export const MAX_DATE = '2099-12-31';

const eraAlternatives = ERAS.flatMap((e) => [e.name, e.initial]).join('|');

/**
 * Dates and months after width normalisation, spaces removed and upper-cased (both engines use these
 * patterns; only constructs RE2 and JavaScript read alike).
 * - separated: 2023/4/1, 2023-04-01, 2023.4.1, 2023年4月1日, 令和5年4月1日, R5.4.1, 令和元年5月1日
 * - compact: 20230401
 */
export const DATE_SEPARATED_PATTERN = `^(${eraAlternatives})?(元|[0-9]{1,4})[/.年-]([0-9]{1,2})[/.月-]([0-9]{1,2})日?$`;
export const DATE_COMPACT_PATTERN = '^([0-9]{4})([0-9]{2})([0-9]{2})$';
/** 2023/4, 2023-04, 2023年4月, 令和5年4月, R5.4, 202304 */
export const MONTH_SEPARATED_PATTERN = `^(${eraAlternatives})?(元|[0-9]{1,4})[/.年-]([0-9]{1,2})月?$`;
export const MONTH_COMPACT_PATTERN = '^([0-9]{4})([0-9]{2})$';
/** A time of midnight Excel appends to dates (`2023/4/1 0:00`, `2023-04-01 00:00:00`), removed first. */
export const MIDNIGHT_SUFFIX_PATTERN = '[ T]+0?0:00(:00)?$';

export type DateFailure = 'INVALID_DATE' | 'ERA_MISMATCH' | 'OUT_OF_RANGE';
export type ParsedDate =
  | { readonly ok: true; readonly iso: string }
  | { readonly ok: false; readonly code: DateFailure };

const pad = (n: number, width: number) => String(n).padStart(width, '0');

/** Prepares a date string for the patterns: midnight suffix dropped, spaces removed, upper-cased. */
export function compactDateText(value: string): string {
  return value.replace(new RegExp(MIDNIGHT_SUFFIX_PATTERN), '').replace(/ /g, '').toUpperCase();
}

function eraOf(token: string): Era | undefined {
  return ERAS.find((e) => e.name === token || e.initial === token);
}

/** A valid ISO date from parts, or undefined when the day does not exist (Feb 30). */
export function isoDate(year: number, month: number, day: number): string | undefined {
  if (month < 1 || month > 12 || day < 1 || day > 31) return undefined;
  const date = new Date(0);
  // setUTCFullYear, not Date.UTC: Date.UTC maps years 0–99 to 1900–1999.
  date.setUTCFullYear(year, month - 1, day);
  if (date.getUTCFullYear() !== year || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) {
    return undefined;
  }
  return `${pad(year, 4)}-${pad(month, 2)}-${pad(day, 2)}`;
}

/** Gregorian year for an era token and a year text (元 = 1); undefined when it cannot be one. */
function gregorianYear(eraToken: string, yearText: string): { year: number; era?: Era } | undefined {
  if (eraToken === '') {
    return yearText.length === 4 ? { year: Number(yearText) } : undefined;
  }
  const era = eraOf(eraToken);
  if (!era) return undefined;
  const eraYear = yearText === '元' ? 1 : Number(yearText);
  if (eraYear < 1 || yearText.length > 2) return undefined;
  return { year: era.firstYear + eraYear - 1, era };
}

function checked(iso: string, era: Era | undefined, lastDay = iso): ParsedDate {
  // A month belongs to an era when any of its days does: 平成31年4月 yes, 令和元年4月 no.
  if (era && (lastDay < era.start || iso > era.end)) return { ok: false, code: 'ERA_MISMATCH' };
  if (iso < MIN_DATE || iso > MAX_DATE) return { ok: false, code: 'OUT_OF_RANGE' };
  return { ok: true, iso };
}

/**
 * Parses a date as Japanese spreadsheets write it (already width-normalised and trimmed) to ISO
 * `YYYY-MM-DD`: Western forms, compact 20230401, and eras (`令和5年4月1日`, `R5.4.1`, `令和元年5月1日`).
 */
export function parseDate(text: string): ParsedDate {
  const value = compactDateText(text);
  const separated = new RegExp(DATE_SEPARATED_PATTERN).exec(value);
  const compact = separated ? null : new RegExp(DATE_COMPACT_PATTERN).exec(value);
  const parts = separated
    ? {
        era: separated[1] ?? '',
        year: separated[2] ?? '',
        month: separated[3] ?? '',
        day: separated[4] ?? '',
      }
    : compact
      ? { era: '', year: compact[1] ?? '', month: compact[2] ?? '', day: compact[3] ?? '' }
      : undefined;
  if (!parts) return { ok: false, code: 'INVALID_DATE' };
  const year = gregorianYear(parts.era, parts.year);
  if (!year) return { ok: false, code: 'INVALID_DATE' };
  const iso = isoDate(year.year, Number(parts.month), Number(parts.day));
  if (!iso) return { ok: false, code: 'INVALID_DATE' };
  return checked(iso, year.era);
}

export type ParsedMonth =
  | { readonly ok: true; readonly month: string }
  | { readonly ok: false; readonly code: DateFailure };

/**
 * Parses a month (`2023/4`, `2023年4月`, `令和5年4月`, `R5.4`, `202304`) to `YYYY-MM`. A full date is
 * accepted too (Excel turns `2023/4` into `2023/4/1`), as long as the day exists.
 */
export function parseMonth(text: string): ParsedMonth {
  const value = compactDateText(text);
  const separated = new RegExp(MONTH_SEPARATED_PATTERN).exec(value);
  const compact = separated ? null : new RegExp(MONTH_COMPACT_PATTERN).exec(value);
  const parts = separated
    ? { era: separated[1] ?? '', year: separated[2] ?? '', month: separated[3] ?? '' }
    : compact
      ? { era: '', year: compact[1] ?? '', month: compact[2] ?? '' }
      : undefined;
  if (!parts) {
    const date = parseDate(text);
    return date.ok ? { ok: true, month: date.iso.slice(0, 7) } : date;
  }
  const year = gregorianYear(parts.era, parts.year);
  if (!year) return { ok: false, code: 'INVALID_DATE' };
  const first = isoDate(year.year, Number(parts.month), 1);
  if (!first) return { ok: false, code: 'INVALID_DATE' };
  const last = isoDate(year.year, Number(parts.month), daysInMonth(year.year, Number(parts.month))) ?? first;
  const result = checked(first, year.era, last);
  return result.ok ? { ok: true, month: first.slice(0, 7) } : result;
}

function daysInMonth(year: number, month: number): number {
  const date = new Date(0);
  date.setUTCFullYear(year, month, 0);
  return date.getUTCDate();
}
