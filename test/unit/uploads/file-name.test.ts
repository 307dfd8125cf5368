import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  FALLBACK_FILE_NAME,
  MAX_FILE_NAME_CHARS,
  SAFE_FILE_NAME,
  safeFileName,
} from '../../../functions/domain/uploads/file-name.ts';
import { landingKey } from '../../../functions/domain/zones.ts';

/** S3's ${filename} placeholder, spelt so no linter mistakes it for a template. */
const FILENAME_VARIABLE = ['$', '{filename}'].join('');
const prefix = 'landing/tenant-a/employees/0b7c6f1e-3f55-4a8e-9a66-0d8f1c1f2a10/';
const keyFor = (name: string) =>
  landingKey('tenant-a', 'employees', '0b7c6f1e-3f55-4a8e-9a66-0d8f1c1f2a10', safeFileName(name));

describe('safeFileName', () => {
  it.each([
    ['従業員一覧 2026年4月.csv', '従業員一覧_2026年4月.csv'],
    ['../../tenant-b/employees/x.csv', 'x.csv'],
    ['..%2f..%2ftenant-b%2fx.csv', 'x.csv'],
    ['%2e%2e%2f%2e%2e%2fsecret.csv', 'secret.csv'],
    ['%252e%252e%252fdouble.csv', 'double.csv'],
    ['/etc/passwd', 'passwd'],
    ['C:\\Users\\hr\\給与.csv', '給与.csv'],
    ['．．／ｆｕｌｌ．ｃｓｖ', 'full.csv'],
    ['evil\u0000.csv', 'evil.csv'],
    ['line\r\nbreak.csv', 'linebreak.csv'],
    ['gpj.\u202ecsv', 'gpj.csv'],
    [FILENAME_VARIABLE, 'filename_'],
    ['..', FALLBACK_FILE_NAME],
    ['', FALLBACK_FILE_NAME],
    ['%', FALLBACK_FILE_NAME],
    ['.hidden.csv', 'hidden.csv'],
    ['landing/tenant-b/sales/u/x.csv', 'x.csv'],
  ])('turns %j into %j', (input, expected) => {
    // Act
    const name = safeFileName(input);

    // Assess
    expect(name).toBe(expected);
  });

  it('caps a 10,000-character name and keeps its extension', () => {
    // Act
    const name = safeFileName(`${'あ'.repeat(10_000)}.csv`);

    // Assess
    expect([...name]).toHaveLength(MAX_FILE_NAME_CHARS);
    expect(name.endsWith('.csv')).toBe(true);
  });

  it('always yields a key under the caller’s prefix with one safe name segment (property)', () => {
    // Prepare
    const hostile = fc.oneof(
      fc.string({ maxLength: 300 }),
      fc.string({ unit: 'binary', maxLength: 300 }),
      fc
        .array(
          fc.constantFrom(
            '..',
            '/',
            '\\',
            '%2e',
            '%2f',
            '%252e',
            '%00',
            '\u0000',
            '\u202e',
            'tenant-b',
            '．',
            '／',
            FILENAME_VARIABLE,
            'a',
            '.csv',
          ),
          { maxLength: 40 },
        )
        .map((parts) => parts.join('')),
      fc.string({ minLength: 1000, maxLength: 10_000 }),
    );

    // Act + Assess
    fc.assert(
      fc.property(hostile, (input) => {
        const key = keyFor(input);
        const name = key.slice(prefix.length);
        return (
          key.startsWith(prefix) &&
          key.split('/').length === 5 &&
          SAFE_FILE_NAME.test(name) &&
          !name.includes('..') &&
          [...name].length <= MAX_FILE_NAME_CHARS
        );
      }),
      { numRuns: 500 },
    );
  });
});
