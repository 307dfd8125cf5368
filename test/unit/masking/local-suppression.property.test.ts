import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EMPLOYEE_QUASI_IDENTIFIERS } from '../../../functions/domain/masking/anonymised-schema.ts';
import { quoteLiteral } from '../../../functions/domain/masking/compile.ts';
import { plainQuery, withDuckDb } from '../../../functions/domain/masking/duckdb-engine.ts';
import {
  classColumns,
  createClassSizes,
  SUPPRESSION_ROUNDS,
  suppressLocally,
} from '../../../functions/domain/masking/k-anonymity.ts';

/**
 * Local suppression against a reference written here from the rule alone, row by row: each round
 * blanks its columns in the rows whose class (as the rounds before left it) is below k, then the
 * rows still below k are dropped. Small domains make classes collide, split and merge often.
 */
type Row = Record<string, string | number | null>;

const COLUMNS = ['company_code', ...EMPLOYEE_QUASI_IDENTIFIERS];

const pick = (values: ReadonlyArray<string | null>) => fc.constantFrom(...values);
const rowArbitrary = fc.record({
  company_code: pick(['c1', 'c2', 'c3']),
  industry: pick(['E', 'F']),
  prefecture: pick(['13', '14', null]),
  region: pick(['kanto']),
  size_band: pick(['1-9', '10-49']),
  period: pick(['2024-05', '2024-06']),
  age_band: pick(['20-24', '25-29', '30-34', null]),
  gender: pick(['male', 'female', null]),
  tenure_band: pick(['0-4', '5-9', null]),
  employment_type: pick(['regular', 'part_time', null]),
});

function reference(rows: readonly Row[], k: number, classes: readonly string[]) {
  const classOf = (row: Row) => JSON.stringify(classes.map((c) => row[c] ?? null));
  const sizes = (current: readonly Row[]) => {
    const counts = new Map<string, number>();
    for (const row of current) counts.set(classOf(row), (counts.get(classOf(row)) ?? 0) + 1);
    return counts;
  };
  let current = rows.map((row) => ({ ...row }));
  const suppressedCells: Record<string, number> = {};
  for (const round of SUPPRESSION_ROUNDS) {
    const counts = sizes(current);
    for (const column of round) suppressedCells[column] = 0;
    current = current.map((row) => {
      if ((counts.get(classOf(row)) ?? 0) >= k) return row;
      const blanked = { ...row };
      for (const column of round) {
        if (blanked[column] !== null) suppressedCells[column] = (suppressedCells[column] ?? 0) + 1;
        blanked[column] = null;
      }
      return blanked;
    });
  }
  const counts = sizes(current);
  return { suppressedCells, kept: current.filter((row) => (counts.get(classOf(row)) ?? 0) >= k) };
}

const canonical = (rows: readonly Row[]) =>
  rows.map((row) => JSON.stringify([...COLUMNS, 'rid'].map((c) => row[c] ?? null))).sort();

describe('local suppression', () => {
  it('blanks and drops exactly the rows the rule names, and counts the cells it blanked', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(rowArbitrary, { maxLength: 80 }),
        fc.integer({ min: 2, max: 5 }),
        fc.boolean(),
        async (generated, k, withinCompany) => {
          // Arrange
          const rows: Row[] = generated.map((row, rid) => ({ ...row, rid }));
          const classes = classColumns(withinCompany);

          // Act
          const { outcome, out } = await withDuckDb(async (db) => {
            await db.run(
              plainQuery(
                `CREATE TABLE gen (${COLUMNS.map((c) => `${c} VARCHAR`).join(', ')}, rid INTEGER)`,
                'test table',
              ),
            );
            if (rows.length > 0) {
              const values = rows.map(
                (row) =>
                  `(${[...COLUMNS.map((c) => (row[c] === null ? 'NULL' : quoteLiteral(String(row[c])))), String(row.rid)].join(', ')})`,
              );
              await db.run(plainQuery(`INSERT INTO gen VALUES ${values.join(', ')}`, 'test rows'));
            }
            await createClassSizes(db, 'gen', 'gen_classes', classes);
            const outcome = await suppressLocally(
              db,
              { from: 'gen', classSizes: 'gen_classes', to: 'anon' },
              k,
              classes,
            );
            const out = await db.run(
              plainQuery(`SELECT ${[...COLUMNS, 'rid'].join(', ')} FROM anon`, 'read'),
            );
            return { outcome, out: out.map((r) => ({ ...r, rid: Number(r.rid) }) as Row) };
          });

          // Assess
          const expected = reference(rows, k, classes);
          expect(canonical(out)).toEqual(canonical(expected.kept));
          expect(outcome.rowsOut).toBe(expected.kept.length);
          expect(outcome.suppressedCells).toEqual(expected.suppressedCells);
        },
      ),
      { numRuns: 60 },
    );
  });
});
