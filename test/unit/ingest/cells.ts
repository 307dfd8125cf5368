/**
 * Generators of raw CSV cells per column type, shared by the property tests of the ingest rules: the
 * forms real exports hold (full-width digits, era dates, grouped numbers, stray spaces), the forms the
 * fast path takes, and the values each rule must refuse (unknown enum spellings, over-long text,
 * empty required cells, impossible dates and months).
 */
import fc from 'fast-check';
import type { ColumnDef } from '../../../functions/domain/catalog/schema.ts';
import { myNumberCheckDigit } from '../../../functions/domain/japanese/my-number.ts';

export const fullWidth = (s: string) =>
  [...s]
    .map((ch) => (ch >= '!' && ch <= '~' ? String.fromCodePoint((ch.codePointAt(0) ?? 0) + 0xfee0) : ch))
    .join('');

export const pad = (n: number) => String(n).padStart(2, '0');

export const dateText = fc
  .tuple(
    fc.integer({ min: 1890, max: 2110 }),
    fc.integer({ min: 0, max: 13 }),
    fc.integer({ min: 0, max: 32 }),
    fc.constantFrom('/', '-', '.', '年', ''),
    fc.constantFrom('', '令和', '平成', '昭和', '大正', 'R', 'H', 'S', 'T', 'r'),
    fc.integer({ min: 0, max: 70 }),
    fc.boolean(),
  )
  .map(([y, m, d, sep, era, eraYear, padded]) => {
    const mm = padded ? pad(m) : String(m);
    const dd = padded ? pad(d) : String(d);
    const year = era === '' ? String(y) : eraYear === 1 && padded ? '元' : String(eraYear);
    if (sep === '') return `${year}${pad(m)}${pad(d)}`;
    if (sep === '年') return `${era}${year}年${mm}月${dd}日`;
    return `${era}${year}${sep}${mm}${sep}${dd}`;
  });

export const monthText = fc
  .tuple(
    fc.integer({ min: 1890, max: 2110 }),
    fc.integer({ min: 0, max: 13 }),
    fc.constantFrom('/', '-', '年', ''),
  )
  .map(([y, m, sep]) => (sep === '' ? `${y}${pad(m)}` : sep === '年' ? `${y}年${m}月` : `${y}${sep}${m}`));

export const numberText = fc.oneof(
  fc.integer({ min: -2_000_000, max: 2_000_000 }).map(String),
  fc.double({ min: -100, max: 100, noNaN: true }).map((n) => n.toFixed(2)),
  fc.integer({ min: 0, max: 9_999_999 }).map((n) => n.toLocaleString('en-US')),
  fc
    .tuple(fc.integer({ min: 0, max: 30 }), fc.integer({ min: 0, max: 70 }))
    .map(([h, m]) => `${h}:${pad(m)}`),
  fc.integer({ min: 0, max: 999 }).map((n) => `▲${n}`),
  fc.constantFrom(
    '1.',
    '.5',
    '+3',
    '1e5',
    'inf',
    '99999999999999999999',
    '1,2,3',
    ' 8 ',
    '',
    '円',
    '¥',
    '\\\\',
  ),
  fc.integer({ min: 0, max: 9_999_999 }).map((n) => `¥${n.toLocaleString('en-US')}`),
  fc.integer({ min: 0, max: 9_999_999 }).map((n) => `\\${n.toLocaleString('en-US')}`),
  fc.integer({ min: -999, max: 9_999 }).map((n) => `${n}円`),
  fc.integer({ min: 0, max: 9_999 }).map((n) => `￥${n}円`),
);

/** A synthetic 12-digit number with a valid My Number check digit (no one's). */
export const myNumberText = fc
  .array(fc.integer({ min: 0, max: 9 }), { minLength: 11, maxLength: 11 })
  .map((d) => `${d.join('')}${myNumberCheckDigit(d.join(''))}`);

export const codeText = fc.oneof(
  { weight: 12, arbitrary: fc.stringMatching(/^[0-9A-Za-z-]{0,12}$/) },
  { weight: 1, arbitrary: myNumberText },
  {
    weight: 12,
    arbitrary: fc.string({
      unit: fc.constantFrom('0', '1', 'A', '-', ' ', '　', 'ー', '=', '+', '@', '\t', '\n', '髙', ',', '"'),
    }),
  },
  { weight: 12, arbitrary: fc.stringMatching(/^[0-9]{1,40}$/) },
);

export const textText = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.string({ unit: 'grapheme', maxLength: 8 }),
  fc.constantFrom('=SUM(A1)', '-1', '  山田  ', '　', '①㈱髙'),
);

/** Spellings no enum of the catalogue accepts (half-width katakana stays half-width: see width.ts). */
export const UNKNOWN_ENUM_SPELLINGS = ['不明', 'ﾊﾟｰﾄ', '男女', '正', 'unknown', '3', '-'] as const;

/** Text one character over the column's limit (or far over a default when it has none). */
export const tooLongText = (column: ColumnDef) =>
  fc
    .constantFrom('あ', 'a', '髙', '1')
    .chain((ch) => fc.integer({ min: 1, max: 3 }).map((extra) => ch.repeat((column.maxLength ?? 1) + extra)));

/** Any cell a user might type in the column: valid or not, in every form. */
export function cellText(column: ColumnDef): fc.Arbitrary<string> {
  const base = (() => {
    switch (column.type) {
      case 'date':
        return dateText;
      case 'month':
        return fc.oneof(monthText, dateText);
      case 'integer':
      case 'decimal':
        return numberText;
      case 'code':
        return codeText;
      case 'text':
        return textText;
      case 'enum':
        return fc.oneof(
          fc.constantFrom(...(column.values ?? []).flatMap((v) => v.accepts)),
          fc.string({ maxLength: 4 }),
        );
    }
  })();
  return fc.oneof(
    { weight: 6, arbitrary: base },
    { weight: 1, arbitrary: base.map(fullWidth) },
    { weight: 1, arbitrary: base.map((s) => ` ${s}　`) },
    { weight: 1, arbitrary: fc.constant('') },
  );
}

/**
 * Cells in the forms the fast path takes (and a few just outside them), so both paths run: plain
 * codes, digits and ISO or slashed dates, enum spellings as the catalogue writes them, text within its
 * limit; and, at a lower weight, what those columns must refuse.
 */
export function canonicalText(column: ColumnDef): fc.Arbitrary<string> {
  switch (column.type) {
    case 'date':
      return fc
        .tuple(
          fc.integer({ min: 1899, max: 2100 }),
          fc.integer({ min: 1, max: 12 }),
          fc.integer({ min: 1, max: 31 }),
          fc.boolean(),
        )
        .map(([y, m, d, iso]) => (iso ? `${y}-${pad(m)}-${pad(d)}` : `${y}/${m}/${d}`));
    case 'month':
      return fc
        .tuple(fc.integer({ min: 1899, max: 2100 }), fc.integer({ min: 0, max: 13 }), fc.boolean())
        .map(([y, m, iso]) => (iso ? `${y}-${pad(m)}` : `${y}/${m}`));
    case 'integer':
      return fc.integer({ min: 0, max: 20_000_000 }).map(String);
    case 'decimal':
      return fc.oneof(
        fc.integer({ min: 0, max: 30 }).map(String),
        fc.double({ min: 0, max: 30, noNaN: true }).map((n) => n.toFixed(3)),
      );
    case 'code':
      return fc.stringMatching(/^[0-9A-Za-z_./][0-9A-Za-z_./-]{0,40}$/);
    case 'enum': {
      const spellings = (column.values ?? []).flatMap((v) => [v.value, ...v.accepts]);
      return fc.oneof(
        { weight: 6, arbitrary: fc.constantFrom(...spellings) },
        { weight: 1, arbitrary: fc.constantFrom(...UNKNOWN_ENUM_SPELLINGS) },
        { weight: 1, arbitrary: fc.constant('') },
      );
    }
    case 'text':
      return fc.oneof(
        { weight: 6, arbitrary: fc.constantFrom('山田 太郎', '営業部', 'G1', 'note', '髙橋①') },
        { weight: 1, arbitrary: tooLongText(column) },
        { weight: 1, arbitrary: fc.constant('') },
        { weight: 1, arbitrary: fc.constant('　') },
      );
  }
}

/** A row of cells for the columns: mostly canonical (the fast path), sometimes anything. */
export function rowOf(columns: readonly ColumnDef[]): fc.Arbitrary<string[]> {
  return fc.oneof(
    { weight: 3, arbitrary: fc.tuple(...columns.map(canonicalText)) },
    { weight: 1, arbitrary: fc.tuple(...columns.map(cellText)) },
  );
}
