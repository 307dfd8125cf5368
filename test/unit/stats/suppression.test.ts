import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { regionOf } from '../../../functions/domain/company.ts';
import { statisticKeyColumns, TOTAL } from '../../../functions/domain/stats/catalog.ts';
import { getStatistic } from '../../../functions/domain/stats/statistics.ts';
import {
  type CellIndexEntry,
  DeterminedTerms,
  determinedCells,
  linkedSecondarySuppression,
  marginGroups,
  secondarySuppression,
} from '../../../functions/domain/stats/suppression.ts';
import {
  derivableSuppressedRows,
  publishedGroups,
  type Row,
  singleSuppressionGroups,
} from './disclosure-checker.ts';

const overtime = getStatistic('overtime_hours_monthly');
const keyColumns = statisticKeyColumns(overtime);

interface Finest {
  readonly industry: string;
  readonly size_band: string;
  readonly prefecture: string;
  readonly rows: number;
}

/** Every cell of the overtime statistic's cube (finest cells and all margins) from finest cell sizes. */
function cube(
  finest: readonly Finest[],
  isPrimary: (cell: { keys: Record<string, string>; nRows: number }) => boolean,
) {
  const cells = new Map<string, { keys: Record<string, string>; nRows: number }>();
  for (const f of finest) {
    const region = regionOf(f.prefecture) ?? 'kanto';
    for (const industry of [f.industry, TOTAL]) {
      for (const size_band of [f.size_band, TOTAL]) {
        for (const [geo_level, prefecture, reg] of [
          ['prefecture', f.prefecture, region],
          ['region', TOTAL, region],
          ['national', TOTAL, TOTAL],
        ] as const) {
          const keys = { period: '2026-10', industry, size_band, geo_level, prefecture, region: reg };
          const key = keyColumns.map((c) => keys[c as keyof typeof keys]).join('|');
          const cell = cells.get(key) ?? { keys, nRows: 0 };
          cell.nRows += f.rows;
          cells.set(key, cell);
        }
      }
    }
  }
  return [...cells.entries()].map(
    ([cellKey, c]): CellIndexEntry => ({
      cellKey,
      keys: c.keys,
      nRows: c.nRows,
      primaryReason: isPrimary(c) ? 'primary' : null,
    }),
  );
}

function published(cells: readonly CellIndexEntry[], secondary: readonly string[]): Row[] {
  const extra = new Set(secondary);
  return cells.map((c) => ({
    ...c.keys,
    suppressed: c.primaryReason !== null || extra.has(c.cellKey),
    n: c.nRows,
  }));
}

const belowTen = (c: { nRows: number }) => c.nRows < 10;

describe('secondarySuppression', () => {
  it('suppresses a second cell when a margin would reveal a single suppressed cell', () => {
    // Prepare: one prefecture cell of 9 beside one of 40 in the same region and industry.
    const cells = cube(
      [
        { industry: 'E', size_band: '20-49', prefecture: '13', rows: 40 },
        { industry: 'E', size_band: '20-49', prefecture: '14', rows: 9 },
      ],
      belowTen,
    );
    // Act
    const secondary = secondarySuppression(overtime, cells);
    // Assess: Tokyo is sacrificed, since Kanto − Tokyo would give Kanagawa.
    const rows = published(cells, secondary);
    const tokyo = rows.find((r) => r.prefecture === '13' && r.industry === 'E' && r.size_band === '20-49');
    expect(tokyo?.suppressed).toBe(true);
    expect(singleSuppressionGroups(publishedGroups(keyColumns, overtime.dimensions, rows))).toEqual([]);
    expect(derivableSuppressedRows(publishedGroups(keyColumns, overtime.dimensions, rows))).toEqual([]);
  });

  it('suppresses the total when its only member is suppressed', () => {
    // Prepare: a single finest cell: every margin equals it.
    const cells = cube([{ industry: 'E', size_band: '20-49', prefecture: '13', rows: 5 }], belowTen);
    // Act
    const secondary = secondarySuppression(overtime, cells);
    // Assess
    expect(published(cells, secondary).every((r) => r.suppressed)).toBe(true);
  });

  it('publishes everything when nothing is below the thresholds', () => {
    const cells = cube(
      [
        { industry: 'E', size_band: '20-49', prefecture: '13', rows: 40 },
        { industry: 'G', size_band: '20-49', prefecture: '14', rows: 12 },
      ],
      belowTen,
    );
    expect(secondarySuppression(overtime, cells)).toEqual([]);
  });

  it('protects a cell that bridges two protected patterns, which counting per group alone misses', () => {
    // Prepare: a plain two-way table with row and column totals (no grand total), where each row and
    // column has 0 or 2+ suppressed cells, yet x13 is a bridge: Σ rows 1–2 − Σ cols 1–2 gives it.
    const terms: Record<string, string[]> = {
      R1: ['x11', 'x12', 'x13'],
      R2: ['x21', 'x22'],
      R3: ['x33', 'x34'],
      R4: ['x43', 'x44'],
      C1: ['x11', 'x21'],
      C2: ['x12', 'x22'],
      C3: ['x13', 'x33', 'x43'],
      C4: ['x34', 'x44'],
    };
    const groups = Object.entries(terms).map(([total, members]) => ({ id: total, total, members }));
    const suppressed = new Set(['x11', 'x12', 'x21', 'x22', 'x33', 'x34', 'x43', 'x44', 'x13']);
    // Act
    const determined = determinedCells(groups, suppressed);
    // Assess
    expect(determined).toEqual(['x13']);
  });

  it('finds no determined cell in a 2×2 suppression rectangle', () => {
    const groups = [
      { id: 'R1', total: 'R1', members: ['a', 'b', 'c'] },
      { id: 'R2', total: 'R2', members: ['d', 'e', 'f'] },
      { id: 'C1', total: 'C1', members: ['a', 'd'] },
      { id: 'C2', total: 'C2', members: ['b', 'e'] },
    ];
    expect(determinedCells(groups, new Set(['a', 'b', 'd', 'e']))).toEqual([]);
  });

  it('knows after every suppression which terms the equations determine, as a fresh dense solve does (property)', () => {
    // Groups over a few terms, overlapping as margins do (a term in several groups, totals that are
    // members elsewhere); terms suppressed one at a time in a random order, asked after each.
    const term = fc.integer({ min: 0, max: 11 }).map((i) => `t${i}`);
    const groupArb = fc.record({
      total: term,
      members: fc.uniqueArray(term, { minLength: 1, maxLength: 5 }),
    });
    fc.assert(
      fc.property(
        fc.array(groupArb, { minLength: 1, maxLength: 10 }),
        fc.shuffledSubarray(
          Array.from({ length: 12 }, (_, i) => `t${i}`),
          { minLength: 1 },
        ),
        (drawn, order) => {
          const groups = drawn.map((g, i) => ({ id: `g${i}`, total: g.total, members: g.members }));
          const terms = new DeterminedTerms(groups);
          const suppressed = new Set<string>();
          for (const key of order) {
            terms.add(key);
            suppressed.add(key);
            const rowOf = new Map(
              [...new Set(groups.flatMap((g) => [g.total, ...g.members]))].map((k) => [
                k,
                { key: k, suppressed: suppressed.has(k) },
              ]),
            );
            const dense = derivableSuppressedRows(
              groups.map((g) => ({
                total: rowOf.get(g.total) as Row,
                members: g.members.map((m) => rowOf.get(m) as Row),
              })),
            )
              .map((r) => String(r.key))
              .sort();
            expect(terms.determined()).toEqual(dense);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('builds no margin groups for a statistic without margins', () => {
    const stat = getStatistic('base_pay_by_age');
    expect(marginGroups(stat, [])).toEqual([]);
  });

  it('never leaves a suppressed cell derivable and never publishes a cell below threshold (property)', () => {
    const finestArb = fc.uniqueArray(
      fc.record({
        industry: fc.constantFrom('E', 'G', 'I'),
        size_band: fc.constantFrom('1-4', '20-49', '100-299'),
        prefecture: fc.constantFrom('13', '14', '11', '27', '26'),
        rows: fc.integer({ min: 1, max: 40 }),
      }),
      { minLength: 1, maxLength: 25, selector: (f) => `${f.industry}|${f.size_band}|${f.prefecture}` },
    );
    fc.assert(
      fc.property(finestArb, fc.integer({ min: 2, max: 25 }), (finest, threshold) => {
        // Prepare
        const cells = cube(finest, (c) => c.nRows < threshold);
        // Act
        const secondary = secondarySuppression(overtime, cells);
        // Assess
        const rows = published(cells, secondary);
        const groups = publishedGroups(keyColumns, overtime.dimensions, rows);
        expect(rows.filter((r) => !r.suppressed && (r.n as number) < threshold)).toEqual([]);
        expect(singleSuppressionGroups(groups)).toEqual([]);
        expect(derivableSuppressedRows(groups)).toEqual([]);
      }),
      { numRuns: 150 },
    );
  });

  it('suppresses the same cells whatever order the cells arrive in (the engine returns them unordered)', () => {
    // A release is reproducible: DuckDB and Athena return the cell index in no particular order, and the
    // published pattern must not depend on it (tie-breaks by key, never by arrival).
    const finestArb = fc.uniqueArray(
      fc.record({
        industry: fc.constantFrom('E', 'G', 'I'),
        size_band: fc.constantFrom('1-4', '20-49', '100-299'),
        prefecture: fc.constantFrom('13', '14', '11', '27', '26'),
        rows: fc.integer({ min: 1, max: 12 }),
      }),
      { minLength: 4, maxLength: 25, selector: (f) => `${f.industry}|${f.size_band}|${f.prefecture}` },
    );
    fc.assert(
      fc.property(finestArb, fc.integer({ min: 2, max: 25 }), fc.integer(), (finest, threshold, seed) => {
        const cells = cube(finest, (c) => c.nRows < threshold);
        const shuffled = fc.sample(fc.shuffledSubarray(cells, { minLength: cells.length }), {
          numRuns: 1,
          seed,
        })[0];
        expect(secondarySuppression(overtime, shuffled ?? [])).toEqual(secondarySuppression(overtime, cells));
      }),
      { numRuns: 200 },
    );
  });
});

describe('linkedSecondarySuppression', () => {
  const headcount = getStatistic('headcount_by_age_gender');
  const turnover = getStatistic('turnover_rate_monthly');
  const ALL_COLUMNS = [
    'period',
    'industry',
    'size_band',
    'age_band',
    'gender',
    'tenure_band',
    'employment_type',
    'geo_level',
    'prefecture',
    'region',
  ];

  interface Person {
    readonly industry: string;
    readonly size_band: string;
    readonly age_band: string;
    readonly gender: string;
    readonly region: string;
  }

  /** Cell index of a region-level statistic from people (every grouping set), built naively. */
  function cellsOf(stat: typeof headcount, people: readonly Person[], threshold: number): CellIndexEntry[] {
    const counts = new Map<string, { keys: Record<string, string>; n: number }>();
    const subsets: string[][] = [[]];
    for (const d of stat.dimensions) for (const s of [...subsets]) subsets.push([...s, d]);
    for (const p of people) {
      for (const kept of subsets) {
        for (const level of ['region', 'national']) {
          const keys: Record<string, string> = {
            period: '2026-10',
            geo_level: level,
            region: level === 'region' ? p.region : TOTAL,
          };
          for (const d of stat.dimensions)
            keys[d] = kept.includes(d) ? (p[d as keyof Person] as string) : TOTAL;
          const key = statisticKeyColumns(stat)
            .map((c) => keys[c])
            .join('|');
          const entry = counts.get(key) ?? { keys, n: 0 };
          entry.n += 1;
          counts.set(key, entry);
        }
      }
    }
    return [...counts.entries()].map(([cellKey, e]) => ({
      cellKey,
      keys: e.keys,
      nRows: e.n,
      primaryReason: e.n < threshold ? 'min_individuals' : null,
    }));
  }

  const personArb = fc.record({
    industry: fc.constantFrom('E', 'G'),
    size_band: fc.constantFrom('1-4', '20-49', '100-299'),
    age_band: fc.constantFrom('20-24', '30-34', '40-44'),
    gender: fc.constantFrom('male', 'female'),
    region: fc.constantFrom('kanto', 'kinki'),
  });

  it('suppresses linked tables together so that no table helps derive a value suppressed in another (property)', () => {
    fc.assert(
      fc.property(
        fc.array(personArb, { minLength: 1, maxLength: 80 }),
        fc.integer({ min: 2, max: 12 }),
        (people, threshold) => {
          // Prepare: the same people counted by two statistics of the same population.
          const tables = [headcount, turnover].map((stat) => ({
            stat,
            cells: cellsOf(stat, people, threshold),
          }));
          // Act
          const secondary = linkedSecondarySuppression(tables);
          // Assess: one row object per canonical cell, shared by both tables.
          const canonical = new Map<string, Record<string, unknown>>();
          const groups = tables.flatMap(({ stat, cells }) => {
            const extra = new Set(secondary.get(stat.name));
            const rows = cells.map((c) => {
              const full: Record<string, unknown> = Object.fromEntries(
                ALL_COLUMNS.map((col) => [col, c.keys[col] ?? TOTAL]),
              );
              const key = ALL_COLUMNS.map((col) => full[col]).join('|');
              const suppressed = c.primaryReason !== null || extra.has(c.cellKey);
              const shared = canonical.get(key);
              if (shared) {
                expect(shared.suppressed, `linked cell ${key}`).toBe(suppressed);
                return shared;
              }
              const row = { ...full, suppressed };
              canonical.set(key, row);
              return row;
            });
            return publishedGroups(statisticKeyColumns(stat), stat.dimensions, rows);
          });
          expect(singleSuppressionGroups(groups)).toEqual([]);
          expect(derivableSuppressedRows(groups)).toEqual([]);
        },
      ),
      { numRuns: 60 },
    );
  });
});
