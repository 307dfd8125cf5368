/**
 * A published statistics table as text cells for the CLI and the local platform: suppressed cells are
 * marked (as official Japanese tables mark 秘匿 cells with "x"), never shown as missing. Laying the
 * cells out in columns is the terminal's business (local/cli/table.ts, which knows display widths).
 */
import { type Statistic, statisticColumns } from './catalog.ts';

export const SUPPRESSED_MARK = { ja: 'x（秘匿）', en: 'x (suppressed)' } as const;

function formatValue(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : value.toFixed(2);
  return String(value);
}

/** A published table as text: its title, column names and at most `limit` rows of cells. */
export interface PublishedText {
  readonly title: string;
  readonly header: readonly string[];
  readonly rows: ReadonlyArray<readonly string[]>;
  /** Rows left out by `limit`. */
  readonly omitted: number;
}

/** The cells of a published table as text (at most `limit` rows), the title in the chosen language. */
export function publishedText(
  stat: Statistic,
  cells: ReadonlyArray<Readonly<Record<string, unknown>>>,
  options: { readonly lang: 'ja' | 'en'; readonly limit?: number },
): PublishedText {
  const columns = statisticColumns(stat).filter((c) => c.name !== 'suppressed');
  const measureNames = new Set(stat.measures.map((m) => m.column));
  const rows = cells
    .slice(0, options.limit ?? cells.length)
    .map((cell) =>
      columns.map((c) =>
        cell.suppressed === true && measureNames.has(c.name)
          ? SUPPRESSED_MARK[options.lang]
          : formatValue(cell[c.name]),
      ),
    );
  return {
    title: `${stat.title[options.lang]} (${stat.name})`,
    header: columns.map((c) => c.name),
    rows,
    omitted: cells.length - rows.length,
  };
}
