/**
 * Width normalisation for codes and numbers, as NFKC does it for the characters Japanese spreadsheets
 * actually contain: full-width ASCII (U+FF01–U+FF5E) and the ideographic space. Unlike
 * `String.prototype.normalize('NFKC')` it leaves everything else alone (①, ㈱ and half-width kana stay),
 * and it is one character-for-character table, so SQL `translate()` does exactly the same.
 */
/** Full-width ASCII variants: U+FF01–U+FF5E, each U+FEE0 above its ASCII character. */
export const FULL_WIDTH_FIRST = 0xff01;
export const FULL_WIDTH_LAST = 0xff5e;
export const FULL_WIDTH_OFFSET = 0xfee0;
export const IDEOGRAPHIC_SPACE = 0x3000;

const fullWidth: string[] = [];
const halfWidth: string[] = [];
for (let code = FULL_WIDTH_FIRST; code <= FULL_WIDTH_LAST; code++) {
  fullWidth.push(String.fromCodePoint(code));
  halfWidth.push(String.fromCodePoint(code - FULL_WIDTH_OFFSET));
}

/** Full-width ASCII and the ideographic space. */
export const FULL_WIDTH_CHARS = `${fullWidth.join('')}\u3000`;
/** What FULL_WIDTH_CHARS become, position by position. */
export const HALF_WIDTH_CHARS = `${halfWidth.join('')} `;

/**
 * Dash-like characters people type in codes and numbers (minus sign, hyphens, dashes, the katakana
 * long-vowel mark in phone numbers, ▲/△ for negative amounts in Japanese accounting): all become `-`.
 * Beyond NFKC, deliberately: NFKC keeps U+2212 and ー, which would make `０３ー１２３４` invalid.
 */
export const DASH_CHARS = '\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u30fc\uff70\u25b2\u25b3';

/** FULL_WIDTH_CHARS + DASH_CHARS, and their replacements: the table codes and numbers go through. */
export const CODE_FROM_CHARS = FULL_WIDTH_CHARS + DASH_CHARS;
export const CODE_TO_CHARS = HALF_WIDTH_CHARS + '-'.repeat(DASH_CHARS.length);

const codeMap = new Map<string, string>();
for (let i = 0; i < CODE_FROM_CHARS.length; i++) {
  codeMap.set(CODE_FROM_CHARS.charAt(i), CODE_TO_CHARS.charAt(i));
}

/** Full-width ASCII → ASCII, ideographic space → space, dashes → `-` (the SQL `kura_half` twin). */
export function toHalfWidth(value: string): string {
  let out = '';
  for (const ch of value) out += codeMap.get(ch) ?? ch;
  return out;
}

/** Spaces trimmed around values: ASCII space and the ideographic space (never tabs: see formula.ts). */
export const TRIM_CHARS = ' \u3000';

/** Removes TRIM_CHARS at both ends (the SQL `trim(v, chars)` twin). */
export function trimSpaces(value: string): string {
  let start = 0;
  let end = value.length;
  while (start < end && TRIM_CHARS.includes(value.charAt(start))) start++;
  while (end > start && TRIM_CHARS.includes(value.charAt(end - 1))) end--;
  return value.slice(start, end);
}
