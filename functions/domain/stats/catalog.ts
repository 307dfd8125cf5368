/**
 * The statistics catalogue: every statistic Kura publishes from the anonymised zone, with its
 * dimensions, measures, margins and bilingual column documentation. The SQL (sql.ts), the BI views
 * (views.ts), the benchmark (benchmark.ts) and the APPI notice (notice.ts) are all derived from it,
 * so a column published to BI is documented exactly once, here.
 *
 * Published cells are keyed by text dimension columns. Two reserved values appear in them:
 * - `_total`: the margin over that dimension (all values together);
 * - `_unspecified`: rows whose value was generalised away or locally suppressed in the anonymised
 *   zone. Keeping them as an explicit category keeps every margin exactly equal to the sum of its
 *   cells, which is what secondary suppression reasons about.
 */
import { z } from 'zod';

export const TOTAL = '_total';
export const UNSPECIFIED = '_unspecified';

export const bilingualSchema = z.object({ ja: z.string().min(1), en: z.string().min(1) }).strict();
export type Bilingual = z.infer<typeof bilingualSchema>;

/** Anonymised tables a statistic can read (see functions/domain/masking/anonymised-schema.ts). */
export const statSourceSchema = z.enum(['anon_employee_month', 'anon_company_month']);
export type StatSource = z.infer<typeof statSourceSchema>;

/**
 * Cross-classifying dimensions (besides period and geography). Each is a column of the anonymised
 * tables; the company-level ones exist in both tables.
 */
export const DIMENSIONS = {
  industry: {
    ja: '産業（日本標準産業分類 大分類）',
    en: 'Industry (JSIC major group letter)',
    company: true,
  },
  size_band: { ja: '従業員規模', en: 'Company size band (employees)', company: true },
  age_band: { ja: '年齢階級', en: 'Age band', company: false },
  gender: { ja: '性別', en: 'Gender', company: false },
  tenure_band: { ja: '勤続年数階級', en: 'Tenure band (completed years)', company: false },
  employment_type: { ja: '雇用形態', en: 'Employment type', company: false },
} as const;
export type Dimension = keyof typeof DIMENSIONS;
export const dimensionSchema = z.enum(Object.keys(DIMENSIONS) as [Dimension, ...Dimension[]]);

/** Geography levels, finest first. A margin over geography moves one level up the hierarchy. */
export const GEO_LEVELS = ['prefecture', 'region', 'national'] as const;
export type GeoLevel = (typeof GEO_LEVELS)[number];

/**
 * Variables measured, each a fixed SQL expression over one anonymised table (never user input).
 * Rows where the variable is null (e.g. no attendance that month) do not contribute to the statistic.
 */
export const VARIABLES = {
  overtime_hours: {
    source: 'anon_employee_month',
    sql: 'CAST(overtime_hours AS DOUBLE)',
    columns: ['overtime_hours'],
    unit: { ja: '時間', en: 'hours' },
    noiseUnit: 1,
    decimals: 2,
  },
  paid_leave_days: {
    source: 'anon_employee_month',
    sql: 'CAST(paid_leave_days AS DOUBLE)',
    columns: ['paid_leave_days'],
    unit: { ja: '日', en: 'days' },
    noiseUnit: 0.5,
    decimals: 2,
  },
  base_pay: {
    source: 'anon_employee_month',
    sql: 'CAST(base_pay AS DOUBLE)',
    columns: ['base_pay'],
    unit: { ja: '円', en: 'yen' },
    noiseUnit: 5_000,
    decimals: 0,
  },
  employed: {
    source: 'anon_employee_month',
    // DOUBLE literals (1e0): Trino reads 1.0 as DECIMAL, and a DECIMAL division can round 3/120 to 0.0.
    sql: 'CASE WHEN employed THEN 1e0 ELSE 0e0 END',
    columns: ['employed'],
    nullable: false,
    unit: { ja: '人', en: 'persons' },
    noiseUnit: 1,
    decimals: 0,
  },
  separated: {
    source: 'anon_employee_month',
    sql: 'CASE WHEN separated THEN 1e0 ELSE 0e0 END',
    columns: ['separated'],
    nullable: false,
    unit: { ja: '人', en: 'persons' },
    noiseUnit: 1,
    decimals: 0,
  },
  sales_amount: {
    source: 'anon_company_month',
    sql: 'CAST(sales_amount AS DOUBLE)',
    columns: ['sales_amount'],
    unit: { ja: '円', en: 'yen' },
    noiseUnit: 100_000,
    decimals: 0,
  },
  employees: {
    source: 'anon_company_month',
    sql: 'CAST(employees AS DOUBLE)',
    columns: ['employees'],
    nullable: false,
    unit: { ja: '人', en: 'persons' },
    noiseUnit: 1,
    decimals: 0,
  },
  sales_per_employee: {
    source: 'anon_company_month',
    sql: 'CAST(sales_amount AS DOUBLE) / CAST(employees AS DOUBLE)',
    columns: ['sales_amount', 'employees'],
    unit: { ja: '円／人', en: 'yen per employee' },
    noiseUnit: 10_000,
    decimals: 0,
  },
} as const satisfies Record<
  string,
  {
    source: StatSource;
    sql: string;
    columns: readonly string[];
    unit: Bilingual;
    /** False when the anonymised contract never leaves the columns null (so they filter no row). */
    nullable?: false;
    /** Size of one step of the perturbation table's noise for this variable's sums (perturbation.ts). */
    noiseUnit: number;
    /** Decimals a published sum, mean or quantile of this variable is rounded to. */
    decimals: number;
  }
>;
export type Variable = keyof typeof VARIABLES;
export const variableSchema = z.enum(Object.keys(VARIABLES) as [Variable, ...Variable[]]);

const columnNameSchema = z
  .string()
  .regex(/^[a-z][a-z0-9_]*$/, 'column names are snake_case')
  .refine((n) => !/(^|_)(min|max|minimum|maximum)(_|$)/.test(n), {
    error: 'Kura never publishes a minimum or maximum: they describe one contributor',
  });

const measureBase = { column: columnNameSchema, title: bilingualSchema };
/** A published measure. No min/max kind exists on purpose: an extreme value describes one contributor. */
export const measureSchema = z.discriminatedUnion('kind', [
  /** Contributing rows (employees for a month, employee-months for a year, companies for company data). */
  z.object({ ...measureBase, kind: z.literal('count') }).strict(),
  z.object({ ...measureBase, kind: z.literal('sum'), of: variableSchema }).strict(),
  /** Mean; `scale` multiplies it (12 turns a monthly mean into a per-year figure). */
  z
    .object({
      ...measureBase,
      kind: z.literal('mean'),
      of: variableSchema,
      scale: z.number().positive().default(1),
    })
    .strict(),
  z
    .object({ ...measureBase, kind: z.literal('quantile'), of: variableSchema, p: z.number().gt(0).lt(1) })
    .strict(),
  /** sum(numerator) / sum(denominator) over the cell. */
  z
    .object({
      ...measureBase,
      kind: z.literal('ratio'),
      numerator: variableSchema,
      denominator: variableSchema,
    })
    .strict(),
]);
export type Measure = z.infer<typeof measureSchema>;

export const statisticSchema = z
  .object({
    /** Stable name: table `kura_stats.<name>`, views `<name>_latest` and `<name>_all`. */
    name: z.string().regex(/^[a-z][a-z0-9_]*$/),
    title: bilingualSchema,
    description: bilingualSchema,
    source: statSourceSchema,
    /** Who a row describes: individuals are counted against minIndividuals, companies always against minCompanies. */
    unit: z.enum(['individual', 'company']),
    /** Publication period: the month as is, or the calendar year (YYYY) pooling its months. */
    period: z.enum(['month', 'year']),
    /** Finest geography published; coarser levels appear as margins when `margins` is set. */
    geography: z.enum(['prefecture', 'region']),
    dimensions: z.array(dimensionSchema),
    /** Rows must have these variables non-null to contribute (besides every variable a measure uses). */
    requires: z.array(variableSchema).default([]),
    /** Only rows of employees employed during the month (employee data). */
    employedOnly: z.boolean().default(false),
    /** Publishes totals over every dimension and up the geography hierarchy (so needs secondary suppression). */
    margins: z.boolean(),
    /** Magnitude subject to the (n, k) dominance rule: contributions are summed per company. */
    dominanceOn: variableSchema.optional(),
    measures: z.array(measureSchema).min(1),
    /** The measure a tenant's own value is compared with in benchmarks (computed the same way over its own rows). */
    headline: z.string(),
    /**
     * What a company's benchmark compares when its headline is a count (a headcount cannot be set
     * beside its segment's total headcount): the share of its rows with one value of a dimension
     * (e.g. women among its employees), beside the same share among its peers.
     */
    benchmarkShare: z
      .object({ dimension: dimensionSchema, value: z.string(), title: bilingualSchema })
      .strict()
      .optional(),
  })
  .strict()
  .superRefine((s, ctx) => {
    const variables = s.measures.flatMap((m) =>
      m.kind === 'count' ? [] : m.kind === 'ratio' ? [m.numerator, m.denominator] : [m.of],
    );
    for (const v of [...variables, ...s.requires, ...(s.dominanceOn ? [s.dominanceOn] : [])]) {
      if (VARIABLES[v].source !== s.source) {
        ctx.addIssue({ code: 'custom', message: `${s.name}: variable ${v} is not in ${s.source}` });
      }
    }
    for (const d of s.dimensions) {
      if (s.source === 'anon_company_month' && !DIMENSIONS[d].company) {
        ctx.addIssue({ code: 'custom', message: `${s.name}: ${d} is not a company-level dimension` });
      }
    }
    const names = [...statisticKeyColumns(s), ...s.measures.map((m) => m.column), 'suppressed', 'release_id'];
    if (new Set(names).size !== names.length) {
      ctx.addIssue({ code: 'custom', message: `${s.name}: a column name is used twice` });
    }
    if (!s.measures.some((m) => m.column === s.headline)) {
      ctx.addIssue({
        code: 'custom',
        message: `${s.name}: headline ${s.headline} is not one of its measures`,
      });
    }
    if (s.benchmarkShare && !s.dimensions.includes(s.benchmarkShare.dimension)) {
      ctx.addIssue({
        code: 'custom',
        message: `${s.name}: benchmarkShare is not over one of its dimensions`,
      });
    }
    if (s.measures.filter((m) => m.kind === 'count').length !== 1) {
      ctx.addIssue({ code: 'custom', message: `${s.name}: exactly one count measure is required` });
    }
  });
export type Statistic = z.infer<typeof statisticSchema>;
type StatisticInput = z.input<typeof statisticSchema>;

/** Key columns of a published cell, in order: period, dimensions, geography. */
export function statisticKeyColumns(stat: Pick<Statistic, 'dimensions' | 'geography'>): string[] {
  return [
    'period',
    ...stat.dimensions,
    'geo_level',
    ...(stat.geography === 'prefecture' ? ['prefecture'] : []),
    'region',
  ];
}

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

/** A documented output column: what BI tools see. */
export interface StatColumn {
  readonly name: string;
  /** SQL type in Athena/Glue terms (string, bigint, double, boolean). */
  readonly type: 'string' | 'bigint' | 'double' | 'boolean';
  readonly doc: Bilingual;
}

const KEY_DOCS: Record<string, Bilingual> = {
  period: b('期間（月は YYYY-MM、年は YYYY）', 'Period (YYYY-MM for months, YYYY for years)'),
  geo_level: b(
    '地域の階層（prefecture／region／national）',
    'Geography level (prefecture, region or national)',
  ),
  prefecture: b(
    '都道府県 JIS コード（_total＝地域計、_unspecified＝一般化により不明）',
    'Prefecture JIS code (_total = all prefectures of the region, _unspecified = generalised away)',
  ),
  region: b('地域（_total＝全国）', 'Region key, e.g. kanto (_total = national)'),
};

/** Published columns of a statistic, in order, with bilingual docs (without the release_id partition). */
export function statisticColumns(stat: Statistic): StatColumn[] {
  const keys = statisticKeyColumns(stat).map((name): StatColumn => {
    const dim = DIMENSIONS[name as Dimension];
    const doc =
      KEY_DOCS[name] ??
      (dim
        ? b(
            `${dim.ja}（_total＝計、_unspecified＝不明）`,
            `${dim.en} (_total = all, _unspecified = generalised away)`,
          )
        : b(name, name));
    return { name, type: 'string', doc };
  });
  const measures = stat.measures.map(
    (m): StatColumn => ({
      name: m.column,
      type: m.kind === 'count' ? 'bigint' : 'double',
      doc: b(`${m.title.ja}（秘匿セルは空）`, `${m.title.en} (null when suppressed)`),
    }),
  );
  return [
    ...keys,
    ...measures,
    {
      name: 'suppressed',
      type: 'boolean',
      doc: b('秘匿セル（値は公表しない）', 'Suppressed cell: its values are withheld to prevent disclosure'),
    },
  ];
}

/** The count measure of a statistic (every statistic has exactly one). */
export function countMeasure(stat: Statistic): Measure & { kind: 'count' } {
  const m = stat.measures.find((x): x is Measure & { kind: 'count' } => x.kind === 'count');
  if (!m) throw new Error(`${stat.name} has no count measure`);
  return m;
}

/** Anonymised columns a statistic reads (dimensions, geography and variables), for the APPI notice. */
export function sourceColumns(stat: Statistic): string[] {
  const variables = new Set<Variable>([
    ...stat.requires,
    ...(stat.dominanceOn ? [stat.dominanceOn] : []),
    ...stat.measures.flatMap((m) =>
      m.kind === 'count' ? [] : m.kind === 'ratio' ? [m.numerator, m.denominator] : [m.of],
    ),
  ]);
  if (stat.employedOnly) variables.add('employed');
  return [
    ...new Set([
      'period',
      ...stat.dimensions,
      ...(stat.geography === 'prefecture' ? ['prefecture'] : []),
      'region',
      ...[...variables].flatMap((v) => VARIABLES[v].columns),
    ]),
  ];
}
