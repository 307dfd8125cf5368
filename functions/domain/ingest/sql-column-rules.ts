/**
 * One catalogue column's rules as SQL layers (rules.ts over all rows at once): the full path every row
 * with an error, and every row off the fast path, goes through.
 */
import type { ColumnDef } from '../catalog/schema.ts';
import { MAX_DATE, MIN_DATE } from '../japanese/era.ts';
import {
  CODE_INVALID_PATTERN,
  CURRENCY_PATTERN,
  DECIMAL_PATTERN,
  DURATION_PATTERN,
  enumLookup,
  HOURS_MINUTES_PATTERN,
  INTEGER_PATTERN,
  MINUTES_PATTERN,
} from './rules.ts';
import { eraCase } from './sql-macros.ts';
import { ident, lit, num } from './sql-text.ts';

const missing = (column: ColumnDef) => (column.required ? `'REQUIRED'` : 'NULL');

/**
 * One column's rule as layers: each layer lists `expression AS name` over the previous layers, and
 * `value` / `error` read the last. Layering (not nested macros) keeps the plan small and computes
 * every intermediate once.
 */
/** A column's rule as layers of SQL (see columnLayers). */
interface ColumnLayers {
  readonly layers: string[][];
  readonly value: string;
  readonly error: string;
}

/**
 * One column's rule as layers: each layer lists `expression AS name` over the previous layers, and
 * `value` / `error` read the last. Layering (not nested macros) keeps the plan small and computes
 * every intermediate once.
 */
export function columnLayers(column: ColumnDef, source: string): ColumnLayers {
  const c = (suffix: string) => ident(`${column.name}__${suffix}`);
  switch (column.type) {
    case 'text':
    case 'code':
      return textLayers(column, source, c);
    case 'integer':
      return integerLayers(column, source, c);
    case 'decimal':
      return decimalLayers(column, source, c);
    case 'date':
    case 'month':
      return dateLayers(column, source, c);
    case 'enum':
      return enumLayers(column, source, c);
  }
}

/** A text or code column: trimmed (text keeps inner spaces), within its length, a code in its alphabet. */
function textLayers(column: ColumnDef, source: string, c: (suffix: string) => string): ColumnLayers {
  const n = c('n');
  const maxLength = column.maxLength ?? 2_147_483_647;
  const pre = column.type === 'text' ? `kura_pre_text(${source})` : `kura_pre(${source})`;
  const invalid =
    column.type === 'code'
      ? `WHEN regexp_matches(${n}, ${lit(CODE_INVALID_PATTERN)}) THEN 'INVALID_CODE'`
      : '';
  const error = `CASE WHEN ${n} IS NULL THEN ${missing(column)} WHEN length(${n}) > ${maxLength} THEN 'TOO_LONG' ${invalid} END`;
  return {
    layers: [[`${pre} AS ${n}`], [`${error} AS ${c('e')}`]],
    value: `CASE WHEN ${c('e')} IS NULL THEN kura_neutral(${n}) END`,
    error: c('e'),
  };
}

/** An integer column: digits (grouping and currency marks dropped), a safe BIGINT within its range. */
function integerLayers(column: ColumnDef, source: string, c: (suffix: string) => string): ColumnLayers {
  const n = c('n');
  const m = c('m');
  const i = c('i');
  const w = c('w');
  const bad = `${i} IS NULL OR abs(${i}) > 9007199254740991 OR ${i} < ${num(column.min)} OR ${i} > ${num(column.max)}`;
  const error = `CASE WHEN ${n} IS NULL THEN ${missing(column)} WHEN NOT ${w} THEN 'INVALID_NUMBER' WHEN ${bad} THEN 'OUT_OF_RANGE' END`;
  return {
    layers: [
      [`kura_pre(${source}) AS ${n}`],
      [`kura_digits(regexp_replace(${n}, ${lit(CURRENCY_PATTERN)}, '', 'g')) AS ${m}`],
      // A whole number too large for BIGINT (try_cast NULL) is out of range, not "not a number".
      [`regexp_matches(${m}, ${lit(INTEGER_PATTERN)}) AS ${w}`],
      [`CASE WHEN ${w} THEN try_cast(${m} AS BIGINT) END AS ${i}`],
      [`${error} AS ${c('e')}`],
    ],
    value: `CASE WHEN ${c('e')} IS NULL THEN ${i} END`,
    error: c('e'),
  };
}

/** A decimal column (hours in the upload's time format), within its range. */
function decimalLayers(column: ColumnDef, source: string, c: (suffix: string) => string): ColumnLayers {
  const n = c('n');
  const m = c('m');
  const d = c('d');
  const declared = column.timeFormat === 'hours-minutes' || column.timeFormat === 'minutes';
  const error = `CASE WHEN ${n} IS NULL THEN ${missing(column)} WHEN ${d} IS NULL OR NOT isfinite(${d}) THEN '${declared ? 'INVALID_TIME' : 'INVALID_NUMBER'}'
    WHEN ${d} < ${num(column.min)} OR ${d} > ${num(column.max)} THEN 'OUT_OF_RANGE' END`;
  const clock = `split_part(${m}, ':', 1)::DOUBLE + split_part(${m}, ':', 2)::DOUBLE / 60`;
  const minutesPart = `try_cast(coalesce(nullif(split_part(${m}, '.', 2), ''), '0') AS DOUBLE)`;
  const value =
    column.timeFormat === 'minutes'
      ? `CASE WHEN regexp_matches(${m}, ${lit(DURATION_PATTERN)}) THEN ${clock}
              WHEN regexp_matches(${m}, ${lit(MINUTES_PATTERN)}) THEN try_cast(${m} AS DOUBLE) / 60 END`
      : column.timeFormat === 'hours-minutes'
        ? `CASE WHEN regexp_matches(${m}, ${lit(DURATION_PATTERN)}) THEN ${clock}
                WHEN regexp_matches(${m}, ${lit(HOURS_MINUTES_PATTERN)}) THEN
                  CASE WHEN ${minutesPart} < 60 THEN try_cast(split_part(${m}, '.', 1) AS DOUBLE) + ${minutesPart} / 60 END END`
        : `CASE WHEN regexp_matches(${m}, ${lit(DECIMAL_PATTERN)}) THEN try_cast(${m} AS DOUBLE)
                WHEN regexp_matches(${m}, ${lit(DURATION_PATTERN)}) THEN ${clock} END`;
  return {
    layers: [
      [`kura_pre(${source}) AS ${n}`],
      [`kura_digits(${n}) AS ${m}`],
      [`${value} AS ${d}`],
      [`${error} AS ${c('e')}`],
    ],
    value: `CASE WHEN ${c('e')} IS NULL THEN ${d} END`,
    error: c('e'),
  };
}

/** A date or month column: Western or era (和暦) dates, a real day, the era's own span, within range. */
function dateLayers(column: ColumnDef, source: string, c: (suffix: string) => string): ColumnLayers {
  const n = c('n');
  // Dates: date parts. Months: month parts, else (Excel turned 2023/4 into 2023/4/1) date parts.
  const p = c('p');
  const y = c('y');
  const first = c('first');
  const last = c('last');
  const parts =
    column.type === 'date'
      ? `kura_date_parts(${n})`
      : `coalesce(kura_month_parts(${n}), kura_date_parts(${n}))`;
  const day = column.type === 'date' ? `${p}.d` : `CASE WHEN ${p}.d = '' THEN '1' ELSE ${p}.d END`;
  const lastDay =
    column.type === 'date' ? first : `CASE WHEN ${p}.d = '' THEN last_day(${first}) ELSE ${first} END`;
  const error = `CASE WHEN ${n} IS NULL THEN ${missing(column)} WHEN ${first} IS NULL THEN 'INVALID_DATE'
    WHEN ${p}.e <> '' AND (${last} < ${eraCase(`${p}.e`, 'start')} OR ${first} > ${eraCase(`${p}.e`, 'end')}) THEN 'ERA_MISMATCH'
    WHEN ${first} < DATE ${lit(MIN_DATE)} OR ${first} > DATE ${lit(MAX_DATE)} THEN 'OUT_OF_RANGE' END`;
  const good = column.type === 'date' ? first : `strftime(${first}, '%Y-%m')`;
  return {
    layers: [
      [`kura_pre_date(${source}) AS ${n}`],
      [`${parts} AS ${p}`],
      [`kura_year(${p}.e, ${p}.y) AS ${y}`],
      [`CASE WHEN ${y} IS NOT NULL THEN kura_make_date(${y}, ${p}.m, ${day}) END AS ${first}`],
      [`${lastDay} AS ${last}`],
      [`${error} AS ${c('e')}`],
    ],
    value: `CASE WHEN ${c('e')} IS NULL THEN ${good} END`,
    error: c('e'),
  };
}

/** An enum column: any accepted spelling to its stored value. */
function enumLayers(column: ColumnDef, source: string, c: (suffix: string) => string): ColumnLayers {
  const n = c('n');
  const arms = [...enumLookup(column)].map(([spelling, value]) => `WHEN ${lit(spelling)} THEN ${lit(value)}`);
  const v = c('v');
  return {
    layers: [
      [`kura_pre(${source}) AS ${n}`],
      [`CASE lower(${n}) ${arms.join(' ')} END AS ${v}`],
      [
        `CASE WHEN ${n} IS NULL THEN ${missing(column)} WHEN ${v} IS NULL THEN 'INVALID_VALUE' END AS ${c('e')}`,
      ],
    ],
    value: v,
    error: c('e'),
  };
}

/** Error column name for a catalogue column in the checked table. */
export const errorColumn = (column: ColumnDef) => `e__${column.name}`;
