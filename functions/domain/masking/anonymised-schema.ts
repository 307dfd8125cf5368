/**
 * The anonymised zone's contract (匿名加工情報): what `anonymise` writes under
 * `anonymisedPrefix(releaseId)` and what the statistics engine reads. Stable once committed:
 * add columns only, never rename or retype them.
 *
 * Layout (keys built with `anonymisedTableKey`):
 *   anonymised/release=<releaseId>/dataset=anon_employee_month/part-0.parquet
 *   anonymised/release=<releaseId>/dataset=anon_company_month/part-0.parquet
 *   anonymised/release=<releaseId>/suppression-report.json   (counts per rule, never values)
 *
 * What the zone never holds: tokens, linking codes (employee ids), names or any direct identifier,
 * identification codes, bank accounts, birth/hire dates, postal codes, departments, grades, tenant ids.
 * `company_code` is random per release and mapped to nothing (the mapping is never stored).
 *
 * Quasi-identifiers (k-anonymity holds on them, per period): industry, prefecture, region, size_band,
 * period, age_band, gender, tenure_band, employment_type. A null quasi-identifier means it was
 * suppressed (locally) or generalised away (prefecture → null when generalised to region).
 */

import { jsicSchema, prefectureCodeSchema, REGIONS, type Region, sizeBandSchema } from '../company.ts';
import * as z from '../zod.ts';
import { anonymisedPrefix } from '../zones.ts';

export const ANONYMISED_TABLES = ['anon_employee_month', 'anon_company_month'] as const;
export type AnonymisedTable = (typeof ANONYMISED_TABLES)[number];

/** Five-year age bands (the default) with bottom code `<20` and top code `70+`. */
export const AGE_BANDS_5Y = [
  '<20',
  '20-24',
  '25-29',
  '30-34',
  '35-39',
  '40-44',
  '45-49',
  '50-54',
  '55-59',
  '60-64',
  '65-69',
  '70+',
] as const;
/** Ten-year age bands, used when k-anonymity needs further generalisation. */
export const AGE_BANDS_10Y = ['<20', '20-29', '30-39', '40-49', '50-59', '60-69', '70+'] as const;
/** Twenty-year bands, when k-anonymity needs them (the top band stays 70+). */
export const AGE_BANDS_20Y = ['<20', '20-39', '40-59', '60-69', '70+'] as const;
export const AGE_BANDS = [...new Set<string>([...AGE_BANDS_5Y, ...AGE_BANDS_10Y, ...AGE_BANDS_20Y])] as [
  string,
  ...string[],
];
export const ageBandSchema = z.enum(AGE_BANDS);

/** Tenure bands in completed years at the end of the period. */
export const TENURE_BANDS = ['<1', '1-2', '3-4', '5-9', '10-19', '20+'] as const;
export const tenureBandSchema = z.enum(TENURE_BANDS);

/** Gender after rare categories are merged (`other` absorbs rare values). */
export const anonGenderSchema = z.enum(['male', 'female', 'other']);
/** Employment type after rare categories are merged (`other` absorbs rare values). */
export const anonEmploymentTypeSchema = z.enum([
  'regular',
  'contract',
  'part_time',
  'dispatched',
  'executive',
  'other',
]);

export const regionSchema = z.enum(Object.keys(REGIONS) as [Region, ...Region[]]);
const periodSchema = z.string().check(z.regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'period must be YYYY-MM'));

const companyColumns = {
  release_id: z.string().check(z.minLength(1)),
  /** Random per release, mapped to nothing; the same company has the same code within one release only. */
  company_code: z.string().check(z.regex(/^C[0-9a-f]{12}$/)),
  /** JSIC major group letter of the company. */
  industry: jsicSchema,
  /** Company prefecture (JIS code), or null when generalised to region for k-anonymity. */
  prefecture: z.nullable(prefectureCodeSchema),
  region: regionSchema,
  size_band: sizeBandSchema,
  period: periodSchema,
  /**
   * Cell-key method (masking/record-keys.ts): a uniform 32-bit key of the person (employee rows) or the
   * company (company rows), stable across months and releases, from an HMAC under the platform key.
   */
  record_key: z.int().check(z.nonnegative(), z.lt(4_294_967_296)),
  /** The row's company's uniform 32-bit key, stable across months and releases (never a tenant id). */
  company_key: z.int().check(z.nonnegative(), z.lt(4_294_967_296)),
};

/** BIGINT in Parquet; DuckDB hands it to JS as bigint, JSON readers as number. */
const yenSchema = z.union([z.bigint().check(z.nonnegative()), z.int().check(z.nonnegative())]);

/** One row per employee per month (per company): anonymised facts. */
export const anonEmployeeMonthSchema = z.strictObject({
  ...companyColumns,
  /** Null when locally suppressed. */
  age_band: z.nullable(ageBandSchema),
  gender: z.nullable(anonGenderSchema),
  tenure_band: z.nullable(tenureBandSchema),
  employment_type: z.nullable(anonEmploymentTypeSchema),
  /** Monthly sums from attendance; null when the company sent no attendance for that month. */
  overtime_hours: z.nullable(z.number().check(z.nonnegative())),
  hours_worked: z.nullable(z.number().check(z.nonnegative())),
  paid_leave_days: z.nullable(z.number().check(z.nonnegative())),
  /** From payroll, top-coded at the catalogue's `topCode`; null when no payroll for that month. */
  base_pay: z.nullable(yenSchema),
  gross_pay: z.nullable(yenSchema),
  /** Employed at any time during the month. */
  employed: z.boolean(),
  /** Left during the month (termination date falls in it). */
  separated: z.boolean(),
});
export type AnonEmployeeMonth = z.infer<typeof anonEmployeeMonthSchema>;

/** One row per company per month: company-level magnitudes. */
export const anonCompanyMonthSchema = z.strictObject({
  ...companyColumns,
  /** From the sales dataset; null when the company sent no sales for that month. */
  sales_amount: z.nullable(z.union([z.bigint(), z.int()])),
  /** Employees employed during the month (from the employee register). */
  employees: z.int().check(z.nonnegative()),
});
export type AnonCompanyMonth = z.infer<typeof anonCompanyMonthSchema>;

/** SQL/Parquet types of the anonymised tables, in column order (DuckDB names; Glue maps them). */
export type AnonSqlType = 'VARCHAR' | 'DOUBLE' | 'BIGINT' | 'INTEGER' | 'BOOLEAN';

/** The employee-month columns the facts carry into the anonymised zone unchanged (masking/facts.ts too). */
export const EMPLOYEE_MEASURE_COLUMNS: ReadonlyArray<readonly [string, AnonSqlType]> = [
  ['employment_type', 'VARCHAR'],
  ['overtime_hours', 'DOUBLE'],
  ['hours_worked', 'DOUBLE'],
  ['paid_leave_days', 'DOUBLE'],
  ['base_pay', 'BIGINT'],
  ['gross_pay', 'BIGINT'],
  ['employed', 'BOOLEAN'],
  ['separated', 'BOOLEAN'],
];

/** The company-month columns the facts carry into the anonymised zone unchanged. */
export const COMPANY_MEASURE_COLUMNS: ReadonlyArray<readonly [string, AnonSqlType]> = [
  ['sales_amount', 'BIGINT'],
  ['employees', 'INTEGER'],
];
export const ANONYMISED_COLUMNS: Readonly<
  Record<AnonymisedTable, ReadonlyArray<readonly [string, AnonSqlType]>>
> = {
  anon_employee_month: [
    ['release_id', 'VARCHAR'],
    ['company_code', 'VARCHAR'],
    ['industry', 'VARCHAR'],
    ['prefecture', 'VARCHAR'],
    ['region', 'VARCHAR'],
    ['size_band', 'VARCHAR'],
    ['period', 'VARCHAR'],
    ['age_band', 'VARCHAR'],
    ['gender', 'VARCHAR'],
    ['tenure_band', 'VARCHAR'],
    ...EMPLOYEE_MEASURE_COLUMNS,
    ['record_key', 'BIGINT'],
    ['company_key', 'BIGINT'],
  ],
  anon_company_month: [
    ['release_id', 'VARCHAR'],
    ['company_code', 'VARCHAR'],
    ['industry', 'VARCHAR'],
    ['prefecture', 'VARCHAR'],
    ['region', 'VARCHAR'],
    ['size_band', 'VARCHAR'],
    ['period', 'VARCHAR'],
    ...COMPANY_MEASURE_COLUMNS,
    ['record_key', 'BIGINT'],
    ['company_key', 'BIGINT'],
  ],
};

/** Quasi-identifiers of `anon_employee_month` on which k-anonymity holds (each class ≥ k rows). */
export const EMPLOYEE_QUASI_IDENTIFIERS = [
  'industry',
  'prefecture',
  'region',
  'size_band',
  'period',
  'age_band',
  'gender',
  'tenure_band',
  'employment_type',
] as const;

/** Key of an anonymised table's Parquet object in the curated bucket. */
export const anonymisedTableKey = (releaseId: string, table: AnonymisedTable) =>
  `${anonymisedPrefix(releaseId)}dataset=${table}/part-0.parquet`;
/** Key of a release's suppression report (counts per rule, never values). */
export const suppressionReportKey = (releaseId: string) =>
  `${anonymisedPrefix(releaseId)}suppression-report.json`;

/** What anonymisation did to reach k-anonymity; counts only, never values. */
export const suppressionReportSchema = z.strictObject({
  releaseId: z.string(),
  k: z.int(),
  /** Companies pooled. */
  tenants: z.int().check(z.nonnegative()),
  /**
   * Companies asked for and not pooled, by why (release-companies.ts, CompaniesLeftOut). Absent in
   * reports written before it was counted.
   */
  tenantsLeftOut: z.optional(
    z.strictObject({
      withoutFacts: z.int().check(z.nonnegative()),
      withdrawalUnfinished: z.int().check(z.nonnegative()),
      factsOutdated: z.int().check(z.nonnegative()),
    }),
  ),
  rowsIn: z.int().check(z.nonnegative()),
  rowsOut: z.int().check(z.nonnegative()),
  /** Global generalisation steps applied, in order (e.g. age_band_10y, prefecture_to_region). */
  generalisations: z.array(z.string()),
  /** Values merged into `other`, per column. */
  mergedRare: z.record(z.string(), z.int().check(z.nonnegative())),
  /** Values top-coded per column (特異な記述). */
  topCoded: z.record(z.string(), z.int().check(z.nonnegative())),
  /** Cells set to null by local suppression, per column. */
  suppressedCells: z.record(z.string(), z.int().check(z.nonnegative())),
  /** Rows removed because no local suppression could bring their class to k. */
  suppressedRows: z.int().check(z.nonnegative()),
  /**
   * Rows local suppression touched (at least one quasi-identifier blanked, or the row removed):
   * what `LOCAL_SUPPRESSION_BUDGET` bounds. Absent in reports written before it was counted.
   */
  rowsWithBlankedAttribute: z.optional(z.int().check(z.nonnegative())),
});
export type SuppressionReport = z.infer<typeof suppressionReportSchema>;
