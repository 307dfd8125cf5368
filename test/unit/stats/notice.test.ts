import { describe, expect, it } from 'vitest';
import { DATASETS } from '../../../functions/domain/catalog/index.ts';
import { defaultSettings } from '../../../functions/domain/settings.ts';
import {
  ANONYMISED_LINEAGE,
  buildReleaseNotice,
  renderNoticeMarkdown,
} from '../../../functions/domain/stats/notice.ts';
import { getStatistic, STATISTICS } from '../../../functions/domain/stats/statistics.ts';

const publishedAt = '2026-11-22T12:00:00.000Z';

describe('APPI release notice', () => {
  it('lists the categories behind the statistics, traced to catalogue columns and their privacy classes', () => {
    // Act
    const notice = buildReleaseNotice({
      releaseId: 'r1',
      publishedAt,
      statistics: STATISTICS,
      settings: defaultSettings,
    });
    // Assess
    const age = notice.items.find((i) => i.column === 'age_band');
    expect(age?.sources).toEqual([
      { dataset: 'employees', column: 'birth_date', ja: '生年月日', privacy: 'quasi_identifier' },
    ]);
    expect(notice.items.find((i) => i.column === 'base_pay')?.sources[0]?.privacy).toBe('sensitive');
    expect(notice.releaseDate).toBe('2026-11-22');
    expect(notice.companyItems.map((c) => c.en)).toContain('Monthly sales (company level)');
  });

  it('lists every personal item of the anonymised data, with the statistics each one feeds', () => {
    const notice = buildReleaseNotice({
      releaseId: 'r1',
      publishedAt,
      statistics: [getStatistic('overtime_hours_monthly')],
      settings: defaultSettings,
    });
    const feeds = Object.fromEntries(notice.items.map((i) => [i.column, i.feeds]));
    expect(Object.keys(feeds)).toEqual(
      expect.arrayContaining([
        'age_band',
        'gender',
        'tenure_band',
        'overtime_hours',
        'base_pay',
        'gross_pay',
      ]),
    );
    expect(feeds.overtime_hours).toEqual(['overtime_hours_monthly']);
    expect(feeds.base_pay).toEqual([]);
  });

  it('never lists a removed class as contained, and states the thresholds from settings', () => {
    const settings = {
      ...defaultSettings,
      disclosure: { ...defaultSettings.disclosure, kAnonymity: 7, minIndividuals: 12 },
    };
    const notice = buildReleaseNotice({ releaseId: 'r1', publishedAt, statistics: STATISTICS, settings });
    const classes = notice.items.flatMap((i) => i.sources.map((s) => s.privacy));
    expect(
      classes.filter((c) =>
        ['direct_identifier', 'linking_code', 'individual_identification_code', 'financial_harm'].includes(c),
      ),
    ).toEqual([]);
    expect(notice.processingMethod.ja.join('')).toContain('少なくとも7人');
    expect(notice.processingMethod.en.join(' ')).toContain('fewer than 12 people');
  });

  it('traces every lineage entry to a column that exists in the dataset catalogue', () => {
    for (const [column, lineage] of Object.entries(ANONYMISED_LINEAGE)) {
      for (const [dataset, name] of lineage.from) {
        expect(
          DATASETS[dataset].columns.map((c) => c.name),
          `${column} ← ${dataset}.${name}`,
        ).toContain(name);
      }
    }
  });

  it('renders Japanese and English Markdown without keys or tokens', () => {
    const markdown = renderNoticeMarkdown(
      buildReleaseNotice({ releaseId: 'r1', publishedAt, statistics: STATISTICS, settings: defaultSettings }),
    );
    expect(markdown).toContain('# 匿名加工情報に含まれる個人に関する情報の項目の公表（リリース r1）');
    expect(markdown).toContain('## Categories of information about individuals');
    expect(markdown).toContain('- 年齢階級（元の項目: 生年月日。');
    expect(markdown).not.toMatch(/hmac|secret|key material|token/i);
  });
});
