/**
 * Perturbation of published figures: the one home of the noise rules (docs/PRIVACY.md,
 * "Perturbation"). Two parts, both deterministic functions of secret keys, so the same cell content
 * gets the same published value in every release and nothing averages away:
 *
 * 1. **Company factors** (scaled to the largest contributions, as ABS and the `cellKey` package
 *    scale magnitude noise to the top contributors; fixed per contributor as in the EZS noise of
 *    US Census County Business Patterns). A company's contribution to a measure (its count, or the sum
 *    of one variable) is multiplied by `1 + δ`, |δ| between `companyFactorMin` and `companyFactorMax`,
 *    sign and size from a key derived from the company's secret key and the measure's name (the
 *    first 32 bits of MD5 of both, used as a mixing function). δ is the same in every cell and every
 *    release, so a margin stays the sum of its parts, no difference between two cells or two releases
 *    isolates a company's (or an added person's) true contribution, and averaging many margins
 *    converges only on the perturbed value. δ differs between measures: with one δ for all of them,
 *    an outsider who learns one figure of a company elsewhere (its sales) divides δ out of a published
 *    difference and reads the company's other figures (its overtime) to within the table's noise.
 * 2. **Cell key noise** (ABS TableBuilder, ONS, Destatis Zensus 2022; R `cellKey`/`ptable`): the cell
 *    key is the sum of its rows' record keys modulo 1 (counts) or of its rows' company keys modulo 1
 *    (magnitudes); it selects a value of {@link PERTURBATION_TABLE}, added to the count, or times the
 *    variable's noise unit to each magnitude. Identical contents, identical keys, identical noise.
 *
 * Means and ratios are computed from the perturbed sums and counts. Quantiles are taken over the
 * perturbed values (each value times its own row's factor, `quantileFactor`), and only where the
 * quantile rules allow.
 */

import { createHash } from 'node:crypto';
import type { DisclosureSettings } from '../settings.ts';
import { sqlLiteral } from '../sql-text.ts';

/** Record keys are 32-bit integers (masking/record-keys.ts); a cell key is their sum modulo this. */
export const KEY_MODULUS = 4_294_967_296;

/**
 * The perturbation table (ptable): the noise added for a cell key in [0, 1), as cumulative bounds.
 * Maximum noise D = 2, mean 0, variance 0.8, P(0) = 0.5. Published counts are at least
 * `minIndividuals` (10) or `minCompanies` (3) before noise, so the table needs no rows for small
 * counts; a perturbed count is floored at 0.
 */
export const PERTURBATION_TABLE: ReadonlyArray<{ readonly noise: number; readonly upTo: number }> = [
  { noise: -2, upTo: 0.05 },
  { noise: -1, upTo: 0.25 },
  { noise: 0, upTo: 0.75 },
  { noise: 1, upTo: 0.95 },
  { noise: 2, upTo: 1 },
];

/** The largest absolute noise the table adds (D). */
export const TABLE_NOISE_MAX = Math.max(...PERTURBATION_TABLE.map((r) => Math.abs(r.noise)));

/** The table's noise for a cell key in [0, 1) (reference implementation of `tableNoiseSql`). */
export function tableNoise(cellKey: number): number {
  return (PERTURBATION_TABLE.find((r) => cellKey < r.upTo) ?? PERTURBATION_TABLE.at(-1))?.noise ?? 0;
}

/** SQL (both engines): the table's noise for an integer key sum (BIGINT) reduced modulo 2^32. */
export function tableNoiseSql(keySumSql: string): string {
  const key = `(CAST((${keySumSql}) % ${KEY_MODULUS} AS DOUBLE) / ${KEY_MODULUS}e0)`;
  const branches = PERTURBATION_TABLE.slice(0, -1).map((r) => `WHEN ${key} < ${r.upTo}e0 THEN ${r.noise}e0`);
  return `(CASE ${branches.join(' ')} ELSE ${PERTURBATION_TABLE.at(-1)?.noise ?? 0}e0 END)`;
}

/** The measure a company factor applies to: `count`, or the name of a summed variable. */
export type FactorMeasure = string;

/** A company's key for one measure: the first 32 bits of MD5("<company key>:<measure>"). */
export function measureKey(companyKey: number | string, measure: FactorMeasure): number {
  return Number.parseInt(createHash('md5').update(`${companyKey}:${measure}`).digest('hex').slice(0, 8), 16);
}

/** SQL (per engine) of `measureKey` over a company key column. */
export function measureKeySql(
  companyKeySql: string,
  measure: FactorMeasure,
  dialect: 'duckdb' | 'athena',
): string {
  const text = `CAST(${companyKeySql} AS VARCHAR) || ${sqlLiteral(`:${measure}`)}`;
  return dialect === 'duckdb'
    ? `CAST('0x' || substr(md5(${text}), 1, 8) AS BIGINT)`
    : `from_base(substr(to_hex(md5(to_utf8(${text}))), 1, 8), 16)`;
}

/** A company's factor 1 + δ for a measure (reference implementation of `companyFactorSql`). */
export function companyFactor(
  companyKey: number | string,
  disclosure: DisclosureSettings,
  measure: FactorMeasure,
): number {
  const { companyFactorMin: low, companyFactorMax: high } = disclosure.perturbation;
  const u = measureKey(companyKey, measure) / KEY_MODULUS;
  const sign = u < 0.5 ? -1 : 1;
  const w = 2 * u - Math.floor(2 * u);
  return 1 + sign * (low + (high - low) * w);
}

/** SQL (per engine): the factor 1 + δ of a row's company for a measure, from its `company_key` column. */
export function companyFactorSql(
  companyKeySql: string,
  disclosure: DisclosureSettings,
  measure: FactorMeasure,
  dialect: 'duckdb' | 'athena' = 'duckdb',
): string {
  const { companyFactorMin: low, companyFactorMax: high } = disclosure.perturbation;
  const u = `(CAST(${measureKeySql(companyKeySql, measure, dialect)} AS DOUBLE) / ${KEY_MODULUS}e0)`;
  return `(1e0 + (CASE WHEN ${u} < 0.5e0 THEN -1e0 ELSE 1e0 END) * (${low}e0 + ${high - low}e0 * (2e0 * ${u} - floor(2e0 * ${u}))))`;
}

/**
 * A row's own factor for the quantiles of a variable: 1 + δ in the company factors' range, keyed by the
 * row's record key and month (`<record key>|<YYYY-MM>`, measure `quantile:<variable>`), so a
 * person-month gets the same factor in every cell and release but no two rows share one. Quantiles
 * used the company factor until a second outsider review (2026-12-06) swept a year of the demo's
 * base-pay quartiles on a 100-yen grid: a factor shared by all of a company's quartiles is where many
 * of them agree (six companies' factors to 1e-7), and dividing by it gave employees' exact pay
 * (attacks-quartiles.test.ts). With one factor per row, no two quartiles agree on anything.
 */
export function quantileFactor(
  recordKey: number,
  month: string,
  disclosure: DisclosureSettings,
  variable: string,
): number {
  return companyFactor(`${recordKey}|${month}`, disclosure, `quantile:${variable}`);
}

/** SQL (per engine) of `quantileFactor` over a row's record key and month columns. */
export function quantileFactorSql(
  recordKeySql: string,
  monthSql: string,
  disclosure: DisclosureSettings,
  variable: string,
  dialect: 'duckdb' | 'athena' = 'duckdb',
): string {
  return companyFactorSql(
    `CAST(${recordKeySql} AS VARCHAR) || '|' || ${monthSql}`,
    disclosure,
    `quantile:${variable}`,
    dialect,
  );
}

/**
 * The company factors' range in words, for the notice and the purge certificate: |δ| up to the
 * maximum, or between the two bounds when the settings leave a gap around 1.
 */
export function factorRangeText(disclosure: DisclosureSettings): { ja: string; en: string } {
  const low = Math.round(disclosure.perturbation.companyFactorMin * 100);
  const high = Math.round(disclosure.perturbation.companyFactorMax * 100);
  return low === 0
    ? { ja: `最大±${high}%`, en: `up to ±${high} %` }
    : { ja: `±${low}〜${high}%`, en: `±${low} to ${high} %` };
}

/**
 * What a release publishes about its perturbation (in the manifest and the notice), so that users,
 * BI tools and auditors know how far a published figure may be from the truth. The keys stay secret.
 */
export function perturbationDocument(disclosure: DisclosureSettings) {
  const { companyFactorMin, companyFactorMax } = disclosure.perturbation;
  return {
    method: 'cell-key' as const,
    /** Largest amount the table adds to a count (before the company factors). */
    countNoiseMax: TABLE_NOISE_MAX,
    table: PERTURBATION_TABLE.map((r) => ({ ...r })),
    companyFactorMin,
    companyFactorMax,
  };
}
