/**
 * Plain-text rendering of a published statistics table for the CLI and the local platform: suppressed
 * cells are marked (as official Japanese tables mark 秘匿 cells with "x"), never shown as missing.
 */
import { type Statistic, statisticColumns } from './catalog.ts';

export const SUPPRESSED_MARK = { ja: 'x（秘匿）', en: 'x (suppressed)' } as const;

function formatValue(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : value.toFixed(2);
  return String(value);
}

/** A fixed-width text table of published cells (at most `limit` rows), headers in the chosen language. */
export function renderPublishedTable(
  stat: Statistic,
  cells: ReadonlyArray<Readonly<Record<string, unknown>>>,
  options: { readonly lang: 'ja' | 'en'; readonly limit?: number },
): string {
  const columns = statisticColumns(stat).filter((c) => c.name !== 'suppressed');
  const measureNames = new Set(stat.measures.map((m) => m.column));
  const header = columns.map((c) => c.name);
  const rows = cells
    .slice(0, options.limit ?? cells.length)
    .map((cell) =>
      columns.map((c) =>
        cell.suppressed === true && measureNames.has(c.name)
          ? SUPPRESSED_MARK[options.lang]
          : formatValue(cell[c.name]),
      ),
    );
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (values: readonly string[]) =>
    values
      .map((v, i) => v.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  const title = `${stat.title[options.lang]} (${stat.name})`;
  const more = cells.length > rows.length ? [`… ${cells.length - rows.length} more`] : [];
  return [title, line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line), ...more, ''].join(
    '\n',
  );
}
