/**
 * Generalisation of quasi-identifiers on their way into the anonymised zone, as pure functions (the
 * reference) and as SQL for both dialects (what the engines run). Tests hold the two together.
 */
import { PREFECTURES } from '../company.ts';
import type { Dialect } from './compile.ts';

/** Age band width: 5 years normally, 10 or 20 years when k-anonymity needs more generalisation. */
export type AgeBandWidth = 5 | 10 | 20;

/** Lowest and highest ages with their own band: below is `<20`, from the top code up is `70+`. */
export const AGE_BOTTOM = 20;
export const AGE_TOP = 70;

/** The age band of an age in completed years (PPC: an age of 116 is published only as `70+`). */
export function ageBand(age: number, width: AgeBandWidth = 5): string {
  if (age < AGE_BOTTOM) return `<${AGE_BOTTOM}`;
  if (age >= AGE_TOP) return `${AGE_TOP}+`;
  const low = AGE_BOTTOM + Math.floor((age - AGE_BOTTOM) / width) * width;
  return `${low}-${Math.min(low + width - 1, AGE_TOP - 1)}`;
}

/** Tenure bands in completed years: lower bounds and labels. */
const TENURE_STEPS: ReadonlyArray<readonly [number, string]> = [
  [20, '20+'],
  [10, '10-19'],
  [5, '5-9'],
  [3, '3-4'],
  [1, '1-2'],
  [0, '<1'],
];

/** The tenure band of completed years of service. */
export function tenureBand(years: number): string {
  return TENURE_STEPS.find(([low]) => years >= low)?.[1] ?? '<1';
}

/** Completed years between two ISO dates (the age on `at` of someone born on `from`); -1 when `from` is later. */
export function completedYears(from: string, at: string): number {
  if (from > at) return -1;
  const [fy, fm, fd] = from.split('-').map(Number) as [number, number, number];
  const [ay, am, ad] = at.split('-').map(Number) as [number, number, number];
  return ay - fy - (am < fm || (am === fm && ad < fd) ? 1 : 0);
}

/** Last day of a 'YYYY-MM' period as an ISO date. */
export function periodEnd(period: string): string {
  const [y, m] = period.split('-').map(Number) as [number, number];
  const last = new Date(Date.UTC(y, m, 0)).getUTCDate();
  return `${period}-${String(last).padStart(2, '0')}`;
}

/**
 * Prefecture (JIS code) of a Japanese postal code, from its first three digits. Post-office areas
 * mostly follow prefecture lines; the few that straddle one are attributed to the larger side.
 */
export function prefectureOfPostalCode(postalCode: string): string | undefined {
  const digits = postalCode.normalize('NFKC').replace(/\D/g, '');
  if (digits.length !== 7) return undefined;
  const first3 = Number(digits.slice(0, 3));
  const found = POSTAL_RANGES.find(([low, high]) => first3 >= low && first3 <= high);
  return found?.[2];
}

// [first three digits from, to, prefecture]; order matters where ranges nest.
const POSTAL_RANGES: ReadonlyArray<readonly [number, number, string]> = [
  [10, 19, '05'],
  [20, 29, '03'],
  [30, 39, '02'],
  [0, 99, '01'],
  [100, 209, '13'],
  [210, 259, '14'],
  [260, 299, '12'],
  [300, 319, '08'],
  [320, 329, '09'],
  [330, 369, '11'],
  [370, 379, '10'],
  [380, 399, '20'],
  [400, 409, '19'],
  [410, 439, '22'],
  [440, 499, '23'],
  [500, 509, '21'],
  [510, 519, '24'],
  [520, 529, '25'],
  [530, 599, '27'],
  [600, 629, '26'],
  [630, 639, '29'],
  [640, 649, '30'],
  [650, 679, '28'],
  [680, 689, '31'],
  [690, 699, '32'],
  [700, 719, '33'],
  [720, 739, '34'],
  [740, 759, '35'],
  [760, 769, '37'],
  [770, 779, '36'],
  [780, 789, '39'],
  [790, 799, '38'],
  [800, 839, '40'],
  [840, 849, '41'],
  [850, 859, '42'],
  [860, 869, '43'],
  [870, 879, '44'],
  [880, 889, '45'],
  [890, 899, '46'],
  [900, 909, '47'],
  [910, 919, '18'],
  [920, 929, '17'],
  [930, 939, '16'],
  [940, 959, '15'],
  [960, 979, '07'],
  [980, 989, '04'],
  [990, 999, '06'],
];

/** Every prefecture code the postal table can yield is a real prefecture. */
export const POSTAL_PREFECTURES: ReadonlySet<string> = new Set(POSTAL_RANGES.map(([, , code]) => code));
if ([...POSTAL_PREFECTURES].some((code) => !PREFECTURES.some((p) => p.code === code))) {
  throw new Error('postal table names an unknown prefecture');
}

// --- SQL (both dialects) ---------------------------------------------------------------------

/** SQL: the last day of a 'YYYY-MM' VARCHAR period. */
export function periodEndSql(dialect: Dialect, periodSql: string): string {
  const first = `CAST(${periodSql} || '-01' AS DATE)`;
  return dialect === 'duckdb' ? `last_day(${first})` : `last_day_of_month(${first})`;
}

/** SQL: completed years from a DATE to a DATE (DuckDB `date_sub`, Trino `date_diff` both count whole years). */
export function completedYearsSql(dialect: Dialect, fromSql: string, atSql: string): string {
  const years =
    dialect === 'duckdb'
      ? `date_sub('year', ${fromSql}, ${atSql})`
      : `date_diff('year', ${fromSql}, ${atSql})`;
  // Both engines truncate negative spans towards zero; a date after `at` is simply "not yet" (-1).
  return `CASE WHEN ${fromSql} > ${atSql} THEN -1 ELSE ${years} END`;
}

/** SQL: the age band of an integer age expression (NULL stays NULL). */
export function ageBandSql(ageSql: string, width: AgeBandWidth): string {
  const branches: string[] = [`WHEN ${ageSql} < ${AGE_BOTTOM} THEN '<${AGE_BOTTOM}'`];
  for (let low = AGE_BOTTOM; low < AGE_TOP; low += width) {
    const high = Math.min(low + width - 1, AGE_TOP - 1);
    branches.push(`WHEN ${ageSql} <= ${high} THEN '${low}-${high}'`);
  }
  branches.push(`WHEN ${ageSql} >= ${AGE_TOP} THEN '${AGE_TOP}+'`);
  return `CASE ${branches.join(' ')} END`;
}

/** SQL: the tenure band of an integer years-of-service expression (negative → NULL). */
export function tenureBandSql(yearsSql: string): string {
  const branches = TENURE_STEPS.map(([low, label]) => `WHEN ${yearsSql} >= ${low} THEN '${label}'`);
  return `CASE ${branches.join(' ')} END`;
}
