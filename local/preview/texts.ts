/** The preview page's own words, in Japanese and English. */
import { NO_DATA_MARK } from '../../functions/domain/stats/benchmark-text.ts';

export const T = {
  title: { ja: 'Kura 統計プレビュー（BI）', en: 'Kura statistics preview (BI)' },
  none: {
    ja: 'まだ統計は公表されていません。npm start でデモを投入してください。',
    en: 'No statistics have been published yet: seed the demo with npm start.',
  },
  release: { ja: 'リリース', en: 'Release' },
  period: { ja: '表示する期間', en: 'Period shown' },
  show: { ja: '表示', en: 'Show' },
  benchmark: { ja: '自社ベンチマーク', en: 'Company benchmark' },
  notice: { ja: '匿名加工情報の公表（個人情報保護法）', en: 'Notice of anonymised information (APPI)' },
  csv: { ja: 'この表を CSV でダウンロード', en: 'Download this table as CSV' },
  noData: NO_DATA_MARK,
  legend: {
    ja: '斜線の x（秘匿）は、個人や会社が特定されるおそれがあるため値を公表しないセルです（欠測ではありません）。「データなし」は、その期間にデータがないことを示します（秘匿ではありません）。',
    en: 'Hatched x (suppressed) cells are withheld because publishing them could identify a person or company; they are not missing data. "No data" means no data covers the period (nothing is withheld).',
  },
} as const;
