import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getDataset } from '../../../functions/domain/catalog/index.ts';
import type { ColumnDef, DatasetName } from '../../../functions/domain/catalog/schema.ts';
import { normaliseCell } from '../../../functions/domain/ingest/rules.ts';
import {
  checkedSelectSql,
  errorColumn,
  ident,
  ingestMacros,
  lit,
  sourceTableSql,
} from '../../../functions/domain/ingest/sql.ts';

const fullWidth = (s: string) =>
  [...s]
    .map((ch) => (ch >= '!' && ch <= '~' ? String.fromCodePoint(ch.codePointAt(0)! + 0xfee0) : ch))
    .join('');

const pad = (n: number) => String(n).padStart(2, '0');
const dateText = fc
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
const monthText = fc
  .tuple(
    fc.integer({ min: 1890, max: 2110 }),
    fc.integer({ min: 0, max: 13 }),
    fc.constantFrom('/', '-', '年', ''),
  )
  .map(([y, m, sep]) => (sep === '' ? `${y}${pad(m)}` : sep === '年' ? `${y}年${m}月` : `${y}${sep}${m}`));
const numberText = fc.oneof(
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
const codeText = fc.oneof(
  fc.stringMatching(/^[0-9A-Za-z-]{0,12}$/),
  fc.string({
    unit: fc.constantFrom('0', '1', 'A', '-', ' ', '　', 'ー', '=', '+', '@', '\t', '\n', '髙', ',', '"'),
  }),
  fc.stringMatching(/^[0-9]{1,40}$/),
);
const textText = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.string({ unit: 'grapheme', maxLength: 8 }),
  fc.constantFrom('=SUM(A1)', '-1', '  山田  ', '　', '①㈱髙'),
);

function cellText(column: ColumnDef): fc.Arbitrary<string> {
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

/** Cells in the forms the fast path takes (and a few just outside them), so both paths run. */
function canonicalText(column: ColumnDef): fc.Arbitrary<string> {
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
    case 'integer':
      return fc.integer({ min: 0, max: 20_000_000 }).map(String);
    case 'decimal':
      return fc.oneof(
        fc.integer({ min: 0, max: 30 }).map(String),
        fc.double({ min: 0, max: 30, noNaN: true }).map((n) => n.toFixed(3)),
      );
    case 'code':
      return fc.stringMatching(/^[0-9A-Za-z_./][0-9A-Za-z_./-]{0,40}$/);
    default:
      return cellText(column);
  }
}

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
async function runSql(datasetName: DatasetName, rows: (string | null)[][]) {
  const dataset = getDataset(datasetName);
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
  it.each(['attendance', 'employees', 'payroll', 'sales'] as const)(
    'agree on every cell of generated %s rows',
    async (datasetName) => {
      const dataset = getDataset(datasetName);
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
            const sql = await runSql(datasetName, cells);

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
