/**
 * A company's benchmark as a person reads it, for every place Kura shows one (the BI preview page, the
 * `kura benchmark` command): what is compared, the company's and its peers' figures, the quartile band,
 * the segment, and why that segment, in Japanese or English. Plain text: each place escapes it for
 * itself.
 */
import { type Lang, msg, pick } from '../i18n.ts';
import type { Benchmark } from './benchmark.ts';
import { segmentName } from './benchmark-segments.ts';
import type { Statistic } from './catalog.ts';
import { columnLabel, formatMeasure, formatPercent, POSITION_LABELS } from './labels.ts';
import { SUPPRESSED_MARK } from './render.ts';

/** One sentence in the reader's language (i18n.ts: msg and pick). */
const t = (lang: Lang, ja: string, en: string) => pick(msg(ja, en), lang);

/** What a period without data reads as (the 秘匿 mark is only for a withheld segment). */
export const NO_DATA_MARK = { ja: 'データなし', en: 'No data' } as const;

/** A benchmark's fields as text; `peers` and `position` hold the mark when nothing is published. */
export interface BenchmarkText {
  readonly status: Benchmark['status'];
  readonly period: string;
  readonly what: string;
  readonly own: string;
  readonly peers: string;
  readonly position: string;
  readonly segment: string;
  readonly explanation: string;
}

/** The benchmark of one statistic, as text in `lang`. */
export function benchmarkText(stat: Statistic, result: Benchmark, lang: Lang): BenchmarkText {
  const period = result.period ?? '';
  if (result.status !== 'published') {
    const own = stat.benchmarkShare
      ? formatPercent(result.own, lang)
      : formatMeasure(stat, stat.headline, result.own, lang);
    const mark = result.status === 'no_data' ? NO_DATA_MARK[lang] : SUPPRESSED_MARK[lang];
    return {
      status: result.status,
      period,
      what: '',
      own,
      peers: mark,
      position: '',
      segment: '',
      explanation: result.message[lang],
    };
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
  return {
    status: 'published',
    period,
    what,
    own: show(result.own),
    peers: show(result.peerValue),
    position: result.position ? POSITION_LABELS[result.position][lang] : '—',
    segment: result.comparedWith[lang],
    explanation,
  };
}
