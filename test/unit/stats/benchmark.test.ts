import { describe, expect, it } from 'vitest';
import type { CompanyProfile } from '../../../functions/domain/company.ts';
import {
  benchmarkFor,
  noDataMessage,
  type PublishedCell,
  SEGMENT_SUPPRESSED_MESSAGE,
} from '../../../functions/domain/stats/benchmark.ts';

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
});
