import { toHalfWidth } from './width.ts';

/**
 * My Number (個人番号), Japan's individual number: 12 digits whose last is a check digit. Kura never
 * stores one, so ingestion looks for them in every cell of every column (not only under a header
 * that names them). One home for the algorithm: the TypeScript below and the SQL macro that
 * ingestion compiles from the same constants (ingest/sql-macros.ts `kura_my_number_ok`), held together by
 * a property test.
 *
 * The check digit, as the ordinance (行政手続における特定の個人を識別するための番号の利用等に関する
 * 法律施行令 第8条) defines it: weights 6,5,4,3,2,7,6,5,4,3,2 on the first 11 digits from the left;
 * r = sum mod 11; check digit = 0 when r ≤ 1, else 11 − r.
 */
export const MY_NUMBER_WEIGHTS = [6, 5, 4, 3, 2, 7, 6, 5, 4, 3, 2] as const;

/**
 * Candidate runs inside a width-normalised cell (RE2 and JavaScript read it alike, leftmost-first):
 * three groups of four digits separated by one hyphen or space, as My Numbers are printed
 * (`1234 5678 9012`), with any digits that follow; else a plain run of digits. A candidate is a My
 * Number when its digits are exactly 12 and the last is the check digit of the first 11.
 */
export const MY_NUMBER_CANDIDATE_PATTERN = '[0-9]{4}[- ][0-9]{4}[- ][0-9]{4}[0-9]*|[0-9]+';

/** The check digit of 11 digits (a string of ASCII digits). */
export function myNumberCheckDigit(first11: string): number {
  let sum = 0;
  MY_NUMBER_WEIGHTS.forEach((weight, i) => {
    sum += weight * Number(first11.charAt(i));
  });
  const remainder = sum % 11;
  return remainder <= 1 ? 0 : 11 - remainder;
}

/** Whether 12 ASCII digits form a My Number (the last digit checks the first 11). */
export function isMyNumberDigits(digits: string): boolean {
  return /^[0-9]{12}$/.test(digits) && myNumberCheckDigit(digits.slice(0, 11)) === Number(digits.charAt(11));
}

/**
 * Whether a cell holds a My Number anywhere in it: full-width digits and dashes count as their ASCII
 * forms (width.ts), and the number may be written whole or as 4-4-4 groups.
 */
export function containsMyNumber(cell: string): boolean {
  const candidates = toHalfWidth(cell).match(new RegExp(MY_NUMBER_CANDIDATE_PATTERN, 'g')) ?? [];
  return candidates.some((candidate) => isMyNumberDigits(candidate.replace(/[- ]/g, '')));
}
