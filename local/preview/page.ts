/**
 * The BI preview: what a company and its advisor see over the published statistics, drawn locally —
 * every statistic of the latest release for a chosen period as a chart and a table (suppressed cells
 * marked 秘匿, a period without data said to have none), its national trend over every period, a CSV
 * of what is shown, a company's benchmark against its peers, and the release's APPI notice. Japanese
 * unless `?lang=en` or the browser prefers English. It reads only the stats zone (published cells,
 * manifest, notice) and, for the benchmark, what `GET /stats/{name}/benchmark` gives that company;
 * never pseudonymised or raw data. Charts are inline SVG drawn here: no script, no CDN, no network.
 */

import { knownStatistic, published } from '../../functions/domain/advisors/benchmark.ts';
import type { Lang } from '../../functions/domain/i18n.ts';
import type { ObjectStore } from '../../functions/domain/ports/index.ts';
import type { Statistic } from '../../functions/domain/stats/catalog.ts';
import {
  publicReleaseNotice,
  readPublishedCells,
  readReleaseManifest,
  StatsReleaseNotFoundError,
} from '../../functions/domain/stats/service.ts';
import { STATISTICS } from '../../functions/domain/stats/statistics.ts';
import { benchmarkSection } from './benchmark.ts';
import {
  barChartSvg,
  type Cell,
  cellsCsv,
  cellsTableHtml,
  escapeHtml,
  periodFor,
  shownCells,
  t,
  trendSvg,
} from './charts.ts';
import type { PreviewPorts } from './ports.ts';
import { T } from './texts.ts';

/** What the preview serves: the page, or the CSV of one statistic as shown. */
export type PreviewResponse =
  | { readonly kind: 'html'; readonly html: string }
  | { readonly kind: 'csv'; readonly fileName: string; readonly csv: string };

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
  // Both are the asker's to fix (a name edited by hand, nothing published yet): 404s with their reason.
  const stat = knownStatistic(options.statistic);
  const { manifest, cellsByStat, months } = await published(() => loadRelease(ports.objects));
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
  const tenantQuery = options.tenantId ? `&amp;tenant=${encodeURIComponent(options.tenantId)}` : '';
  const query = (extra: string) => `?lang=${lang}${tenantQuery}${extra}`;
  // A period asked for that has no published figures is said so, not silently replaced.
  const asked = options.period?.slice(0, 20);
  const periodNote =
    asked && month && asked !== month
      ? `<p class="period-note" role="status">${escapeHtml(t(lang, `${asked} の統計は公表されていません。${month} を表示しています。`, `No statistics are published for ${asked}: showing ${month}.`))}</p>`
      : '';
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
${periodNote}
<p class="legend"><svg width="28" height="14" aria-hidden="true"><rect width="28" height="14" fill="#fef3c7" stroke="#b45309" stroke-dasharray="3 2"/></svg> ${escapeHtml(T.legend[lang])}</p>
${sections.join('\n')}
${benchmark}
${notice}`,
    `${tenantQuery}${month ? `&amp;period=${encodeURIComponent(month)}` : ''}`,
  );
}

/** The page around a body; `keep` (HTML-escaped query parameters) stays on the language links. */
export function page(lang: Lang, body: string, keep = ''): string {
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
<p><a href="?lang=ja${keep}">日本語</a> · <a href="?lang=en${keep}">English</a></p>
${body}
</body></html>`;
}
