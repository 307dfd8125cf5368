/**
 * Checks that refuse a whole file once DuckDB has read it: data in a column without a header, a My
 * Number anywhere, hours that read both as decimal hours and as hours and minutes.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import type { ColumnDef, DatasetDef } from '../catalog/schema.ts';
import { reject } from './errors.ts';
import type { HeaderMapping } from './header.ts';
import type { ScanResult } from './scan.ts';
import { MY_NUMBER_MIN_LENGTH } from './sql-macros.ts';
import { ident, lit } from './sql-text.ts';

/**
 * A column without a header is ignored only while it is empty (Excel often exports a few); a value
 * in one would otherwise be dropped without a word, so the file is refused, naming where it is.
 */
export async function refuseDataInUnnamedColumns(
  connection: DuckDBConnection,
  mapping: HeaderMapping,
  scan: ScanResult,
): Promise<void> {
  for (const [index, column] of mapping.columns.entries()) {
    if (column || mapping.dropped.includes(index)) continue;
    const name = ident(`__unnamed_${index}`);
    const [found] = await query(
      connection,
      `SELECT min(rowid) AS rec FROM src WHERE ${name} IS NOT NULL AND trim(${name}) <> ''`,
    );
    if (found?.rec === null || found?.rec === undefined) continue;
    const line = scan.lineMap.lineOf(Number(found.rec));
    throw reject(
      'UNNAMED_COLUMN',
      `${index + 1} 列目に見出しがありませんが、${line} 行目に値があります。見出しを付けるか、列を削除してください。`,
      `Column ${index + 1} has no header but holds a value on line ${line}. Give it a header or remove the column.`,
      line,
    );
  }
}

/**
 * Kura never stores a My Number, wherever it sits: a cell of any column that holds 12 digits whose
 * last is the check digit of the first 11 (japanese/my-number.ts) refuses the file. The message
 * names the column and line and the count, never the value; the bytes are deleted with the file.
 */
export async function refuseMyNumbers(
  connection: DuckDBConnection,
  dataset: DatasetDef,
  mapping: HeaderMapping,
  scan: ScanResult,
): Promise<void> {
  // Every column with data: the catalogue's, and those dropped as unknown (a My Number there is still
  // a My Number sent to the platform), the latter named by position only.
  const columns = mapping.columns.flatMap((c, index) =>
    c
      ? [{ name: c.name, column: c as ColumnDef | undefined, index }]
      : mapping.dropped.includes(index)
        ? [{ name: `__unnamed_${index}`, column: undefined, index }]
        : [],
  );
  if (columns.length === 0) return;
  const flags = columns.map((c, i) => `kura_has_my_number(${ident(c.name)}) AS h${i}`).join(', ');
  const found = columns.map(
    (_, i) => `count_if(h${i}) AS n${i}, min(CASE WHEN h${i} THEN rowid END) AS r${i}`,
  );
  // One prefilter per row (cells joined by a separator no pattern crosses), check digits per cell.
  // Before it, a cheaper gate: a My Number is at least 12 characters, so a row whose every cell is
  // shorter (most rows: dates, hours, short codes) skips the regular expression. CASE keeps the order.
  const joined = `concat_ws(chr(31), ${columns.map((c) => ident(c.name)).join(', ')})`;
  const longEnough = columns.map((c) => `strlen(${ident(c.name)}) >= ${MY_NUMBER_MIN_LENGTH}`).join(' OR ');
  const [row] = await query(
    connection,
    `SELECT ${found.join(', ')} FROM (SELECT rowid, ${flags} FROM src
       WHERE CASE WHEN ${longEnough} THEN kura_may_hold_my_number(${joined}) ELSE false END)`,
  );
  const hits = columns
    .map((scanned, i) => ({ ...scanned, count: Number(row?.[`n${i}`] ?? 0), rec: row?.[`r${i}`] }))
    .filter((hit) => hit.count > 0 && hit.rec !== null && hit.rec !== undefined);
  if (hits.length === 0) return;
  const first = hits.reduce((a, b) => (Number(b.rec) < Number(a.rec) ? b : a));
  const line = scan.lineMap.lineOf(Number(first.rec));
  const count = hits.reduce((sum, hit) => sum + hit.count, 0);
  const known = first.column;
  const where = known
    ? {
        ja: `「${mapping.headers.get(known.name) ?? known.name}」`,
        en: `"${mapping.headers.get(known.name) ?? known.name}"`,
      }
    : { ja: `${first.index + 1} 列目`, en: `column ${first.index + 1}` };
  const numeric = known?.type === 'integer' || known?.type === 'decimal';
  throw reject(
    'MY_NUMBER_VALUE',
    `個人番号（マイナンバー）と思われる 12 桁の番号が ${count} か所にあります（最初は ${line} 行目の${where.ja}）。Kura は個人番号を保存しません。値を削除してからアップロードしてください。${numeric ? '金額などの数値であれば、3 桁ごとのカンマ付き（例: 123,456,789,012）で書くと受け付けます。' : ''}`,
    `${count} cell(s) hold what looks like a My Number (12 digits with a valid check digit), the first on line ${line} in ${where.en} of dataset ${dataset.name}. Kura never stores My Numbers: remove them and upload again.${numeric ? ' If it is an amount, write it with thousands separators (e.g. 123,456,789,012).' : ''}`,
    line,
  );
}

/** A duration that reads as decimal hours and as 60進数 alike: `1.30` (1.3 h or 1 h 30 min). */
const AMBIGUOUS_TIME = '^[0-9]+\\.[0-5][0-9]$';
/** Quarter hours, which read the same way in both: `8.00`, `1.25`, `7.50`, `0.75`. */
const QUARTER_HOUR = '\\.(00|25|50|75)$';
/** Durations only decimal hours can be: `1.75`, `7.5`, `8.125` (60進数 writes two digits below 60). */
const DECIMAL_ONLY_TIME = '^[0-9]+\\.([6-9][0-9]|[0-9]|[0-9]{3,})$';

/**
 * A file whose hours could be decimal hours or 60進数 (`1.30`, `7.45` and no value only decimal hours can
 * be) is refused unless the upload declared its time format: guessing would store 1 h 30 min as 1.3 h or
 * the reverse. The message names the column and line and how to declare it, never the value.
 */
export async function refuseAmbiguousTimes(
  connection: DuckDBConnection,
  dataset: DatasetDef,
  mapping: HeaderMapping,
  scan: ScanResult,
): Promise<void> {
  const durations = mapping.columns.flatMap((c) => (c?.duration ? [c] : []));
  if (durations.length === 0) return;
  const values = durations.map((c) => `kura_digits(kura_pre(${ident(c.name)}))`);
  const decimalOnly = (v: string) => `regexp_matches(${v}, ${lit(DECIMAL_ONLY_TIME)})`;
  // One value only decimal hours can be settles the file: most real files hold one in their first
  // rows, and the LIMIT stops DuckDB's scan there instead of testing every cell of a million rows.
  const settled = await query(
    connection,
    `SELECT 1 AS d FROM src WHERE ${values.map(decimalOnly).join(' OR ')} LIMIT 1`,
  );
  if (settled.length > 0) return;
  const ambiguous = (v: string) =>
    `(regexp_matches(${v}, ${lit(AMBIGUOUS_TIME)}) AND NOT regexp_matches(${v}, ${lit(QUARTER_HOUR)}))`;
  const columns = values.map(
    (v, i) => `count_if(${ambiguous(v)}) AS a${i}, min(CASE WHEN ${ambiguous(v)} THEN rowid END) AS r${i}`,
  );
  const [row] = await query(connection, `SELECT ${columns.join(', ')} FROM src`);
  const hits = durations
    .map((column, i) => ({ column, count: Number(row?.[`a${i}`] ?? 0), rec: row?.[`r${i}`] }))
    .filter((hit) => hit.count > 0 && hit.rec !== null && hit.rec !== undefined);
  if (hits.length === 0) return;
  const first = hits.reduce((a, b) => (Number(b.rec) < Number(a.rec) ? b : a));
  const line = scan.lineMap.lineOf(Number(first.rec));
  const header = mapping.headers.get(first.column.name) ?? first.column.name;
  throw reject(
    'TIME_FORMAT_AMBIGUOUS',
    `「${header}」の値（最初は ${line} 行目）は、10 進数（1.30 = 1.3 時間）とも 60 進数（1.30 = 1 時間 30 分）とも読めます。時間表示形式を指定してアップロードしてください: kura upload … --time-format decimal（10 進数）、hours-minutes（60 進数）、minutes（分）。API では timeFormat です。`,
    `The values of "${header}" (first on line ${line}) read both as decimal hours (1.30 = 1.3 h) and as hours.minutes (1.30 = 1 h 30 min) in dataset ${dataset.name}. Upload again declaring the time format: kura upload … --time-format decimal, hours-minutes or minutes (API: timeFormat).`,
    line,
  );
}

export async function query(connection: DuckDBConnection, sql: string): Promise<Record<string, unknown>[]> {
  return (await connection.runAndReadAll(sql)).getRowObjectsJS() as Record<string, unknown>[];
}
