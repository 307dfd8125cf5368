/**
 * What BI sees, as pure descriptions for the infra stack (Glue tables and Athena views) and the local
 * platform (DuckDB views over the same layout).
 *
 * - `kura_<stage>_stats.<statistic>`: one Glue table per statistic, Parquet, partitioned by `release_id`; each
 *   release adds its partitions (`ALTER TABLE … ADD PARTITION`, by the release, on either engine, once
 *   every statistic's objects exist) at `stats/release=<id>/statistic=<name>/release_id=<id>/`.
 * - `kura_<stage>_stats.releases`: the completion markers (JSON lines under `stats/published-releases/`), one
 *   per published release, written last by the release. A release is published when its marker exists.
 * - `kura_<stage>_stats.<statistic>_all` and `_latest`: views with the documented
 *   columns over published releases only; `_latest` keeps the greatest published `release_id` of the
 *   statistic, so release ids must sort chronologically (e.g. `2026-11` or `20261122T120000Z`).
 * - `kura_<stage>_stats_admin.<statistic>_suppression`: admin-only reasons for suppressed cells, under
 *   `stats-admin/`; BI roles get neither this database nor that prefix.
 */

import type { GlueDatabases } from '../athena-names.ts';
import { sqlLiteral } from '../sql-text.ts';
import {
  type Bilingual,
  type StatColumn,
  type Statistic,
  statisticColumns,
  statisticKeyColumns,
} from './catalog.ts';
import { publishedReleasesPrefix } from './release.ts';
import { STATISTICS } from './statistics.ts';

const RELEASE_ID: StatColumn = {
  name: 'release_id',
  type: 'string',
  doc: { ja: '統計リリースの識別子', en: 'Statistics release identifier' },
};

/** A Glue table the infra stack creates. */
export interface GlueTableDescription {
  readonly database: string;
  readonly name: string;
  readonly description: Bilingual;
  readonly columns: readonly StatColumn[];
  readonly partitionKeys: readonly StatColumn[];
  /** Logical bucket and key prefix of the table location (partitions are registered per release). */
  readonly location: { readonly bucket: 'stats'; readonly prefix: string };
  /** Parquet for statistics; JSON lines for the small `releases` table of completion markers. */
  readonly format: 'parquet' | 'json';
  /** Admin-only tables must never be granted to BI. */
  readonly adminOnly: boolean;
}

/** An Athena view: the DDL text, its SELECT and its columns (for a Glue VIRTUAL_VIEW if preferred). */
export interface StatView {
  readonly database: string;
  readonly name: string;
  readonly statistic: string;
  readonly description: Bilingual;
  readonly select: string;
  readonly ddl: string;
  readonly columns: readonly StatColumn[];
}

const SUPPRESSION_COLUMNS = (stat: Statistic): StatColumn[] => [
  { name: 'cell_key', type: 'string', doc: { ja: 'セルのキー', en: 'Cell key' } },
  ...statisticKeyColumns(stat).map(
    (name): StatColumn => ({ name, type: 'string', doc: { ja: name, en: name } }),
  ),
  {
    name: 'reason',
    type: 'string',
    doc: {
      ja: '秘匿理由（min_individuals／min_companies／dominance／secondary）',
      en: 'Suppression reason (min_individuals, min_companies, dominance or secondary)',
    },
  },
  { name: 'n_rows', type: 'bigint', doc: { ja: '行数', en: 'Contributing rows' } },
  { name: 'n_individuals', type: 'bigint', doc: { ja: '人数（下限）', en: 'Individuals (lower bound)' } },
  { name: 'n_companies', type: 'bigint', doc: { ja: '会社数', en: 'Companies' } },
  {
    name: 'dominance_share',
    type: 'double',
    doc: { ja: '上位社の占有率', en: 'Share of the largest contributors' },
  },
];

/** Name of the completion-marker table (Athena `kura_stats.releases`, DuckDB `releases`). */
export const RELEASES_TABLE = 'releases';

const RELEASE_COLUMNS: StatColumn[] = [
  RELEASE_ID,
  {
    name: 'published_at',
    type: 'string',
    doc: { ja: '公表日時（UTC、ISO 8601）', en: 'Publication time (UTC, ISO 8601)' },
  },
];

/** The stats databases the views and tables live in (functions/domain/athena-names.ts). */
export type StatsDatabases = Pick<GlueDatabases, 'stats' | 'statsAdmin'>;

/** The `releases` table: one row per published release (its completion marker). */
export const releasesGlueTable = (databases: StatsDatabases): GlueTableDescription => ({
  database: databases.stats,
  name: RELEASES_TABLE,
  description: {
    ja: '公表済みの統計リリース（完了マーカー）',
    en: 'Published statistics releases (completion markers)',
  },
  columns: RELEASE_COLUMNS,
  partitionKeys: [],
  location: { bucket: 'stats', prefix: publishedReleasesPrefix },
  format: 'json',
  adminOnly: false,
});

/**
 * Glue tables for every statistic (BI-readable), its suppression reasons (admin only), and the
 * `releases` table of completion markers the views gate on.
 */
export function statsGlueTables(
  databases: StatsDatabases,
  statistics: readonly Statistic[] = STATISTICS,
): GlueTableDescription[] {
  return [releasesGlueTable(databases), ...statisticTables(databases, statistics)];
}

function statisticTables(
  databases: StatsDatabases,
  statistics: readonly Statistic[],
): GlueTableDescription[] {
  return statistics.flatMap((stat) => [
    {
      database: databases.stats,
      name: stat.name,
      description: stat.title,
      columns: statisticColumns(stat),
      partitionKeys: [RELEASE_ID],
      location: { bucket: 'stats', prefix: 'stats/' },
      format: 'parquet',
      adminOnly: false,
    },
    {
      database: databases.statsAdmin,
      name: `${stat.name}_suppression`,
      description: {
        ja: `${stat.title.ja}の秘匿理由（管理者用）`,
        en: `${stat.title.en}: suppression reasons (admin only)`,
      },
      columns: SUPPRESSION_COLUMNS(stat),
      partitionKeys: [RELEASE_ID],
      location: { bucket: 'stats', prefix: 'stats-admin/' },
      format: 'parquet',
      adminOnly: true,
    },
  ]);
}

/** The `_all` and `_latest` views of every statistic, for Athena. */
export function biViews(
  databases: StatsDatabases,
  statistics: readonly Statistic[] = STATISTICS,
): StatView[] {
  return statistics.flatMap((stat) => {
    const table = `${databases.stats}.${stat.name}`;
    const columns = [RELEASE_ID, ...statisticColumns(stat)];
    const list = columns.map((c) => c.name).join(', ');
    const published = `release_id IN (SELECT release_id FROM ${databases.stats}.${RELEASES_TABLE})`;
    const all = `SELECT ${list} FROM ${table} WHERE ${published}`;
    const latest = `SELECT ${list} FROM ${table} WHERE release_id = (SELECT max(release_id) FROM ${table} WHERE ${published})`;
    const view = (suffix: string, select: string, description: Bilingual): StatView => ({
      database: databases.stats,
      name: `${stat.name}_${suffix}`,
      statistic: stat.name,
      description,
      select,
      ddl: `CREATE OR REPLACE VIEW ${databases.stats}.${stat.name}_${suffix} AS ${select}`,
      columns,
    });
    return [
      view('all', all, { ja: `${stat.title.ja}（全リリース）`, en: `${stat.title.en} (all releases)` }),
      view('latest', latest, {
        ja: `${stat.title.ja}（最新リリース）`,
        en: `${stat.title.en} (latest release)`,
      }),
    ];
  });
}

const PRESTO_TYPES: Record<StatColumn['type'], string> = {
  string: 'varchar',
  bigint: 'bigint',
  double: 'double',
  boolean: 'boolean',
};

/**
 * A Glue `TableInput` for an Athena view (what `CREATE VIEW` stores), so the stack can declare views
 * as `AWS::Glue::Table` resources without running DDL.
 */
export function athenaViewTableInput(view: StatView) {
  const encoded = Buffer.from(
    JSON.stringify({
      originalSql: view.select,
      catalog: 'awsdatacatalog',
      schema: view.database,
      columns: view.columns.map((c) => ({ name: c.name, type: PRESTO_TYPES[c.type] })),
    }),
  ).toString('base64');
  return {
    name: view.name,
    description: view.description.en,
    tableType: 'VIRTUAL_VIEW',
    parameters: { presto_view: 'true', comment: 'Presto View' },
    viewOriginalText: `/* Presto View: ${encoded} */`,
    viewExpandedText: '/* Presto View */',
    storageDescriptor: {
      columns: view.columns.map((c) => ({ name: c.name, type: c.type, comment: c.doc.en })),
    },
  };
}

/**
 * The same views for the local platform: DuckDB over the files under a local copy of the stats bucket
 * (`statsRoot` is the directory holding `stats/`): the `releases` view of completion markers first,
 * then each statistic's `_all` (published releases only) and `_latest`.
 */
export function duckdbViews(statsRoot: string, statistics: readonly Statistic[] = STATISTICS): string[] {
  const root = statsRoot.replace(/\/$/, '');
  const quoted = sqlLiteral;
  const markers = `${root}/${publishedReleasesPrefix}*.json`;
  const columns = RELEASE_COLUMNS.map((c) => `${c.name}: 'VARCHAR'`).join(', ');
  return [
    `CREATE OR REPLACE VIEW ${RELEASES_TABLE} AS SELECT ${RELEASE_COLUMNS.map((c) => c.name).join(', ')} FROM read_json(${quoted(markers)}, format = 'newline_delimited', columns = {${columns}})`,
    ...statistics.flatMap((stat) => {
      const glob = `${root}/stats/release=*/statistic=${stat.name}/release_id=*/*.parquet`;
      const list = [RELEASE_ID, ...statisticColumns(stat)].map((c) => c.name).join(', ');
      const source = `read_parquet(${quoted(glob)}, hive_partitioning = true, hive_types_autocast = false)`;
      return [
        `CREATE OR REPLACE VIEW ${stat.name}_all AS SELECT ${list} FROM ${source} WHERE release_id IN (SELECT release_id FROM ${RELEASES_TABLE})`,
        `CREATE OR REPLACE VIEW ${stat.name}_latest AS SELECT * FROM ${stat.name}_all WHERE release_id = (SELECT max(release_id) FROM ${stat.name}_all)`,
      ];
    }),
  ];
}
