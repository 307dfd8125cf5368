/**
 * The benchmark's segment hierarchy and peer arithmetic (benchmark.ts compares with them): which
 * segments a company is compared with, closest first, and how each is named; which published cell is
 * a segment's; the segment's figures with the caller taken out; and the caller's quartile band.
 */
import { type CompanyProfile, PREFECTURES, REGIONS, regionOf } from '../company.ts';
import type { DisclosureSettings } from '../settings.ts';
import { type Bilingual, type GeoLevel, type Statistic, TOTAL, VARIABLES, type Variable } from './catalog.ts';
import { cellValueLabel } from './labels.ts';

/** A row of a published statistics table (as read from Parquet or Athena). */
export type PublishedCell = Readonly<Record<string, unknown>>;

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

/**
 * The segments tried, closest first: the company's industry × size band in its prefecture, region and
 * the whole country; then, nationally, its industry across every size, its size band across every
 * industry, and last every company in the country. Small segments are mostly suppressed; a wider one
 * still says something true, and the answer names it. A statistic without a size band dimension
 * counts every size in each segment, and its segments say so (全規模).
 */
export function segmentsFor(stat: Statistic, profile: CompanyProfile): SegmentRef[] {
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

export function matches(
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

export function positionOf(
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
export function describeSegment(segment: SegmentRef, peers: number | undefined, stat: Statistic): Bilingual {
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
export function withoutOwn(
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
export function numbersOf(stat: Statistic, cell: PublishedCell): Record<string, number> {
  const published: Record<string, number> = {};
  for (const m of stat.measures) {
    const v = cell[m.column];
    if (typeof v === 'number' && Number.isFinite(v)) published[m.column] = v;
    else if (typeof v === 'bigint') published[m.column] = Number(v);
  }
  return published;
}

/** The count measure of a published cell, if published. */
export function countOf(stat: Statistic, cell: PublishedCell | undefined): number | undefined {
  if (!cell) return undefined;
  const column = stat.measures.find((m) => m.kind === 'count')?.column;
  return column === undefined ? undefined : numbersOf(stat, cell)[column];
}
