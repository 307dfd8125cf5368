import { describe, expect, it } from 'vitest';
import { noDataMessage, SEGMENT_SUPPRESSED_MESSAGE } from '../../../functions/domain/stats/benchmark.ts';
import { getStatistic } from '../../../functions/domain/stats/statistics.ts';
import { benchmarkRow } from '../../../local/preview/benchmark.ts';
import { cellsCsv, cellsTableHtml, shownCells } from '../../../local/preview/charts.ts';

const overtime = getStatistic('overtime_hours_monthly');
const cells = [
  {
    period: '2026-10',
    industry: '_total',
    size_band: '_total',
    geo_level: 'national',
    prefecture: '_total',
    region: '_total',
    employees: 1234,
    overtime_hours_mean: 12.34,
    overtime_hours_p25: 5,
    overtime_hours_median: 11,
    overtime_hours_p75: 18,
    overtime_hours_total: 15227.6,
    suppressed: false,
  },
  {
    period: '2026-10',
    industry: 'E',
    size_band: '_total',
    geo_level: 'region',
    prefecture: '_total',
    region: 'kanto',
    employees: null,
    overtime_hours_mean: null,
    overtime_hours_p25: null,
    overtime_hours_median: null,
    overtime_hours_p75: null,
    overtime_hours_total: null,
    suppressed: true,
  },
  {
    period: '2026-09',
    industry: '=HYPERLINK("x")',
    size_band: '_total',
    geo_level: 'national',
    prefecture: '_total',
    region: '_total',
    employees: 20,
    overtime_hours_mean: 1,
    suppressed: false,
  },
];

describe('BI preview page pieces', () => {
  it('shows a period with no data as no data, and only a withheld segment with the 秘匿 mark', () => {
    // Act
    const noData = benchmarkRow(
      overtime,
      {
        status: 'no_data',
        statistic: overtime.name,
        period: '2027-01',
        own: 3,
        message: noDataMessage('2027-01'),
      },
      'ja',
    );
    const suppressed = benchmarkRow(
      overtime,
      {
        status: 'suppressed',
        statistic: overtime.name,
        period: '2026-10',
        own: 3,
        message: SEGMENT_SUPPRESSED_MESSAGE,
      },
      'ja',
    );

    // Assess
    expect(noData).toContain('データなし');
    expect(noData).not.toContain('x（秘匿）');
    expect(noData).not.toContain('class="suppressed"');
    expect(suppressed).toContain('x（秘匿）');
  });

  it('names places and industries, says 合計 for totals, and formats numbers with separators', () => {
    // Act
    const html = cellsTableHtml(overtime, shownCells(overtime, cells, '2026-10'), 'ja');

    // Assess
    expect(html).toContain('<th>期間</th>');
    expect(html).toContain('関東');
    expect(html).toContain('製造業');
    expect(html).toContain('合計');
    expect(html).toContain('1,234');
    expect(html).toContain('15,227.6');
    expect(html).not.toMatch(/kanto|_total|>E</);
  });

  it('writes the CSV of what is shown: BOM, the same headers, suppressed marked, formulas neutralised', () => {
    // Act
    const shown = cellsCsv(overtime, shownCells(overtime, cells, '2026-10'), 'ja');
    const other = cellsCsv(overtime, shownCells(overtime, cells, '2026-09'), 'en');

    // Assess
    expect(shown.startsWith('\uFEFF期間,地域区分,地域,産業,')).toBe(true);
    expect(shown.split('\r\n').filter(Boolean)).toHaveLength(3);
    expect(shown).toContain('x（秘匿）');
    expect(shown).toContain('1234');
    expect(other).toContain(`"'=HYPERLINK(""x"")"`);
  });
});
