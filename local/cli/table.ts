/** Plain-text tables for the CLI, aligned by display width (full-width characters take two columns). */
import stringWidth from 'string-width';
import type { Statistic } from '../../functions/domain/stats/catalog.ts';
import { publishedText } from '../../functions/domain/stats/render.ts';

/**
 * Terminal columns a string takes, by Unicode's East Asian Width (string-width): 漢字, かな and
 * full-width forms such as （） take two, combining marks none, ANSI escapes none.
 */
export const displayWidth = (text: string): number => stringWidth(text);

const padDisplay = (text: string, width: number) =>
  text + ' '.repeat(Math.max(0, width - displayWidth(text)));

/** A table with a header row and a rule; cells are stringified, empty for null/undefined. */
export function renderTable(headers: readonly string[], rows: ReadonlyArray<ReadonlyArray<unknown>>): string {
  const text = rows.map((row) =>
    headers.map((_, i) => (row[i] === undefined || row[i] === null ? '' : String(row[i]))),
  );
  const widths = headers.map((h, i) =>
    Math.max(displayWidth(h), ...text.map((r) => displayWidth(r[i] ?? ''))),
  );
  const line = (values: readonly string[]) =>
    values
      .map((v, i) => padDisplay(v, widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...text.map(line)].join('\n');
}

/** A published statistics table: its title, the cells (suppressed ones marked), how many rows are left. */
export function renderPublishedTable(
  stat: Statistic,
  cells: ReadonlyArray<Readonly<Record<string, unknown>>>,
  options: { readonly lang: 'ja' | 'en'; readonly limit?: number },
): string {
  const table = publishedText(stat, cells, options);
  const more =
    table.omitted > 0
      ? [options.lang === 'ja' ? `… ほか ${table.omitted} 行` : `… ${table.omitted} more`]
      : [];
  return [table.title, renderTable(table.header, table.rows), ...more, ''].join('\n');
}
