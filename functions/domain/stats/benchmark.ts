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
import { z } from 'zod';
import { type CompanyProfile, PREFECTURES, REGIONS, regionOf } from '../company.ts';
import type { DisclosureSettings } from '../settings.ts';
import { type Bilingual, type GeoLevel, type Statistic, TOTAL, VARIABLES, type Variable } from './catalog.ts';
import { cellValueLabel } from './labels.ts';
import { getStatistic } from './statistics.ts';

/** A row of a published statistics table (as read from Parquet or Athena). */
export type PublishedCell = Readonly<Record<string, unknown>>;

export const benchmarkOptionsSchema = z
  .object({
    statistic: z.string(),
    /** Period to compare (YYYY-MM or YYYY); defaults to the latest period among the cells. */
    period: z.string().optional(),
    /** Values for the statistic's other dimensions (e.g. age_band); `_total` when omitted. */
    dimensions: z.record(z.string(), z.string()).default({}),
  })
  .strict();
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

export interface SegmentRef {
  readonly level: GeoLevel;
  readonly industry: string;
  readonly sizeBand: string;
  readonly prefecture?: string;
  readonly region?: string;
}

export type BenchmarkPosition = 'below_p25' | 'p25_to_median' | 'median_to_p75' | 'above_p75';

/** The caller's own additive figures for the period: rows (people, or 1 for its company) and sums. */
export interface OwnFigures {
  readonly rows: number;
  readonly sums: Readonly<Partial<Record<Variable, number>>>;
  /** Of `rows`, those with the statistic's `benchmarkShare` value (a statistic compared by a share). */
  readonly shareRows?: number;
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

/**
 * The segments tried, closest first: the company's industry × size band in its prefecture, region and
 * the whole country; then, nationally, its industry across every size, its size band across every
 * industry, and last every company in the country. Small segments are mostly suppressed; a wider one
 * still says something true, and the answer names it. A statistic without a size band dimension
 * counts every size in each segment, and its segments say so (全規模).
 */
function segmentsFor(stat: Statistic, profile: CompanyProfile): SegmentRef[] {
  const region = regionOf(profile.prefecture) ?? TOTAL;
  const sized = stat.dimensions.includes('size_band');
  const base = { industry: profile.industry, sizeBand: sized ? profile.sizeBand : TOTAL };
  const all: SegmentRef[] = [
    ...(stat.geography === 'prefecture'
      ? [{ ...base, level: 'prefecture' as const, prefecture: profile.prefecture, region }]
      : []),
    { ...base, level: 'region', region },
    { ...base, level: 'national' },
    ...(sized ? [{ industry: profile.industry, sizeBand: TOTAL, level: 'national' as const }] : []),
    ...(stat.dimensions.includes('industry') && sized
      ? [{ industry: TOTAL, sizeBand: profile.sizeBand, level: 'national' as const }]
      : []),
    ...(stat.dimensions.includes('industry')
      ? [{ industry: TOTAL, sizeBand: TOTAL, level: 'national' as const }]
      : []),
  ];
  return stat.margins ? all : all.slice(0, 1);
}

function matches(
  stat: Statistic,
  cell: PublishedCell,
  segment: SegmentRef,
  period: string,
  dims: Record<string, string>,
) {
  if (cell.period !== period || cell.geo_level !== segment.level) return false;
  for (const d of stat.dimensions) {
    const wanted =
      d === 'industry' ? segment.industry : d === 'size_band' ? segment.sizeBand : (dims[d] ?? TOTAL);
    if (cell[d] !== wanted) return false;
  }
  if (segment.level === 'prefecture' && cell.prefecture !== segment.prefecture) return false;
  if (segment.level !== 'national' && cell.region !== segment.region) return false;
  return true;
}

function positionOf(
  stat: Statistic,
  own: number,
  peers: Record<string, number>,
): BenchmarkPosition | undefined {
  const quantile = (p: number) => {
    const m = stat.measures.find((x) => x.kind === 'quantile' && x.p === p);
    return m ? peers[m.column] : undefined;
  };
  const [p25, median, p75] = [quantile(0.25), quantile(0.5), quantile(0.75)];
  if (p25 === undefined || median === undefined || p75 === undefined) return undefined;
  if (own < p25) return 'below_p25';
  if (own < median) return 'p25_to_median';
  if (own <= p75) return 'median_to_p75';
  return 'above_p75';
}

/** A segment by name: industry, size band and place (全産業・全規模 where widened). */
export function segmentName(segment: SegmentRef): Bilingual {
  const industry = (lang: 'ja' | 'en') =>
    segment.industry === TOTAL
      ? { ja: '全産業', en: 'all industries' }[lang]
      : cellValueLabel('industry', segment.industry, lang);
  const size = (lang: 'ja' | 'en') =>
    segment.sizeBand === TOTAL
      ? { ja: '全規模', en: 'all sizes' }[lang]
      : cellValueLabel('size_band', segment.sizeBand, lang);
  const place =
    segment.level === 'prefecture'
      ? PREFECTURES.find((p) => p.code === segment.prefecture)
      : segment.level === 'region'
        ? REGIONS[segment.region as keyof typeof REGIONS]
        : undefined;
  const where = place ? { ja: place.ja, en: place.en } : { ja: '全国', en: 'Japan' };
  return {
    ja: `${industry('ja')}・${size('ja')}・${where.ja}`,
    en: `${industry('en')}, ${size('en')}, ${where.en}`,
  };
}

/** The segment in words, for the answer (Japanese first, English). */
function describeSegment(segment: SegmentRef, peers: number | undefined, stat: Statistic): Bilingual {
  const name = segmentName(segment);
  const unit = stat.unit === 'company' ? { ja: '社', en: 'companies' } : { ja: '人', en: 'people' };
  const others =
    peers === undefined
      ? { ja: '', en: '' }
      : { ja: `、自社を除く約${peers}${unit.ja}`, en: `, about ${peers} ${unit.en} besides yours` };
  return { ja: `${name.ja}${others.ja}`, en: `${name.en}${others.en}` };
}

/**
 * The segment's measures with the caller left out, or undefined when too few peers remain. Totals
 * are the published totals minus the caller's own; means and ratios follow from them.
 */
function withoutOwn(
  stat: Statistic,
  published: Record<string, number>,
  own: OwnFigures,
  disclosure: DisclosureSettings,
): { peers: Record<string, number>; remaining: number } | undefined {
  const countColumn = stat.measures.find((m) => m.kind === 'count')?.column;
  const count = countColumn === undefined ? undefined : published[countColumn];
  if (count === undefined) return undefined;
  const ownRows = stat.unit === 'company' ? 1 : own.rows;
  const remaining = count - ownRows;
  const minimum = stat.unit === 'company' ? disclosure.minCompanies : disclosure.minIndividuals;
  if (remaining < minimum) return undefined;
  /** A variable's published (perturbed) total: a sum measure, or a mean times the count. */
  const total = (v: Variable): number | undefined => {
    const sum = stat.measures.find((m) => m.kind === 'sum' && m.of === v);
    if (sum && published[sum.column] !== undefined) return published[sum.column];
    if (v === 'employed' && stat.employedOnly) return count;
    const mean = stat.measures.find((m) => m.kind === 'mean' && m.of === v);
    if (mean?.kind === 'mean' && published[mean.column] !== undefined) {
      return ((published[mean.column] as number) / mean.scale) * count;
    }
    return undefined;
  };
  // A published total carries noise, so it can fall below the caller's true figure: peers then have
  // none (the variables are counts, hours, days and yen, never negative).
  const peerTotal = (v: Variable) => {
    const t = total(v);
    return t === undefined
      ? undefined
      : Math.max(0, t - (v === 'employed' && stat.employedOnly ? own.rows : (own.sums[v] ?? 0)));
  };
  const peers: Record<string, number> = {};
  const round = (x: number, v?: Variable) => {
    const d = v ? VARIABLES[v].decimals : 2;
    return Math.round(x * 10 ** d) / 10 ** d;
  };
  for (const m of stat.measures) {
    const value = published[m.column];
    if (value === undefined) continue;
    if (m.kind === 'count') peers[m.column] = remaining;
    else if (m.kind === 'sum') {
      const t = peerTotal(m.of);
      if (t !== undefined) peers[m.column] = round(t, m.of);
    } else if (m.kind === 'mean') {
      const t = peerTotal(m.of);
      if (t !== undefined) peers[m.column] = round((t / remaining) * m.scale);
    } else if (m.kind === 'ratio') {
      const numerator = peerTotal(m.numerator);
      const denominator =
        m.denominator === 'employed' && stat.employedOnly ? remaining : peerTotal(m.denominator);
      if (numerator !== undefined && denominator !== undefined && denominator > 0) {
        peers[m.column] = Math.round((numerator / denominator) * 1e6) / 1e6;
      }
    } else {
      peers[m.column] = value;
    }
  }
  return { peers, remaining };
}

/** A cell's published measures as numbers (null and suppressed values left out). */
function numbersOf(stat: Statistic, cell: PublishedCell): Record<string, number> {
  const published: Record<string, number> = {};
  for (const m of stat.measures) {
    const v = cell[m.column];
    if (typeof v === 'number' && Number.isFinite(v)) published[m.column] = v;
    else if (typeof v === 'bigint') published[m.column] = Number(v);
  }
  return published;
}

/** The count measure of a published cell, if published. */
function countOf(stat: Statistic, cell: PublishedCell | undefined): number | undefined {
  if (!cell) return undefined;
  const column = stat.measures.find((m) => m.kind === 'count')?.column;
  return column === undefined ? undefined : numbersOf(stat, cell)[column];
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
  const fallbacks: Array<{ level: GeoLevel; reason: FallbackReason }> = [];
  const segments = segmentsFor(stat, profile);
  const cellOf = (segment: SegmentRef, dims: Record<string, string> = dimensions) =>
    publishedSegmentCells.find((c) => matches(stat, c, segment, period, dims));
  const share = stat.benchmarkShare;
  for (const [index, segment] of segments.entries()) {
    const cell = cellOf(segment);
    if (!cell || cell.suppressed === true) {
      fallbacks.push({ level: segment.level, reason: cell ? 'suppressed' : 'not_published' });
      continue;
    }
    const published = numbersOf(stat, cell);
    let peers = published;
    let excludesOwn = false;
    let remaining: number | undefined;
    if (exclusion?.own && ownApplies) {
      const without = withoutOwn(stat, published, exclusion.own, exclusion.disclosure);
      if (!without) {
        fallbacks.push({ level: segment.level, reason: 'too_few_peers' });
        continue;
      }
      peers = without.peers;
      remaining = without.remaining;
      excludesOwn = true;
    }
    if (share) {
      // A headcount is compared as a share: the segment's rows with the value over all its rows.
      const part = cellOf(segment, { ...dimensions, [share.dimension]: share.value });
      const partCount = countOf(stat, part);
      const totalCount = countOf(stat, cell);
      // No cell has the value at all (the release generalised the dimension away): no wider segment
      // will have it either, so the answer says the segment but no peer figure.
      const unavailable = !part;
      if (!unavailable && (part.suppressed === true || partCount === undefined || totalCount === undefined)) {
        fallbacks.push({ level: segment.level, reason: 'suppressed' });
        continue;
      }
      const own = exclusion?.own && ownApplies ? exclusion.own : undefined;
      const denominator = (totalCount ?? 0) - (own?.rows ?? 0);
      const numerator = (partCount ?? 0) - (own?.shareRows ?? 0);
      if (
        !unavailable &&
        (totalCount === undefined || partCount === undefined || denominator <= 0 || numerator < 0)
      ) {
        fallbacks.push({ level: segment.level, reason: 'too_few_peers' });
        continue;
      }
      return {
        status: 'published',
        statistic,
        period,
        own: tenantOwnValue,
        segment,
        fallbacks,
        peers,
        excludesOwn,
        comparedWith: describeSegment(segment, remaining, stat),
        comparable: { kind: 'share', title: share.title },
        peerValue: unavailable ? null : Math.round((numerator / denominator) * 1e6) / 1e6,
      };
    }
    // Quartiles need more people than a cell: take them from the nearest wider segment publishing them.
    let position: BenchmarkPosition | undefined;
    let positionSegment: SegmentRef | undefined;
    if (tenantOwnValue !== null) {
      for (const candidate of segments.slice(index)) {
        const quartileCell = candidate === segment ? cell : cellOf(candidate);
        if (!quartileCell || quartileCell.suppressed === true) continue;
        const found = positionOf(
          stat,
          tenantOwnValue,
          candidate === segment ? peers : numbersOf(stat, quartileCell),
        );
        if (found) {
          position = found;
          if (candidate !== segment) positionSegment = candidate;
          break;
        }
      }
    }
    const headline = stat.measures.find((m) => m.column === stat.headline);
    return {
      status: 'published',
      statistic,
      period,
      own: tenantOwnValue,
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
  return suppressed;
}
