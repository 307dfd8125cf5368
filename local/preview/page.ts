/**
 * The BI preview: what a company and its advisor see over the published statistics, drawn locally —
 * every statistic of the latest release for a chosen period as a chart and a table (suppressed cells
 * marked 秘匿, a period without data said to have none), its national trend over every period, a CSV
 * of what is shown, a company's benchmark against its peers, and the release's APPI notice. Japanese
 * unless `?lang=en` or the browser prefers English. It reads only the stats zone (published cells,
 * manifest, notice) and, for the benchmark, what `GET /stats/{name}/benchmark` gives that company;
 * never pseudonymised or raw data. Charts are inline SVG drawn here: no script, no CDN, no network.
 */

import { companyProfileSchema } from '../../functions/domain/company.ts';
import { toCsv } from '../../functions/domain/csv.ts';
import type { Lang } from '../../functions/domain/i18n.ts';
import type { ObjectStore, Table } from '../../functions/domain/ports/index.ts';
import { type Benchmark, segmentName } from '../../functions/domain/stats/benchmark.ts';
import {
  getStatistic,
  STATISTICS,
  type Statistic,
  TOTAL,
  UNSPECIFIED,
} from '../../functions/domain/stats/catalog.ts';
import {
  cellValueLabel,
  columnLabel,
  formatMeasure,
  formatPercent,
  measureUnit,
  POSITION_LABELS,
} from '../../functions/domain/stats/labels.ts';
import { SUPPRESSED_MARK } from '../../functions/domain/stats/render.ts';
import {
  publicReleaseNotice,
  readPublishedCells,
  readReleaseManifest,
  StatsReleaseNotFoundError,
  tenantBenchmark,
} from '../../functions/domain/stats/service.ts';

type Cell = Readonly<Record<string, unknown>>;

export const escapeHtml = (value: unknown) =>
  String(value ?? '').replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c,
  );

const t = (lang: Lang, ja: string, en: string) => (lang === 'ja' ? ja : en);

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

export interface PreviewPorts {
  readonly objects: ObjectStore;
  readonly table: Table;
}

/** What the preview serves: the page, or the CSV of one statistic as shown. */
export type PreviewResponse =
  | { readonly kind: 'html'; readonly html: string }
  | { readonly kind: 'csv'; readonly fileName: string; readonly csv: string };

const T = {
  title: { ja: 'Kura 統計プレビュー（BI）', en: 'Kura statistics preview (BI)' },
  none: {
    ja: 'まだ統計は公表されていません。npm start でデモを投入してください。',
    en: 'No statistics have been published yet: seed the demo with npm start.',
  },
  release: { ja: 'リリース', en: 'Release' },
  period: { ja: '表示する期間', en: 'Period shown' },
  show: { ja: '表示', en: 'Show' },
  benchmark: { ja: '自社ベンチマーク', en: 'Company benchmark' },
  notice: { ja: '匿名加工情報の公表（個人情報保護法）', en: 'Notice of anonymised information (APPI)' },
  csv: { ja: 'この表を CSV でダウンロード', en: 'Download this table as CSV' },
  noData: { ja: 'データなし', en: 'No data' },
  legend: {
    ja: '斜線の x（秘匿）は、個人や会社が特定されるおそれがあるため値を公表しないセルです（欠測ではありません）。「データなし」は、その期間にデータがないことを示します（秘匿ではありません）。',
    en: 'Hatched x (suppressed) cells are withheld because publishing them could identify a person or company; they are not missing data. "No data" means no data covers the period (nothing is withheld).',
  },
} as const;

/** Every month any monthly statistic has cells for, newest first. */
function monthsOf(cellsByStat: ReadonlyMap<Statistic, readonly Cell[]>): string[] {
  const months = new Set<string>();
  for (const [stat, cells] of cellsByStat) {
    if (stat.period === 'month') for (const c of cells) months.add(String(c.period));
  }
  return [...months].sort().reverse();
}

/**
 * The period shown unless one is chosen: the newest month with a published (not suppressed) national
 * figure, so a single new upload covering a month alone does not open the page on suppressed cells.
 */
function defaultMonth(cellsByStat: ReadonlyMap<Statistic, readonly Cell[]>, months: readonly string[]) {
  return (
    months.find((m) =>
      [...cellsByStat].some(
        ([stat, cells]) =>
          stat.period === 'month' &&
          cells.some((c) => c.period === m && c.geo_level === 'national' && c.suppressed !== true),
      ),
    ) ?? months[0]
  );
}

async function loadRelease(objects: ObjectStore) {
  const manifest = await readReleaseManifest(objects);
  const cellsByStat = new Map<Statistic, readonly Cell[]>();
  for (const entry of manifest.statistics) {
    const stat = STATISTICS.find((s) => s.name === entry.name);
    if (stat) cellsByStat.set(stat, await readPublishedCells(objects, manifest.releaseId, stat.name));
  }
  const months = monthsOf(cellsByStat);
  return { manifest, cellsByStat, months };
}

/** The CSV of one statistic for a period, exactly the rows and columns the page shows. */
export async function renderPreviewCsv(
  ports: PreviewPorts,
  options: { readonly lang: Lang; readonly statistic: string; readonly period?: string },
): Promise<PreviewResponse> {
  const stat = getStatistic(options.statistic);
  const { manifest, cellsByStat, months } = await loadRelease(ports.objects);
  const month =
    options.period && /^\d{4}-\d{2}$/.test(options.period)
      ? options.period
      : defaultMonth(cellsByStat, months);
  const cells = month ? shownCells(stat, cellsByStat.get(stat) ?? [], month) : [];
  const period = month ? periodFor(stat, month) : 'none';
  return {
    kind: 'csv',
    fileName: `kura_${stat.name}_${period}_${manifest.releaseId}.csv`.replace(/[^A-Za-z0-9_.-]/g, '_'),
    csv: cellsCsv(stat, cells, options.lang),
  };
}

export function benchmarkRow(stat: Statistic, result: Benchmark, lang: Lang): string {
  const name = `<td>${escapeHtml(stat.title[lang])}</td><td>${escapeHtml(result.period ?? '')}</td>`;
  if (result.status !== 'published') {
    // A period without data is said to have none: the 秘匿 mark is only for a withheld segment.
    const mark =
      result.status === 'no_data'
        ? `<td class="no-data" data-no-data="true">${escapeHtml(T.noData[lang])}</td>`
        : `<td class="suppressed">${escapeHtml(SUPPRESSED_MARK[lang])}</td>`;
    const own = stat.benchmarkShare
      ? formatPercent(result.own, lang)
      : formatMeasure(stat, stat.headline, result.own, lang);
    return `<tr data-status="${result.status}">${name}<td></td><td class="num">${escapeHtml(own)}</td>${mark}<td></td><td></td><td>${escapeHtml(result.message[lang])}</td></tr>`;
  }
  const share = result.comparable.kind === 'share';
  const show = (v: number | null) =>
    share ? formatPercent(v, lang) : formatMeasure(stat, stat.headline, v, lang);
  const what = share
    ? t(lang, `${result.comparable.title.ja}（%）`, `${result.comparable.title.en} (%)`)
    : columnLabel(stat, stat.headline, lang);
  const skipped = result.fallbacks.length;
  const explanation = [
    skipped > 0
      ? t(
          lang,
          `より細かい区分（${skipped}件）は秘匿または未公表のため、この区分と比べています。`,
          `${skipped} finer segment(s) were suppressed or not published, so this one is used.`,
        )
      : t(lang, '自社と同じ区分と比べています。', 'Compared with your own segment.'),
    result.excludesOwn
      ? t(lang, '同業他社の値は自社を除いて計算しています。', 'Peer figures leave your company out.')
      : '',
    share && result.peerValue === null
      ? t(
          lang,
          'このリリースでは比べられる値が公表されていません（性別などが一般化されています）。',
          'This release publishes no comparable figure (the dimension was generalised away).',
        )
      : '',
    result.positionSegment
      ? t(
          lang,
          `位置は、四分位が公表されているより広い区分（${segmentName(result.positionSegment).ja}）の四分位によります。`,
          `The position uses the quartiles of a wider segment that publishes them (${segmentName(result.positionSegment).en}).`,
        )
      : '',
    !share && !result.position
      ? t(
          lang,
          '四分位が公表されていないため、位置は示せません。',
          'No quartiles are published for this segment, so no position is given.',
        )
      : '',
  ]
    .filter(Boolean)
    .join(' ');
  const position = result.position ? POSITION_LABELS[result.position][lang] : '—';
  return `<tr data-status="published">${name}<td>${escapeHtml(what)}</td><td class="num">${escapeHtml(show(result.own))}</td><td class="num">${escapeHtml(show(result.peerValue))}</td><td class="position">${escapeHtml(position)}</td><td class="segment">${escapeHtml(result.comparedWith[lang])}</td><td class="explanation">${escapeHtml(explanation)}</td></tr>`;
}

async function benchmarkSection(
  ports: PreviewPorts,
  options: {
    readonly lang: Lang;
    readonly tenantId: string;
    readonly tenants: readonly string[];
    readonly month: string | undefined;
  },
): Promise<string> {
  const { lang, tenantId, month } = options;
  const tenant = await ports.table.get('tenants', { tenantId });
  const profile = companyProfileSchema.safeParse(tenant?.profile);
  if (!profile.success) return '';
  const rows: string[] = [];
  for (const stat of STATISTICS) {
    const result = await tenantBenchmark(ports.objects, {
      tenantId,
      profile: profile.data,
      statistic: stat.name,
      ...(month ? { period: periodFor(stat, month) } : {}),
    });
    rows.push(benchmarkRow(stat, result, lang));
  }
  const picker = options.tenants
    .map(
      (id) =>
        `<a href="?tenant=${encodeURIComponent(id)}&amp;lang=${lang}${month ? `&amp;period=${encodeURIComponent(month)}` : ''}"${id === tenantId ? ' class="current"' : ''}>${escapeHtml(id)}</a>`,
    )
    .join(' ');
  const who = `${cellValueLabel('industry', profile.data.industry, lang)} / ${cellValueLabel('prefecture', profile.data.prefecture, lang)} / ${cellValueLabel('size_band', profile.data.sizeBand, lang)}`;
  const headers =
    lang === 'ja'
      ? ['統計', '期間', '比べる値', '自社', '同業他社', '位置（四分位）', '比較した区分', '説明']
      : [
          'Statistic',
          'Period',
          'Figure compared',
          'Your company',
          'Peers',
          'Position (quartile band)',
          'Segment compared',
          'Explanation',
        ];
  return `<section class="benchmark" id="benchmark"><h2>${escapeHtml(T.benchmark[lang])}: ${escapeHtml(tenantId)} ${escapeHtml(t(lang, `（${who}）`, `(${who})`))}</h2>
<p class="explain">${escapeHtml(t(lang, '自社の値を、同じ産業・従業員規模・地域の他社（自社を除く）と比べます。その区分が秘匿または未公表のときは、地域、全国、全規模・全産業へと広げ、どの区分と比べたかを示します。位置は、自社の値が区分の四分位のどこにあるかです。', 'Your figure beside other companies (yours left out) of the same industry, size band and place. When that segment is suppressed or not published it widens to the region, the whole country, then all sizes or all industries, and says which segment it used. The position is the quartile band your figure falls in.'))}</p>
<nav class="tenants">${picker}</nav>
<table class="cells"><thead><tr>${headers.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr></thead><tbody>${rows.join('\n')}</tbody></table></section>`;
}

async function noticeSection(objects: ObjectStore, releaseId: string, lang: Lang): Promise<string> {
  const notice = await publicReleaseNotice(objects, releaseId, lang);
  const list = (items: readonly string[]) =>
    `<ul>${items.map((i) => `<li>${escapeHtml(i)}</li>`).join('')}</ul>`;
  const items = notice.items.map((item) => {
    const from = item.sources
      .map((s) => ('name' in s && s.name ? s.name : `${s.dataset}.${s.column}`))
      .join(t(lang, '・', ', '));
    return `${item.title}（${t(lang, '元の項目', 'from')}: ${from}。${item.processing}）`;
  });
  return `<section class="notice" id="notice"><h2>${escapeHtml(T.notice[lang])}</h2>
<p>${escapeHtml(t(lang, `リリース ${notice.releaseId}・公表日 ${notice.releaseDate}`, `Release ${notice.releaseId}, published ${notice.releaseDate}`))}</p>
<p>${escapeHtml(notice.legalBasis)}</p>
<h3>${escapeHtml(t(lang, '個人に関する情報の項目', 'Categories of information about individuals'))}</h3>${list(items)}
<h3>${escapeHtml(t(lang, '会社に関する項目（個人に関する情報ではありません）', 'Company items (not information about individuals)'))}</h3>${list(notice.companyItems)}
<h3>${escapeHtml(t(lang, '削除した情報', 'Information deleted'))}</h3>${list(notice.removed)}
<h3>${escapeHtml(t(lang, '加工の方法', 'Processing method'))}</h3>${list(notice.processingMethod)}
<h3>${escapeHtml(t(lang, 'この公表の対象となる統計', 'Statistics covered'))}</h3>${list(notice.statistics.map((s) => `${s.title}（${s.name}）`))}
</section>`;
}

/** The whole preview page for a period (`YYYY-MM`; the newest with published figures by default). */
export async function renderPreviewPage(
  ports: PreviewPorts,
  options: {
    readonly lang: Lang;
    readonly tenantId?: string;
    readonly tenants?: readonly string[];
    readonly period?: string;
  },
): Promise<string> {
  const { lang } = options;
  let release: Awaited<ReturnType<typeof loadRelease>>;
  try {
    release = await loadRelease(ports.objects);
  } catch (error) {
    if (!(error instanceof StatsReleaseNotFoundError)) throw error;
    return page(lang, `<p class="empty">${escapeHtml(T.none[lang])}</p>`);
  }
  const { manifest, cellsByStat, months } = release;
  const month =
    options.period && months.includes(options.period) ? options.period : defaultMonth(cellsByStat, months);
  const query = (extra: string) =>
    `?lang=${lang}${options.tenantId ? `&amp;tenant=${encodeURIComponent(options.tenantId)}` : ''}${extra}`;
  const selector = `<form class="period" method="get" action=""><input type="hidden" name="lang" value="${lang}">${options.tenantId ? `<input type="hidden" name="tenant" value="${escapeHtml(options.tenantId)}">` : ''}<label for="period">${escapeHtml(T.period[lang])}</label> <select id="period" name="period">${months.map((m) => `<option value="${escapeHtml(m)}"${m === month ? ' selected' : ''}>${escapeHtml(m)}</option>`).join('')}</select> <button type="submit">${escapeHtml(T.show[lang])}</button></form>`;

  const sections: string[] = [];
  for (const entry of manifest.statistics) {
    const stat = STATISTICS.find((s) => s.name === entry.name);
    if (!stat) continue;
    const all = cellsByStat.get(stat) ?? [];
    const cells = month ? shownCells(stat, all, month) : [];
    const period = month ? periodFor(stat, month) : '';
    const suppressed = cells.filter((c) => c.suppressed === true).length;
    const body =
      cells.length === 0
        ? `<p class="no-data" data-no-data="true">${escapeHtml(t(lang, `${period} のデータはありません（秘匿ではなく、この期間のデータがありません）。`, `There are no figures for ${period}: no data covers this period (nothing is withheld).`))}</p>`
        : `<p class="meta">${escapeHtml(t(lang, `${period}：表示 ${cells.length} セル（うち秘匿 ${suppressed}）・このリリースの全 ${entry.cells} セル（うち秘匿 ${entry.suppressedCells}）`, `${period}: ${cells.length} cells shown (${suppressed} suppressed); ${entry.cells} cells in this release (${entry.suppressedCells} suppressed)`))}</p>
${barChartSvg(stat, cells, lang)}
${cellsTableHtml(stat, cells, lang)}
<p><a class="csv" download href="/preview/csv${query(`&amp;statistic=${stat.name}${month ? `&amp;period=${encodeURIComponent(month)}` : ''}`)}">${escapeHtml(T.csv[lang])}</a></p>`;
    sections.push(`<section class="statistic" id="${escapeHtml(stat.name)}" data-period="${escapeHtml(period)}">
<h2>${escapeHtml(stat.title[lang])}</h2>
<p class="description">${escapeHtml(stat.description[lang])}</p>
${body}
${trendSvg(stat, all, lang, month ?? '')}
</section>`);
  }

  const tenantId = options.tenantId ?? options.tenants?.[0];
  const benchmark = tenantId
    ? await benchmarkSection(ports, { lang, tenantId, tenants: options.tenants ?? [], month })
    : '';
  const notice = await noticeSection(ports.objects, manifest.releaseId, lang);
  return page(
    lang,
    `<p class="release">${escapeHtml(T.release[lang])} <strong>${escapeHtml(manifest.releaseId)}</strong></p>
${selector}
<p class="legend"><svg width="28" height="14" aria-hidden="true"><rect width="28" height="14" fill="#fef3c7" stroke="#b45309" stroke-dasharray="3 2"/></svg> ${escapeHtml(T.legend[lang])}</p>
${sections.join('\n')}
${benchmark}
${notice}`,
  );
}

function page(lang: Lang, body: string): string {
  return `<!doctype html>
<html lang="${lang}"><head><meta charset="utf-8"><title>${escapeHtml(T.title[lang])}</title>
<style>
body{font-family:system-ui,"Noto Sans CJK JP",sans-serif;margin:24px;color:#111;background:#fff}
h1{font-size:22px}h2{font-size:17px;margin-top:28px}h3{font-size:14px}code{font-size:12px;color:#555}
.chart .label,.chart .value,.chart .axis,.trend .axis{font-size:11px;fill:#222}.axis-title{font-weight:bold}.chart .suppressed-text,.trend .suppressed-text{font-size:11px;fill:#92400e;font-weight:bold}
figure.trend-figure{margin:10px 0}figcaption{font-size:13px;font-weight:bold}
table.cells{border-collapse:collapse;font-size:12px;margin-top:8px}table.cells td,table.cells th{border:1px solid #ccc;padding:2px 6px}
td.num{text-align:right}td.suppressed{background:#fef3c7;color:#92400e;font-weight:bold}td.no-data,p.no-data{color:#555;font-style:italic}
.notice{font-size:13px}nav.tenants a{margin-right:6px}nav.tenants a.current{font-weight:bold}form.period{margin:12px 0}
</style></head>
<body><h1>${escapeHtml(T.title[lang])}</h1>
<p><a href="?lang=ja">日本語</a> · <a href="?lang=en">English</a></p>
${body}
</body></html>`;
}
