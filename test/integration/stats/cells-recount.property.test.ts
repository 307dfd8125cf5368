import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MemoryObjectStore } from '../../../functions/adapters/memory/index.ts';
import { defaultSettings } from '../../../functions/domain/settings.ts';
import { compileCellsQuery } from '../../../functions/domain/stats/sql-cells.ts';
import { getStatistic } from '../../../functions/domain/stats/statistics.ts';
import {
  company,
  companyMonth,
  employeeMonth,
  storeAnonymisedRelease,
  withAnonymisedParquet,
} from './fixtures.ts';
import { companies, dominanceShare, type Row, rowsInCell } from './naive.ts';

const PERIODS = ['2026-09', '2026-10'];
const STATISTICS = [
  'overtime_hours_monthly',
  'base_pay_by_age',
  'paid_leave_days_yearly',
  'sales_per_employee_monthly',
].map(getStatistic);
const { disclosure } = defaultSettings;

const person = fc.record({
  age_band: fc.constantFrom('20-24', '30-34', '40-44'),
  overtime_hours: fc.integer({ min: 0, max: 80 }),
  base_pay: fc.integer({ min: 150, max: 600 }).map((k) => k * 1000),
});
const companyArb = fc.record({
  industry: fc.constantFrom('E', 'G'),
  // Tokyo and Chiba share a region (Kanto); Osaka is another.
  prefecture: fc.constantFrom('13', '12', '27'),
  sizeBand: fc.constantFrom('1-4', '20-49'),
  // Small companies and large ones: a large one can hold most of a margin's rows, split over cells.
  staff: fc.oneof(
    fc.array(person, { minLength: 1, maxLength: 6 }),
    fc.array(person, { minLength: 25, maxLength: 45 }),
  ),
  sales: fc.integer({ min: 1, max: 500 }).map((m) => m * 1_000_000),
  // How many of its people were already there in the first month (a yearly cell counts at least
  // its largest month's people).
  stayed: fc.nat(),
});

describe('cells query against a row-by-row recount', () => {
  it('gives every cell the rows, companies, dominance share and quantile verdict of a recount of its rows (property)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(companyArb, { minLength: 3, maxLength: 8 }), async (drawn) => {
        // Prepare: the companies' rows, stored as a release and read back as Parquet
        const specs = drawn.map((d) => ({ d, c: company(d.industry, d.prefecture, d.sizeBand) }));
        const employees = specs.flatMap(({ d, c }) => [
          ...d.staff
            .slice(0, d.stayed % (d.staff.length + 1))
            .map((s) => employeeMonth(c, PERIODS[0] as string, s)),
          ...d.staff.map((s) => employeeMonth(c, PERIODS[1] as string, s)),
        ]);
        const companyRows = specs.flatMap(({ d, c }) =>
          PERIODS.map((period) =>
            companyMonth(c, period, { sales_amount: d.sales, employees: d.staff.length }),
          ),
        );
        const objects = new MemoryObjectStore({ versioning: 'disabled' });
        await storeAnonymisedRelease(objects, 'r-recount', { employees, companies: companyRows });
        await withAnonymisedParquet(objects, 'r-recount', async (runner, refs) => {
          for (const stat of STATISTICS) {
            // Act
            const cells = await runner.run(
              compileCellsQuery(stat, {
                dialect: 'duckdb',
                sourceRef: refs[stat.source] as string,
                releaseId: 'r-recount',
                disclosure,
              }),
            );
            // Assess
            const rows: readonly Row[] = stat.source === 'anon_employee_month' ? employees : companyRows;
            // A yearly cell's rows are its year's months (rowsInCell matches the period as written).
            const source =
              stat.period === 'month'
                ? rows
                : rows.map((r) => ({ ...r, month: r.period, period: String(r.period).slice(0, 4) }));
            expect(cells.length, stat.name).toBeGreaterThan(0);
            for (const cell of cells) expectRecount(stat, cell, rowsInCell(cell, stat.dimensions, source));
          }
        });
      }),
      { numRuns: 25 },
    );
  });
});

/** One cell's disclosure inputs, as the recount of its rows gives them. */
function expectRecount(stat: (typeof STATISTICS)[number], cell: Row, rows: readonly Row[]): void {
  const label = `${stat.name} ${String(cell.cell_key)}`;
  expect([cell.n_rows, cell.n_companies], label).toEqual([rows.length, companies(rows)]);
  if (stat.unit === 'individual' && stat.period !== 'month') {
    const monthly = new Map<unknown, number>();
    for (const r of rows) monthly.set(r.month, (monthly.get(r.month) ?? 0) + 1);
    expect(cell.n_individuals, label).toBe(Math.max(...monthly.values()));
  }
  const dominanceOn = stat.dominanceOn;
  if (dominanceOn) {
    const share = dominanceShare(rows, (r) => Number(r[dominanceOn]), disclosure.dominanceN);
    expect(Number(cell.dominance_share ?? 0), label).toBeCloseTo(share, 9);
  }
  const quantiles = stat.measures.filter((m) => m.kind === 'quantile');
  if (quantiles.length === 0 || stat.unit === 'company') return;
  const perCompany = new Map<unknown, number>();
  for (const r of rows) perCompany.set(r.company_code, (perCompany.get(r.company_code) ?? 0) + 1);
  const allowed =
    rows.length >= disclosure.quantiles.minIndividuals &&
    Math.max(...perCompany.values()) <= disclosure.quantiles.maxCompanyShare * rows.length &&
    companies(rows) >= disclosure.minCompanies;
  for (const q of quantiles) expect(cell[q.column] !== null, `${label} ${q.column}`).toBe(allowed);
}
