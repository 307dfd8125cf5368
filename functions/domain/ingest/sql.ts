import { type ColumnDef, type DatasetDef, sqlTypeOf } from '../catalog/schema.ts';
import {
  DATE_COMPACT_PATTERN,
  DATE_SEPARATED_PATTERN,
  ERAS,
  MAX_DATE,
  MIDNIGHT_SUFFIX_PATTERN,
  MIN_DATE,
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
  toHalfWidth,
  trimSpaces,
} from '../japanese/width.ts';
import {
  CODE_INVALID_PATTERN,
  CURRENCY_PATTERN,
  DECIMAL_PATTERN,
  DURATION_PATTERN,
  enumLookup,
  GROUPED_NUMBER_PATTERN,
  HOURS_MINUTES_PATTERN,
  INTEGER_PATTERN,
  MINUTES_PATTERN,
} from './rules.ts';

/**
 * DuckDB SQL compiled from the catalogue: the rules of rules.ts, run over all rows at once. Values
 * never enter SQL text (they are read from the CSV); only the catalogue's own patterns and names do.
 */

/** A SQL string literal. */
export const lit = (value: string) => `'${value.replace(/'/g, "''")}'`;
/** A SQL identifier. */
export const ident = (name: string) => `"${name.replace(/"/g, '""')}"`;
const num = (value: number | undefined) => (value === undefined ? 'NULL' : String(value));

/** The era of a matched era token ('' for Western years): first year, first and last day. */
function eraCase(token: string, pick: 'firstYear' | 'start' | 'end'): string {
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

const missing = (column: ColumnDef) => (column.required ? `'REQUIRED'` : 'NULL');

/**
 * One column's rule as layers: each layer lists `expression AS name` over the previous layers, and
 * `value` / `error` read the last. Layering (not nested macros) keeps the plan small and computes
 * every intermediate once.
 */
function columnLayers(
  column: ColumnDef,
  source: string,
): { layers: string[][]; value: string; error: string } {
  const c = (suffix: string) => ident(`${column.name}__${suffix}`);
  const n = c('n');
  const maxLength = column.maxLength ?? 2_147_483_647;
  switch (column.type) {
    case 'text':
    case 'code': {
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
    case 'integer': {
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
    case 'decimal': {
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
    case 'date':
    case 'month': {
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
    case 'enum': {
      const arms = [...enumLookup(column)].map(
        ([spelling, value]) => `WHEN ${lit(spelling)} THEN ${lit(value)}`,
      );
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
  }
}

/** Error column name for a catalogue column in the checked table. */
export const errorColumn = (column: ColumnDef) => `e__${column.name}`;

/**
 * The fast path: most cells of real files are already canonical and valid (plain ASCII digits, ISO
 * or YYYY/M/D dates, plain codes, enum spellings as the catalogue writes them, text within its
 * limit). A row takes it only when EVERY present column's cell is canonical and passes every rule of
 * its column (required, range, a real date, a known spelling, the length); its cells are then plain
 * casts. Any other row, including every row with an error, goes through the full rules (columnLayers),
 * so errors are only ever found, worded and counted there. The fast forms are a subset of what the
 * rules accept, with the same result; a differential property test holds the two paths to the same
 * verdicts, errors and values (test/unit/ingest/fast-path.property.test.ts).
 */
interface FastCell {
  /** RE2 pattern the raw cell must match in full (the row's patterns run as one expression). */
  readonly pattern?: string;
  /** SQL true when the canonical cell passes the column's rules (raw matched the pattern). */
  readonly valid?: string;
  /** SQL of the cell's value on the fast path. */
  readonly value: string;
}

/**
 * Enum cells the fast path takes as they are: each catalogue spelling (and its lower and upper case),
 * mapped to the value the rules give it (after width normalisation: パート reads as パ-ト on both sides).
 */
function fastEnumSpellings(column: ColumnDef): Map<string, string> {
  const lookup = enumLookup(column);
  const spellings = new Map<string, string>();
  for (const v of column.values ?? []) {
    for (const spelling of [v.value, ...v.accepts].flatMap((s) => [s, s.toLowerCase(), s.toUpperCase()])) {
      const value = lookup.get(trimSpaces(toHalfWidth(spelling)).toLowerCase());
      if (value !== undefined && trimSpaces(spelling) === spelling) spellings.set(spelling, value);
    }
  }
  return spellings;
}

const between = (value: string, min: string, max: string) =>
  `coalesce(${value} BETWEEN ${min} AND ${max}, false)`;

/** How one column's cell takes the fast path (`raw` is the cell as read). */
function fastCell(column: ColumnDef, raw: string): FastCell {
  const optional = (p: string) => (column.required ? p : `(${p})?`);
  const orEmpty = (check: string) => (column.required ? check : `(${raw} IS NULL OR ${check})`);
  const range = (typed: string) =>
    column.min === undefined && column.max === undefined
      ? undefined
      : orEmpty(
          between(
            typed,
            num(column.min ?? Number.MIN_SAFE_INTEGER),
            num(column.max ?? Number.MAX_SAFE_INTEGER),
          ),
        );
  const dates = (typed: string) => orEmpty(between(typed, `DATE ${lit(MIN_DATE)}`, `DATE ${lit(MAX_DATE)}`));
  switch (column.type) {
    case 'code': {
      const max = Math.min(column.maxLength ?? 1000, 1000);
      return { pattern: optional(`[0-9A-Za-z_./][0-9A-Za-z_./-]{0,${max - 1}}`), value: raw };
    }
    case 'integer': {
      const valid = range(`${raw}::BIGINT`);
      return { pattern: optional('[0-9]{1,15}'), value: `${raw}::BIGINT`, ...(valid ? { valid } : {}) };
    }
    case 'decimal': {
      // A declared time format other than decimal hours: no plain cast is right, so only an empty
      // cell is canonical and every value takes the full rules.
      if (column.timeFormat === 'hours-minutes' || column.timeFormat === 'minutes') {
        return { pattern: '', value: 'NULL::DOUBLE' };
      }
      const valid = range(`${raw}::DOUBLE`);
      return {
        pattern: optional('[0-9]{1,15}(\\.[0-9]{1,15})?'),
        value: `${raw}::DOUBLE`,
        ...(valid ? { valid } : {}),
      };
    }
    case 'date':
      return {
        pattern: optional('[0-9]{4}(/[0-9]{1,2}/[0-9]{1,2}|-[0-9]{1,2}-[0-9]{1,2})'),
        valid: dates(`try_cast(${raw} AS DATE)`),
        value: `try_cast(${raw} AS DATE)`,
      };
    case 'month':
      return {
        pattern: optional('[0-9]{4}-[0-9]{2}'),
        valid: dates(`try_cast(${raw} || '-01' AS DATE)`),
        value: raw,
      };
    case 'enum': {
      const spellings = fastEnumSpellings(column);
      const arms = [...spellings].map(([spelling, value]) => `WHEN ${lit(spelling)} THEN ${lit(value)}`);
      const value = `CASE ${raw} ${arms.join(' ')} END`;
      // An expression, not `IN (…)`: DuckDB turns a long IN list into a join, which may reorder rows.
      return { valid: orEmpty(`${value} IS NOT NULL`), value };
    }
    case 'text': {
      const checks = [
        ...(column.maxLength !== undefined ? [`coalesce(length(${raw}) <= ${column.maxLength}, true)`] : []),
        ...(column.required ? [`kura_pre_text(${raw}) IS NOT NULL`] : []),
      ];
      return {
        ...(checks.length > 0 ? { valid: checks.join(' AND ') } : {}),
        value: `kura_neutral(kura_pre_text(${raw}))`,
      };
    }
  }
}

/**
 * The CREATE TABLE `src` statement: the clean CSV as read (VARCHAR columns named after catalogue
 * columns), plus `__fast`, whether the row takes the fast path (see fastCell). Insertion order is
 * preserved, so `src.rowid` is the record's index in the clean CSV.
 */
export function sourceTableSql(
  dataset: DatasetDef,
  present: ReadonlySet<string>,
  readCsv: string,
  options: { readonly fastPath?: boolean } = {},
): string {
  const columns = dataset.columns.filter((c) => present.has(c.name));
  const cells = columns.map((c) => ({ column: c, cell: fastCell(c, ident(c.name)) }));
  const patterned = cells.filter((c) => c.cell.pattern !== undefined);
  const canonical =
    patterned.length === 0
      ? 'true'
      : `regexp_full_match(concat(${patterned.map((c) => ident(c.column.name)).join(', chr(31), ')}), ${lit(
          patterned.map((c) => c.cell.pattern).join('\\x1f'),
        )})`;
  const checks = cells.flatMap((c) => (c.cell.valid ? [`(${c.cell.valid})`] : []));
  // CASE, not AND: only canonical rows may be cast (DuckDB evaluates AND on whole vectors).
  const fast =
    options.fastPath === false || columns.length === 0
      ? 'false'
      : checks.length === 0
        ? canonical
        : `CASE WHEN ${canonical} THEN (${checks.join(' AND ')}) ELSE false END`;
  return `CREATE TEMP TABLE src AS SELECT *, ${fast} AS __fast FROM ${readCsv}`;
}

/** One branch of the checked table: rows on the fast path (plain casts) or the others (full rules). */
function branchSql(
  dataset: DatasetDef,
  present: ReadonlySet<string>,
  fast: boolean,
  fallbackPeriod: string,
  /** Only values, no error columns (fast rows have no errors). */
  valuesOnly = false,
  /** Which rows of src (default: all fast, or all other rows). */
  rows?: string,
): string {
  const columns = dataset.columns.filter((c) => present.has(c.name));
  const compiled = columns.map((c) =>
    fast
      ? {
          column: c,
          layers: [] as string[][],
          value: fastCell(c, ident(c.name)).value,
          error: 'NULL::VARCHAR',
        }
      : { column: c, ...columnLayers(c, ident(c.name)) },
  );
  const where = rows ?? (fast ? '__fast' : 'NOT __fast');
  let relation = `(SELECT rowid AS rec, * FROM src WHERE ${where})`;
  const depth = Math.max(0, ...compiled.map((c) => c.layers.length));
  for (let level = 0; level < depth; level++) {
    const added = compiled.flatMap((c) => c.layers[level] ?? []);
    if (added.length > 0) relation = `(SELECT *, ${added.join(', ')} FROM ${relation})`;
  }
  const values = dataset.columns.map((c) => {
    const found = compiled.find((x) => x.column.name === c.name);
    return found ? `${found.value} AS ${ident(c.name)}` : `NULL::${sqlTypeOf(c.type)} AS ${ident(c.name)}`;
  });
  const errors = compiled.map((c) => `${c.error} AS ${ident(errorColumn(c.column))}`);
  const periodColumn = columns.find((c) => c.name === dataset.periodColumn);
  const period = periodColumn
    ? periodColumn.type === 'date'
      ? `strftime(${ident(periodColumn.name)}, '%Y-%m')`
      : ident(periodColumn.name)
    : lit(fallbackPeriod);
  const outputs = valuesOnly ? values : [...values, ...errors];
  return `SELECT *, ${period} AS period FROM (SELECT rec, ${outputs.join(', ')} FROM ${relation})`;
}

/**
 * The SELECT over `src` that validates every row: `rec` (record index), one typed column per
 * catalogue column (NULL when the file lacks it), one error column per present column (NULL when
 * the cell is valid), and `period` (YYYY-MM).
 */
export function checkedSelectSql(
  dataset: DatasetDef,
  present: ReadonlySet<string>,
  fallbackPeriod: string,
): string {
  return `${branchSql(dataset, present, true, fallbackPeriod)} UNION ALL ${branchSql(dataset, present, false, fallbackPeriod)}`;
}

/**
 * Statements that set up `checked` over `src`: the other rows (few, full rules) are materialised as
 * `slow`; fast rows stay a view of plain casts over `src`, recomputed by each pass, which is cheaper
 * than writing a million typed rows once more.
 */
export function checkedViewSql(
  dataset: DatasetDef,
  present: ReadonlySet<string>,
  fallbackPeriod: string,
): string[] {
  return [
    `CREATE TEMP TABLE slow AS ${branchSql(dataset, present, false, fallbackPeriod)}`,
    `CREATE TEMP VIEW fast AS ${branchSql(dataset, present, true, fallbackPeriod)}`,
    'CREATE TEMP VIEW checked AS SELECT * FROM fast UNION ALL SELECT * FROM slow',
  ];
}

/**
 * The view of accepted rows, once the small tables `invalid` (rows with cell errors) and
 * `duplicates` exist: fast rows as plain casts minus duplicates, plus the valid slow rows.
 */
export function acceptedViewSql(
  dataset: DatasetDef,
  present: ReadonlySet<string>,
  fallbackPeriod: string,
): string {
  const columns = [...dataset.columns.map((c) => ident(c.name)), 'period'].join(', ');
  const goodFast = 'rowid NOT IN (SELECT rec FROM duplicates) AND __fast';
  return `CREATE TEMP VIEW accepted AS
    SELECT ${columns} FROM (${branchSql(dataset, present, true, fallbackPeriod, true, goodFast)})
    UNION ALL
    SELECT ${columns} FROM slow
      WHERE ${validRowsWhere(dataset, present)} AND rec NOT IN (SELECT rec FROM duplicates)`;
}

/**
 * Rows with cell errors (rec and one error column per present column). Only rows off the fast path
 * can have one, and they are few in real files.
 */
export function invalidTableSql(dataset: DatasetDef, present: ReadonlySet<string>): string {
  const errors = dataset.columns
    .filter((c) => present.has(c.name))
    .map((c) => `, ${ident(errorColumn(c))}`)
    .join('');
  return `CREATE TEMP TABLE invalid AS
    SELECT rec${errors} FROM slow WHERE NOT (${validRowsWhere(dataset, present)})`;
}

/** Rows of `checked` whose cells are all valid. */
export function validRowsWhere(dataset: DatasetDef, present: ReadonlySet<string>): string {
  const checks = dataset.columns
    .filter((c) => present.has(c.name))
    .map((c) => `${ident(errorColumn(c))} IS NULL`);
  return checks.length === 0 ? 'true' : checks.join(' AND ');
}

/**
 * Duplicate rows: a row whose key (dataset.rowKey, all key cells valid) repeats an earlier row's is
 * an error; the first stays. `exists` is a cheap aggregate over the key columns only (projection
 * keeps the other rules out of it); `rows` (record indexes) runs only when it finds some.
 * Undefined when the file lacks a key column.
 */
export function duplicateRowsSql(
  dataset: DatasetDef,
  present: ReadonlySet<string>,
): { readonly exists: string; readonly rows: string } | undefined {
  if (!dataset.rowKey.every((k) => present.has(k))) return undefined;
  const keys = dataset.rowKey.map(ident).join(', ');
  const keyed = dataset.rowKey.map((k) => `${ident(k)} IS NOT NULL`).join(' AND ');
  return {
    exists: `SELECT count(*) AS n FROM (SELECT 1 FROM checked WHERE ${keyed} GROUP BY ${keys} HAVING count(*) > 1 LIMIT 1)`,
    rows: `SELECT rec FROM (
        SELECT rec, row_number() OVER (PARTITION BY ${keys} ORDER BY rec) AS n FROM checked WHERE ${keyed})
      WHERE n > 1`,
  };
}
