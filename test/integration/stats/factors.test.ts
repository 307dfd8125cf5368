/**
 * A company's factor for one measure must say nothing about its factor for another. With one factor
 * for every measure, an outsider who learns one figure of a company from elsewhere (its sales, from a
 * credit bureau) divides it out of a published difference and reads the company's other figures
 * (overtime) to within the table's noise: the outsider review of 2026-12-06 did exactly that across a
 * purge. Measured here on the SQL both engines run (DuckDB), over many company keys.
 */
import { DuckDBInstance } from '@duckdb/node-api';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { defaultSettings } from '../../../functions/domain/settings.ts';
import {
  companyFactor,
  companyFactorSql,
  KEY_MODULUS,
} from '../../../functions/domain/stats/perturbation.ts';

const disclosure = defaultSettings.disclosure;

async function factorsOf(keys: readonly number[], measures: readonly string[]): Promise<number[][]> {
  const instance = await DuckDBInstance.create(':memory:');
  const db = await instance.connect();
  try {
    const reader = await db.runAndReadAll(
      `SELECT ${measures.map((m, i) => `${companyFactorSql('company_key', disclosure, m)} AS f${i}`).join(', ')}
       FROM (SELECT unnest([${keys.join(', ')}]::BIGINT[]) AS company_key, generate_subscripts([${keys.join(', ')}]::BIGINT[], 1) AS i) ORDER BY i`,
    );
    return reader.getRowsJS().map((row) => row.map(Number));
  } finally {
    db.closeSync();
    instance.closeSync();
  }
}

/** Company keys are HMAC outputs, uniform over 32 bits: no bias towards small or extreme values. */
const uniformKey = fc.noBias(fc.integer({ min: 0, max: KEY_MODULUS - 1 }));
const companyKeys = fc.array(uniformKey, {
  minLength: 2000,
  maxLength: 2000,
});

describe('company factors per measure (perturbation.ts)', () => {
  it("a company's sales factor does not carry over to its overtime or its headcount", async () => {
    const [keys] = fc.sample(companyKeys, { numRuns: 1 });
    const rows = await factorsOf(keys ?? [], ['sales_amount', 'overtime_hours', 'count']);
    const share = (a: number, b: number) =>
      rows.filter((r) => Math.abs((r[a] as number) / (r[b] as number) - 1) <= 0.01).length / rows.length;
    const correlation = (a: number, b: number) => {
      const xs = rows.map((r) => r[a] as number);
      const ys = rows.map((r) => r[b] as number);
      const mean = (v: number[]) => v.reduce((s, x) => s + x, 0) / v.length;
      const [mx, my] = [mean(xs), mean(ys)];
      const cov = mean(xs.map((x, i) => (x - mx) * ((ys[i] as number) - my)));
      const sd = (v: number[], m: number) => Math.sqrt(mean(v.map((x) => (x - m) ** 2)));
      return cov / (sd(xs, mx) * sd(ys, my));
    };
    // Independent factors (|δ| uniform in [0.1, 0.2], random sign) agree within 1 % for about 10 % of
    // companies by chance; one shared factor agrees for all of them.
    for (const [a, b] of [
      [0, 1],
      [0, 2],
      [1, 2],
    ] as const) {
      expect(share(a, b)).toBeLessThan(0.2);
      expect(Math.abs(correlation(a, b))).toBeLessThan(0.1);
    }
  });

  it('the SQL and the reference implementation give every company the same factor per measure', async () => {
    const [keys] = fc.sample(
      fc.array(fc.integer({ min: 0, max: KEY_MODULUS - 1 }), { minLength: 200, maxLength: 200 }),
      {
        numRuns: 1,
      },
    );
    const measures = ['sales_amount', 'overtime_hours', 'count'];
    const rows = await factorsOf(keys ?? [], measures);
    for (const [i, key] of (keys ?? []).entries()) {
      for (const [j, m] of measures.entries()) {
        expect(rows[i]?.[j]).toBeCloseTo(companyFactor(key, disclosure, m), 12);
      }
    }
    // Every factor stays within the documented range.
    const { companyFactorMin: low, companyFactorMax: high } = disclosure.perturbation;
    for (const f of rows.flat()) {
      expect(Math.abs(f - 1)).toBeGreaterThanOrEqual(low - 1e-12);
      expect(Math.abs(f - 1)).toBeLessThanOrEqual(high + 1e-12);
    }
  });
});
