import iconv from 'iconv-lite';
import { type DatasetName, getDataset } from '../../functions/domain/catalog/index.ts';
import { quoteCsvField } from '../../functions/domain/csv.ts';
import { SeededRandom } from './random.ts';

/** How a synthetic file looks: as Kura's template, or as a Japanese HR/accounting export really does. */
export interface CsvStyle {
  /** Header names: catalogue English names or Japanese headers. */
  readonly headers: 'en' | 'ja';
  /** `sjis` is CP932 as Excel and Japanese software write it. */
  readonly encoding: 'utf8' | 'utf8bom' | 'sjis';
  /** `era` writes 令和7年4月1日; `slash` writes 2025/4/1. */
  readonly dates: 'iso' | 'era' | 'slash';
  /** Full-width digits in codes, as some exports produce. */
  readonly fullWidthCodes?: boolean;
  /** How many rows to spoil (invalid dates, negative hours, unknown values), for error-report demos. */
  readonly badRows?: number;
  readonly seed?: number;
}

const ERAS = [
  { name: '令和', start: '2019-05-01', offset: 2018 },
  { name: '平成', start: '1989-01-08', offset: 1988 },
  { name: '昭和', start: '1926-12-25', offset: 1925 },
] as const;

/** An ISO date written in the Japanese era calendar, e.g. 2019-05-01 → 令和元年5月1日. */
export function toEraDate(iso: string): string {
  const era = ERAS.find((e) => iso >= e.start);
  if (!era) return iso;
  const [y, m, d] = iso.split('-').map(Number) as [number, number, number];
  const year = y - era.offset;
  return `${era.name}${year === 1 ? '元' : year}年${m}月${d}日`;
}

const FULL_WIDTH_OFFSET = 0xfee0;
const toFullWidth = (s: string) =>
  s.replace(/[0-9-]/g, (c) => (c === '-' ? '－' : String.fromCharCode(c.charCodeAt(0) + FULL_WIDTH_OFFSET)));

const quote = quoteCsvField;

/** Spoils one row in a way a real export might: each is a row error Kura must report, not a crash. */
type Spoiler = (row: Record<string, string>, columns: readonly string[]) => boolean;
const SPOILERS: readonly Spoiler[] = [
  (row, cols) => {
    const date = cols.find((c) => c.endsWith('_date'));
    if (date) row[date] = '令和7年2月30日';
    return date !== undefined;
  },
  (row, cols) => {
    const amount = cols.find((c) => c.endsWith('_hours') || c.endsWith('_pay') || c === 'sales_amount');
    if (amount) row[amount] = '-3';
    return amount !== undefined;
  },
  (row, cols) => {
    const month = cols.find((c) => c.endsWith('_month'));
    if (month) row[month] = '2025-13';
    return month !== undefined;
  },
  (row, cols) => {
    if (cols.includes('gender')) row.gender = '不明';
    return cols.includes('gender');
  },
];

/**
 * Writes rows of a dataset as CSV bytes in the given style (CRLF line ends, quoted where needed).
 * Works on any iterable, so benchmark-sized files stream through in chunks.
 */
export function* csvChunks(
  dataset: DatasetName,
  rows: Iterable<Record<string, unknown>>,
  style: CsvStyle,
  chunkRows = 10_000,
): Generator<Buffer> {
  const def = getDataset(dataset);
  const columns = def.columns.map((c) => c.name);
  const types = new Map(def.columns.map((c) => [c.name, c.type]));
  const random = new SeededRandom(style.seed ?? 7);
  const encode = (text: string) =>
    style.encoding === 'sjis' ? iconv.encode(text, 'cp932') : Buffer.from(text, 'utf8');
  const header = def.columns.map((c) => (style.headers === 'ja' ? c.ja : c.name)).join(',');
  let pending = `${style.encoding === 'utf8bom' ? '\ufeff' : ''}${header}\r\n`;
  let count = 0;
  let spoiled = 0;
  const materialised = style.badRows ? [...rows] : rows;
  const total = Array.isArray(materialised) ? materialised.length : 0;
  const spoilEvery = style.badRows && total > 0 ? Math.max(1, Math.floor(total / (style.badRows + 1))) : 0;
  for (const source of materialised) {
    const row: Record<string, string> = {};
    for (const column of columns) {
      const value = source[column];
      let text = value === undefined || value === null ? '' : String(value);
      const type = types.get(column);
      if (text && type === 'date' && style.dates === 'era') text = toEraDate(text);
      else if (text && type === 'date' && style.dates === 'slash') text = text.replace(/-0?/g, '/');
      else if (text && type === 'code' && style.fullWidthCodes && random.chance(0.3))
        text = toFullWidth(text);
      row[column] = text;
    }
    count++;
    if (spoilEvery && spoiled < (style.badRows ?? 0) && count % spoilEvery === 0) {
      for (let attempt = 0; attempt < SPOILERS.length; attempt++) {
        const spoil = SPOILERS[(spoiled + attempt) % SPOILERS.length];
        if (spoil?.(row, columns)) break;
      }
      spoiled++;
    }
    pending += `${columns.map((c) => quote(row[c] ?? '')).join(',')}\r\n`;
    if (count % chunkRows === 0) {
      yield encode(pending);
      pending = '';
    }
  }
  if (pending) yield encode(pending);
}

/** The whole CSV as one buffer (for demo-sized files). */
export function csvBytes(
  dataset: DatasetName,
  rows: Iterable<Record<string, unknown>>,
  style: CsvStyle,
): Buffer {
  return Buffer.concat([...csvChunks(dataset, rows, style)]);
}
