import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import fc from 'fast-check';
import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import { getDataset } from '../../../functions/domain/catalog/index.ts';
import { validateFile } from '../../../functions/domain/ingest/process.ts';
import { defaultSettings } from '../../../functions/domain/settings.ts';

const quote = (field: string) => (/[",\r\n]/.test(field) ? `"${field.replace(/"/g, '""')}"` : field);
const cell = fc.oneof(
  fc.constantFrom(
    '0001',
    '８',
    '7:30',
    '2023/4/1',
    '令和5年4月1日',
    '平成31年5月1日',
    '25',
    '',
    'abc',
    '"q"',
    'a,b',
    '1\r\n2',
  ),
  fc.string({ maxLength: 6 }),
);
/** A data line: five cells (a valid shape), six (one too many), or a blank line. */
const line = fc.oneof(
  {
    weight: 8,
    arbitrary: fc
      .array(cell, { minLength: 5, maxLength: 5 })
      .map((cells) => ({ kind: 'row' as const, cells })),
  },
  {
    weight: 1,
    arbitrary: fc
      .array(cell, { minLength: 6, maxLength: 6 })
      .map((cells) => ({ kind: 'extra' as const, cells })),
  },
  { weight: 1, arbitrary: fc.constant({ kind: 'blank' as const, cells: [] as string[] }) },
);

describe('row counts', () => {
  it('always add up: rows in = accepted + rejected, one COLUMN_COUNT error per misshapen row', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(line, { maxLength: 30 }), fc.boolean(), async (lines, shiftJis) => {
        // Prepare
        const text = `社員番号,勤務日,所定労働時間,実労働時間,残業時間\r\n${lines.map((l) => `${l.cells.map(quote).join(',')}\r\n`).join('')}`;
        const bytes = shiftJis ? iconv.encode(text, 'cp932') : Buffer.from(text, 'utf8');
        const workDir = await mkdtemp(join(tmpdir(), 'kura-counts-'));
        const nonBlank = lines.filter((l) => l.kind !== 'blank' && l.cells.some((c) => c !== ''));
        const misshapen = nonBlank.filter((l) => l.kind === 'extra').length;

        try {
          // Act
          const file = await validateFile(
            Readable.from([bytes]),
            {
              dataset: getDataset('attendance'),
              limits: defaultSettings.limits,
              workDir,
              fallbackPeriod: '2026-04',
            },
            async (validated) => validated,
          );

          // Assess
          expect(file.rows.total).toBe(nonBlank.length);
          expect(file.rows.accepted + file.rows.rejected).toBe(file.rows.total);
          expect(file.errorCountsByCode.COLUMN_COUNT ?? 0).toBe(misshapen);
          const lastLine = text.split('\n').length - 1;
          for (const error of file.errors) expect(error.line).toBeGreaterThanOrEqual(2);
          for (const error of file.errors) expect(error.line).toBeLessThanOrEqual(lastLine);
        } finally {
          await rm(workDir, { recursive: true, force: true });
        }
      }),
      { numRuns: 25 },
    );
  }, 60_000);
});
