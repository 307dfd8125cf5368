/**
 * The BI preview: what QuickSight (or another BI tool) would show over the Athena views, drawn
 * locally — every published statistic of the latest release as a chart and a table, suppressed cells
 * marked as suppressed, a demo company's benchmark, and the release's APPI notice. It reads only the
 * stats zone (published cells, manifest, notice) and, for the benchmark, what `GET /stats/{name}/benchmark`
 * gives that company; never pseudonymised or raw data. Charts are inline SVG drawn here: no script,
 * no CDN, no network.
 */
import type { ObjectStore, Table } from '../../functions/adapters/ports.ts';
import { companyProfileSchema } from '../../functions/domain/company.ts';
import type { Lang } from '../../functions/domain/i18n.ts';
import { STATISTICS, type Statistic, TOTAL } from '../../functions/domain/stats/catalog.ts';
import { SUPPRESSED_MARK } from '../../functions/domain/stats/render.ts';
import {
  readPublishedCells,
  readReleaseManifest,
  readReleaseNotice,
  StatsReleaseNotFoundError,
  tenantBenchmark,
} from '../../functions/domain/stats/service.ts';

type Cell = Readonly<Record<string, unknown>>;

export const escapeHtml = (value: unknown) =>
  String(value ?? '').replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c,
  );

const format = (value: unknown) =>
  typeof value === 'number' ? (Number.isInteger(value) ? value.toLocaleString('en') : value.toFixed(2)) : '';

/** The cells a chart shows: the latest period, national and regional, broken down by the first dimension. */
export function chartCells(stat: Statistic, cells: readonly Cell[]): Cell[] {
  const periods = [...new Set(cells.map((c) => String(c.period)))].sort();
  const latest = periods[periods.length - 1];
  const [first, ...rest] = stat.dimensions;
  return cells
    .filter(
      (c) =>
        c.period === latest &&
        (c.geo_level === 'national' || c.geo_level === 'region') &&
        rest.every((d) => c[d] === TOTAL) &&
        (first === undefined || c[first] !== '_unspecified'),
    )
    .sort(
      (a, b) =>
        String(a.geo_level).localeCompare(String(b.geo_level)) ||
        String(a.region ?? '').localeCompare(String(b.region ?? '')) ||
        String(first ? a[first] : '').localeCompare(String(first ? b[first] : '')),
    )
    .slice(0, 24);
}

const labelOf = (stat: Statistic, cell: Cell, lang: Lang) => {
  const first = stat.dimensions[0];
  const place = cell.geo_level === 'national' ? { ja: '全国', en: 'national' }[lang] : String(cell.region);
  const key = first ? String(cell[first]) : '';
  return `${place} · ${key === TOTAL ? { ja: '計', en: 'total' }[lang] : key}`;
};

/** A horizontal bar chart of the headline measure; a suppressed cell is a hatched marker labelled x. */
export function barChartSvg(stat: Statistic, cells: readonly Cell[], lang: Lang): string {
  const headline = stat.headline;
  const values = cells.map((c) => (c.suppressed === true ? undefined : Number(c[headline])));
  const max = Math.max(1e-9, ...values.filter((v): v is number => v !== undefined && Number.isFinite(v)));
  const rowHeight = 22;
  const labelWidth = 190;
  const plotWidth = 420;
  const height = cells.length * rowHeight + 30;
  const rows = cells.map((cell, i) => {
    const y = 10 + i * rowHeight;
    const label = `<text x="${labelWidth - 6}" y="${y + 15}" text-anchor="end" class="label">${escapeHtml(labelOf(stat, cell, lang))}</text>`;
    const value = values[i];
    if (value === undefined || !Number.isFinite(value)) {
      return `${label}<g class="suppressed-mark" data-suppressed="true"><rect x="${labelWidth}" y="${y + 2}" width="${plotWidth}" height="${rowHeight - 6}" fill="url(#hatch-${escapeHtml(stat.name)})" stroke="#b45309" stroke-dasharray="3 2"/><text x="${labelWidth + 8}" y="${y + 15}" class="suppressed-text">${escapeHtml(SUPPRESSED_MARK[lang])}</text></g>`;
    }
    const width = Math.max(1, (value / max) * plotWidth);
    return `${label}<rect class="bar" data-value="${value}" x="${labelWidth}" y="${y + 2}" width="${width.toFixed(1)}" height="${rowHeight - 6}" fill="#2563eb"/><text x="${labelWidth + width + 4}" y="${y + 15}" class="value">${escapeHtml(format(value))}</text>`;
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" class="chart" data-statistic="${escapeHtml(stat.name)}" width="${labelWidth + plotWidth + 90}" height="${height}" role="img" aria-label="${escapeHtml(stat.title[lang])}">
<defs><pattern id="hatch-${escapeHtml(stat.name)}" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="6" height="6" fill="#fef3c7"/><line x1="0" y1="0" x2="0" y2="6" stroke="#d97706" stroke-width="2"/></pattern></defs>
<line x1="${labelWidth}" y1="6" x2="${labelWidth}" y2="${height - 18}" stroke="#555"/>
${rows.join('\n')}
<text x="${labelWidth}" y="${height - 4}" class="axis">${escapeHtml(headline)} (max ${escapeHtml(format(max))})</text>
</svg>`;
}

/** The national total of the headline measure over every period, as a line; a suppressed period is an x. */
export function trendSvg(stat: Statistic, cells: readonly Cell[], lang: Lang): string {
  const national = cells
    .filter((c) => c.geo_level === 'national' && stat.dimensions.every((d) => c[d] === TOTAL))
    .sort((a, b) => String(a.period).localeCompare(String(b.period)));
  if (national.length < 2) return '';
  const values = national.map((c) => (c.suppressed === true ? undefined : Number(c[stat.headline])));
  const known = values.filter((v): v is number => v !== undefined && Number.isFinite(v));
  const [min, max] = [Math.min(...known, 0), Math.max(...known, 1e-9)];
  const [width, height, left, top] = [520, 140, 50, 12];
  const x = (i: number) => left + (i * (width - left - 10)) / (national.length - 1);
  const y = (v: number) => top + (1 - (v - min) / (max - min || 1)) * (height - top - 28);
  const points = values.flatMap((v, i) => (v === undefined ? [] : [`${x(i).toFixed(1)},${y(v).toFixed(1)}`]));
  const marks = values
    .map((v, i) =>
      v === undefined
        ? `<text x="${x(i)}" y="${height - 30}" text-anchor="middle" class="suppressed-text" data-suppressed="true">x</text>`
        : `<circle class="point" data-value="${v}" cx="${x(i).toFixed(1)}" cy="${y(v).toFixed(1)}" r="3" fill="#2563eb"/>`,
    )
    .join('');
  const labels = national
    .map(
      (c, i) =>
        `<text x="${x(i)}" y="${height - 8}" text-anchor="middle" class="axis">${escapeHtml(String(c.period).slice(-2))}</text>`,
    )
    .join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" class="trend" width="${width}" height="${height}" role="img" aria-label="${escapeHtml(`${stat.title[lang]} — ${lang === 'ja' ? '全国計の推移' : 'national total over time'}`)}">
<line x1="${left}" y1="${height - 24}" x2="${width - 10}" y2="${height - 24}" stroke="#555"/>
<text x="4" y="${y(max) + 4}" class="axis">${escapeHtml(format(max))}</text><text x="4" y="${y(min) + 4}" class="axis">${escapeHtml(format(min))}</text>
<polyline points="${points.join(' ')}" fill="none" stroke="#2563eb" stroke-width="2"/>${marks}${labels}
</svg>`;
}

/** The chart's cells as a table, suppressed cells marked (never blank). */
export function cellsTableHtml(stat: Statistic, cells: readonly Cell[], lang: Lang): string {
  const measures = stat.measures.map((m) => m.column);
  const keys = ['period', 'geo_level', 'region', ...stat.dimensions];
  const head = [...keys, ...measures].map((c) => `<th>${escapeHtml(c)}</th>`).join('');
  const body = cells
    .map((cell) => {
      const suppressed = cell.suppressed === true;
      const tds = [
        ...keys.map((k) => `<td>${escapeHtml(cell[k])}</td>`),
        ...measures.map((m) =>
          suppressed
            ? `<td class="suppressed" title="suppressed">${escapeHtml(SUPPRESSED_MARK[lang])}</td>`
            : `<td class="num">${escapeHtml(format(cell[m]))}</td>`,
        ),
      ];
      return `<tr${suppressed ? ' class="suppressed-row"' : ''}>${tds.join('')}</tr>`;
    })
    .join('\n');
  return `<table class="cells"><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>`;
}

export interface PreviewPorts {
  readonly objects: ObjectStore;
  readonly table: Table;
}

const T = {
  title: { ja: 'Kura 統計プレビュー（BI）', en: 'Kura statistics preview (BI)' },
  none: {
    ja: 'まだ統計は公表されていません。npm start でデモを投入してください。',
    en: 'No statistics have been published yet: seed the demo with npm start.',
  },
  release: { ja: 'リリース', en: 'Release' },
  benchmark: { ja: '自社ベンチマーク', en: 'Company benchmark' },
  notice: { ja: '匿名加工情報の公表（個人情報保護法）', en: 'Notice of anonymised information (APPI)' },
  legend: {
    ja: '斜線の x（秘匿）は、個人や会社が特定されるおそれがあるため値を公表しないセルです（欠測ではありません）。',
    en: 'Hatched x (suppressed) cells are withheld because publishing them could identify a person or company; they are not missing data.',
  },
} as const;

/** The whole preview page for `tenantId`'s benchmark (any registered company). */
export async function renderPreviewPage(
  ports: PreviewPorts,
  options: { readonly lang: Lang; readonly tenantId?: string; readonly tenants?: readonly string[] },
): Promise<string> {
  const { lang } = options;
  let manifest: Awaited<ReturnType<typeof readReleaseManifest>>;
  try {
    manifest = await readReleaseManifest(ports.objects);
  } catch (error) {
    if (!(error instanceof StatsReleaseNotFoundError)) throw error;
    return page(lang, `<p class="empty">${escapeHtml(T.none[lang])}</p>`);
  }
  const sections: string[] = [];
  for (const entry of manifest.statistics) {
    const stat = STATISTICS.find((s) => s.name === entry.name);
    if (!stat) continue;
    const all = await readPublishedCells(ports.objects, manifest.releaseId, stat.name);
    const cells = chartCells(stat, all);
    sections.push(`<section class="statistic" id="${escapeHtml(stat.name)}">
<h2>${escapeHtml(stat.title[lang])} <code>${escapeHtml(stat.name)}</code></h2>
<p class="meta">${escapeHtml(`${entry.cells} cells, ${entry.suppressedCells} suppressed`)}</p>
${barChartSvg(stat, cells, lang)}
${trendSvg(stat, all, lang)}
${cellsTableHtml(stat, cells, lang)}
</section>`);
  }

  let benchmark = '';
  const tenantId = options.tenantId ?? options.tenants?.[0];
  if (tenantId) {
    const tenant = await ports.table.get('tenants', { tenantId });
    const profile = companyProfileSchema.safeParse(tenant?.profile);
    if (profile.success) {
      const rows: string[] = [];
      for (const stat of STATISTICS) {
        const result = await tenantBenchmark(ports.objects, {
          tenantId,
          profile: profile.data,
          statistic: stat.name,
        });
        const peers = result.status === 'published' ? result.peers : {};
        rows.push(
          `<tr><td>${escapeHtml(stat.title[lang])}</td><td>${escapeHtml(result.period)}</td><td class="num">${escapeHtml(format(result.own))}</td>` +
            (result.status === 'published'
              ? `<td class="num">${escapeHtml(format(peers[stat.headline]))}</td><td>${escapeHtml(`${result.segment.level} ${result.segment.industry} ${result.segment.sizeBand}`)}</td><td>${escapeHtml(result.position ?? '')}</td>`
              : `<td class="suppressed">${escapeHtml(SUPPRESSED_MARK[lang])}</td><td colspan="2">${escapeHtml(result.message[lang])}</td>`) +
            '</tr>',
        );
      }
      const picker = (options.tenants ?? [])
        .map(
          (t) =>
            `<a href="?tenant=${encodeURIComponent(t)}&lang=${lang}"${t === tenantId ? ' class="current"' : ''}>${escapeHtml(t)}</a>`,
        )
        .join(' ');
      benchmark = `<section class="benchmark" id="benchmark"><h2>${escapeHtml(T.benchmark[lang])}: ${escapeHtml(tenantId)} (${escapeHtml(`${profile.data.industry} / ${profile.data.prefecture} / ${profile.data.sizeBand}`)})</h2>
<nav class="tenants">${picker}</nav>
<table class="cells"><thead><tr>${(lang === 'ja' ? ['統計', '期間', '自社', '同業（代表値）', '比較区分', '位置'] : ['statistic', 'period', 'own', 'peers (headline)', 'segment', 'position']).map((h) => `<th>${h}</th>`).join('')}</tr></thead><tbody>${rows.join('\n')}</tbody></table></section>`;
    }
  }

  const { markdown } = await readReleaseNotice(ports.objects, manifest.releaseId);
  const notice = `<section class="notice" id="notice"><h2>${escapeHtml(T.notice[lang])}</h2><pre>${escapeHtml(markdown)}</pre></section>`;
  return page(
    lang,
    `<p class="release">${escapeHtml(T.release[lang])} <strong>${escapeHtml(manifest.releaseId)}</strong></p>
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
h1{font-size:22px}h2{font-size:17px;margin-top:28px}code{font-size:12px;color:#555}
.chart .label,.chart .value,.chart .axis,.trend .axis{font-size:11px;fill:#222}.chart .suppressed-text,.trend .suppressed-text{font-size:11px;fill:#92400e;font-weight:bold}svg.trend{display:block;margin-top:6px}
table.cells{border-collapse:collapse;font-size:12px;margin-top:8px}table.cells td,table.cells th{border:1px solid #ccc;padding:2px 6px}
td.num{text-align:right}td.suppressed{background:#fef3c7;color:#92400e;font-weight:bold}
.notice pre{white-space:pre-wrap;background:#f6f6f6;padding:12px;font-size:12px}
nav.tenants a{margin-right:6px}nav.tenants a.current{font-weight:bold}
</style></head>
<body><h1>${escapeHtml(T.title[lang])}</h1>
<p><a href="?lang=ja">日本語</a> · <a href="?lang=en">English</a></p>
${body}
</body></html>`;
}
