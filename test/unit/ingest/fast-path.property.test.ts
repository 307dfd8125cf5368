/**
 * Differential property: the fast path (canonical rows as plain casts) and the full rules (every row
 * through every rule) give the same verdict, the same row errors and the same stored values for any
 * file, and both agree with the TypeScript twin of the rules (rules.ts). Run on real DuckDB.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATASET_NAMES, getDataset } from '../../../functions/domain/catalog/index.ts';
import type { DatasetDef } from '../../../functions/domain/catalog/schema.ts';
import { FileRejectedError } from '../../../functions/domain/ingest/errors.ts';
import { validateFile } from '../../../functions/domain/ingest/process.ts';
import { normaliseCell } from '../../../functions/domain/ingest/rules.ts';
import { containsMyNumber } from '../../../functions/domain/japanese/my-number.ts';
import { defaultSettings } from '../../../functions/domain/settings.ts';
import { rowOf } from './cells.ts';
import { readParquet } from './parquet.ts';

let scratch: string;
beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'kura-fast-path-'));
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

const quote = (cell: string) => (/[",\r\n]/.test(cell) ? `"${cell.replace(/"/g, '""')}"` : cell);

/** The CSV of the rows under the dataset's Japanese header, and the line each row starts on. */
function csvOf(dataset: DatasetDef, rows: readonly string[][]): { text: string; lines: number[] } {
  let text = `${dataset.columns.map((c) => c.ja).join(',')}\r\n`;
  let line = 2;
  const lines: number[] = [];
  for (const row of rows) {
    lines.push(line);
    const record = row.map(quote).join(',');
    text += `${record}\r\n`;
    line += 1 + (record.match(/\n/g)?.length ?? 0);
  }
  return { text, lines };
}

let run = 0;
/** validateFile over the text, with or without the fast path, and the rows it would store. */
async function validate(dataset: DatasetDef, text: string, fastPath: boolean) {
  run += 1;
  return validateFile(
    Readable.from([Buffer.from(text, 'utf8')]),
    {
      dataset,
      limits: defaultSettings.limits,
      workDir: join(scratch, `run-${run}`),
      fallbackPeriod: '2026-04',
      memoryLimit: '256MB',
      fastPath,
    },
    async (file, writeValid) => {
      const stored: Record<string, unknown[]> = {};
      for (const part of await writeValid()) {
        stored[part.period] = (await readParquet(await readFile(part.path))).sort((a, b) =>
          JSON.stringify(a) < JSON.stringify(b) ? -1 : 1,
        );
      }
      return { ...file, stored };
    },
  ).catch((error: unknown) => {
    // A file refused as a whole (a My Number in a cell) is refused the same way on both paths.
    if (error instanceof FileRejectedError) return { refused: error.reason.code, line: error.line };
    throw error;
  });
}

/**
 * What the TypeScript rules say about each row: its cell errors (line, column, code), in line then
 * catalogue order, and the duplicate-key errors ingestion adds (a valid-keyed row repeating an earlier
 * row's key). Rows whose cells are all empty are blank lines, which the scanner skips.
 */
function expectedErrors(dataset: DatasetDef, rows: readonly string[][], lines: readonly number[]) {
  const errors: Array<[number, string, string]> = [];
  const seen = new Set<string>();
  rows.forEach((row, r) => {
    if (row.every((cell) => cell === '')) return;
    const results = dataset.columns.map((c, i) => normaliseCell(c, row[i] === '' ? null : (row[i] ?? null)));
    const cellErrors = dataset.columns.flatMap((c, i) =>
      results[i]?.error ? [[lines[r] ?? 0, c.ja, results[i]?.error ?? ''] as [number, string, string]] : [],
    );
    const keyValues = dataset.rowKey.map(
      (k) => results[dataset.columns.findIndex((c) => c.name === k)]?.value,
    );
    const key = keyValues.every((v) => v !== null && v !== undefined) ? JSON.stringify(keyValues) : undefined;
    const duplicate = key !== undefined && seen.has(key);
    if (key !== undefined) seen.add(key);
    if (cellErrors.length > 0) errors.push(...cellErrors);
    else if (duplicate) {
      const keyColumn = dataset.columns.find((c) => c.name === dataset.rowKey[0]);
      errors.push([lines[r] ?? 0, keyColumn?.ja ?? '', 'DUPLICATE_ROW']);
    }
  });
  // The report lists a row's duplicate error before its cell errors; here a row has one or the other.
  return errors;
}

describe('the fast path and the full rules', () => {
  it.each(DATASET_NAMES.map((name) => [name]))(
    'give identical verdicts, errors and stored values for random %s rows',
    async (name) => {
      const dataset = getDataset(name);
      await fc.assert(
        fc.asyncProperty(fc.array(rowOf(dataset.columns), { minLength: 1, maxLength: 12 }), async (rows) => {
          // Prepare
          const { text, lines } = csvOf(dataset, rows);

          // Act
          const fast = await validate(dataset, text, true);
          const full = await validate(dataset, text, false);

          // Assess: the paths agree on everything, and with the TypeScript rules on every row error
          expect(fast).toEqual(full);
          if ('refused' in fast) {
            expect(fast.refused).toBe('MY_NUMBER_VALUE');
            expect(rows.some((r) => r.some(containsMyNumber))).toBe(true);
            return;
          }
          expect(rows.some((r) => r.some(containsMyNumber))).toBe(false);
          expect(fast.errors.map((e) => [e.line, e.column, e.code])).toEqual(
            expectedErrors(dataset, rows, lines),
          );
          expect(fast.rows.accepted).toBe(fast.rows.total - new Set(fast.errors.map((e) => e.line)).size);
        }),
        { numRuns: 12 },
      );
    },
    // Two DuckDB sessions per generated file; a loaded 2-core machine needs more than the unit default.
    300_000,
  );
});
