import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getDataset, withTimeFormat } from '../../../functions/domain/catalog/index.ts';
import type { DatasetDef, DatasetName, TimeFormat } from '../../../functions/domain/catalog/schema.ts';
import { normaliseCell } from '../../../functions/domain/ingest/rules.ts';
import { checkedSelectSql, sourceTableSql } from '../../../functions/domain/ingest/sql.ts';
import { errorColumn } from '../../../functions/domain/ingest/sql-column-rules.ts';
import { ingestMacros } from '../../../functions/domain/ingest/sql-macros.ts';
import { ident, lit } from '../../../functions/domain/ingest/sql-text.ts';
import { canonicalText, cellText } from './cells.ts';

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

/** Runs the compiled SQL over rows of raw cells (null = empty) and returns its values and errors. */
async function runSql(dataset: DatasetDef, rows: (string | null)[][]) {
  const names = dataset.columns.map((c) => c.name);
  const values = rows
    .map((row, i) => `(${i}, ${row.map((v) => (v === null ? 'NULL::VARCHAR' : lit(v))).join(', ')})`)
    .join(', ');
  await connection.run('DROP TABLE IF EXISTS src');
  const relation = `(SELECT * EXCLUDE (i) FROM (VALUES ${values}) AS t(i, ${names.map(ident).join(', ')}) ORDER BY i)`;
  await connection.run(sourceTableSql(dataset, new Set(names), relation));
  const reader = await connection.runAndReadAll(
    `SELECT * FROM (${checkedSelectSql(dataset, new Set(names), '2026-04')}) ORDER BY rec`,
  );
  return reader.getRowObjectsJS();
}

const plain = (value: unknown) =>
  typeof value === 'bigint'
    ? Number(value)
    : value instanceof Date
      ? value.toISOString().slice(0, 10)
      : (value ?? null);

describe('the SQL rules and the TypeScript rules', () => {
  it.each([
    ['attendance', 'decimal'],
    ['attendance', 'hours-minutes'],
    ['attendance', 'minutes'],
    ['employees', 'decimal'],
    ['payroll', 'decimal'],
    ['sales', 'decimal'],
  ] as ReadonlyArray<readonly [DatasetName, TimeFormat]>)(
    'agree on every cell of generated %s rows (hours as %s)',
    async (datasetName, timeFormat) => {
      const dataset = withTimeFormat(getDataset(datasetName), timeFormat);
      await fc.assert(
        fc.asyncProperty(
          fc.array(
            fc.oneof(
              fc.tuple(...dataset.columns.map(cellText)),
              fc.tuple(...dataset.columns.map(canonicalText)),
            ),
            { minLength: 1, maxLength: 25 },
          ),
          async (rows) => {
            // Prepare: empty cells arrive from the CSV reader as NULL
            const cells = rows.map((row) => row.map((v) => (v === '' ? null : v)));

            // Act
            const sql = await runSql(dataset, cells);

            // Assess
            sql.forEach((row, r) => {
              dataset.columns.forEach((column, c) => {
                const expected = normaliseCell(column, cells[r]?.[c] ?? null);
                const actual = {
                  value: plain(row[column.name]),
                  error: row[errorColumn(column)] ?? undefined,
                };
                expect({ column: column.name, raw: cells[r]?.[c], ...actual }).toEqual({
                  column: column.name,
                  raw: cells[r]?.[c],
                  value: expected.value,
                  error: expected.error,
                });
              });
            });
          },
        ),
        { numRuns: 40 },
      );
    },
    // DuckDB runs each generated batch; a loaded machine needs more than the unit default.
    60_000,
  );
});
