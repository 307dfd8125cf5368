import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MemoryObjectStore } from '../../../functions/adapters/memory/index.ts';
import { defaultSettings } from '../../../functions/domain/settings.ts';
import { statisticKeyColumns } from '../../../functions/domain/stats/catalog.ts';
import { publishRelease } from '../../../functions/domain/stats/publish.ts';
import { statisticKey } from '../../../functions/domain/stats/release.ts';
import { getStatistic } from '../../../functions/domain/stats/statistics.ts';
import {
  derivableSuppressedRows,
  publishedGroups,
  singleSuppressionGroups,
} from '../../unit/stats/disclosure-checker.ts';
import {
  company,
  companyMonth,
  employeeMonth,
  readParquetObject,
  storeAnonymisedRelease,
} from './fixtures.ts';
import { companies, dominanceShare, rowsInCell } from './naive.ts';

const statistics = [getStatistic('overtime_hours_monthly'), getStatistic('headcount_by_age_gender')];
const { minIndividuals, minCompanies, dominanceN, dominancePercent } = defaultSettings.disclosure;

const companyArb = fc.record({
  industry: fc.constantFrom('E', 'G'),
  prefecture: fc.constantFrom('13', '14', '27', null),
  sizeBand: fc.constantFrom('1-4', '20-49'),
  staff: fc.array(
    fc.record({
      overtime: fc.integer({ min: 0, max: 80 }),
      age: fc.constantFrom('20-24', '30-34', null),
      gender: fc.constantFrom('male', 'female'),
    }),
    { minLength: 1, maxLength: 9 },
  ),
});

describe('disclosure control over random anonymised releases (DuckDB)', () => {
  it('never publishes a cell below the thresholds and never leaves a suppressed value derivable', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(companyArb, { minLength: 1, maxLength: 14 }), async (specs) => {
        // Prepare
        run += 1;
        const releaseId = `prop-${run}`;
        const objects = new MemoryObjectStore({ versioning: 'disabled' });
        const made = specs.map((s) => ({ spec: s, c: company(s.industry, s.prefecture, s.sizeBand) }));
        const employees = made.flatMap(({ spec, c }) =>
          spec.staff.map((p) =>
            employeeMonth(c, '2026-10', { overtime_hours: p.overtime, age_band: p.age, gender: p.gender }),
          ),
        );
        await storeAnonymisedRelease(objects, releaseId, {
          employees,
          companies: made.map(({ c }) => companyMonth(c, '2026-10')),
        });
        // Act
        await publishRelease({ objects }, { releaseId, settings: defaultSettings, statistics });
        // Assess
        for (const stat of statistics) {
          const rows = await readParquetObject(objects, 'stats', statisticKey(releaseId, stat.name));
          for (const cell of rows.filter((r) => r.suppressed === false)) {
            const members = rowsInCell(cell, stat.dimensions, employees);
            expect(members.length).toBeGreaterThanOrEqual(minIndividuals);
            expect(companies(members)).toBeGreaterThanOrEqual(minCompanies);
            if (stat.dominanceOn) {
              const share = dominanceShare(members, (r) => r.overtime_hours as number, dominanceN);
              expect(share * 100).toBeLessThanOrEqual(dominancePercent);
            }
          }
          const groups = publishedGroups(statisticKeyColumns(stat), stat.dimensions, rows);
          expect(singleSuppressionGroups(groups)).toEqual([]);
          expect(derivableSuppressedRows(groups)).toEqual([]);
        }
      }),
      { numRuns: 12 },
    );
  });
});
