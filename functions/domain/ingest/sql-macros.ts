/**
 * The DuckDB macros ingestion's SQL uses: era dates (和暦) and the My Number check digit, compiled from
 * the Japanese normalisation rules (functions/domain/japanese).
 */
import {
  DATE_COMPACT_PATTERN,
  DATE_SEPARATED_PATTERN,
  ERAS,
  MIDNIGHT_SUFFIX_PATTERN,
  MONTH_COMPACT_PATTERN,
  MONTH_SEPARATED_PATTERN,
} from '../japanese/era.ts';
import { FORMULA_START_PATTERN } from '../japanese/formula.ts';
import { MY_NUMBER_CANDIDATE_PATTERN, MY_NUMBER_WEIGHTS } from '../japanese/my-number.ts';
import {
  DASH_CHARS,
  FULL_WIDTH_FIRST,
  FULL_WIDTH_LAST,
  FULL_WIDTH_OFFSET,
  IDEOGRAPHIC_SPACE,
  TRIM_CHARS,
} from '../japanese/width.ts';
import { GROUPED_NUMBER_PATTERN } from './rules.ts';
import { lit } from './sql-text.ts';

/** The era of a matched era token ('' for Western years): first year, first and last day. */
export function eraCase(token: string, pick: 'firstYear' | 'start' | 'end'): string {
  const arms = ERAS.map((era) => {
    const value = pick === 'firstYear' ? String(era.firstYear) : `DATE ${lit(era[pick])}`;
    return `WHEN ${token} IN (${lit(era.name)}, ${lit(era.initial)}) THEN ${value}`;
  });
  return `CASE ${arms.join(' ')} END`;
}

/**
 * Small leaf macros (each parameter used on plain inputs, so inlining stays cheap). The rules
 * themselves compile into layered SELECTs below, so every intermediate is computed once.
 */
export function ingestMacros(): string[] {
  return [
    // Per character, the width.ts table (translate() with a long table is ten times slower); text
    // that is ASCII (bytes = characters) or has none of the characters (令和5年4月1日) is left as is.
    `CREATE OR REPLACE TEMP MACRO kura_half(s) AS CASE WHEN strlen(s) = length(s) THEN s
       WHEN NOT regexp_matches(s, ${lit(`[${String.fromCodePoint(FULL_WIDTH_FIRST)}-${String.fromCodePoint(FULL_WIDTH_LAST)}${String.fromCodePoint(IDEOGRAPHIC_SPACE)}${DASH_CHARS}]`)}) THEN s
       ELSE array_to_string(list_transform(string_split(s, ''), ch -> CASE
       WHEN unicode(ch) BETWEEN ${FULL_WIDTH_FIRST} AND ${FULL_WIDTH_LAST} THEN chr(unicode(ch) - ${FULL_WIDTH_OFFSET})
       WHEN ch = chr(${IDEOGRAPHIC_SPACE}) THEN ' '
       WHEN ch IN (${[...DASH_CHARS].map(lit).join(', ')}) THEN '-'
       ELSE ch END), '') END`,
    `CREATE OR REPLACE TEMP MACRO kura_pre(s) AS NULLIF(trim(kura_half(s), ${lit(TRIM_CHARS)}), '')`,
    `CREATE OR REPLACE TEMP MACRO kura_pre_text(s) AS NULLIF(trim(s, ${lit(TRIM_CHARS)}), '')`,
    `CREATE OR REPLACE TEMP MACRO kura_strip_midnight(s) AS CASE WHEN contains(s, ':') THEN regexp_replace(s, ${lit(MIDNIGHT_SUFFIX_PATTERN)}, '') ELSE s END`,
    `CREATE OR REPLACE TEMP MACRO kura_pre_date(s) AS NULLIF(upper(replace(kura_strip_midnight(kura_pre(s)), ' ', '')), '')`,
    `CREATE OR REPLACE TEMP MACRO kura_neutral(s) AS CASE WHEN regexp_matches(s, ${lit(FORMULA_START_PATTERN)}) THEN chr(39) || s ELSE s END`,
    `CREATE OR REPLACE TEMP MACRO kura_digits(n) AS CASE WHEN regexp_matches(n, ${lit(GROUPED_NUMBER_PATTERN)}) THEN replace(n, ',', '') ELSE n END`,
    `CREATE OR REPLACE TEMP MACRO kura_date_parts(n) AS CASE
       WHEN regexp_matches(n, ${lit(DATE_SEPARATED_PATTERN)}) THEN regexp_extract(n, ${lit(DATE_SEPARATED_PATTERN)}, ['e', 'y', 'm', 'd'])
       WHEN regexp_matches(n, ${lit(DATE_COMPACT_PATTERN)}) THEN {'e': '', 'y': n[1:4], 'm': n[5:6], 'd': n[7:8]} END`,
    `CREATE OR REPLACE TEMP MACRO kura_month_parts(n) AS CASE
       WHEN regexp_matches(n, ${lit(MONTH_SEPARATED_PATTERN)}) THEN {'e': regexp_extract(n, ${lit(MONTH_SEPARATED_PATTERN)}, 1), 'y': regexp_extract(n, ${lit(MONTH_SEPARATED_PATTERN)}, 2), 'm': regexp_extract(n, ${lit(MONTH_SEPARATED_PATTERN)}, 3), 'd': ''}
       WHEN regexp_matches(n, ${lit(MONTH_COMPACT_PATTERN)}) THEN {'e': '', 'y': n[1:4], 'm': n[5:6], 'd': ''} END`,
    // Gregorian year (元 = 1); NULL when the parts cannot be one.
    `CREATE OR REPLACE TEMP MACRO kura_year(e, y) AS CASE
       WHEN e = '' THEN (CASE WHEN length(y) = 4 THEN y::INTEGER END)
       WHEN y = '元' THEN ${eraCase('e', 'firstYear')}
       WHEN length(y) <= 2 AND y::INTEGER >= 1 THEN ${eraCase('e', 'firstYear')} + y::INTEGER - 1 END`,
    `CREATE OR REPLACE TEMP MACRO kura_make_date(y, m, d) AS
       try_cast(printf('%04d-%02d-%02d', y, m::INTEGER, d::INTEGER) AS DATE)`,
    ...myNumberMacros(),
  ];
}

/**
 * Raw text that may hold a My Number: three runs of four digits (ASCII or full-width), each pair
 * joined by at most one space or dash of any width. Everything `containsMyNumber` finds after width
 * normalisation matches it; dates, times, amounts and short codes do not, so it is the cheap first
 * test (one regular expression over a whole row) before the check digits.
 */
export const MY_NUMBER_PREFILTER_PATTERN = (() => {
  const digit = `[0-9${String.fromCodePoint(FULL_WIDTH_FIRST + 15)}-${String.fromCodePoint(FULL_WIDTH_FIRST + 24)}]`;
  const separator = `[ ${String.fromCodePoint(IDEOGRAPHIC_SPACE)}${String.fromCodePoint(FULL_WIDTH_FIRST + 12)}\\-${DASH_CHARS}]?`;
  return `${digit}{4}${separator}${digit}{4}${separator}${digit}{4}`;
})();

/** The fewest characters (so bytes) MY_NUMBER_PREFILTER_PATTERN matches: three runs of four digits. */
export const MY_NUMBER_MIN_LENGTH = 12;

/**
 * My Number detection in SQL, compiled from japanese/my-number.ts (the same weights and candidate
 * pattern; a property test holds the two together). `kura_has_my_number(s)` is true when a raw cell
 * holds a My Number anywhere; cells that do not pass the prefilter skip the work.
 */
function myNumberMacros(): string[] {
  const sum = MY_NUMBER_WEIGHTS.map((weight, i) => `${weight} * (ascii(d[${i + 1}]) - 48)`).join(' + ');
  return [
    `CREATE OR REPLACE TEMP MACRO kura_my_number_ok(d) AS CASE WHEN regexp_full_match(d, '[0-9]{12}')
       THEN (CASE WHEN (${sum}) % 11 <= 1 THEN 0 ELSE 11 - (${sum}) % 11 END) = ascii(d[12]) - 48 ELSE false END`,
    `CREATE OR REPLACE TEMP MACRO kura_may_hold_my_number(s) AS regexp_matches(s, ${lit(MY_NUMBER_PREFILTER_PATTERN)})`,
    `CREATE OR REPLACE TEMP MACRO kura_has_my_number(s) AS CASE
       WHEN kura_may_hold_my_number(s)
       THEN len(list_filter(regexp_extract_all(kura_half(s), ${lit(MY_NUMBER_CANDIDATE_PATTERN)}),
         x -> kura_my_number_ok(replace(replace(x, '-', ''), ' ', '')))) > 0
       ELSE false END`,
  ];
}
