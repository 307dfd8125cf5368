import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PREFECTURES } from '../../../functions/domain/company.ts';
import {
  AGE_BANDS_5Y,
  AGE_BANDS_10Y,
  TENURE_BANDS,
} from '../../../functions/domain/masking/anonymised-schema.ts';
import { plainQuery, withDuckDb } from '../../../functions/domain/masking/duckdb-engine.ts';
import {
  ageBand,
  ageBandSql,
  completedYears,
  completedYearsSql,
  periodEnd,
  periodEndSql,
  prefectureOfPostalCode,
  tenureBand,
  tenureBandSql,
} from '../../../functions/domain/masking/generalise.ts';

describe('generalisation of quasi-identifiers', () => {
  it('publishes an age of 116 (the PPC example) only as the top band 70+', async () => {
    // Act
    const inTs = [ageBand(116, 5), ageBand(116, 10)];
    const inSql = await withDuckDb((db) =>
      db.run(plainQuery(`SELECT ${ageBandSql('116', 5)} AS five, ${ageBandSql('116', 10)} AS ten`, 'ppc')),
    );

    // Assess
    expect(inTs).toEqual(['70+', '70+']);
    expect(inSql[0]).toEqual({ five: '70+', ten: '70+' });
  });

  it('agrees in TypeScript and DuckDB SQL on every age and tenure, within the contract bands', async () => {
    // Prepare
    const ages = Array.from({ length: 131 }, (_, i) => i - 5);
    const values = ages.map((a) => `(${a})`).join(', ');

    // Act
    const rows = await withDuckDb((db) =>
      db.run(
        plainQuery(
          `SELECT v, ${ageBandSql('v', 5)} AS five, ${ageBandSql('v', 10)} AS ten, ${tenureBandSql('v')} AS tenure FROM (VALUES ${values}) t(v) ORDER BY v`,
          'bands',
        ),
      ),
    );

    // Assess
    expect(rows.map((r) => r.five)).toEqual(ages.map((a) => ageBand(a, 5)));
    expect(rows.map((r) => r.ten)).toEqual(ages.map((a) => ageBand(a, 10)));
    expect(rows.filter((r) => Number(r.v) >= 0).map((r) => r.tenure)).toEqual(
      ages.filter((a) => a >= 0).map((a) => tenureBand(a)),
    );
    for (const a of ages) {
      expect(AGE_BANDS_5Y).toContain(ageBand(a, 5));
      expect(AGE_BANDS_10Y).toContain(ageBand(a, 10));
      if (a >= 0) expect(TENURE_BANDS).toContain(tenureBand(a));
    }
  });

  it('counts completed years the same way in TypeScript and DuckDB, birthdays included', async () => {
    // Prepare
    const date = fc
      .tuple(
        fc.integer({ min: 1900, max: 2030 }),
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 1, max: 28 }),
      )
      .map(([y, m, d]) => `${y}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`);
    const period = fc
      .tuple(fc.integer({ min: 1990, max: 2030 }), fc.integer({ min: 1, max: 12 }))
      .map(([y, m]) => `${y}-${String(m).padStart(2, '0')}`);
    const cases = fc.sample(fc.tuple(date, period), { numRuns: 200, seed: 42 });
    const values = cases.map(([d, p]) => `(DATE '${d}', '${p}')`).join(', ');

    // Act
    const rows = await withDuckDb((db) =>
      db.run(
        plainQuery(
          `SELECT strftime(${periodEndSql('duckdb', 'p')}, '%Y-%m-%d') AS end_date, ${completedYearsSql('duckdb', 'd', periodEndSql('duckdb', 'p'))} AS years FROM (VALUES ${values}) t(d, p)`,
          'years',
        ),
      ),
    );

    // Assess
    expect(rows.map((r) => r.end_date)).toEqual(cases.map(([, p]) => periodEnd(p)));
    expect(rows.map((r) => Number(r.years))).toEqual(cases.map(([d, p]) => completedYears(d, periodEnd(p))));
  });

  it('maps postal codes to their prefecture and refuses malformed ones', () => {
    // Act
    const found = ['100-0001', '〒060-0001', '530-0001', '900-0001', '980-0001', '０１０－０００１'].map(
      prefectureOfPostalCode,
    );

    // Assess
    expect(found).toEqual(['13', '01', '27', '47', '04', '05']);
    expect(prefectureOfPostalCode('12345')).toBeUndefined();
    const every = Array.from({ length: 1000 }, (_, i) =>
      prefectureOfPostalCode(`${String(i).padStart(3, '0')}0000`),
    );
    for (const code of every) expect(PREFECTURES.map((p) => p.code)).toContain(code);
  });
});
