/** The company's benchmark on the preview page: the segment compared, the quartile band and why. */
import { companyProfileSchema } from '../../functions/domain/company.ts';
import type { Lang } from '../../functions/domain/i18n.ts';
import type { Benchmark } from '../../functions/domain/stats/benchmark.ts';
import { segmentName } from '../../functions/domain/stats/benchmark-segments.ts';
import type { Statistic } from '../../functions/domain/stats/catalog.ts';
import {
  cellValueLabel,
  columnLabel,
  formatMeasure,
  formatPercent,
  POSITION_LABELS,
} from '../../functions/domain/stats/labels.ts';
import { SUPPRESSED_MARK } from '../../functions/domain/stats/render.ts';
import { tenantBenchmark } from '../../functions/domain/stats/service.ts';
import { STATISTICS } from '../../functions/domain/stats/statistics.ts';
import { escapeHtml, periodFor, t } from './charts.ts';
import type { PreviewPorts } from './ports.ts';
import { T } from './texts.ts';

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
