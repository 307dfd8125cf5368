/**
 * Naive, row-by-row computations of published cells, written independently of the SQL, to compare
 * published values with and to re-check the thresholds of every published cell.
 */
import { regionOf } from '../../../functions/domain/company.ts';
import type { DisclosureSettings } from '../../../functions/domain/settings.ts';
import {
  companyFactor,
  KEY_MODULUS,
  quantileFactor,
  tableNoise,
} from '../../../functions/domain/stats/perturbation.ts';

export type Row = Readonly<Record<string, unknown>>;
const TOTAL = '_total';
const UNSPECIFIED = '_unspecified';

/** Source rows that fall into a published cell (`_total` matches everything at that key). */
export function rowsInCell(cell: Row, dimensions: readonly string[], sourceRows: readonly Row[]): Row[] {
  return sourceRows.filter((r) => {
    if (r.period !== cell.period) return false;
    for (const d of dimensions) {
      if (cell[d] !== TOTAL && (r[d] ?? UNSPECIFIED) !== cell[d]) return false;
    }
    const prefecture = (r.prefecture as string | null) ?? UNSPECIFIED;
    const region =
      (r.region as string | null) ?? (r.prefecture ? regionOf(r.prefecture as string) : UNSPECIFIED);
    if (cell.geo_level === 'prefecture' && prefecture !== cell.prefecture) return false;
    if (cell.geo_level !== 'national' && region !== cell.region) return false;
    return true;
  });
}

/** Quantile with linear interpolation between order statistics (type 7). */
export function quantileType7(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const h = (sorted.length - 1) * p;
  const lo = Math.floor(h);
  const hi = Math.ceil(h);
  return (sorted[lo] as number) + (h - lo) * ((sorted[hi] as number) - (sorted[lo] as number));
}

export const sum = (values: readonly number[]) => values.reduce((a, b) => a + b, 0);

/** Share of a magnitude held by the n largest companies of the rows. */
export function dominanceShare(rows: readonly Row[], value: (r: Row) => number, n: number): number {
  const perCompany = new Map<string, number>();
  for (const r of rows)
    perCompany.set(String(r.company_code), (perCompany.get(String(r.company_code)) ?? 0) + value(r));
  const contributions = [...perCompany.values()].sort((a, b) => b - a);
  const all = sum(contributions);
  return all > 0 ? sum(contributions.slice(0, n)) / all : 0;
}

export const companies = (rows: readonly Row[]) => new Set(rows.map((r) => r.company_code)).size;

/**
 * The published (perturbed) values of a cell, recomputed row by row from the documented rules
 * (docs/PRIVACY.md, "Perturbation"): each company's contribution times its factor, plus the table's
 * noise selected by the cell key. Uses the reference functions of perturbation.ts for the factor and
 * the table lookup only; the aggregation is written here, apart from the SQL.
 */
export function perturbed(rows: readonly Row[], disclosure: DisclosureSettings) {
  // One factor per company and measure: the count's, and each variable's (perturbation.ts).
  const factor = (r: Row, measure = 'count') => companyFactor(Number(r.company_key), disclosure, measure);
  const keySum = (column: string) => rows.reduce((s, r) => (s + Number(r[column])) % KEY_MODULUS, 0);
  const countNoise = tableNoise(keySum('record_key') / KEY_MODULUS);
  const magnitudeNoise = tableNoise(keySum('company_key') / KEY_MODULUS);
  const count = Math.max(0, Math.round(sum(rows.map((r) => factor(r)))) + countNoise);
  return {
    count,
    /** Perturbed sum of a variable's value, before rounding. */
    sum: (variable: string, value: (r: Row) => number, unit: number) =>
      sum(rows.map((r) => value(r) * factor(r, variable))) + unit * magnitudeNoise,
    /** The published total: the perturbed sum rounded to the noise unit (docs/PRIVACY.md). */
    total: (variable: string, value: (r: Row) => number, unit: number) =>
      Math.round((sum(rows.map((r) => value(r) * factor(r, variable))) + unit * magnitudeNoise) / unit) *
      unit,
    /** The values a quantile of a variable is taken over: each times its own row's factor. */
    factored: (variable: string, value: (r: Row) => number) =>
      rows.map(
        (r) => value(r) * quantileFactor(Number(r.record_key), String(r.period), disclosure, variable),
      ),
    /** Rows of the company holding the most rows. */
    topCompanyRows: Math.max(
      0,
      ...[
        ...rows
          .reduce(
            (m, r) => m.set(String(r.company_code), (m.get(String(r.company_code)) ?? 0) + 1),
            new Map<string, number>(),
          )
          .values(),
      ],
    ),
  };
}
