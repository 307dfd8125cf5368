/**
 * Tenant benchmark: the caller's own value (computed from its own pseudonymised data) beside its
 * peers, with the caller itself left out. The segment is industry × size band × prefecture; when that
 * cell is suppressed, not published, or leaves too few peers once the caller is taken out, it falls
 * back to the region, then to the whole country, then nationally to the industry across sizes and the
 * size band across industries, and says which segment it used and why the finer ones were skipped. A
 * suppressed segment is reported without saying which rule fired.
 *
 * Peers without the caller: the published (perturbed) totals minus the caller's own true figures.
 * Nothing here is new to the caller, who could subtract its own figures from the published ones;
 * the thresholds (`minIndividuals` people, `minCompanies` companies) apply to what remains.
 * Quartiles cannot be taken apart this way: they are the segment's published quartiles (the caller
 * included), and the caller's position is a band between them; where the compared segment publishes
 * none, the nearest wider segment's are used and named. A headcount is compared as a share
 * (`benchmarkShare`), never with the segment's total.
 */

import type { CompanyProfile } from '../company.ts';
import type { DisclosureSettings } from '../settings.ts';
import * as z from '../zod.ts';
import {
  type BenchmarkPosition,
  countOf,
  describeSegment,
  matches,
  numbersOf,
  type OwnFigures,
  type PublishedCell,
  positionOf,
  type SegmentRef,
  segmentsFor,
  withoutOwn,
} from './benchmark-segments.ts';
import { type Bilingual, type GeoLevel, type Statistic, TOTAL } from './catalog.ts';
import { getStatistic } from './statistics.ts';

export const benchmarkOptionsSchema = z.strictObject({
  statistic: z.string(),
  /** Period to compare (YYYY-MM or YYYY); defaults to the latest period among the cells. */
  period: z.optional(z.string()),
  /** Values for the statistic's other dimensions (e.g. age_band); `_total` when omitted. */
  dimensions: z._default(z.record(z.string(), z.string()), {}),
});
export type BenchmarkOptions = z.input<typeof benchmarkOptionsSchema>;

export const SEGMENT_SUPPRESSED_MESSAGE: Bilingual = {
  ja: 'この区分の統計は、個人や会社が特定されるおそれがあるため公表していません。',
  en: 'Statistics for this segment are withheld because publishing them could identify a person or a company.',
};

/**
 * The statistic has no published cell at all for the period (a month nobody's data covers, or no
 * release has it yet). Nothing is withheld, so the answer must not say so: it says there is no data.
 */
export function noDataMessage(period: string | null): Bilingual {
  return period === null
    ? {
        ja: 'この統計に公表されたデータはまだありません。',
        en: 'No figures of this statistic have been published yet.',
      }
    : {
        ja: `${period} の統計データはありません（秘匿ではなく、この期間のデータがありません）。`,
        en: `There are no figures for ${period}: no data covers this period (nothing is withheld).`,
      };
}

/** What the company's own value is set beside: a measure of the segment, or a share of its rows. */
export type BenchmarkComparable =
  | { readonly kind: 'measure'; readonly column: string; readonly title: Bilingual }
  | { readonly kind: 'share'; readonly title: Bilingual };

/** Why a finer segment was not used. */
export type FallbackReason = 'suppressed' | 'not_published' | 'too_few_peers';

export type Benchmark =
  | {
      readonly status: 'published';
      readonly statistic: string;
      readonly period: string;
      readonly own: number | null;
      readonly segment: SegmentRef;
      /** Levels tried first and why they were skipped. */
      readonly fallbacks: ReadonlyArray<{ readonly level: GeoLevel; readonly reason: FallbackReason }>;
      /**
       * The segment's measures by column name: without the caller where `excludesOwn` is true (counts,
       * totals, means and ratios); quartiles are the segment's published ones, the caller included.
       */
      readonly peers: Readonly<Record<string, number>>;
      /** Whether counts, totals, means and ratios in `peers` leave the caller out. */
      readonly excludesOwn: boolean;
      /** Which segment the comparison uses, in words (Japanese and English). */
      readonly comparedWith: Bilingual;
      /** What `own` and `peerValue` are: the headline measure, or a share (a headcount statistic). */
      readonly comparable: BenchmarkComparable;
      /** The peers' figure to set beside `own` (same kind and unit); null when not published. */
      readonly peerValue: number | null;
      readonly position?: BenchmarkPosition;
      /**
       * Where the position's quartiles come from when the compared segment publishes none (quartiles
       * need more people than a cell): the nearest wider segment that does.
       */
      readonly positionSegment?: SegmentRef;
    }
  | {
      /** The segment has figures for the period but they are not published (which rule, never said). */
      readonly status: 'suppressed';
      readonly statistic: string;
      readonly period: string | null;
      readonly own: number | null;
      readonly message: Bilingual;
    }
  | {
      /** No published cell of the statistic has this period: there is nothing to compare with. */
      readonly status: 'no_data';
      readonly statistic: string;
      readonly period: string | null;
      readonly own: number | null;
      readonly message: Bilingual;
    };

/** What every segment tried for one benchmark compares with. */
interface Comparison {
  readonly stat: Statistic;
  readonly statistic: string;
  readonly period: string;
  readonly own: number | null;
  /** The caller's own figures and the thresholds, when they can be taken out of the segment. */
  readonly exclusion: { readonly own: OwnFigures; readonly disclosure: DisclosureSettings } | undefined;
  readonly segments: readonly SegmentRef[];
  readonly fallbacks: Array<{ level: GeoLevel; reason: FallbackReason }>;
  readonly cellOf: (segment: SegmentRef, dims?: Record<string, string>) => PublishedCell | undefined;
  readonly dimensions: Record<string, string>;
}

/** A segment's figures set beside the caller: without it when `excludesOwn`. */
interface PeerFigures {
  readonly peers: Record<string, number>;
  readonly excludesOwn: boolean;
  readonly remaining: number | undefined;
}

/**
 * The caller's value beside its segment's peers (the caller left out when its own figures are given),
 * falling back from prefecture to region to national when a level is suppressed, absent or leaves
 * too few peers.
 */
export function benchmarkFor(
  tenantOwnValue: number | null,
  publishedSegmentCells: readonly PublishedCell[],
  profile: CompanyProfile,
  options: BenchmarkOptions,
  exclusion?: { readonly own: OwnFigures | null; readonly disclosure: DisclosureSettings },
): Benchmark {
  const { statistic, period: wantedPeriod, dimensions } = benchmarkOptionsSchema.parse(options);
  const stat = getStatistic(statistic);
  const periods = publishedSegmentCells.map((c) => String(c.period)).sort();
  const period = wantedPeriod ?? periods[periods.length - 1] ?? null;
  const suppressed = {
    status: 'suppressed',
    statistic,
    period,
    own: tenantOwnValue,
    message: SEGMENT_SUPPRESSED_MESSAGE,
  } as const;
  if (period === null || !publishedSegmentCells.some((c) => c.period === period)) {
    return { status: 'no_data', statistic, period, own: tenantOwnValue, message: noDataMessage(period) };
  }
  // Own figures are for the company's whole population: only a segment without other dimensions
  // chosen (every other dimension at `_total`) can have them taken out.
  const ownApplies = Object.values(dimensions).every((v) => v === TOTAL);
  const comparison: Comparison = {
    stat,
    statistic,
    period,
    own: tenantOwnValue,
    exclusion:
      exclusion?.own && ownApplies ? { own: exclusion.own, disclosure: exclusion.disclosure } : undefined,
    segments: segmentsFor(stat, profile),
    fallbacks: [],
    cellOf: (segment, dims = dimensions) =>
      publishedSegmentCells.find((c) => matches(stat, c, segment, period, dims)),
    dimensions,
  };
  return compareWithSegments(comparison) ?? suppressed;
}

/** The first segment, closest first, that can be compared with; undefined when none can. */
function compareWithSegments(comparison: Comparison): Benchmark | undefined {
  const { stat, segments, fallbacks } = comparison;
  const share = stat.benchmarkShare;
  for (const [index, segment] of segments.entries()) {
    const cell = comparison.cellOf(segment);
    if (!cell || cell.suppressed === true) {
      fallbacks.push({ level: segment.level, reason: cell ? 'suppressed' : 'not_published' });
      continue;
    }
    const figures = peerFigures(stat, cell, comparison.exclusion);
    if (!figures) {
      fallbacks.push({ level: segment.level, reason: 'too_few_peers' });
      continue;
    }
    const outcome = share
      ? shareBenchmark(comparison, segment, cell, figures, share)
      : measureBenchmark(comparison, index, segment, cell, figures);
    if (typeof outcome === 'string') {
      fallbacks.push({ level: segment.level, reason: outcome });
      continue;
    }
    return outcome;
  }
  return undefined;
}

/** The segment's published measures, or its peers without the caller; undefined when too few remain. */
function peerFigures(
  stat: Statistic,
  cell: PublishedCell,
  exclusion: Comparison['exclusion'],
): PeerFigures | undefined {
  const published = numbersOf(stat, cell);
  if (!exclusion) return { peers: published, excludesOwn: false, remaining: undefined };
  const without = withoutOwn(stat, published, exclusion.own, exclusion.disclosure);
  if (!without) return undefined;
  return { peers: without.peers, excludesOwn: true, remaining: without.remaining };
}

/**
 * A headcount is compared as a share: the segment's rows with the value over all its rows. Returns
 * why the segment is skipped when it cannot be compared.
 */
function shareBenchmark(
  comparison: Comparison,
  segment: SegmentRef,
  cell: PublishedCell,
  { peers, excludesOwn, remaining }: PeerFigures,
  share: NonNullable<Statistic['benchmarkShare']>,
): Benchmark | FallbackReason {
  const { stat, statistic, period, fallbacks, dimensions } = comparison;
  const part = comparison.cellOf(segment, { ...dimensions, [share.dimension]: share.value });
  const partCount = countOf(stat, part);
  const totalCount = countOf(stat, cell);
  // No cell has the value at all (the release generalised the dimension away): no wider segment
  // will have it either, so the answer says the segment but no peer figure.
  const unavailable = !part;
  if (!unavailable && (part.suppressed === true || partCount === undefined || totalCount === undefined)) {
    return 'suppressed';
  }
  const own = comparison.exclusion?.own;
  const denominator = (totalCount ?? 0) - (own?.rows ?? 0);
  const numerator = (partCount ?? 0) - (own?.shareRows ?? 0);
  if (
    !unavailable &&
    (totalCount === undefined || partCount === undefined || denominator <= 0 || numerator < 0)
  ) {
    return 'too_few_peers';
  }
  return {
    status: 'published',
    statistic,
    period,
    own: comparison.own,
    segment,
    fallbacks,
    peers,
    excludesOwn,
    comparedWith: describeSegment(segment, remaining, stat),
    comparable: { kind: 'share', title: share.title },
    peerValue: unavailable ? null : Math.round((numerator / denominator) * 1e6) / 1e6,
  };
}

/** The headline measure beside the caller's value, with the caller's quartile band where one is known. */
function measureBenchmark(
  comparison: Comparison,
  index: number,
  segment: SegmentRef,
  cell: PublishedCell,
  { peers, excludesOwn, remaining }: PeerFigures,
): Benchmark {
  const { stat, statistic, period, fallbacks } = comparison;
  const { position, positionSegment } = quartileBand(comparison, index, segment, cell, peers);
  const headline = stat.measures.find((m) => m.column === stat.headline);
  return {
    status: 'published',
    statistic,
    period,
    own: comparison.own,
    segment,
    fallbacks,
    peers,
    excludesOwn,
    comparedWith: describeSegment(segment, remaining, stat),
    comparable: { kind: 'measure', column: stat.headline, title: headline?.title ?? stat.title },
    peerValue: peers[stat.headline] ?? null,
    ...(position ? { position } : {}),
    ...(positionSegment ? { positionSegment } : {}),
  };
}

/**
 * Quartiles need more people than a cell: take them from the nearest wider segment publishing them
 * (`positionSegment` only when it is not the compared segment).
 */
function quartileBand(
  comparison: Comparison,
  index: number,
  segment: SegmentRef,
  cell: PublishedCell,
  peers: Record<string, number>,
): { position?: BenchmarkPosition; positionSegment?: SegmentRef } {
  const { stat, own } = comparison;
  if (own === null) return {};
  for (const candidate of comparison.segments.slice(index)) {
    const quartileCell = candidate === segment ? cell : comparison.cellOf(candidate);
    if (!quartileCell || quartileCell.suppressed === true) continue;
    const found = positionOf(stat, own, candidate === segment ? peers : numbersOf(stat, quartileCell));
    if (found)
      return candidate === segment ? { position: found } : { position: found, positionSegment: candidate };
  }
  return {};
}
