import { describe, expect, it } from 'vitest';
import {
  cellValueLabel,
  columnLabel,
  formatMeasure,
  measureUnit,
} from '../../../functions/domain/stats/labels.ts';
import { getStatistic } from '../../../functions/domain/stats/statistics.ts';

describe('statistics labels', () => {
  const overtime = getStatistic('overtime_hours_monthly');
  const sales = getStatistic('sales_per_employee_monthly');
  const pay = getStatistic('base_pay_by_age');
  const turnover = getStatistic('turnover_rate_monthly');

  it('names JSIC groups, regions, prefectures and size bands instead of their codes', () => {
    expect(cellValueLabel('industry', 'E', 'ja')).toBe('製造業');
    expect(cellValueLabel('industry', 'I', 'en')).toBe('Wholesale and retail trade');
    expect(cellValueLabel('region', 'kanto', 'ja')).toBe('関東');
    expect(cellValueLabel('prefecture', '13', 'ja')).toBe('東京都');
    expect(cellValueLabel('size_band', '20-49', 'ja')).toBe('20〜49人');
    expect(cellValueLabel('gender', 'female', 'ja')).toBe('女性');
    expect(cellValueLabel('age_band', '30-39', 'ja')).toBe('30〜39歳');
    expect(cellValueLabel('geo_level', 'national', 'ja')).toBe('全国');
  });

  it('says 合計 for _total and 不明 for _unspecified, and total/unknown in English', () => {
    expect(cellValueLabel('industry', '_total', 'ja')).toBe('合計');
    expect(cellValueLabel('region', '_total', 'ja')).toBe('合計');
    expect(cellValueLabel('age_band', '_unspecified', 'ja')).toBe('不明');
    expect(cellValueLabel('gender', '_total', 'en')).toBe('Total');
    expect(cellValueLabel('gender', '_unspecified', 'en')).toBe('Unknown');
  });

  it('labels columns in the chosen language with their unit', () => {
    expect(columnLabel(overtime, 'period', 'ja')).toBe('期間');
    expect(columnLabel(overtime, 'overtime_hours_mean', 'ja')).toBe('平均残業時間（時間）');
    expect(columnLabel(sales, 'sales_total', 'ja')).toBe('売上高合計（円）');
    expect(columnLabel(sales, 'sales_total', 'en')).toBe('Total sales (yen)');
    expect(columnLabel(turnover, 'turnover_rate', 'ja')).toBe('離職率（%）');
  });

  it('formats yen with separators and no decimals, rates as percentages', () => {
    expect(formatMeasure(sales, 'sales_total', 123456789.4, 'ja')).toBe('123,456,789');
    expect(formatMeasure(pay, 'base_pay_median', 285000.5, 'ja')).toBe('285,001');
    expect(formatMeasure(overtime, 'overtime_hours_mean', 12.345, 'ja')).toBe('12.3');
    expect(formatMeasure(turnover, 'turnover_rate', 0.01234, 'ja')).toBe('1.2');
    expect(formatMeasure(overtime, 'employees', 1234, 'en')).toBe('1,234');
    expect(formatMeasure(overtime, 'employees', null, 'ja')).toBe('');
    expect(measureUnit(pay, 'base_pay_median')).toEqual({ ja: '円', en: 'yen' });
  });
});
