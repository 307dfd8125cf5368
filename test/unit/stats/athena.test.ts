import { describe, expect, it } from 'vitest';
import { MemoryObjectStore } from '../../../functions/adapters/memory/index.ts';
import { glueDatabases } from '../../../functions/domain/athena-names.ts';
import { glueTableDescriptions } from '../../../functions/domain/masking/glue-tables.ts';
import type { QueryRunner, SqlRow } from '../../../functions/domain/ports/index.ts';
import { defaultSettings, disclosureSchema } from '../../../functions/domain/settings.ts';
import { statisticKeyColumns } from '../../../functions/domain/stats/catalog.ts';
import { measureKeySql } from '../../../functions/domain/stats/perturbation.ts';
import {
  ANONYMISED_RELEASE_PARTITION,
  publishReleaseOnAthena,
} from '../../../functions/domain/stats/publish-athena.ts';
import { manifestKey, noticeJsonKey } from '../../../functions/domain/stats/release.ts';
import { compilePublishedQuery, quantileSql } from '../../../functions/domain/stats/sql.ts';
import { compileCellsQuery } from '../../../functions/domain/stats/sql-cells.ts';
import { getStatistic, STATISTICS } from '../../../functions/domain/stats/statistics.ts';
import { storeEmptyAnonymisedRelease } from './empty-anonymised.ts';

const overtime = getStatistic('overtime_hours_monthly');

/** Cell-index rows of a tiny overtime table: Tokyo (40) and Kanagawa (9) with their margins. */
function cellIndexRows(): SqlRow[] {
  const rows: SqlRow[] = [];
  for (const [prefecture, n] of [
    ['13', 40],
    ['14', 9],
  ] as const) {
    for (const industry of ['E', '_total']) {
      for (const size_band of ['20-49', '_total']) {
        rows.push({
          period: '2026-10',
          industry,
          size_band,
          geo_level: 'prefecture',
          prefecture,
          region: 'kanto',
          n_rows: n,
        });
      }
    }
  }
  for (const industry of ['E', '_total']) {
    for (const size_band of ['20-49', '_total']) {
      rows.push({
        period: '2026-10',
        industry,
        size_band,
        geo_level: 'region',
        prefecture: '_total',
        region: 'kanto',
        n_rows: 49,
      });
      rows.push({
        period: '2026-10',
        industry,
        size_band,
        geo_level: 'national',
        prefecture: '_total',
        region: '_total',
        n_rows: 49,
      });
    }
  }
  return rows.map((r) => ({
    ...r,
    cell_key: statisticKeyColumns(overtime)
      .map((c) => r[c])
      .join('|'),
    primary_reason: (r.n_rows as number) < 10 ? 'min_individuals' : null,
  }));
}

let secondaryFiles: string[] = [];

class RecordingAthena implements QueryRunner {
  readonly engine = 'athena' as const;
  readonly statements: string[] = [];
  constructor(readonly objects?: MemoryObjectStore) {}
  async run(sql: string): Promise<SqlRow[]> {
    this.statements.push(sql);
    if (sql.startsWith('CREATE EXTERNAL TABLE') && this.objects) {
      // What Athena would read: the key file the release just wrote.
      const text = new TextDecoder().decode(
        await this.objects.get(
          'stats',
          'stats-admin/release=2026-10/work/statistic=overtime_hours_monthly/secondary/keys.txt',
        ),
      );
      secondaryFiles = text.split('\n').filter((k) => k !== '');
    }
    return sql.startsWith('SELECT cell_key') ? cellIndexRows() : [];
  }
}

describe('Athena materialisation', () => {
  it('compiles the same logical SQL for both engines, differing only in the quantile function and the factor key', () => {
    const options = { sourceRef: 'src', releaseId: 'r1', disclosure: defaultSettings.disclosure };
    const duck = compileCellsQuery(overtime, { ...options, dialect: 'duckdb' });
    const athena = compileCellsQuery(overtime, { ...options, dialect: 'athena' });
    // Quantiles are over the values times each row's own factor (quantileFactor): perturbation.ts.
    expect(duck).toContain('quantile_cont(v_overtime_hours * fq_overtime_hours, ARRAY[');
    expect(athena).toContain('approx_percentile(v_overtime_hours * fq_overtime_hours, ARRAY[');
    // Each engine's spelling of "first 32 bits of MD5 as an integer"; the rest is the same text.
    const rowKey = "CAST(record_key AS VARCHAR) || '|' || period";
    const keys: Array<[string, string]> = [
      ['company_key', 'count'],
      ['company_key', 'overtime_hours'],
      [rowKey, 'quantile:overtime_hours'],
    ];
    let normalised = athena.replaceAll('approx_percentile(', 'quantile_cont(');
    for (const [column, measure] of keys) {
      expect(athena).toContain(measureKeySql(column, measure, 'athena'));
      normalised = normalised.replaceAll(
        measureKeySql(column, measure, 'athena'),
        measureKeySql(column, measure, 'duckdb'),
      );
    }
    expect(normalised).toBe(duck);
    expect(quantileSql('athena', 'x', [0.25, 0.5])).toBe('approx_percentile(x, ARRAY[0.25, 0.5])');
  });

  it('takes every threshold from the disclosure settings', () => {
    const disclosure = disclosureSchema.parse({
      minIndividuals: 17,
      minCompanies: 4,
      dominanceN: 3,
      dominancePercent: 70,
    });
    const sql = compileCellsQuery(overtime, {
      dialect: 'athena',
      sourceRef: 'src',
      releaseId: 'r1',
      disclosure,
    });
    expect(sql).toContain('n_individuals < 17');
    expect(sql).toContain('n_companies < 4');
    expect(sql).toContain('contribution_rank <= 3');
    expect(sql).toContain('dominance_share * 100 > 70');
  });

  it('never publishes a measure of a suppressed cell nor the reason', () => {
    const sql = compilePublishedQuery(overtime, {
      cellsRef: 'cells',
      releaseId: 'r1',
      secondary: { keys: ['a|b'] },
    });
    for (const m of overtime.measures) {
      expect(sql).toContain(
        `CASE WHEN (primary_reason IS NOT NULL OR cell_key IN ('a|b')) THEN CAST(NULL AS`,
      );
      expect(sql).toContain(`END AS ${m.column}`);
    }
    expect(sql).not.toMatch(/AS (primary_reason|reason|n_companies|dominance_share)\b/);
  });

  it('issues CTAS statements into Parquet partitioned by release, registers partitions and drops scratch tables', async () => {
    // Prepare
    const objects = new MemoryObjectStore();
    const athena = new RecordingAthena(objects);
    await storeEmptyAnonymisedRelease(objects, '2026-10');
    // Act
    const manifest = await publishReleaseOnAthena(
      { objects, athena },
      {
        releaseId: '2026-10',
        settings: defaultSettings,
        statsBucket: 'kura-dev-stats',
        databases: glueDatabases('dev'),
        statistics: [overtime],
      },
    );
    // Assess
    const statements = athena.statements;
    const find = (pattern: RegExp) => statements.find((x) => pattern.test(x)) ?? '';
    expect(statements[0]).toBe(
      'DROP TABLE IF EXISTS `kura_dev_stats_work`.`overtime_hours_monthly_cells_2026_10`',
    );
    const cellsCtas = find(/^CREATE TABLE "kura_dev_stats_work"\."overtime_hours_monthly_cells_/);
    expect(cellsCtas).toContain(
      "WITH (format = 'PARQUET', external_location = 's3://kura-dev-stats/stats-admin/release=2026-10/work/statistic=overtime_hours_monthly/cells/') AS",
    );
    expect(cellsCtas).toContain('FROM "kura_dev_anonymised"."anon_employee_month"');
    // The anonymised tables project `release` as an injected partition: the query must name it.
    expect(cellsCtas).toContain("WHERE release = '2026-10'\n    AND release_id = '2026-10'");
    expect(cellsCtas).toContain('approx_percentile(');
    expect(find(/^SELECT cell_key, period, industry/)).toContain(
      'FROM "kura_dev_stats_work"."overtime_hours_monthly_cells_2026_10"',
    );
    expect(find(/^CREATE EXTERNAL TABLE/)).toBe(
      "CREATE EXTERNAL TABLE `kura_dev_stats_work`.`overtime_hours_monthly_secondary_2026_10` (cell_key string) LOCATION 's3://kura-dev-stats/stats-admin/release=2026-10/work/statistic=overtime_hours_monthly/secondary/'",
    );
    const publishedCtas = find(/^CREATE TABLE "kura_dev_stats_work"\."overtime_hours_monthly_published_/);
    expect(publishedCtas).toContain(
      "WITH (format = 'PARQUET', external_location = 's3://kura-dev-stats/stats/release=2026-10/statistic=overtime_hours_monthly/', partitioned_by = ARRAY['release_id']) AS",
    );
    expect(publishedCtas).toContain(
      'cell_key IN (SELECT cell_key FROM "kura_dev_stats_work"."overtime_hours_monthly_secondary_2026_10")',
    );
    expect(publishedCtas.trimEnd().split('\n').at(-2)).toMatch(/'2026-10' AS release_id$/);
    expect(find(/^CREATE TABLE "kura_dev_stats_work"\."overtime_hours_monthly_suppression_/)).toContain(
      "external_location = 's3://kura-dev-stats/stats-admin/release=2026-10/statistic=overtime_hours_monthly/'",
    );
    expect(find(/^ALTER TABLE `kura_dev_stats`\./)).toBe(
      "ALTER TABLE `kura_dev_stats`.`overtime_hours_monthly` ADD IF NOT EXISTS PARTITION (release_id = '2026-10') LOCATION 's3://kura-dev-stats/stats/release=2026-10/statistic=overtime_hours_monthly/release_id=2026-10/'",
    );
    expect(find(/^ALTER TABLE `kura_dev_stats_admin`\./)).toContain(
      '`overtime_hours_monthly_suppression` ADD IF NOT EXISTS PARTITION',
    );
    // Scratch tables are dropped per statistic; the partitions are registered only after every
    // statistic's objects exist, as the run's last statements.
    expect(
      statements.slice(-6, -2).every((x) => x.startsWith('DROP TABLE IF EXISTS `kura_dev_stats_work`.')),
    ).toBe(true);
    expect(statements.slice(-2).map((x) => x.split(' ADD ')[0])).toEqual([
      'ALTER TABLE `kura_dev_stats`.`overtime_hours_monthly`',
      'ALTER TABLE `kura_dev_stats_admin`.`overtime_hours_monthly_suppression`',
    ]);
    // Kanagawa (9) is primary; Tokyo (and its one-member margins) are the secondary cells the regional
    // margin forces. The key list and the unsuppressed cells are deleted once the statistic is published.
    expect(secondaryFiles).toEqual([
      '2026-10|E|20-49|prefecture|13|kanto',
      '2026-10|E|_total|prefecture|13|kanto',
      '2026-10|_total|20-49|prefecture|13|kanto',
      '2026-10|_total|_total|prefecture|13|kanto',
    ]);
    const left: string[] = [];
    for await (const o of objects.list('stats', 'stats-admin/release=2026-10/work/')) left.push(o.key);
    expect(left).toEqual([]);
    expect(manifest.engine).toBe('athena');
    expect(manifest.statistics[0]?.suppressedCells).toBeGreaterThan(1);
    expect(await objects.head('stats', manifestKey('2026-10'))).toBeDefined();
    expect(await objects.head('stats', noticeJsonKey('2026-10'))).toBeDefined();
  });

  it('refuses a release id that could break out of a SQL literal or a key', async () => {
    const athena = new RecordingAthena();
    await expect(
      publishReleaseOnAthena(
        { objects: new MemoryObjectStore(), athena },
        {
          releaseId: "x'; DROP TABLE y; --",
          settings: defaultSettings,
          statsBucket: 'b',
          databases: glueDatabases('dev'),
        },
      ),
    ).rejects.toThrow(/release id/);
    expect(athena.statements).toEqual([]);
  });
});

describe('Athena CTAS column types', () => {
  it('gives every column of every cells query a known type (no bare NULL)', () => {
    for (const stat of STATISTICS) {
      const sql = compileCellsQuery(stat, {
        dialect: 'athena',
        sourceRef: 'src',
        releaseId: 'r1',
        disclosure: defaultSettings.disclosure,
      });
      expect(sql, stat.name).not.toMatch(/(^|[^(])\bNULL AS /);
    }
  });
});

describe('contract with the anonymised Glue tables', () => {
  it('filters the partition key the masking engine declares for the anonymised tables', () => {
    const anonymised = glueTableDescriptions((bucket) => `kura-${bucket}`).filter(
      (t) => t.zone === 'anonymised',
    );
    expect(anonymised.map((t) => t.name).sort()).toEqual(['anon_company_month', 'anon_employee_month']);
    for (const table of anonymised) {
      expect(table.partitionKeys.map((k) => k.name)).toEqual([ANONYMISED_RELEASE_PARTITION]);
    }
  });
});
