/**
 * The statistics Kura publishes from the anonymised zone: each one's dimensions, measures, margins
 * and bilingual titles, validated against the catalogue's schema (catalog.ts) at module load.
 */
import {
  type Bilingual,
  type Statistic,
  type StatisticInput,
  statisticSchema,
  type Variable,
} from './catalog.ts';

const b = (ja: string, en: string): Bilingual => ({ ja, en });
const quartiles = (of: Variable, prefix: string, ja: string, en: string): StatisticInput['measures'] => [
  {
    column: `${prefix}_p25`,
    kind: 'quantile',
    of,
    p: 0.25,
    title: b(`${ja}（第1四分位）`, `${en}, 25th percentile`),
  },
  { column: `${prefix}_median`, kind: 'quantile', of, p: 0.5, title: b(`${ja}（中央値）`, `${en}, median`) },
  {
    column: `${prefix}_p75`,
    kind: 'quantile',
    of,
    p: 0.75,
    title: b(`${ja}（第3四分位）`, `${en}, 75th percentile`),
  },
];

const rawStatistics: StatisticInput[] = [
  {
    name: 'overtime_hours_monthly',
    headline: 'overtime_hours_mean',
    title: b('従業員1人当たり月間残業時間', 'Overtime hours per employee per month'),
    description: b(
      '勤怠の残業時間を従業員・月ごとに合計した値の分布',
      'Distribution of monthly overtime hours per employee, from attendance records',
    ),
    source: 'anon_employee_month',
    unit: 'individual',
    period: 'month',
    geography: 'prefecture',
    dimensions: ['industry', 'size_band'],
    requires: ['overtime_hours'],
    employedOnly: true,
    margins: true,
    dominanceOn: 'overtime_hours',
    measures: [
      { column: 'employees', kind: 'count', title: b('集計対象従業員数', 'Employees counted') },
      {
        column: 'overtime_hours_mean',
        kind: 'mean',
        of: 'overtime_hours',
        title: b('平均残業時間', 'Mean overtime hours'),
      },
      ...quartiles('overtime_hours', 'overtime_hours', '残業時間', 'Overtime hours'),
      {
        column: 'overtime_hours_total',
        kind: 'sum',
        of: 'overtime_hours',
        title: b('残業時間合計', 'Total overtime hours'),
      },
    ],
  },
  {
    name: 'paid_leave_days_yearly',
    headline: 'paid_leave_days_per_employee_year',
    title: b('従業員1人当たり年間有給休暇取得日数', 'Paid-leave days taken per employee per year'),
    description: b(
      '暦年の従業員・月ごとの有給休暇取得日数から、1人1年当たりに換算した値（月平均×12）',
      'Paid-leave days taken per employee-year: the mean over employee-months in the calendar year times 12 ' +
        '(the anonymised zone cannot link one person across months, so per-person annual quantiles are not published)',
    ),
    source: 'anon_employee_month',
    unit: 'individual',
    period: 'year',
    geography: 'region',
    dimensions: ['industry', 'size_band'],
    requires: ['paid_leave_days'],
    employedOnly: true,
    margins: true,
    dominanceOn: 'paid_leave_days',
    measures: [
      {
        column: 'employee_months',
        kind: 'count',
        title: b('集計対象延べ従業員月数', 'Employee-months counted'),
      },
      {
        column: 'paid_leave_days_per_employee_year',
        kind: 'mean',
        of: 'paid_leave_days',
        scale: 12,
        title: b('1人1年当たり有給休暇取得日数', 'Paid-leave days per employee-year'),
      },
      {
        column: 'paid_leave_days_total',
        kind: 'sum',
        of: 'paid_leave_days',
        title: b('有給休暇取得日数合計', 'Total paid-leave days'),
      },
    ],
  },
  {
    name: 'headcount_by_age_gender',
    headline: 'employees',
    title: b('年齢階級・性別の従業員数', 'Headcount by age band and gender'),
    description: b('月内に在籍した従業員の数', 'Employees employed at any time during the month'),
    source: 'anon_employee_month',
    unit: 'individual',
    period: 'month',
    geography: 'region',
    dimensions: ['industry', 'age_band', 'gender'],
    employedOnly: true,
    margins: true,
    measures: [{ column: 'employees', kind: 'count', title: b('従業員数', 'Employees') }],
    benchmarkShare: { dimension: 'gender', value: 'female', title: b('女性従業員の割合', 'Share of women') },
  },
  {
    name: 'base_pay_by_age',
    headline: 'base_pay_median',
    title: b('年齢階級別の基本給', 'Base pay by age band'),
    description: b(
      '月額基本給（上限値で丸め済み）の中央値・四分位と平均',
      'Monthly base pay (top-coded in the anonymised zone): median, quartiles and mean',
    ),
    source: 'anon_employee_month',
    unit: 'individual',
    period: 'month',
    geography: 'region',
    dimensions: ['industry', 'size_band', 'age_band'],
    requires: ['base_pay'],
    employedOnly: true,
    // Margins give every company a segment without choosing an age band (its benchmark's default).
    margins: true,
    dominanceOn: 'base_pay',
    measures: [
      { column: 'employees', kind: 'count', title: b('集計対象従業員数', 'Employees counted') },
      ...quartiles('base_pay', 'base_pay', '基本給', 'Base pay'),
      { column: 'base_pay_mean', kind: 'mean', of: 'base_pay', title: b('平均基本給', 'Mean base pay') },
    ],
  },
  {
    name: 'turnover_rate_monthly',
    headline: 'turnover_rate',
    title: b('月間離職率', 'Monthly turnover rate'),
    description: b(
      '月内の離職者数÷月内在籍者数',
      'Employees who left during the month ÷ employees employed during it',
    ),
    source: 'anon_employee_month',
    unit: 'individual',
    period: 'month',
    geography: 'region',
    dimensions: ['industry', 'size_band'],
    employedOnly: true,
    margins: true,
    measures: [
      { column: 'employees', kind: 'count', title: b('在籍者数', 'Employees') },
      { column: 'separations', kind: 'sum', of: 'separated', title: b('離職者数', 'Separations') },
      {
        column: 'turnover_rate',
        kind: 'ratio',
        numerator: 'separated',
        denominator: 'employed',
        title: b('離職率', 'Turnover rate'),
      },
    ],
  },
  {
    name: 'sales_per_employee_monthly',
    headline: 'sales_per_employee',
    title: b('従業員1人当たり月間売上高', 'Monthly sales per employee'),
    description: b(
      '会社単位の月間売上高と従業員数から。会社数が基準未満のセルと、上位の会社が売上の大半を占めるセルは秘匿',
      'From company-level monthly sales and headcount; cells with too few companies or dominated by their largest companies are suppressed',
    ),
    source: 'anon_company_month',
    unit: 'company',
    period: 'month',
    geography: 'prefecture',
    dimensions: ['industry', 'size_band'],
    requires: ['sales_amount'],
    margins: true,
    dominanceOn: 'sales_amount',
    measures: [
      { column: 'companies', kind: 'count', title: b('集計対象会社数', 'Companies counted') },
      {
        column: 'sales_per_employee',
        kind: 'ratio',
        numerator: 'sales_amount',
        denominator: 'employees',
        title: b('従業員1人当たり売上高（合計÷合計）', 'Sales per employee (total ÷ total)'),
      },
      ...quartiles(
        'sales_per_employee',
        'sales_per_employee',
        '会社別1人当たり売上高',
        'Company sales per employee',
      ),
      { column: 'sales_total', kind: 'sum', of: 'sales_amount', title: b('売上高合計', 'Total sales') },
      {
        column: 'employees_total',
        kind: 'sum',
        of: 'employees',
        title: b('従業員数合計', 'Total employees'),
      },
    ],
  },
];

/** The statistics catalogue, validated at module load. */
export const STATISTICS: readonly Statistic[] = rawStatistics.map((s) => statisticSchema.parse(s));

export class UnknownStatisticError extends Error {
  override readonly name = 'UnknownStatisticError';
  constructor(readonly statistic: string) {
    super(`Unknown statistic "${statistic}". Known statistics: ${STATISTICS.map((s) => s.name).join(', ')}.`);
  }
}

/** The statistic with that name; throws UnknownStatisticError otherwise. */
export function getStatistic(name: string): Statistic {
  const found = STATISTICS.find((s) => s.name === name);
  if (!found) throw new UnknownStatisticError(name);
  return found;
}
