import { type DatasetDef, sqlTypeOf } from '../catalog/schema.ts';
import { columnLayers, errorColumn } from './sql-column-rules.ts';
import { fastCell } from './sql-fast-path.ts';
import { ident, lit } from './sql-text.ts';

/**
 * DuckDB SQL compiled from the catalogue: the rules of rules.ts, run over all rows at once. Values
 * never enter SQL text (they are read from the CSV); only the catalogue's own patterns and names do.
 */

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
