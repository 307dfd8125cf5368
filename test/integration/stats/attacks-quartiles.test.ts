/**
 * Attack 6, found by a second outsider review (2026-12-06): a quartile taken at a whole position is
 * one person's value times a factor. When that factor is the company's, fixed in every cell, month and
 * release, and pay sits on a grid (here 1,000 yen), each published quartile q allows only the factors
 * (q ± ½ yen) / b for grid values b; the company's factor is where many quartiles agree, and dividing
 * its quartiles by it gives its employees' exact pay. The review pinned 6 of 24 demo companies' factors
 * to 1e-7 and 64 % of the candidate pays were a real employee's exact base pay.
 *
 * The outsider below reads only published cells; the truth (each company's factor, from its key) is
 * used only to assess what the attack found.
 */
import { describe, expect, it } from 'vitest';
import { MemoryObjectStore } from '../../../functions/adapters/memory/index.ts';
import type { AnonEmployeeMonth } from '../../../functions/domain/masking/anonymised-schema.ts';
import { defaultSettings } from '../../../functions/domain/settings.ts';
import { companyFactor } from '../../../functions/domain/stats/perturbation.ts';
import { publishRelease } from '../../../functions/domain/stats/publish.ts';
import { getStatistic } from '../../../functions/domain/stats/statistics.ts';
import { company, employeeMonth, fixtureKey, storeAnonymisedRelease } from './fixtures.ts';
import { download } from './outsider.ts';

const STAT = getStatistic('base_pay_by_age');
const GRID = 1_000;
const MONTHS = Array.from({ length: 12 }, (_, i) => `2025-${String(i + 1).padStart(2, '0')}`);
const AGES = ['20-24', '25-29', '30-34', '35-39', '40-44'] as const;

/** A deterministic pseudo-random integer in [0, n) from a label. */
const pick = (label: string, n: number) => fixtureKey(label) % n;

/**
 * The outsider's sweep: every published quartile q and every grid value b within the documented factor
 * range give an interval of factors; the points most intervals share, best first (at most `top`).
 */
function factorPeaks(quartiles: readonly number[], factorMax: number, top: number) {
  const events: Array<[number, number]> = [];
  for (const q of quartiles) {
    for (let b = Math.ceil(q / (1 + factorMax) / GRID) * GRID; b <= q / (1 - factorMax); b += GRID) {
      events.push([(q - 0.5) / b, 1], [(q + 0.5) / b, -1]);
    }
  }
  events.sort((a, b) => a[0] - b[0] || b[1] - a[1]);
  const peaks: Array<{ factor: number; agree: number }> = [];
  let open = 0;
  for (const [at, step] of events) {
    open += step;
    if (step === 1) peaks.push({ factor: at, agree: open });
  }
  peaks.sort((a, b) => b.agree - a.agree);
  const distinct: typeof peaks = [];
  for (const p of peaks) {
    if (distinct.every((d) => Math.abs(d.factor - p.factor) > 1e-4)) distinct.push(p);
    if (distinct.length === top) break;
  }
  return distinct;
}

describe('attack 6: the factor behind quartiles', () => {
  it("pins no company's factor (and so no employee's pay) from a year of base-pay quartiles", async () => {
    // Prepare: 24 companies of 40 people, pay on a 1,000-yen grid with a small monthly allowance
    const companies = Array.from({ length: 24 }, (_, i) =>
      company(
        ['E', 'I', 'P'][i % 3] as string,
        ['13', '14', '27', '28'][i % 4] as string,
        i % 2 ? '20-49' : '50-99',
      ),
    );
    const employees: AnonEmployeeMonth[] = [];
    for (const c of companies) {
      for (let p = 0; p < 40; p++) {
        const person = `${c.code}-${p}`;
        const base = 180_000 + GRID * pick(`base-${person}`, 140);
        const age = AGES[pick(`age-${person}`, AGES.length)];
        for (const month of MONTHS) {
          const pay = base + GRID * pick(`allowance-${person}-${month}`, 6);
          employees.push({
            ...employeeMonth(c, month, { age_band: age, base_pay: pay, gross_pay: pay + 50_000 }),
            record_key: fixtureKey(`person-${person}`),
          });
        }
      }
    }
    const objects = new MemoryObjectStore({ versioning: 'disabled' });
    await storeAnonymisedRelease(objects, 'quartiles', { employees, companies: [] });
    await publishRelease(
      { objects },
      { releaseId: 'quartiles', settings: defaultSettings, statistics: [STAT] },
    );

    // Act: the outsider sweeps every distinct published base-pay quartile
    const cells = await download(objects, 'quartiles', STAT);
    const quartiles = [
      ...new Set(
        cells.flatMap((c) =>
          ['base_pay_p25', 'base_pay_median', 'base_pay_p75'].flatMap((k) =>
            typeof c[k] === 'number' ? [c[k] as number] : [],
          ),
        ),
      ),
    ];
    const { companyFactorMax } = defaultSettings.disclosure.perturbation;
    const peaks = factorPeaks(quartiles, companyFactorMax, 3);

    // Assess: quartiles were published, and none of the best-supported factors is a company's true factor
    expect(quartiles.length).toBeGreaterThan(100);
    const truths = companies.map((c) =>
      companyFactor(fixtureKey(c.code), defaultSettings.disclosure, 'base_pay'),
    );
    const pinned = peaks.filter((p) => truths.some((t) => Math.abs(t - p.factor) < 1e-5));
    expect(pinned).toEqual([]);
  }, 240_000);
});
