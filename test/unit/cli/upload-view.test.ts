import { describe, expect, it } from 'vitest';
import { CliContext } from '../../../local/cli/context.ts';
import { rowCountsLine, rowErrorLines } from '../../../local/cli/upload-view.ts';

const ctx = (lang: 'ja' | 'en') =>
  new CliContext({ write: () => undefined, writeErr: () => undefined, env: {} }, { lang, dataDir: '.' });

const errors = [
  {
    line: 3,
    column: 'hire_date',
    code: 'invalid_date',
    message: { ja: '日付として読めません', en: 'not a date' },
    value: '***',
  },
];

describe('an upload in the CLI (the company view and support share it)', () => {
  it("heads the row errors in the reader's language and says each message in it", () => {
    // Act
    const [blank, ja = '', ...jaRest] = rowErrorLines(ctx('ja'), { errors });
    const [, en = '', truncated] = rowErrorLines(ctx('en'), { errors, errorsTruncated: true });

    // Assess
    expect(ja.split('\n')[0]).toMatch(/^行\s+列\s+コード\s+内容\s+値\s*$/);
    expect(ja).toContain('日付として読めません');
    expect(ja).not.toContain('not a date');
    expect(en.split('\n')[0]).toMatch(/^line\s+column\s+code\s+message\s+value\s*$/);
    expect(en).toContain('not a date');
    expect(blank).toBe('');
    expect(jaRest).toEqual([]);
    expect(truncated).toBe('(first errors only; the full report is stored with the upload)');
    expect(rowErrorLines(ctx('ja'), { errors: [] })).toEqual([]);
  });

  it('says the row counts in words', () => {
    const rows = { total: 5, accepted: 4, rejected: 1 };
    expect(rowCountsLine(ctx('ja'), rows)).toBe('行数: 全 5 行、受理 4 行、エラー 1 行');
    expect(rowCountsLine(ctx('en'), rows)).toBe('Rows: 5 in total, 4 accepted, 1 in error');
  });
});
