/** The company's benchmark on the preview page: the segment compared, the quartile band and why. */
import { companyProfileSchema } from '../../functions/domain/company.ts';
import type { Lang } from '../../functions/domain/i18n.ts';
import type { Benchmark } from '../../functions/domain/stats/benchmark.ts';
import { benchmarkText } from '../../functions/domain/stats/benchmark-text.ts';
import type { Statistic } from '../../functions/domain/stats/catalog.ts';
import { cellValueLabel } from '../../functions/domain/stats/labels.ts';
import { tenantBenchmark } from '../../functions/domain/stats/service.ts';
import { STATISTICS } from '../../functions/domain/stats/statistics.ts';
import { escapeHtml, periodFor, t } from './charts.ts';
import type { PreviewPorts } from './ports.ts';
import { T } from './texts.ts';

export function benchmarkRow(stat: Statistic, result: Benchmark, lang: Lang): string {
  const text = benchmarkText(stat, result, lang);
  const cell = (value: string, attributes = '') => `<td${attributes}>${escapeHtml(value)}</td>`;
  const name = `${cell(stat.title[lang])}${cell(text.period)}`;
  if (text.status !== 'published') {
    // A period without data is said to have none: the 秘匿 mark is only for a withheld segment.
    const mark =
      text.status === 'no_data'
        ? cell(text.peers, ' class="no-data" data-no-data="true"')
        : cell(text.peers, ' class="suppressed"');
    return `<tr data-status="${text.status}">${name}<td></td>${cell(text.own, ' class="num"')}${mark}<td></td><td></td>${cell(text.explanation)}</tr>`;
  }
  return `<tr data-status="published">${name}${cell(text.what)}${cell(text.own, ' class="num"')}${cell(text.peers, ' class="num"')}${cell(text.position, ' class="position"')}${cell(text.segment, ' class="segment"')}${cell(text.explanation, ' class="explanation"')}</tr>`;
}

export async function benchmarkSection(
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
  if (!profile.success) {
    // A company asked for by hand that is not there is said so, not shown as no benchmark at all.
    const asked = tenantId.slice(0, 64);
    return `<section class="benchmark" id="benchmark"><h2>${escapeHtml(T.benchmark[lang])}</h2>
<p class="empty" role="status">${escapeHtml(t(lang, `会社 ${asked} は見つかりません。下の一覧から選んでください。`, `There is no company ${asked}: choose one from the list below.`))}</p>
<nav class="tenants">${tenantPicker(options.tenants, tenantId, lang, month)}</nav></section>`;
  }
  const rows: string[] = [];
  for (const stat of STATISTICS) {
    const result = await tenantBenchmark(ports, {
      tenantId,
      profile: profile.data,
      statistic: stat.name,
      ...(month ? { period: periodFor(stat, month) } : {}),
    });
    rows.push(benchmarkRow(stat, result, lang));
  }
  const picker = tenantPicker(options.tenants, tenantId, lang, month);
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

/** Links to each demo company's benchmark, the current one marked. */
function tenantPicker(tenants: readonly string[], current: string, lang: Lang, month: string | undefined) {
  return tenants
    .map(
      (id) =>
        `<a href="?tenant=${encodeURIComponent(id)}&amp;lang=${lang}${month ? `&amp;period=${encodeURIComponent(month)}` : ''}"${id === current ? ' class="current"' : ''}>${escapeHtml(id)}</a>`,
    )
    .join(' ');
}
