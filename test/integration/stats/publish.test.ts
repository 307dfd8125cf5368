import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import * as z from 'zod';
import { MemoryObjectStore } from '../../../functions/adapters/memory/index.ts';
import type {
  AnonCompanyMonth,
  AnonEmployeeMonth,
} from '../../../functions/domain/masking/anonymised-schema.ts';
import { defaultSettings } from '../../../functions/domain/settings.ts';
import { auditCellsKey } from '../../../functions/domain/stats/audit.ts';
import { additiveMeasures, truthSchema } from '../../../functions/domain/stats/audit-model.ts';
import { statisticColumns, statisticKeyColumns } from '../../../functions/domain/stats/catalog.ts';
import { withStatsDuckDb } from '../../../functions/domain/stats/duckdb-runner.ts';
import { KEY_MODULUS } from '../../../functions/domain/stats/perturbation.ts';
import { publishRelease } from '../../../functions/domain/stats/publish.ts';
import {
  manifestKey,
  noticeJsonKey,
  noticeMarkdownKey,
  type ReleaseManifest,
  statisticKey,
  suppressionKey,
} from '../../../functions/domain/stats/release.ts';
import { getStatistic, STATISTICS } from '../../../functions/domain/stats/statistics.ts';
import { duckdbViews } from '../../../functions/domain/stats/views.ts';
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
import { companies, dominanceShare, perturbed, quantileType7, type Row, rowsInCell, sum } from './naive.ts';

const RELEASE = '2026-10-adversarial';
const PERIOD = '2026-10';
const { minIndividuals, minCompanies, dominanceN, dominancePercent } = defaultSettings.disclosure;

/** `count` employees of a company, with overtime hours from `hours(i)`. */
const staff = (c: ReturnType<typeof company>, count: number, hours: (i: number) => number) =>
  Array.from({ length: count }, (_, i) =>
    employeeMonth(c, PERIOD, {
      overtime_hours: hours(i),
      base_pay: 250_000 + 10_000 * i,
      age_band: i % 2 ? '30-34' : '40-44',
      gender: i % 3 ? 'female' : 'male',
      separated: i === 0,
    }),
  );

// Adversarial fixture (all companies of size 20-49, period 2026-10):
const tokyo = [company('E', '13'), company('E', '13'), company('E', '13'), company('E', '13')]; // 20 people: publishable
const nine = [company('E', '14'), company('E', '14'), company('E', '14')]; // 9 people
const twoCompanies = [company('E', '11'), company('E', '11')]; // 12 people, 2 companies
const dominated = [company('E', '12'), company('E', '12'), company('E', '12')]; // one company does 90% of the overtime
const marginCase = {
  osaka: [1, 2, 3, 4].map(() => company('D', '27')),
  kyoto: [1, 2, 3].map(() => company('D', '26')),
};
const hokkaido = [1, 2, 3, 4].map(() => company('G', '01')); // isolated control: nothing near it is suppressed
const salesDominated = [1, 2, 3, 4].map(() => company('I', '27'));
const salesKyoto = [1, 2, 3].map(() => company('I', '26'));
const salesHyogo = [1, 2, 3, 4].map(() => company('I', '28'));

const employees: AnonEmployeeMonth[] = [
  ...tokyo.flatMap((c, k) => staff(c, 5, (i) => 5 + 3 * i + k)),
  ...nine.flatMap((c) => staff(c, 3, (i) => 10 + i)),
  ...twoCompanies.flatMap((c) => staff(c, 6, (i) => 10 + i)),
  ...staff(dominated[0] as (typeof dominated)[0], 8, () => 90),
  ...staff(dominated[1] as (typeof dominated)[0], 2, () => 10),
  ...staff(dominated[2] as (typeof dominated)[0], 2, () => 10),
  ...marginCase.osaka.flatMap((c, k) => staff(c, 5, (i) => 12 + i + k)),
  ...marginCase.kyoto.flatMap((c) => staff(c, 3, (i) => 8 + i)),
  ...hokkaido.flatMap((c, k) => staff(c, 6, (i) => 20 + 2 * i - k)),
];
const sales = (c: ReturnType<typeof company>, amount: number) =>
  companyMonth(c, PERIOD, { sales_amount: amount, employees: 30 });
const companyRows: AnonCompanyMonth[] = [
  ...[
    ...tokyo,
    ...nine,
    ...twoCompanies,
    ...dominated,
    ...marginCase.osaka,
    ...marginCase.kyoto,
    ...hokkaido,
  ].map((c, i) => sales(c, 10_000_000 + 1_000_000 * (i % 5))),
  ...salesDominated.map((c, i) => sales(c, [900_000_000, 40_000_000, 30_000_000, 30_000_000][i] as number)),
  ...salesKyoto.map((c, i) => sales(c, 20_000_000 + 1_000_000 * i)),
  ...salesHyogo.map((c, i) => sales(c, 25_000_000 + 2_000_000 * i)),
];

const objects = new MemoryObjectStore({ versioning: 'disabled' });
let manifest: ReleaseManifest;
const tables = new Map<string, Row[]>();
const admin = new Map<string, Row[]>();

beforeAll(async () => {
  await storeAnonymisedRelease(objects, RELEASE, { employees, companies: companyRows });
  manifest = await publishRelease(
    { objects },
    { releaseId: RELEASE, settings: defaultSettings, publishedAt: '2026-11-22T12:00:00.000Z' },
  );
  for (const stat of STATISTICS) {
    tables.set(stat.name, await readParquetObject(objects, 'stats', statisticKey(RELEASE, stat.name)));
    admin.set(stat.name, await readParquetObject(objects, 'stats', suppressionKey(RELEASE, stat.name)));
  }
});

const finestCell = (stat: string, industry: string, prefecture: string) =>
  tables
    .get(stat)
    ?.find(
      (r) =>
        r.geo_level === 'prefecture' &&
        r.industry === industry &&
        r.size_band === '20-49' &&
        r.prefecture === prefecture,
    );
const reasonOf = (stat: string, industry: string, prefecture: string) =>
  admin
    .get(stat)
    ?.find(
      (r) =>
        r.geo_level === 'prefecture' &&
        r.industry === industry &&
        r.size_band === '20-49' &&
        r.prefecture === prefecture,
    )?.reason;

describe('publishRelease on DuckDB with adversarial cells', () => {
  it('suppresses a cell of 9 individuals', () => {
    expect(finestCell('overtime_hours_monthly', 'E', '14')).toMatchObject({
      suppressed: true,
      employees: null,
    });
    expect(reasonOf('overtime_hours_monthly', 'E', '14')).toBe('min_individuals');
  });

  it('suppresses a cell of only 2 companies', () => {
    expect(finestCell('overtime_hours_monthly', 'E', '11')).toMatchObject({
      suppressed: true,
      employees: null,
    });
    expect(reasonOf('overtime_hours_monthly', 'E', '11')).toBe('min_companies');
  });

  it('suppresses a cell where one company holds 90% of the magnitude', () => {
    expect(finestCell('overtime_hours_monthly', 'E', '12')).toMatchObject({ suppressed: true });
    expect(reasonOf('overtime_hours_monthly', 'E', '12')).toBe('dominance');
    expect(finestCell('sales_per_employee_monthly', 'I', '27')).toMatchObject({
      suppressed: true,
      sales_total: null,
    });
    expect(reasonOf('sales_per_employee_monthly', 'I', '27')).toBe('dominance');
  });

  it('suppresses a second cell so the regional margin does not reveal the small one', () => {
    // Prepare: Kyoto (9 people) is suppressed; the Kinki total for industry D is published.
    const kinki = tables
      .get('overtime_hours_monthly')
      ?.find(
        (r) =>
          r.geo_level === 'region' && r.region === 'kinki' && r.industry === 'D' && r.size_band === '20-49',
      );
    // Assess: Osaka is suppressed too (as secondary), so Kinki − Osaka reveals nothing.
    expect(kinki?.suppressed).toBe(false);
    expect(finestCell('overtime_hours_monthly', 'D', '26')?.suppressed).toBe(true);
    expect(finestCell('overtime_hours_monthly', 'D', '27')?.suppressed).toBe(true);
    expect(reasonOf('overtime_hours_monthly', 'D', '27')).toBe('secondary');
  });

  it('leaves no suppressed value derivable from published cells and margins, in every statistic', () => {
    for (const stat of STATISTICS) {
      const rows = tables.get(stat.name) ?? [];
      const groups = publishedGroups(statisticKeyColumns(stat), stat.dimensions, rows);
      expect(singleSuppressionGroups(groups), stat.name).toEqual([]);
      expect(derivableSuppressedRows(groups), stat.name).toEqual([]);
    }
  });

  it('publishes an unaffected cell', () => {
    expect(finestCell('overtime_hours_monthly', 'G', '01')).toMatchObject({ suppressed: false });
    expect(finestCell('sales_per_employee_monthly', 'G', '01')).toMatchObject({ suppressed: false });
  });

  it('publishes overtime cells with the documented perturbation of what a naive computation gives, and only above the thresholds', () => {
    const stat = getStatistic('overtime_hours_monthly');
    const { disclosure } = defaultSettings;
    const published = (tables.get(stat.name) ?? []).filter((r) => r.suppressed === false);
    expect(published.length).toBeGreaterThan(0);
    let withQuantiles = 0;
    for (const cell of published) {
      const rows = rowsInCell(cell, stat.dimensions, employees);
      const hours = (r: Row) => r.overtime_hours as number;
      expect(rows.length).toBeGreaterThanOrEqual(minIndividuals);
      expect(companies(rows)).toBeGreaterThanOrEqual(minCompanies);
      expect(dominanceShare(rows, hours, dominanceN) * 100).toBeLessThanOrEqual(dominancePercent);
      const noisy = perturbed(rows, disclosure);
      expect(cell.employees).toBe(noisy.count);
      const total = noisy.total('overtime_hours', hours, 1);
      expect(cell.overtime_hours_total).toBeCloseTo(total, 6);
      // The mean is the published total over the published count (no finer figure behind it).
      expect(cell.overtime_hours_mean).toBeCloseTo(Math.round((total / noisy.count) * 100) / 100, 6);
      // Never the exact total: the company factors and the table noise move it.
      expect(cell.overtime_hours_total).not.toBeCloseTo(sum(rows.map(hours)), 6);
      const quantilesAllowed =
        rows.length >= disclosure.quantiles.minIndividuals &&
        noisy.topCompanyRows <= disclosure.quantiles.maxCompanyShare * rows.length;
      if (quantilesAllowed) {
        withQuantiles += 1;
        expect(cell.overtime_hours_median).toBeCloseTo(
          quantileType7(noisy.factored('overtime_hours', hours), 0.5),
          2,
        );
        expect(cell.overtime_hours_p25).toBeCloseTo(
          quantileType7(noisy.factored('overtime_hours', hours), 0.25),
          2,
        );
        expect(cell.overtime_hours_p75).toBeCloseTo(
          quantileType7(noisy.factored('overtime_hours', hours), 0.75),
          2,
        );
      } else {
        expect([cell.overtime_hours_p25, cell.overtime_hours_median, cell.overtime_hours_p75]).toEqual([
          null,
          null,
          null,
        ]);
      }
    }
    expect(withQuantiles).toBeGreaterThan(0);
  });

  it('publishes sales cells perturbed as documented, only when no two companies dominate, and company quantiles only over many companies', () => {
    const stat = getStatistic('sales_per_employee_monthly');
    const { disclosure } = defaultSettings;
    const published = (tables.get(stat.name) ?? []).filter((r) => r.suppressed === false);
    expect(published.length).toBeGreaterThan(0);
    let withQuantiles = 0;
    let withoutQuantiles = 0;
    for (const cell of published) {
      const rows = rowsInCell(cell, stat.dimensions, companyRows);
      const sales = (r: Row) => Number(r.sales_amount);
      expect(rows.length).toBeGreaterThanOrEqual(minCompanies);
      expect(dominanceShare(rows, sales, dominanceN) * 100).toBeLessThanOrEqual(dominancePercent);
      const noisy = perturbed(rows, disclosure);
      expect(cell.companies).toBe(noisy.count);
      const salesTotal = noisy.total('sales_amount', sales, 100_000);
      const employeesTotal = noisy.total('employees', (r) => Number(r.employees), 1);
      expect(cell.sales_total).toBe(salesTotal);
      expect(cell.employees_total).toBe(employeesTotal);
      // The ratio is the published totals' ratio (no finer figure behind it).
      expect(cell.sales_per_employee).toBeCloseTo(salesTotal / employeesTotal, 6);
      if (rows.length >= disclosure.quantiles.minCompanies) {
        withQuantiles += 1;
        const perEmployee = noisy.factored(
          'sales_per_employee',
          (r) => Number(r.sales_amount) / Number(r.employees),
        );
        expect(cell.sales_per_employee_median).toBeCloseTo(Math.round(quantileType7(perEmployee, 0.5)), 0);
      } else {
        // Fewer companies than the quantile rule asks: no company quantile at all.
        withoutQuantiles += 1;
        expect(cell.sales_per_employee_median).toBeNull();
      }
    }
    expect(withQuantiles).toBeGreaterThan(0);
    expect(withoutQuantiles).toBeGreaterThan(0);
  });

  it('publishes headcounts by age band and gender that match the rows up to the documented perturbation', () => {
    const stat = getStatistic('headcount_by_age_gender');
    for (const cell of (tables.get(stat.name) ?? []).filter((r) => r.suppressed === false)) {
      const rows = rowsInCell(cell, stat.dimensions, employees);
      expect(cell.employees).toBe(perturbed(rows, defaultSettings.disclosure).count);
      expect(rows.length).toBeGreaterThanOrEqual(minIndividuals);
    }
  });

  it("holds, in the audit's truth of every cell, a row-by-row recount of the cell's rows", async () => {
    // The audit adds its truths up from per-company and per-value aggregates of the rows; an
    // independent recount of each cell's own rows must give the same figures.
    const recounted = [
      { stat: getStatistic('overtime_hours_monthly'), source: employees as readonly Row[] },
      // A company's people fall into several age bands and genders: its share of a margin adds up
      // across finest cells.
      { stat: getStatistic('base_pay_by_age'), source: employees as readonly Row[] },
      { stat: getStatistic('headcount_by_age_gender'), source: employees as readonly Row[] },
      { stat: getStatistic('sales_per_employee_monthly'), source: companyRows as readonly Row[] },
    ];
    for (const { stat, source } of recounted) {
      const keyColumns = statisticKeyColumns(stat);
      const byKey = new Map(
        (tables.get(stat.name) ?? []).map((r) => [keyColumns.map((c) => String(r[c])).join('|'), r]),
      );
      const text = new TextDecoder().decode(await objects.get('stats', auditCellsKey(RELEASE, stat.name)));
      const truths = z.array(truthSchema).parse(JSON.parse(text));
      expect(truths.length, stat.name).toBe(byKey.size);
      for (const truth of truths) {
        const rows = rowsInCell(byKey.get(truth.key) as Row, stat.dimensions, source);
        const keySum = rows.reduce((s, r) => (s + Number(r.record_key)) % KEY_MODULUS, 0);
        expect(truth.fingerprint, truth.key).toBe(`${rows.length}:${keySum}`);
        expect([truth.rows, truth.companies], truth.key).toEqual([rows.length, companies(rows)]);
        for (const a of additiveMeasures(stat)) {
          const value = (r: Row) => (a.variable ? Number(r[a.variable]) : 1);
          const perCompany = new Map<unknown, number>();
          for (const r of rows)
            perCompany.set(r.company_code, (perCompany.get(r.company_code) ?? 0) + value(r));
          expect(truth.truth[a.column], `${truth.key} ${a.column}`).toBeCloseTo(sum(rows.map(value)), 6);
          expect(truth.largest[a.column], `${truth.key} ${a.column}`).toBeCloseTo(
            Math.max(...perCompany.values()),
            6,
          );
        }
      }
    }
  });

  it('keeps suppressed cells as rows with every measure null, quantiles included', () => {
    let seen = 0;
    for (const stat of STATISTICS) {
      const suppressed = (tables.get(stat.name) ?? []).filter((r) => r.suppressed === true);
      seen += suppressed.length;
      for (const row of suppressed) {
        for (const m of stat.measures) expect(row[m.column], `${stat.name}.${m.column}`).toBeNull();
      }
    }
    expect(seen).toBeGreaterThan(0);
  });

  it('publishes exactly the documented columns: no reason, no minimum or maximum', () => {
    for (const stat of STATISTICS) {
      const columns = Object.keys(tables.get(stat.name)?.[0] ?? {});
      expect(columns).toEqual(statisticColumns(stat).map((c) => c.name));
      expect(columns.filter((c) => /min|max|reason|n_companies|dominance/.test(c))).toEqual([]);
    }
  });

  it('keeps the suppression reasons in the admin-only table', () => {
    const reasons = new Set((admin.get('overtime_hours_monthly') ?? []).map((r) => r.reason));
    expect([...reasons].sort()).toEqual(['dominance', 'min_companies', 'min_individuals', 'secondary']);
    expect(suppressionKey(RELEASE, 'x').startsWith('stats-admin/')).toBe(true);
  });

  it('stores the manifest and the bilingual APPI notice with the release', async () => {
    const stored = JSON.parse(new TextDecoder().decode(await objects.get('stats', manifestKey(RELEASE))));
    expect(stored).toEqual(manifest);
    expect(manifest.statistics.map((s) => s.name)).toEqual(STATISTICS.map((s) => s.name));
    const notice = JSON.parse(new TextDecoder().decode(await objects.get('stats', noticeJsonKey(RELEASE))));
    expect(notice.releaseDate).toBe('2026-11-22');
    expect(notice.items.map((i: { column: string }) => i.column)).toContain('age_band');
    const markdown = new TextDecoder().decode(await objects.get('stats', noticeMarkdownKey(RELEASE)));
    expect(markdown).toContain('匿名加工情報');
    expect(markdown).toContain('anonymously processed information');
  });

  it('serves the latest release through the local BI views', async () => {
    // Prepare: a second, later release of the same data, then a local copy of the stats bucket.
    await storeAnonymisedRelease(objects, '2026-11-later', { employees, companies: companyRows });
    await publishRelease({ objects }, { releaseId: '2026-11-later', settings: defaultSettings });
    const root = await mkdtemp(join(tmpdir(), 'kura-stats-views-'));
    try {
      for await (const o of objects.list('stats', 'stats/')) {
        const path = join(root, o.key);
        await mkdir(dirname(path), { recursive: true });
        await writeFile(path, await objects.get('stats', o.key));
      }
      // Act
      const [latest, all] = await withStatsDuckDb(async (runner) => {
        for (const ddl of duckdbViews(root)) await runner.run(ddl);
        return [
          await runner.run('SELECT DISTINCT release_id FROM overtime_hours_monthly_latest'),
          await runner.run(
            'SELECT release_id, count(*) AS n FROM overtime_hours_monthly_all GROUP BY release_id ORDER BY 1',
          ),
        ];
      });
      // Assess
      expect(latest).toEqual([{ release_id: '2026-11-later' }]);
      expect(all.map((r) => r.release_id)).toEqual([RELEASE, '2026-11-later']);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
