/** The fast path of validation: rows whose every cell is canonical and valid are plain casts. */
import type { ColumnDef } from '../catalog/schema.ts';
import { MAX_DATE, MIN_DATE } from '../japanese/era.ts';
import { toHalfWidth, trimSpaces } from '../japanese/width.ts';
import { enumLookup } from './rules.ts';
import { lit, num } from './sql-text.ts';

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
export function fastCell(column: ColumnDef, raw: string): FastCell {
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
