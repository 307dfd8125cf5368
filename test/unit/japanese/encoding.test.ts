import fc from 'fast-check';
import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import { CsvTextDecoder, InvalidEncodingError } from '../../../functions/domain/japanese/encoding.ts';
import { neutraliseFormula } from '../../../functions/domain/japanese/formula.ts';
import { toHalfWidth } from '../../../functions/domain/japanese/width.ts';

/** Decodes bytes fed in chunks of `size`, as a stream would deliver them. */
function decode(bytes: Uint8Array, size: number, maxLineBytes?: number): { text: string; encoding: string } {
  const decoder = new CsvTextDecoder(maxLineBytes);
  const parts: Uint8Array[] = [];
  for (let i = 0; i < bytes.length; i += size) parts.push(decoder.push(bytes.subarray(i, i + size)));
  parts.push(decoder.end());
  return { text: Buffer.concat(parts).toString('utf8'), encoding: decoder.encoding };
}

const SAMPLE = '社員番号,氏名,部署\r\n0001,髙橋 ①郎,㈱本社 営業部\r\n0002,ｶﾀｶﾅ　太郎,ﾃｽﾄ～\r\n';

describe('CsvTextDecoder', () => {
  it.each([1, 2, 3, 7, 4096])(
    'decodes Shift_JIS with NEC and IBM extensions exactly in chunks of %i',
    (size) => {
      // Prepare
      const bytes = iconv.encode(SAMPLE, 'cp932');

      // Act
      const decoded = decode(bytes, size);

      // Assess
      expect(decoded).toEqual({ text: SAMPLE, encoding: 'cp932' });
    },
  );

  it('decodes Shift_JIS lines longer than it holds back, statefully', () => {
    // Prepare: no line feed for far longer than the 64 bytes held back
    const text = `${'①㈱髙'.repeat(1000)}\r\n${'ｶﾅ漢字'.repeat(800)}`;
    const bytes = iconv.encode(text, 'cp932');

    // Act
    const decoded = decode(bytes, 1000, 64);

    // Assess
    expect(decoded).toEqual({ text, encoding: 'cp932' });
  });

  it.each([1, 5, 4096])('decodes UTF-8 with and without a BOM in chunks of %i', (size) => {
    // Act
    const plain = decode(Buffer.from(SAMPLE, 'utf8'), size);
    const bom = decode(Buffer.from(`\uFEFF${SAMPLE}`, 'utf8'), size);

    // Assess
    expect(plain).toEqual({ text: SAMPLE, encoding: 'utf-8' });
    expect(bom).toEqual({ text: SAMPLE, encoding: 'utf-8-bom' });
  });

  it('finds the first non-ASCII byte wherever a long ASCII stretch ends, in any chunking', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: fc.constantFrom('a', '1', ',', '\n', '"'), maxLength: 9000 }),
        fc.constantFrom('utf8', 'cp932'),
        fc.integer({ min: 1, max: 5000 }),
        (ascii, encoding, size) => {
          // Prepare: ASCII, then Japanese text (the bench's file is ASCII to its end)
          const text = `${ascii}${SAMPLE}`;
          const bytes = encoding === 'utf8' ? Buffer.from(text, 'utf8') : iconv.encode(text, 'cp932');

          // Act
          const decoded = decode(bytes, size);

          // Assess
          expect(decoded).toEqual({ text, encoding: encoding === 'utf8' ? 'utf-8' : 'cp932' });
        },
      ),
      { numRuns: 200 },
    );
  });

  it('treats ASCII-only input as ASCII', () => {
    // Act
    const decoded = decode(Buffer.from('a,b\r\n1,2\r\n'), 3);

    // Assess
    expect(decoded).toEqual({ text: 'a,b\r\n1,2\r\n', encoding: 'ascii' });
  });

  it.each([
    ['a lone lead byte', [0x81, 0x20]],
    ['byte 0x80', [0x80]],
    ['byte 0xA0', [0xa0]],
    ['byte 0xFD', [0xfd]],
  ])('refuses %s in Shift_JIS and keeps the text before it', (_, bad) => {
    // Prepare
    const head = iconv.encode('社員番号\r\n髙橋\r\n', 'cp932');
    const bytes = Buffer.concat([head, Buffer.from(bad)]);

    // Act
    const act = () => decode(bytes, 4096);

    // Assess
    expect(act).toThrow(InvalidEncodingError);
    try {
      act();
    } catch (error) {
      expect(Buffer.from((error as InvalidEncodingError).validPrefix).toString('utf8')).toBe(
        '社員番号\r\n髙橋\r\n',
      );
    }
  });

  it('refuses user-defined characters (gaiji)', () => {
    // Prepare
    const bytes = Buffer.concat([iconv.encode('氏名\r\n', 'cp932'), Buffer.from([0xf0, 0x40])]);

    // Act
    const act = () => decode(bytes, 4096);

    // Assess
    expect(act).toThrow(expect.objectContaining({ failure: 'GAIJI' }));
  });

  it('refuses UTF-16', () => {
    // Prepare
    const bytes = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('a,b', 'utf16le')]);

    // Act
    const act = () => decode(bytes, 4096);

    // Assess
    expect(act).toThrow(expect.objectContaining({ failure: 'UTF16' }));
  });
});

describe('width and formula helpers', () => {
  it('turns full-width digits, letters, hyphens and the ideographic space into ASCII', () => {
    // Act
    const half = toHalfWidth('０１２３－ＡＢｃ　０３ー１２３４−５６７８');

    // Assess
    expect(half).toBe('0123-ABc 03-1234-5678');
  });

  it('leaves circled digits, kabushiki-gaisha and half-width kana alone', () => {
    // Act
    const half = toHalfWidth('①㈱ｶﾅ');

    // Assess
    expect(half).toBe('①㈱ｶﾅ');
  });

  it.each([
    ['=1+2', "'=1+2"],
    ['+81', "'+81"],
    ['-5', "'-5"],
    ['@SUM(A1)', "'@SUM(A1)"],
    ['\tx', "'\tx"],
    ['\rx', "'\rx"],
    ['山田', '山田'],
    ['a=b', 'a=b'],
  ])('neutralises %j as %j', (value, expected) => {
    // Act
    const neutral = neutraliseFormula(value);

    // Assess
    expect(neutral).toBe(expected);
  });
});

describe('CsvTextDecoder control characters', () => {
  it('decodes every CP932 character it accepts exactly as iconv-lite does', () => {
    // Prepare: every single byte and every lead/trail pair, one per line under a header
    const codes: Buffer[] = [];
    for (let lead = 0x20; lead <= 0xfc; lead++) {
      const double = (lead >= 0x81 && lead <= 0x9f) || (lead >= 0xe0 && lead <= 0xfc);
      if (!double) codes.push(Buffer.from([lead]));
      else for (let trail = 0x40; trail <= 0xfc; trail++) codes.push(Buffer.from([lead, trail]));
    }
    const header = iconv.encode('社員番号\r\n', 'cp932');

    // Act: decode each code alone (a refused one throws)
    const mismatches: string[] = [];
    let accepted = 0;
    for (const code of codes) {
      const bytes = Buffer.concat([header, code, Buffer.from('\r\n')]);
      let text: string;
      try {
        text = decode(bytes, 4096).text;
      } catch (error) {
        expect(error).toBeInstanceOf(InvalidEncodingError);
        continue;
      }
      accepted += 1;
      if (text !== iconv.decode(bytes, 'cp932')) mismatches.push(code.toString('hex'));
    }

    // Assess: the NEC and IBM extensions are accepted, and nothing accepted differs from iconv-lite
    expect(accepted).toBeGreaterThan(7000);
    expect(mismatches).toEqual([]);
  });

  it('decodes the control characters of Shift_JIS as iconv-lite does', () => {
    // Prepare: 0x1A, 0x1C and 0x7F, which ICU's converter maps differently
    const bytes = Buffer.concat([
      iconv.encode('見出し\r\n', 'cp932'),
      Buffer.from([0x61, 0x1a, 0x1c, 0x7f, 0x62]),
    ]);

    // Act
    const decoded = decode(bytes, 4096);

    // Assess
    expect(decoded.text).toBe(iconv.decode(bytes, 'cp932'));
  });
});
