import { describe, expect, it } from 'vitest';
import type { CompanyProfile } from '../../../functions/domain/company.ts';
import { defaultSettings } from '../../../functions/domain/settings.ts';
import {
  benchmarkFor,
  noDataMessage,
  SEGMENT_SUPPRESSED_MESSAGE,
} from '../../../functions/domain/stats/benchmark.ts';
import type { PublishedCell } from '../../../functions/domain/stats/benchmark-segments.ts';

const profile: CompanyProfile = { industry: 'E', prefecture: '13', sizeBand: '20-49' };
const cell = (geo: Partial<PublishedCell>, values: Partial<PublishedCell> = {}): PublishedCell => ({
  period: '2026-10',
  industry: 'E',
  size_band: '20-49',
  employees: 25,
  overtime_hours_mean: 12,
  overtime_hours_p25: 6,
  overtime_hours_median: 11,
  overtime_hours_p75: 18,
  overtime_hours_total: 300,
  suppressed: false,
  ...geo,
  ...values,
});
const tokyo = { geo_level: 'prefecture', prefecture: '13', region: 'kanto' };
const kanto = { geo_level: 'region', prefecture: '_total', region: 'kanto' };
const national = { geo_level: 'national', prefecture: '_total', region: '_total' };
const suppressedValues = {
  suppressed: true,
  employees: null,
  overtime_hours_mean: null,
  overtime_hours_p25: null,
  overtime_hours_median: null,
  overtime_hours_p75: null,
  overtime_hours_total: null,
};

describe('benchmarkFor', () => {
  it('places the own value in the prefecture segment when it is published', () => {
    const result = benchmarkFor(20, [cell(tokyo), cell(kanto, { employees: 90 })], profile, {
      statistic: 'overtime_hours_monthly',
    });
    expect(result).toMatchObject({
      status: 'published',
      own: 20,
      period: '2026-10',
      segment: { level: 'prefecture', prefecture: '13' },
      fallbacks: [],
      position: 'above_p75',
    });
    expect(result.status === 'published' && result.peers.employees).toBe(25);
  });

  it('falls back to the region when the prefecture cell is suppressed', () => {
    const result = benchmarkFor(8, [cell(tokyo, suppressedValues), cell(kanto, { employees: 90 })], profile, {
      statistic: 'overtime_hours_monthly',
    });
    expect(result).toMatchObject({
      status: 'published',
      segment: { level: 'region', region: 'kanto' },
      fallbacks: [{ level: 'prefecture', reason: 'suppressed' }],
      position: 'p25_to_median',
    });
  });

  it('falls back to the whole country when prefecture and region are suppressed or absent', () => {
    const result = benchmarkFor(
      5,
      [cell(kanto, suppressedValues), cell(national, { employees: 400 })],
      profile,
      {
        statistic: 'overtime_hours_monthly',
      },
    );
    expect(result).toMatchObject({
      status: 'published',
      segment: { level: 'national' },
      fallbacks: [
        { level: 'prefecture', reason: 'not_published' },
        { level: 'region', reason: 'suppressed' },
      ],
      position: 'below_p25',
    });
  });

  it('says the segment is suppressed without naming the rule', () => {
    const result = benchmarkFor(
      5,
      [cell(tokyo, suppressedValues), cell(kanto, suppressedValues), cell(national, suppressedValues)],
      profile,
      {
        statistic: 'overtime_hours_monthly',
      },
    );
    expect(result).toEqual({
      status: 'suppressed',
      statistic: 'overtime_hours_monthly',
      period: '2026-10',
      own: 5,
      message: SEGMENT_SUPPRESSED_MESSAGE,
    });
    expect(JSON.stringify(result)).not.toMatch(/individual|compan(y|ies) (count|<)|dominance|secondary/i);
  });

  it('ignores cells of other industries, sizes and periods', () => {
    const result = benchmarkFor(
      5,
      [cell(tokyo, { industry: 'G' }), cell(tokyo, { size_band: '1-4' }), cell(tokyo, { period: '2026-09' })],
      profile,
      { statistic: 'overtime_hours_monthly', period: '2026-10' },
    );
    expect(result.status).toBe('suppressed');
  });

  it('says a month without any data has no data, not that its figures are withheld', () => {
    // Act: a month no published cell covers, and a statistic with no cells at all
    const emptyMonth = benchmarkFor(5, [cell(tokyo), cell(kanto), cell(national)], profile, {
      statistic: 'overtime_hours_monthly',
      period: '2027-01',
    });
    const nothing = benchmarkFor(null, [], profile, { statistic: 'overtime_hours_monthly' });

    // Assess
    expect(emptyMonth).toEqual({
      status: 'no_data',
      statistic: 'overtime_hours_monthly',
      period: '2027-01',
      own: 5,
      message: noDataMessage('2027-01'),
    });
    expect(nothing).toMatchObject({ status: 'no_data', period: null, message: noDataMessage(null) });
    for (const message of [emptyMonth, nothing].map((r) => (r.status === 'no_data' ? r.message : r))) {
      expect(JSON.stringify(message)).not.toMatch(/withheld because|identify|特定/);
    }
    expect(noDataMessage('2027-01').ja).toContain('データがありません');
  });

  it('widens the segment to the industry across sizes when every place of industry × size is suppressed', () => {
    // Prepare: E/20-49 suppressed everywhere; E across all sizes published nationally with quartiles
    const cells = [
      cell(tokyo, suppressedValues),
      cell(kanto, suppressedValues),
      cell(national, suppressedValues),
      cell(national, { size_band: '_total', employees: 400 }),
    ];

    // Act
    const result = benchmarkFor(20, cells, profile, { statistic: 'overtime_hours_monthly' });

    // Assess
    expect(result).toMatchObject({
      status: 'published',
      segment: { level: 'national', industry: 'E', sizeBand: '_total' },
      position: 'above_p75',
    });
    expect(result.status === 'published' && result.comparedWith.ja).toContain('製造業');
    expect(result.status === 'published' && result.comparedWith.ja).toContain('全規模');
  });

  it('places the company by the quartiles of the nearest wider segment that publishes them, and says which', () => {
    // Prepare: the Tokyo cell is published without quartiles (too few people for quartiles)
    const noQuartiles = { overtime_hours_p25: null, overtime_hours_median: null, overtime_hours_p75: null };
    const cells = [
      cell(tokyo, noQuartiles),
      cell(kanto, { ...noQuartiles, employees: 60 }),
      cell(national, { employees: 400 }),
    ];

    // Act
    const result = benchmarkFor(8, cells, profile, { statistic: 'overtime_hours_monthly' });

    // Assess
    expect(result).toMatchObject({
      status: 'published',
      segment: { level: 'prefecture' },
      position: 'p25_to_median',
      positionSegment: { level: 'national', industry: 'E', sizeBand: '20-49' },
    });
  });

  it('compares a headcount statistic by a share (women among employees), never with the segment total', () => {
    // Prepare: the segment has 60 employees, 24 of them women; the company has 20, 5 women
    const head = (geo: Partial<PublishedCell>, gender: string, employees: number): PublishedCell => ({
      period: '2026-10',
      industry: 'E',
      age_band: '_total',
      gender,
      employees,
      suppressed: false,
      ...geo,
    });
    const cells = [head(kanto, '_total', 60), head(kanto, 'female', 24)];

    // Act
    const result = benchmarkFor(
      0.25,
      cells,
      profile,
      { statistic: 'headcount_by_age_gender' },
      {
        own: { rows: 20, sums: {}, shareRows: 5 },
        disclosure: { ...defaultSettings.disclosure },
      },
    );

    // Assess: peers are the 40 others, 19 of them women
    expect(result.status).toBe('published');
    if (result.status !== 'published') return;
    expect(result.own).toBe(0.25);
    expect(result.comparable).toEqual({
      kind: 'share',
      title: { ja: '女性従業員の割合', en: 'Share of women' },
    });
    expect(result.peerValue).toBeCloseTo(19 / 40, 6);
    expect(result.peerValue).not.toBe(40);
  });

  it('widens a headcount share to all industries nationwide when its industry withholds the share, and names the segment without a size band', () => {
    // Prepare: the industry's women are withheld in the region and nationally (a complement of a small
    // _unspecified cell); all industries nationally publish 24 of 60
    const head = (
      geo: Partial<PublishedCell>,
      industry: string,
      gender: string,
      employees: number | null,
    ) => ({
      period: '2026-10',
      industry,
      age_band: '_total',
      gender,
      employees,
      suppressed: employees === null,
      ...geo,
    });
    const cells = [
      head(kanto, 'E', '_total', 40),
      head(kanto, 'E', 'female', null),
      head(national, 'E', '_total', 45),
      head(national, 'E', 'female', null),
      head(national, '_total', '_total', 60),
      head(national, '_total', 'female', 24),
    ];

    // Act
    const result = benchmarkFor(
      0.25,
      cells,
      profile,
      { statistic: 'headcount_by_age_gender' },
      { own: { rows: 20, sums: {}, shareRows: 5 }, disclosure: { ...defaultSettings.disclosure } },
    );

    // Assess
    expect(result).toMatchObject({
      status: 'published',
      segment: { level: 'national', industry: '_total', sizeBand: '_total' },
      fallbacks: [
        { level: 'region', reason: 'suppressed' },
        { level: 'national', reason: 'suppressed' },
      ],
    });
    if (result.status !== 'published') return;
    expect(result.peerValue).toBeCloseTo(19 / 40, 6);
    expect(result.comparedWith.ja.startsWith('全産業・全規模・全国')).toBe(true);
    // The industry's own segment covers every size: its name carries no size band.
    const regional = benchmarkFor(0.25, cells.slice(0, 1).concat([head(kanto, 'E', 'female', 10)]), profile, {
      statistic: 'headcount_by_age_gender',
    });
    expect(regional.status === 'published' && regional.comparedWith.ja).toBe('製造業・全規模・関東');
  });

  it('gives no peer share when the release published no cell of that value (gender generalised away)', () => {
    // Prepare: every gender is _unspecified in this release
    const cells = [
      {
        period: '2026-10',
        industry: 'E',
        age_band: '_total',
        gender: '_total',
        ...kanto,
        employees: 60,
        suppressed: false,
      },
      {
        period: '2026-10',
        industry: 'E',
        age_band: '_total',
        gender: '_unspecified',
        ...kanto,
        employees: 60,
        suppressed: false,
      },
    ];

    // Act
    const result = benchmarkFor(0.25, cells, profile, { statistic: 'headcount_by_age_gender' });

    // Assess
    expect(result).toMatchObject({ status: 'published', peerValue: null, comparable: { kind: 'share' } });
  });

  it("never gives peers a negative total when the published (perturbed) total is below the company's own", () => {
    // Prepare: the perturbed national separations (1) are fewer than the company's own true ones (2)
    const cells: PublishedCell[] = [
      {
        period: '2026-10',
        industry: 'E',
        size_band: '20-49',
        ...national,
        employees: 300,
        separations: 1,
        turnover_rate: 0.0033,
        suppressed: false,
      },
    ];

    // Act
    const result = benchmarkFor(
      2 / 40,
      cells,
      profile,
      { statistic: 'turnover_rate_monthly' },
      {
        own: { rows: 40, sums: { separated: 2, employed: 40 } },
        disclosure: { ...defaultSettings.disclosure },
      },
    );

    // Assess
    expect(result.status).toBe('published');
    if (result.status !== 'published') return;
    expect(result.peers.separations).toBe(0);
    expect(result.peers.turnover_rate).toBe(0);
    expect(result.peerValue).toBe(0);
  });
});
