/**
 * The support view of a value: what support staff see without a break-glass grant. Which rule a
 * column gets is the masking policy's decision (`supportMaskOf`, functions/domain/masking/policy.ts),
 * never a handler's, and every masked character is the policy's one mask character.
 */
import type { ColumnDef, DatasetDef } from '../catalog/index.ts';
import { PREFECTURES } from '../company.ts';
import { prefectureOfPostalCode } from '../masking/generalise.ts';
import { tokenOf } from '../masking/hmac.ts';
import { FULLY_MASKED, MASK_CHAR, type SupportMask, supportMaskOf } from '../masking/policy.ts';

const SPACES = new Set([' ', '\u3000']);

/**
 * 髙橋　一郎 → 髙＊　＊＊: the first character of the surname kept, every other character masked
 * one for one, spaces (half- and full-width) kept. A one-character name is masked whole.
 */
export function maskName(value: string): string {
  const chars = Array.from(value);
  const letters = chars.filter((c) => !SPACES.has(c)).length;
  let keptFirst = letters < 2;
  return chars
    .map((c) => {
      if (SPACES.has(c)) return c;
      if (!keptFirst) {
        keptFirst = true;
        return c;
      }
      return MASK_CHAR;
    })
    .join('');
}

/**
 * 090-1234-5678 → ＊＊＊-＊＊＊＊-5678: every digit but the last four masked, separators kept. A
 * number with four digits or fewer is masked whole.
 */
export function maskPhone(value: string): string {
  const chars = Array.from(value.normalize('NFKC'));
  const digits = chars.filter((c) => /\d/.test(c)).length;
  if (digits <= 4) return FULLY_MASKED;
  let seen = 0;
  return chars
    .map((c) => {
      if (!/\d/.test(c)) return /[-()\s+]/.test(c) ? c : MASK_CHAR;
      seen++;
      return seen > digits - 4 ? c : MASK_CHAR;
    })
    .join('');
}

/** yamada@example.co.jp → y＊＊＊@example.co.jp (fixed three ＊, so the length stays hidden). */
export function maskEmail(value: string): string {
  const at = value.lastIndexOf('@');
  if (at < 0) return FULLY_MASKED;
  const local = Array.from(value.slice(0, at));
  const domain = value.slice(at + 1);
  const first = local.length >= 2 ? (local[0] ?? '') : '';
  return `${first}${FULLY_MASKED}@${domain}`;
}

/** 1985-04-12 → 1985 (dates are read as ISO text). */
export function coarsenDateToYear(value: string): string {
  const year = /^(\d{4})/.exec(value.trim())?.[1];
  return year ?? FULLY_MASKED;
}

/** 100-0001 → 東京都 (or Tokyo); a code that names no prefecture is masked whole. */
export function coarsenPostalToPrefecture(value: string): string {
  const code = prefectureOfPostalCode(value);
  const prefecture = PREFECTURES.find((p) => p.code === code);
  return prefecture ? prefecture.ja : FULLY_MASKED;
}

/** Computes tokens under one tenant's key (the masking engine's HMAC, so tokens match the curated zone). */
export type Tokeniser = (value: string) => string;

export const tokeniserFor =
  (key: Uint8Array): Tokeniser =>
  (value) =>
    tokenOf(key, value);

/** Applies one support mask to a value as text; null stays null (an empty cell reveals nothing). */
export function applySupportMask(
  mask: SupportMask,
  value: string | null,
  tokenise: Tokeniser,
): string | null {
  if (value === null) return null;
  switch (mask) {
    case 'name_partial':
      return maskName(value);
    case 'last4':
      return maskPhone(value);
    case 'email_first_char_domain':
      return maskEmail(value);
    case 'token':
      return tokenise(value);
    case 'coarsen_date_to_year':
      return coarsenDateToYear(value);
    case 'coarsen_postal_to_prefecture':
      return coarsenPostalToPrefecture(value);
    case 'full':
      return FULLY_MASKED;
    case 'none':
      return value;
  }
}

/** The column of a dataset a stored name or an uploaded header refers to. */
export function columnNamed(dataset: DatasetDef, name: string): ColumnDef | undefined {
  return dataset.columns.find((c) => c.name === name || c.ja === name || c.aliases.includes(name));
}

export type TextRow = Readonly<Record<string, string | null>>;

/**
 * One row as support sees it without a grant. A column the catalogue does not know is masked whole
 * (the policy's `supportMaskOf(undefined)`).
 */
export function maskRow(
  dataset: DatasetDef,
  row: TextRow,
  tokenise: Tokeniser,
): Record<string, string | null> {
  const masked: Record<string, string | null> = {};
  for (const [name, value] of Object.entries(row)) {
    const column = columnNamed(dataset, name);
    masked[name] = applySupportMask(supportMaskOf(column), value, tokenise);
  }
  return masked;
}
