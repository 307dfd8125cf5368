/**
 * Tenant benchmark: the caller's own value (computed by the caller from its own pseudonymised data)
 * beside the published distribution of its peers. The segment is industry × size band × prefecture;
 * when that cell is suppressed (or not published at that level) it falls back to the region, then
 * to the whole country. A suppressed segment is reported as suppressed without saying which rule fired.
 */
import { z } from 'zod';
import { type CompanyProfile, regionOf } from '../company.ts';
import { type Bilingual, type GeoLevel, getStatistic, type Statistic, TOTAL } from './catalog.ts';

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

export interface SegmentRef {
  readonly level: GeoLevel;
  readonly industry: string;
  readonly sizeBand: string;
  readonly prefecture?: string;
  readonly region?: string;
}

export type BenchmarkPosition = 'below_p25' | 'p25_to_median' | 'median_to_p75' | 'above_p75';

export type Benchmark =
  | {
      readonly status: 'published';
      readonly statistic: string;
      readonly period: string;
      readonly own: number | null;
      readonly segment: SegmentRef;
      /** Levels tried first and why they were skipped. */
      readonly fallbacks: ReadonlyArray<{
        readonly level: GeoLevel;
        readonly reason: 'suppressed' | 'not_published';
      }>;
      /** Every published measure of the segment, by column name. */
      readonly peers: Readonly<Record<string, number>>;
      readonly position?: BenchmarkPosition;
    }
  | {
      readonly status: 'suppressed';
      readonly statistic: string;
      readonly period: string | null;
      readonly own: number | null;
      readonly message: Bilingual;
    };

function segmentsFor(stat: Statistic, profile: CompanyProfile): SegmentRef[] {
  const region = regionOf(profile.prefecture) ?? TOTAL;
  const base = { industry: profile.industry, sizeBand: profile.sizeBand };
  const all: SegmentRef[] = [
    ...(stat.geography === 'prefecture'
      ? [{ ...base, level: 'prefecture' as const, prefecture: profile.prefecture, region }]
      : []),
    { ...base, level: 'region', region },
    { ...base, level: 'national' },
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

/**
 * The caller's value beside its segment's published peer distribution, falling back from prefecture
 * to region to national when a level is suppressed or absent.
 */
export function benchmarkFor(
  tenantOwnValue: number | null,
  publishedSegmentCells: readonly PublishedCell[],
  profile: CompanyProfile,
  options: BenchmarkOptions,
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
  if (period === null) return suppressed;
  const fallbacks: Array<{ level: GeoLevel; reason: 'suppressed' | 'not_published' }> = [];
  for (const segment of segmentsFor(stat, profile)) {
    const cell = publishedSegmentCells.find((c) => matches(stat, c, segment, period, dimensions));
    if (!cell || cell.suppressed === true) {
      fallbacks.push({ level: segment.level, reason: cell ? 'suppressed' : 'not_published' });
      continue;
    }
    const peers: Record<string, number> = {};
    for (const m of stat.measures) {
      const v = cell[m.column];
      if (typeof v === 'number' && Number.isFinite(v)) peers[m.column] = v;
      else if (typeof v === 'bigint') peers[m.column] = Number(v);
    }
    const position = tenantOwnValue === null ? undefined : positionOf(stat, tenantOwnValue, peers);
    return {
      status: 'published',
      statistic,
      period,
      own: tenantOwnValue,
      segment,
      fallbacks,
      peers,
      ...(position ? { position } : {}),
    };
  }
  return suppressed;
}
