/**
 * A published statistic as the preview shows it: the cells of a period, a bar chart and the national
 * trend as SVG, a table, and the same table as CSV. Suppressed cells are shown as suppressed, never drawn.
 */
import { toCsv } from '../../functions/domain/csv.ts';
import type { Lang } from '../../functions/domain/i18n.ts';
import { type Statistic, TOTAL, UNSPECIFIED } from '../../functions/domain/stats/catalog.ts';
import {
  cellValueLabel,
  columnLabel,
  formatMeasure,
  measureUnit,
} from '../../functions/domain/stats/labels.ts';
import { SUPPRESSED_MARK } from '../../functions/domain/stats/render.ts';

export type Cell = Readonly<Record<string, unknown>>;

export const escapeHtml = (value: unknown) =>
  String(value ?? '').replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c,
  );

export const t = (lang: Lang, ja: string, en: string) => (lang === 'ja' ? ja : en);

/** The period of a statistic a month stands for: the month itself, or its year for a yearly statistic. */
export const periodFor = (stat: Statistic, month: string) =>
  stat.period === 'year' ? month.slice(0, 4) : month;

/** The cells shown for a period: national and regional, broken down by the first dimension. */
export function shownCells(stat: Statistic, cells: readonly Cell[], month: string): Cell[] {
  const period = periodFor(stat, month);
  const [first, ...rest] = stat.dimensions;
  return cells
    .filter(
      (c) =>
        c.period === period &&
        (c.geo_level === 'national' || c.geo_level === 'region') &&
        rest.every((d) => c[d] === TOTAL) &&
        (first === undefined || c[first] !== UNSPECIFIED),
    )
    .sort(
      (a, b) =>
        String(a.geo_level).localeCompare(String(b.geo_level)) ||
        String(a.region ?? '').localeCompare(String(b.region ?? '')) ||
        String(first ? a[first] : '').localeCompare(String(first ? b[first] : '')),
    )
    .slice(0, 24);
}

const placeOf = (cell: Cell, lang: Lang) =>
  cell.geo_level === 'national' ? t(lang, '全国', 'Japan') : cellValueLabel('region', cell.region, lang);

const labelOf = (stat: Statistic, cell: Cell, lang: Lang) => {
  const first = stat.dimensions[0];
  return first ? `${placeOf(cell, lang)} · ${cellValueLabel(first, cell[first], lang)}` : placeOf(cell, lang);
};

/** A horizontal bar chart of the headline measure; a suppressed cell is a hatched marker labelled 秘匿. */
export function barChartSvg(stat: Statistic, cells: readonly Cell[], lang: Lang): string {
  const headline = stat.headline;
  const values = cells.map((c) => (c.suppressed === true ? undefined : Number(c[headline])));
  const max = Math.max(1e-9, ...values.filter((v): v is number => v !== undefined && Number.isFinite(v)));
  const rowHeight = 22;
  const labelWidth = 260;
  const plotWidth = 400;
  const height = cells.length * rowHeight + 34;
  const rows = cells.map((cell, i) => {
    const y = 10 + i * rowHeight;
    const label = `<text x="${labelWidth - 6}" y="${y + 15}" text-anchor="end" class="label">${escapeHtml(labelOf(stat, cell, lang))}</text>`;
    const value = values[i];
    if (value === undefined || !Number.isFinite(value)) {
      return `${label}<g class="suppressed-mark" data-suppressed="true"><rect x="${labelWidth}" y="${y + 2}" width="${plotWidth}" height="${rowHeight - 6}" fill="url(#hatch-${escapeHtml(stat.name)})" stroke="#b45309" stroke-dasharray="3 2"/><text x="${labelWidth + 8}" y="${y + 15}" class="suppressed-text">${escapeHtml(SUPPRESSED_MARK[lang])}</text></g>`;
    }
    const width = Math.max(1, (value / max) * plotWidth);
    return `${label}<rect class="bar" data-value="${value}" x="${labelWidth}" y="${y + 2}" width="${width.toFixed(1)}" height="${rowHeight - 6}" fill="#2563eb"/><text x="${labelWidth + width + 4}" y="${y + 15}" class="value">${escapeHtml(formatMeasure(stat, headline, value, lang))}</text>`;
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" class="chart" data-statistic="${escapeHtml(stat.name)}" width="${labelWidth + plotWidth + 110}" height="${height}" role="img" aria-label="${escapeHtml(`${stat.title[lang]}: ${columnLabel(stat, headline, lang)}`)}">
<defs><pattern id="hatch-${escapeHtml(stat.name)}" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="6" height="6" fill="#fef3c7"/><line x1="0" y1="0" x2="0" y2="6" stroke="#d97706" stroke-width="2"/></pattern></defs>
<line x1="${labelWidth}" y1="6" x2="${labelWidth}" y2="${height - 22}" stroke="#555"/>
${rows.join('\n')}
<text x="${labelWidth}" y="${height - 6}" class="axis axis-title">${escapeHtml(columnLabel(stat, headline, lang))}</text>
</svg>`;
}

/**
 * The national total of the headline measure over every period as a labelled line chart: title, axis
 * titles with the unit, period ticks, value ticks; the selected period is marked; a suppressed period
 * is an x (秘匿); a period without data has no point.
 */
export function trendSvg(stat: Statistic, cells: readonly Cell[], lang: Lang, selected: string): string {
  const national = cells
    .filter((c) => c.geo_level === 'national' && stat.dimensions.every((d) => c[d] === TOTAL))
    .sort((a, b) => String(a.period).localeCompare(String(b.period)));
  if (national.length < 2) return '';
  const values = national.map((c) => (c.suppressed === true ? undefined : Number(c[stat.headline])));
  const known = values.filter((v): v is number => v !== undefined && Number.isFinite(v));
  const [min, max] = [Math.min(...known, 0), Math.max(...known, 1e-9)];
  const [width, height, left, top, bottom, right] = [680, 220, 90, 34, 48, 48];
  const x = (i: number) => left + (i * (width - left - right)) / (national.length - 1);
  const y = (v: number) => top + (1 - (v - min) / (max - min || 1)) * (height - top - bottom);
  const points = values.flatMap((v, i) => (v === undefined ? [] : [`${x(i).toFixed(1)},${y(v).toFixed(1)}`]));
  const marks = values
    .map((v, i) =>
      v === undefined
        ? `<text x="${x(i)}" y="${height - bottom - 4}" text-anchor="middle" class="suppressed-text" data-suppressed="true">x</text>`
        : `<circle class="point" data-value="${v}" cx="${x(i).toFixed(1)}" cy="${y(v).toFixed(1)}" r="3" fill="#2563eb"/>`,
    )
    .join('');
  const step = Math.ceil(national.length / 12);
  const ticks = national
    .map((c, i) =>
      i % step === 0 || i === national.length - 1
        ? `<text x="${x(i)}" y="${height - bottom + 16}" text-anchor="middle" class="axis tick">${escapeHtml(String(c.period))}</text>`
        : '',
    )
    .join('');
  const at = national.findIndex((c) => c.period === periodFor(stat, selected));
  const cursor =
    at < 0
      ? ''
      : `<line class="selected-period" x1="${x(at)}" y1="${top}" x2="${x(at)}" y2="${height - bottom}" stroke="#f97316" stroke-dasharray="4 3"/>`;
  const yTicks = [min, (min + max) / 2, max]
    .map(
      (v) =>
        `<text x="${left - 6}" y="${y(v) + 4}" text-anchor="end" class="axis tick">${escapeHtml(formatMeasure(stat, stat.headline, v, lang))}</text><line x1="${left}" y1="${y(v)}" x2="${width - right}" y2="${y(v)}" stroke="#e5e7eb"/>`,
    )
    .join('');
  const unit = measureUnit(stat, stat.headline);
  const yTitle = columnLabel(stat, stat.headline, lang);
  const caption = t(lang, `${stat.title.ja}：全国・合計の推移`, `${stat.title.en}: national total over time`);
  return `<figure class="trend-figure"><figcaption>${escapeHtml(caption)}</figcaption><svg xmlns="http://www.w3.org/2000/svg" class="trend" width="${width}" height="${height}" role="img" aria-label="${escapeHtml(`${caption} (${yTitle})`)}" data-unit="${escapeHtml(unit?.[lang] ?? '')}">
${yTicks}
<line x1="${left}" y1="${height - bottom}" x2="${width - right}" y2="${height - bottom}" stroke="#555"/><line x1="${left}" y1="${top}" x2="${left}" y2="${height - bottom}" stroke="#555"/>
${cursor}<polyline points="${points.join(' ')}" fill="none" stroke="#2563eb" stroke-width="2"/>${marks}${ticks}
<text x="${(left + width) / 2}" y="${height - 6}" text-anchor="middle" class="axis axis-title">${escapeHtml(t(lang, stat.period === 'year' ? '期間（年）' : '期間（年月）', stat.period === 'year' ? 'Period (year)' : 'Period (month)'))}</text>
<text x="${left}" y="14" class="axis axis-title y-title">${escapeHtml(yTitle)}</text>
</svg></figure>`;
}

/** Columns of the table and CSV: the place and first dimension, then every measure. */
function shownColumns(stat: Statistic) {
  const [first] = stat.dimensions;
  return {
    keys: ['period', 'geo_level', 'region', ...(first ? [first] : [])],
    measures: stat.measures.map((m) => m.column),
  };
}

/** The shown cells as a table: names for codes, formatted values, suppressed cells marked (never blank). */
export function cellsTableHtml(stat: Statistic, cells: readonly Cell[], lang: Lang): string {
  const { keys, measures } = shownColumns(stat);
  const head = [...keys, ...measures]
    .map((c) => `<th>${escapeHtml(columnLabel(stat, c, lang))}</th>`)
    .join('');
  const body = cells
    .map((cell) => {
      const suppressed = cell.suppressed === true;
      const tds = [
        ...keys.map((k) => `<td>${escapeHtml(cellValueLabel(k, cell[k], lang))}</td>`),
        ...measures.map((m) =>
          suppressed
            ? `<td class="suppressed">${escapeHtml(SUPPRESSED_MARK[lang])}</td>`
            : `<td class="num">${escapeHtml(formatMeasure(stat, m, cell[m], lang) || '—')}</td>`,
        ),
      ];
      return `<tr${suppressed ? ' class="suppressed-row"' : ''}>${tds.join('')}</tr>`;
    })
    .join('\n');
  return `<table class="cells"><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>`;
}

/** The shown cells as CSV (Excel-safe: BOM, CRLF, formulas neutralised), headers and names as on the page. */
export function cellsCsv(stat: Statistic, cells: readonly Cell[], lang: Lang): string {
  const { keys, measures } = shownColumns(stat);
  const header = [...keys, ...measures].map((c) => columnLabel(stat, c, lang));
  const rows = cells.map((cell) => [
    ...keys.map((k) => cellValueLabel(k, cell[k], lang)),
    ...measures.map((m) =>
      cell.suppressed === true
        ? SUPPRESSED_MARK[lang]
        : formatMeasure(stat, m, cell[m], lang).replaceAll(',', ''),
    ),
  ]);
  return toCsv(header, rows);
}
