/**
 * Attack 5, found by an outsider review of a purge release: a company's factor is the same in every
 * month, so when published figures carry more precision than their noise (a ratio computed from
 * unrounded totals gives a total to a millionth; totals in whole yen against sales reported in
 * thousands), twelve months of differences between the release before a purge and the one after
 * leave one factor and pin the company's exact monthly headcount and sales. Real anonymisation and
 * publication on DuckDB; the attack (lattice.ts) reads only published cells and the manifest.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { defaultSettings } from '../../../functions/domain/settings.ts';
import { statisticKeyColumns, VARIABLES } from '../../../functions/domain/stats/catalog.ts';
import { type CraftedCompany, type CraftedMonth, craftedWorld, publishCrafted, SALES } from './crafted.ts';
import { latticeCandidates, pinsTruth } from './lattice.ts';
import { type Cell, covers, documentedCountBound, documentedNoise, download } from './outsider.ts';

const MONTHS = Array.from({ length: 12 }, (_, i) => `2025-${String(i + 1).padStart(2, '0')}`);
const TOKYO = { industry: 'E' as const, sizeBand: '20-49' as const, prefecture: '13' };
const PROFILE = { ...TOKYO, region: 'kanto' };
/** Sales reported in thousands of yen, as many SMEs report them. */
const THOUSAND = 1_000;

/** Twelve months of one company: headcount 30–45, sales 500–900 thousand yen per head. */
const yearArb = fc.array(
  fc.record({ headcount: fc.integer({ min: 30, max: 45 }), perHead: fc.integer({ min: 500, max: 900 }) }),
  { minLength: MONTHS.length, maxLength: MONTHS.length },
);
const year = (specs: ReadonlyArray<{ headcount: number; perHead: number }>): CraftedMonth[] =>
  specs.map((s, i) => ({
    period: MONTHS[i] as string,
    headcount: s.headcount,
    sales: s.headcount * s.perHead * THOUSAND,
  }));
const company = (tenantId: string, months: CraftedMonth[]): CraftedCompany => ({
  tenantId,
  profile: TOKYO,
  employees: Array.from({ length: 5 }, (_, i) => ({ id: `e${i}`, overtime: 10 })),
  months,
});
const num = (v: unknown) => (typeof v === 'bigint' ? Number(v) : (v as number));

/**
 * Per month, the first cell covering the company published in both releases, as what the outsider
 * reads from it: the total, and the headcount the ratio implies (sales total ÷ sales per employee).
 */
function monthlyDifferences(before: readonly Cell[], after: readonly Cell[]) {
  const keyColumns = statisticKeyColumns(SALES);
  const keyOf = (c: Cell) => keyColumns.map((k) => String(c[k])).join('|');
  const later = new Map(after.filter((c) => c.suppressed === false).map((c) => [keyOf(c), c]));
  const implied = (c: Cell) => num(c.sales_total) / num(c.sales_per_employee);
  return MONTHS.map((period) => {
    const pair = before
      .filter((c) => c.suppressed === false && c.period === period && covers(SALES, c, PROFILE))
      .map((c) => [c, later.get(keyOf(c))] as const)
      .find((p): p is readonly [Cell, Cell] => p[1] !== undefined);
    if (!pair) throw new Error(`no covering cell published in both releases for ${period}`);
    const [b, a] = pair;
    return { headcount: implied(b) - implied(a), sales: num(b.sales_total) - num(a.sales_total) };
  });
}

describe('attack 5: the lattice of one factor over twelve months', () => {
  it("pins neither a purged company's monthly headcount nor its sales", { timeout: 240_000 }, async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(yearArb, { minLength: 4, maxLength: 4 }),
        yearArb,
        fc.integer(),
        async (steadyYears, leaverYear, keySeed) => {
          // Prepare: a year of four steady companies and a fifth that is purged between two releases
          const world = craftedWorld(defaultSettings, { keySeed });
          const steady = steadyYears.map((y, i) => company(`steady-${i}`, year(y)));
          const leaver = company('leaver', year(leaverYear));
          await publishCrafted(world, 'lattice-before', [...steady, leaver], [SALES]);
          await publishCrafted(world, 'lattice-after', steady, [SALES]);

          // Act: the lattice over the twelve differences, at the precision the figures carry and at their noise unit
          const deltas = monthlyDifferences(
            await download(world.objects, 'lattice-before', SALES),
            await download(world.objects, 'lattice-after', SALES),
          );
          const noise = await documentedNoise(world.objects, 'lattice-before');
          const noiseMax =
            (await documentedCountBound(world.objects, 'lattice-before')) +
            (await documentedCountBound(world.objects, 'lattice-after'));
          const attack = (values: number[], granularity: number, noiseUnit: number, tolerance: number) =>
            latticeCandidates(values, {
              granularity,
              noiseUnit,
              noiseMax,
              factorMin: noise.companyFactorMin,
              factorMax: noise.companyFactorMax,
              tolerance,
              limit: 50,
            });
          const truth = year(leaverYear);

          // Assess: at a ten-thousandth of a person or one yen, and at the noise unit, nothing is pinned
          const pinned = (what: 'headcount' | 'sales', tolerance: number) => {
            const [granularity, noiseUnit] =
              what === 'headcount'
                ? [1, VARIABLES.employees.noiseUnit]
                : [THOUSAND, VARIABLES.sales_amount.noiseUnit];
            const candidates = attack(
              deltas.map((d) => d[what]),
              granularity,
              noiseUnit,
              tolerance,
            );
            return pinsTruth(
              candidates,
              truth.map((m) => m[what]),
              granularity,
            );
          };
          expect({
            headcountAtPrecision: pinned('headcount', 1e-4),
            headcountAtNoiseUnit: pinned('headcount', VARIABLES.employees.noiseUnit),
            salesAtPrecision: pinned('sales', 1),
            salesAtNoiseUnit: pinned('sales', VARIABLES.sales_amount.noiseUnit),
          }).toEqual({
            headcountAtPrecision: false,
            headcountAtNoiseUnit: false,
            salesAtPrecision: false,
            salesAtNoiseUnit: false,
          });
        },
      ),
      // No shrinking: each run publishes two releases of twelve months; the reported seed replays a failure.
      { numRuns: 3, endOnFailure: true },
    );
  });
});
