import { describe, expect, it } from 'vitest';
import { getStatistic } from '../../../functions/domain/stats/statistics.ts';
import { displayWidth, renderPublishedTable, renderTable } from '../../../local/cli/table.ts';

/** The terminal column where `cell` starts on `line` (full-width characters count two). */
const columnOf = (line: string, cell: string) => displayWidth(line.slice(0, line.indexOf(cell)));

describe('renderTable', () => {
  it('counts full-width characters as two columns', () => {
    // Act + Assess
    expect(displayWidth('abc')).toBe(3);
    expect(displayWidth('売上高')).toBe(6);
    expect(displayWidth('x（秘匿）')).toBe(9);
    expect(displayWidth('ﾃｽﾄ')).toBe(3);
  });

  it('lines up the columns after Japanese text, by display width', () => {
    // Prepare
    const rows = [
      ['x（秘匿）', 'after-1', 'end-1'],
      ['1200000', 'after-2', 'end-2'],
      ['受理（エラー行を除外）', 'after-3', 'end-3'],
    ];

    // Act
    const lines = renderTable(['状態', '次', '最後'], rows).split('\n');

    // Assess: every row's second and third cells start where the header's do
    const second = columnOf(lines[0] ?? '', '次');
    const third = columnOf(lines[0] ?? '', '最後');
    expect(second).toBe(displayWidth('受理（エラー行を除外）') + 2);
    rows.forEach((row, i) => {
      expect(columnOf(lines[i + 2] ?? '', row[1] ?? '')).toBe(second);
      expect(columnOf(lines[i + 2] ?? '', row[2] ?? '')).toBe(third);
    });
    expect(displayWidth(lines[1] ?? '')).toBe(third + displayWidth('end-1'));
  });

  it('lines up a published table whose suppressed cells are marked in Japanese', () => {
    // Prepare
    const stat = getStatistic('turnover_rate_monthly');
    const cell = { period: '2026-10', industry: 'E', size_band: '20-49', geo_level: 'region' };
    const cells = [
      { ...cell, region: 'kanto', employees: null, separations: null, turnover_rate: null, suppressed: true },
      { ...cell, region: 'kinki', employees: 40, separations: 2, turnover_rate: 0.05, suppressed: false },
      { ...cell, region: 'chubu', employees: 41, separations: 3, turnover_rate: 0.07, suppressed: false },
    ];

    // Act
    const lines = renderPublishedTable(stat, cells, { lang: 'ja', limit: 2 }).split('\n');

    // Assess: the last column starts at the same place on every row, and the rest is counted
    const header = lines[1] ?? '';
    const last = columnOf(header, 'turnover_rate');
    expect(displayWidth((lines[3] ?? '').trimEnd())).toBe(last + displayWidth('x（秘匿）'));
    expect(columnOf(lines[4] ?? '', '0.05')).toBe(last);
    expect(lines).toContain('… ほか 1 行');
  });
});
