/**
 * Generated two-way tables with margins, the shape the release audit solves (feasibility.ts): shared
 * by the feasibility properties and the audit-worker tests.
 */
import fc from 'fast-check';
import type { LinearSystem, SparseRow } from '../../../functions/domain/stats/feasibility.ts';

/**
 * A two-way table with margins, the shape the audit solves: cells x[r][c], row totals, column totals
 * and a grand total, each cell either published (a narrow box around its value) or suppressed
 * (0 ≤ x < ∞). Equations: every row total = Σ its cells, every column total = Σ its cells, grand
 * total = Σ row totals.
 */
export function table(
  values: number[][],
  suppressed: boolean[][],
  noise: number,
): { system: LinearSystem; targets: number[] } {
  const rowsN = values.length;
  const colsN = values[0]?.length ?? 0;
  const lower: number[] = [];
  const upper: number[] = [];
  const targets: number[] = [];
  const variable = (value: number, hidden: boolean) => {
    const i = lower.length;
    lower.push(hidden ? 0 : Math.max(0, value - noise));
    upper.push(hidden ? Number.POSITIVE_INFINITY : value + noise);
    if (hidden) targets.push(i);
    return i;
  };
  const cell = values.map((row, r) => row.map((v, c) => variable(v, suppressed[r]?.[c] ?? false)));
  const rowTotal = values.map((row, r) =>
    variable(
      row.reduce((s, v) => s + v, 0),
      suppressed[r]?.[colsN] ?? false,
    ),
  );
  const colTotal = Array.from({ length: colsN }, (_, c) =>
    variable(
      values.reduce((s, row) => s + (row[c] ?? 0), 0),
      suppressed[rowsN]?.[c] ?? false,
    ),
  );
  const grand = variable(
    values.flat().reduce((s, v) => s + v, 0),
    false,
  );
  const rows: SparseRow[] = [];
  const sum = (total: number, members: number[]) =>
    rows.push({ indices: [total, ...members], values: [1, ...members.map(() => -1)] });
  for (let r = 0; r < rowsN; r++) sum(rowTotal[r] as number, cell[r] as number[]);
  for (let c = 0; c < colsN; c++)
    sum(
      colTotal[c] as number,
      cell.map((row) => row[c] as number),
    );
  sum(grand, rowTotal);
  return { system: { lower, upper, rows }, targets };
}

export const tables = (size: { min: number; max: number }, suppressedPercent: number) =>
  fc.record({ rows: fc.integer(size), cols: fc.integer(size) }).chain(({ rows, cols }) =>
    fc.record({
      values: fc.array(fc.array(fc.integer({ min: 0, max: 200 }), { minLength: cols, maxLength: cols }), {
        minLength: rows,
        maxLength: rows,
      }),
      suppressed: fc.array(
        fc.array(
          fc.integer({ min: 0, max: 99 }).map((n) => n < suppressedPercent),
          { minLength: cols + 1, maxLength: cols + 1 },
        ),
        {
          minLength: rows + 1,
          maxLength: rows + 1,
        },
      ),
      noise: fc.constantFrom(0, 0.5, 2),
      width: fc.integer({ min: 1, max: 80 }),
    }),
  );
