import { describe, expect, it } from 'vitest';
import { publishedText, SUPPRESSED_MARK } from '../../../functions/domain/stats/render.ts';
import { getStatistic } from '../../../functions/domain/stats/statistics.ts';

const turnover = getStatistic('turnover_rate_monthly');
const cell = (values: Record<string, unknown>) => ({
  period: '2026-10',
  industry: 'E',
  size_band: '20-49',
  geo_level: 'region',
  region: 'kanto',
  ...values,
});

describe('publishedText', () => {
  it('marks suppressed cells instead of leaving them blank', () => {
    // Act
    const table = publishedText(
      turnover,
      [
        cell({ employees: 40, separations: 2, turnover_rate: 0.05, suppressed: false }),
        cell({ region: 'kinki', employees: null, separations: null, turnover_rate: null, suppressed: true }),
      ],
      { lang: 'ja' },
    );

    // Assess
    expect(table.title).toBe('月間離職率 (turnover_rate_monthly)');
    expect(table.rows[0]?.slice(-4)).toEqual(['kanto', '40', '2', '0.05']);
    expect(table.rows[1]?.filter((text) => text === SUPPRESSED_MARK.ja)).toHaveLength(3);
  });

  it('cuts long tables and says how many rows are left', () => {
    // Prepare
    const cells = Array.from({ length: 5 }, (_, i) => cell({ employees: 10 + i, suppressed: false }));

    // Act
    const table = publishedText(turnover, cells, { lang: 'en', limit: 2 });

    // Assess
    expect(table.rows).toHaveLength(2);
    expect(table.omitted).toBe(3);
  });
});
