import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DATASET_NAMES, getDataset } from '../../../functions/domain/catalog/index.ts';
import { tokenOf } from '../../../functions/domain/masking/hmac.ts';
import { FULLY_MASKED, SUPPORT_MASKS, supportMaskOf } from '../../../functions/domain/masking/policy.ts';
import {
  applySupportMask,
  coarsenDateToYear,
  coarsenPostalToPrefecture,
  maskEmail,
  maskName,
  maskPhone,
  maskRow,
  tokeniserFor,
} from '../../../functions/domain/platform-support/mask.ts';

const key = new Uint8Array(32).fill(7);

describe('support masks', () => {
  it('keeps the first character of the surname and the full-width space of a name', () => {
    // Act
    const masked = maskName('髙橋　一郎');

    // Assess
    expect(masked).toBe('髙＊　＊＊');
  });

  it('masks a one-character name whole', () => {
    // Act
    const masked = maskName('林');

    // Assess
    expect(masked).toBe('＊');
  });

  it('shows only the last four digits of a phone number', () => {
    // Act
    const masked = maskPhone('090-1234-5678');

    // Assess
    expect(masked).toBe('＊＊＊-＊＊＊＊-5678');
  });

  it('shows the first character and the domain of an email address', () => {
    // Act
    const masked = maskEmail('yamada@example.co.jp');

    // Assess
    expect(masked).toBe('y＊＊＊@example.co.jp');
  });

  it('coarsens a birth date to its year and a postal code to its prefecture', () => {
    // Act
    const year = coarsenDateToYear('1985-04-12');
    const prefecture = coarsenPostalToPrefecture('100-0001');

    // Assess
    expect(year).toBe('1985');
    expect(prefecture).toBe('東京都');
  });

  it('shows a linking code as the masking engine’s HMAC token under the tenant key', () => {
    // Act
    const token = applySupportMask('token', 'EMP-0001', tokeniserFor(key));

    // Assess
    expect(token).toBe(tokenOf(key, 'EMP-0001'));
    expect(token).not.toContain('EMP');
  });

  it('gives every column of every dataset a rule, never "none" for identifiers', () => {
    // Act
    const rules = DATASET_NAMES.flatMap((name) =>
      getDataset(name).columns.map((column) => ({ privacy: column.privacy, mask: supportMaskOf(column) })),
    );

    // Assess
    for (const rule of rules) {
      expect(SUPPORT_MASKS).toContain(rule.mask);
      if (['direct_identifier', 'financial_harm', 'linking_code'].includes(rule.privacy)) {
        expect(rule.mask).not.toBe('none');
      }
    }
  });

  it('masks a column the catalogue does not know whole', () => {
    // Act
    const row = maskRow(getDataset('employees'), { surprise: '山田太郎' }, tokeniserFor(key));

    // Assess
    expect(row).toEqual({ surprise: FULLY_MASKED });
  });

  it('never lets a direct identifier or bank account of an employee row through whole', () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 2, maxLength: 12 }).filter((s) => /\S/.test(s)),
        fc.stringMatching(/^0\d{1,3}-\d{2,4}-\d{4}$/),
        fc.stringMatching(/^[a-z0-9._]{1,12}@[a-z]{2,10}\.(co\.jp|jp|com)$/),
        fc.stringMatching(/^\d{7}$/),
        (name, phone, email, account) => {
          // Act
          const masked = maskRow(
            getDataset('employees'),
            { name, name_kana: name, phone, email, address: name, bank_account: account },
            tokeniserFor(key),
          );

          // Assess
          const text = JSON.stringify(masked);
          for (const value of [phone, email, account]) expect(text).not.toContain(value);
          expect(masked.name).not.toBe(name);
          expect(masked.address).toBe(FULLY_MASKED);
        },
      ),
    );
  });
});
