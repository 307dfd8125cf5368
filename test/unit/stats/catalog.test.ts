import { describe, expect, it } from 'vitest';
import { glueDatabases } from '../../../functions/domain/athena-names.ts';
import { statisticColumns, statisticSchema } from '../../../functions/domain/stats/catalog.ts';
import {
  getStatistic,
  STATISTICS,
  UnknownStatisticError,
} from '../../../functions/domain/stats/statistics.ts';
import {
  athenaViewTableInput,
  biViews,
  duckdbViews,
  statsGlueTables,
} from '../../../functions/domain/stats/views.ts';

const DATABASES = glueDatabases('dev');
const MIN_MAX = /(^|_)(min|max|minimum|maximum)(_|$)/;

describe('statistics catalogue', () => {
  it('holds the statistics the platform promises', () => {
    expect(STATISTICS.map((s) => s.name)).toEqual([
      'overtime_hours_monthly',
      'paid_leave_days_yearly',
      'headcount_by_age_gender',
      'base_pay_by_age',
      'turnover_rate_monthly',
      'sales_per_employee_monthly',
    ]);
  });

  it('documents every published column in Japanese and English', () => {
    for (const stat of STATISTICS) {
      for (const column of statisticColumns(stat)) {
        expect(column.doc.ja.length, `${stat.name}.${column.name}`).toBeGreaterThan(0);
        expect(column.doc.en.length, `${stat.name}.${column.name}`).toBeGreaterThan(0);
      }
    }
  });

  it('publishes a median and quartiles for base pay by age band, and a suppressed flag everywhere', () => {
    const columns = statisticColumns(getStatistic('base_pay_by_age')).map((c) => c.name);
    expect(columns).toEqual(
      expect.arrayContaining(['age_band', 'base_pay_median', 'base_pay_p25', 'base_pay_p75']),
    );
    for (const stat of STATISTICS) expect(statisticColumns(stat).at(-1)?.name).toBe('suppressed');
  });

  it('has no minimum or maximum column in any table or view', () => {
    const names = [
      ...STATISTICS.flatMap((s) => statisticColumns(s).map((c) => c.name)),
      ...biViews(DATABASES).flatMap((v) => v.columns.map((c) => c.name)),
      ...statsGlueTables(DATABASES).flatMap((t) => t.columns.map((c) => c.name)),
    ];
    expect(names.filter((n) => MIN_MAX.test(n))).toEqual([]);
  });

  it('rejects a statistic that would publish a maximum', () => {
    const stat = { ...getStatistic('overtime_hours_monthly') };
    const attempt = statisticSchema.safeParse({
      ...stat,
      measures: [
        ...stat.measures,
        { column: 'overtime_hours_max', kind: 'sum', of: 'overtime_hours', title: { ja: '最大', en: 'max' } },
      ],
    });
    expect(attempt.success).toBe(false);
  });

  it('rejects a variable from the other anonymised table', () => {
    const stat = getStatistic('sales_per_employee_monthly');
    const attempt = statisticSchema.safeParse({
      ...stat,
      measures: [
        ...stat.measures,
        { column: 'base_pay_total', kind: 'sum', of: 'base_pay', title: { ja: 'x', en: 'x' } },
      ],
    });
    expect(attempt.success).toBe(false);
  });

  it('names the known statistics when asked for an unknown one', () => {
    expect(() => getStatistic('salaries')).toThrow(UnknownStatisticError);
    expect(() => getStatistic('salaries')).toThrow(/overtime_hours_monthly/);
  });
});

describe('BI views and Glue descriptions', () => {
  it('describes a latest and an all-releases view per statistic with stable columns', () => {
    const views = biViews(DATABASES);
    expect(views.map((v) => v.name)).toEqual(
      STATISTICS.flatMap((s) => [`${s.name}_all`, `${s.name}_latest`]),
    );
    const latest = views.find((v) => v.name === 'overtime_hours_monthly_latest');
    expect(latest?.ddl).toMatch(
      /^CREATE OR REPLACE VIEW kura_dev_stats\.overtime_hours_monthly_latest AS SELECT release_id, period,/,
    );
    // Only releases with a completion marker are visible: a half-published release never is.
    expect(latest?.select).toContain(
      'WHERE release_id = (SELECT max(release_id) FROM kura_dev_stats.overtime_hours_monthly WHERE release_id IN (SELECT release_id FROM kura_dev_stats.releases))',
    );
    const all = views.find((v) => v.name === 'overtime_hours_monthly_all');
    expect(all?.select).toMatch(
      /FROM kura_dev_stats\.overtime_hours_monthly WHERE release_id IN \(SELECT release_id FROM kura_dev_stats\.releases\)$/,
    );
    expect(all?.columns.map((c) => c.name)).toEqual(latest?.columns.map((c) => c.name));
  });

  it('describes the releases table of completion markers, readable by BI under stats/', () => {
    const releases = statsGlueTables(DATABASES).find((t) => t.name === 'releases');
    expect(releases).toMatchObject({
      database: 'kura_dev_stats',
      format: 'json',
      adminOnly: false,
      partitionKeys: [],
      location: { bucket: 'stats', prefix: 'stats/published-releases/' },
    });
    expect(releases?.columns.map((c) => c.name)).toEqual(['release_id', 'published_at']);
  });

  it('keeps suppression reasons in an admin-only database under the admin prefix', () => {
    const tables = statsGlueTables(DATABASES);
    const adminTables = tables.filter((t) => t.adminOnly);
    expect(adminTables.length).toBe(STATISTICS.length);
    for (const t of adminTables) {
      expect(t.database).toBe('kura_dev_stats_admin');
      expect(t.location.prefix).toBe('stats-admin/');
      expect(t.columns.map((c) => c.name)).toContain('reason');
    }
    for (const t of tables.filter((x) => !x.adminOnly && x.name !== 'releases')) {
      expect(t.location.prefix).toBe('stats/');
      expect(t.columns.map((c) => c.name)).not.toContain('reason');
      expect(t.partitionKeys.map((c) => c.name)).toEqual(['release_id']);
    }
  });

  it('encodes a view as a Glue VIRTUAL_VIEW with the Presto view payload', () => {
    const view = biViews(DATABASES)[0];
    if (!view) throw new Error('no views');
    const input = athenaViewTableInput(view);
    const payload = JSON.parse(
      Buffer.from(
        input.viewOriginalText.replace('/* Presto View: ', '').replace(' */', ''),
        'base64',
      ).toString(),
    );
    expect(input.tableType).toBe('VIRTUAL_VIEW');
    expect(payload.originalSql).toBe(view.select);
    expect(payload.columns[0]).toEqual({ name: 'release_id', type: 'varchar' });
  });

  it('gives the local platform the same view names over the stats folder', () => {
    const ddl = duckdbViews('/data/stats-bucket/');
    expect(ddl[0]).toMatch(/^CREATE OR REPLACE VIEW releases AS /);
    expect(ddl[0]).toContain("read_json('/data/stats-bucket/stats/published-releases/*.json'");
    expect(ddl[1]).toContain(
      "'/data/stats-bucket/stats/release=*/statistic=overtime_hours_monthly/release_id=*/*.parquet'",
    );
    expect(ddl[1]).toContain('WHERE release_id IN (SELECT release_id FROM releases)');
    expect(ddl.length).toBe(STATISTICS.length * 2 + 1);
  });
});

describe('statistics README', () => {
  it('documents every statistic and every published column', async () => {
    const { readFile } = await import('node:fs/promises');
    const readme = await readFile(
      new URL('../../../functions/domain/stats/README.md', import.meta.url),
      'utf8',
    );
    for (const stat of STATISTICS) {
      expect(readme, stat.name).toContain(`### \`${stat.name}\``);
      const documented = new Set([...readme.matchAll(/^\| `([a-z0-9_]+)` +\|/gm)].map((m) => m[1]));
      for (const column of statisticColumns(stat)) {
        expect(documented.has(column.name), `${stat.name}.${column.name}`).toBe(true);
      }
    }
  });
});
