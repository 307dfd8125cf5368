import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingestMacros, MY_NUMBER_MIN_LENGTH } from '../../../functions/domain/ingest/sql-macros.ts';
import { lit } from '../../../functions/domain/ingest/sql-text.ts';
import {
  containsMyNumber,
  isMyNumberDigits,
  myNumberCheckDigit,
} from '../../../functions/domain/japanese/my-number.ts';

const digits = (n: number) =>
  fc.array(fc.integer({ min: 0, max: 9 }), { minLength: n, maxLength: n }).map((d) => d.join(''));
/** A synthetic 12-digit number with a valid check digit (belongs to no one we know of). */
const validMyNumber = digits(11).map((first) => `${first}${myNumberCheckDigit(first)}`);
const fullWidthDigits = (s: string) => s.replace(/[0-9]/g, (d) => String.fromCodePoint(0xff10 + Number(d)));

/** Cells in the shapes people write a number in, and text around it. */
const cell = fc
  .tuple(
    fc.oneof(validMyNumber, digits(12), digits(11), digits(13)),
    fc.constantFrom('', '-', ' ', '　', 'ー', '‐'),
    fc.boolean(),
    fc.constantFrom('', 'No.', '番号: ', '1', 'x', '090-'),
    fc.constantFrom('', '様', '1', ' 備考'),
  )
  .map(([number, separator, wide, before, after]) => {
    const grouped =
      separator === '' || number.length !== 12
        ? number
        : `${number.slice(0, 4)}${separator}${number.slice(4, 8)}${separator}${number.slice(8)}`;
    return `${before}${wide ? fullWidthDigits(grouped) : grouped}${after}`;
  });

let instance: DuckDBInstance;
let connection: DuckDBConnection;
beforeAll(async () => {
  instance = await DuckDBInstance.create(':memory:', { threads: '1' });
  connection = await instance.connect();
  for (const macro of ingestMacros()) await connection.run(macro);
});
afterAll(() => {
  connection.closeSync();
  instance.closeSync();
});

describe('My Number check digit', () => {
  it('follows the ordinance: weights 6,5,4,3,2,7,6,5,4,3,2, remainder 0 or 1 gives 0, else 11 − r', () => {
    // Prepare: by hand, 1·6+2·5+3·4+4·3+5·2+6·7+7·6+8·5+9·4+0·3+1·2 = 212; 212 mod 11 = 3; 11 − 3 = 8
    // 0000000000 + 1·2 = 2 → 9; all zeros → remainder 0 → 0; 00000000006: 6·2 = 12 → r 1 → 0
    const cases = [
      ['12345678901', 8],
      ['00000000001', 9],
      ['00000000000', 0],
      ['00000000006', 0],
    ] as const;

    // Act / Assess
    for (const [first, check] of cases) expect(myNumberCheckDigit(first), first).toBe(check);
    expect(isMyNumberDigits('123456789018')).toBe(true);
    expect(isMyNumberDigits('123456789017')).toBe(false);
  });

  it('accepts exactly one last digit for any 11 digits', () => {
    fc.assert(
      fc.property(digits(11), (first) => {
        const valid = Array.from({ length: 10 }, (_, d) => `${first}${d}`).filter(isMyNumberDigits);
        expect(valid).toEqual([`${first}${myNumberCheckDigit(first)}`]);
      }),
    );
  });

  it('finds a number written whole, in 4-4-4 groups or in full-width digits, inside other text', () => {
    expect(containsMyNumber('123456789018')).toBe(true);
    expect(containsMyNumber('番号 1234-5678-9018 様')).toBe(true);
    expect(containsMyNumber('１２３４　５６７８　９０１８')).toBe(true);
    expect(containsMyNumber('1234567890189')).toBe(false);
    expect(containsMyNumber('123,456,789,018')).toBe(false);
    expect(containsMyNumber('090-1234-5678')).toBe(false);
  });

  it('is found by the SQL macro exactly when the TypeScript says so', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(cell, { minLength: 1, maxLength: 30 }), async (cells) => {
        // Act
        const reader = await connection.runAndReadAll(
          `SELECT kura_has_my_number(c) AS found FROM (VALUES ${cells.map((c, i) => `(${i}, ${lit(c)})`).join(', ')}) t(i, c) ORDER BY i`,
        );

        // Assess
        expect(reader.getRowObjectsJS().map((r) => r.found)).toEqual(cells.map(containsMyNumber));
      }),
      { numRuns: 60 },
    );
  });

  it('is never in a cell shorter than the row gate of the refusal lets through (MY_NUMBER_MIN_LENGTH bytes)', async () => {
    // Arrange: the cells above and short runs of digits and separators of every width.
    const short = fc
      .array(fc.constantFrom('1', '9', '１', '-', ' ', '　', 'ー', '‐', '－'), {
        minLength: 1,
        maxLength: 14,
      })
      .map((chars) => chars.join(''));
    await fc.assert(
      fc.asyncProperty(fc.array(fc.oneof(cell, short), { minLength: 1, maxLength: 30 }), async (cells) => {
        // Act
        const reader = await connection.runAndReadAll(
          `SELECT kura_may_hold_my_number(c) AS may, strlen(c) AS bytes FROM (VALUES ${cells.map((c, i) => `(${i}, ${lit(c)})`).join(', ')}) t(i, c) ORDER BY i`,
        );

        // Assess
        for (const row of reader.getRowObjectsJS()) {
          if (row.may === true) expect(Number(row.bytes)).toBeGreaterThanOrEqual(MY_NUMBER_MIN_LENGTH);
        }
      }),
      { numRuns: 60 },
    );
  });
});
