/**
 * The statistics catalogue: the shape of every statistic Kura publishes from the anonymised zone
 * (dimensions, variables, measures, margins) and its bilingual column documentation; the statistics
 * themselves are defined in statistics.ts. The SQL (sql.ts), the BI views (views.ts), the benchmark
 * (benchmark.ts) and the APPI notice (notice.ts) are all derived from them, so a column published to
 * BI is documented exactly once, here and in statistics.ts.
 *
 * Published cells are keyed by text dimension columns. Two reserved values appear in them:
 * - `_total`: the margin over that dimension (all values together);
 * - `_unspecified`: rows whose value was generalised away or locally suppressed in the anonymised
 *   zone. Keeping them as an explicit category keeps every margin exactly equal to the sum of its
 *   cells, which is what secondary suppression reasons about.
 */
import * as z from '../zod.ts';

export const TOTAL = '_total';
export const UNSPECIFIED = '_unspecified';

export const bilingualSchema = z.strictObject({
  ja: z.string().check(z.minLength(1)),
  en: z.string().check(z.minLength(1)),
});
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
    /** Decimals a published quantile of this variable is rounded to (sums: see {@link publishedUnit}). */
    decimals: number;
  }
>;
export type Variable = keyof typeof VARIABLES;

/**
 * The unit a published total of a variable is rounded to: its noise unit. A company's factor is the
 * same in every month, so a total published finer than the noise lets an outsider who differences two
 * releases fit twelve months of whole headcounts (or sales in thousands of yen) to one factor and pin
 * every month (tests: attacks-lattice.test.ts). Rounded to the noise unit, which is at least the
 * granularity companies report in, every factor fits every month equally well. Means and ratios are
 * computed from the rounded totals and the published count, so they carry no more than those.
 */
export function publishedUnit(v: Variable): number {
  return VARIABLES[v].noiseUnit;
}
export const variableSchema = z.enum(Object.keys(VARIABLES) as [Variable, ...Variable[]]);

const columnNameSchema = z.string().check(
  z.regex(/^[a-z][a-z0-9_]*$/, 'column names are snake_case'),
  z.refine((n) => !/(^|_)(min|max|minimum|maximum)(_|$)/.test(n), {
    error: 'Kura never publishes a minimum or maximum: they describe one contributor',
  }),
);

const measureBase = { column: columnNameSchema, title: bilingualSchema };
/** A published measure. No min/max kind exists on purpose: an extreme value describes one contributor. */
export const measureSchema = z.discriminatedUnion('kind', [
  /** Contributing rows (employees for a month, employee-months for a year, companies for company data). */
  z.strictObject({ ...measureBase, kind: z.literal('count') }),
  z.strictObject({ ...measureBase, kind: z.literal('sum'), of: variableSchema }),
  /** Mean; `scale` multiplies it (12 turns a monthly mean into a per-year figure). */
  z.strictObject({
    ...measureBase,
    kind: z.literal('mean'),
    of: variableSchema,
    scale: z._default(z.number().check(z.positive()), 1),
  }),
  z.strictObject({
    ...measureBase,
    kind: z.literal('quantile'),
    of: variableSchema,
    p: z.number().check(z.gt(0), z.lt(1)),
  }),
  /** sum(numerator) / sum(denominator) over the cell. */
  z.strictObject({
    ...measureBase,
    kind: z.literal('ratio'),
    numerator: variableSchema,
    denominator: variableSchema,
  }),
]);
export type Measure = z.infer<typeof measureSchema>;

export const statisticSchema = z
  .strictObject({
    /** Stable name: table `kura_stats.<name>`, views `<name>_latest` and `<name>_all`. */
    name: z.string().check(z.regex(/^[a-z][a-z0-9_]*$/)),
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
    requires: z._default(z.array(variableSchema), []),
    /** Only rows of employees employed during the month (employee data). */
    employedOnly: z._default(z.boolean(), false),
    /** Publishes totals over every dimension and up the geography hierarchy (so needs secondary suppression). */
    margins: z.boolean(),
    /** Magnitude subject to the (n, k) dominance rule: contributions are summed per company. */
    dominanceOn: z.optional(variableSchema),
    measures: z.array(measureSchema).check(z.minLength(1)),
    /** The measure a tenant's own value is compared with in benchmarks (computed the same way over its own rows). */
    headline: z.string(),
    /**
     * What a company's benchmark compares when its headline is a count (a headcount cannot be set
     * beside its segment's total headcount): the share of its rows with one value of a dimension
     * (e.g. women among its employees), beside the same share among its peers.
     */
    benchmarkShare: z.optional(
      z.strictObject({ dimension: dimensionSchema, value: z.string(), title: bilingualSchema }),
    ),
  })
  .check(
    z.superRefine((s, ctx) => {
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
      const names = [
        ...statisticKeyColumns(s),
        ...s.measures.map((m) => m.column),
        'suppressed',
        'release_id',
      ];
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
    }),
  );
export type Statistic = z.infer<typeof statisticSchema>;
/** A statistic as written in statistics.ts, before validation. */
export type StatisticInput = z.input<typeof statisticSchema>;

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
