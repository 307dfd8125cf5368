import { describe, expect, it } from 'vitest';
import { getStatistic } from '../../../functions/domain/stats/catalog.ts';
import { renderPublishedTable, SUPPRESSED_MARK } from '../../../functions/domain/stats/render.ts';

const turnover = getStatistic('turnover_rate_monthly');
const cell = (values: Record<string, unknown>) => ({
  period: '2026-10',
  industry: 'E',
  size_band: '20-49',
  geo_level: 'region',
  region: 'kanto',
  ...values,
});

describe('renderPublishedTable', () => {
  it('marks suppressed cells instead of leaving them blank', () => {
    // Act
    const text = renderPublishedTable(
      turnover,
      [
        cell({ employees: 40, separations: 2, turnover_rate: 0.05, suppressed: false }),
        cell({ region: 'kinki', employees: null, separations: null, turnover_rate: null, suppressed: true }),
      ],
      { lang: 'ja' },
    );
    // Assess
    const lines = text.split('\n');
    expect(lines[0]).toBe('月間離職率 (turnover_rate_monthly)');
    expect(lines[3]).toMatch(/kanto\s+40\s+2\s+0\.05$/);
    expect(lines[4]?.split(SUPPRESSED_MARK.ja).length).toBe(4);
  });

  it('cuts long tables and says how many rows are left', () => {
    const cells = Array.from({ length: 5 }, (_, i) => cell({ employees: 10 + i, suppressed: false }));
    expect(renderPublishedTable(turnover, cells, { lang: 'en', limit: 2 })).toContain('… 3 more');
  });
});
