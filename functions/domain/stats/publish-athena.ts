/**
 * The Athena path of a release (publish.ts has the DuckDB one and what both share): the same compiled
 * SQL in the same three passes, issued as CTAS statements through a QueryRunner bound to the `etl`
 * workgroup.
 */

import type { GlueDatabases } from '../athena-names.ts';
import type { ObjectStore, QueryRunner } from '../ports/index.ts';
import type { Statistic } from './catalog.ts';
import type { PublishReleaseOptions, StatsPorts } from './publish.ts';
import { toCellIndex } from './publish.ts';
import {
  auditBeforePublishing,
  deleteUnder,
  hiveName,
  registerReleasePartitions,
  releaseEntry,
  s3,
  storeReleaseDocuments,
  trinoName,
} from './publish-commit.ts';
import {
  type ReleaseManifest,
  releaseIdSchema,
  statisticPrefix,
  suppressionPrefix,
  workCellsPrefix,
  workPrefix,
  workSecondaryKey,
} from './release.ts';
import { compileAdminQuery, compileCellIndexQuery, compilePublishedQuery, sqlString } from './sql.ts';
import { compileCellsQuery } from './sql-cells.ts';
import { STATISTICS } from './statistics.ts';
import { linkedSecondarySuppression, type StatisticCells } from './suppression.ts';

/** Partition key of the anonymised Glue tables (masking/glue-tables.ts: injected projection). */
export const ANONYMISED_RELEASE_PARTITION = 'release';

export interface AthenaReleaseOptions extends PublishReleaseOptions {
  /** Physical name of the stats bucket (s3 locations in CTAS cannot use logical names). */
  readonly statsBucket: string;
  /** The stage's databases the Athena path reads and writes (functions/domain/athena-names.ts). */
  readonly databases: Pick<GlueDatabases, 'anonymised' | 'stats' | 'statsAdmin' | 'statsWork'>;
}

const athenaName = (value: string) => value.toLowerCase().replace(/[^a-z0-9_]/g, '_');

/** A scratch table in both spellings: Hive (backticks) for DDL, Trino (double quotes) for queries. */
interface ScratchTable {
  readonly ddl: string;
  readonly dml: string;
}
/** A statistic's scratch tables in the work database for one release. */
interface ScratchTables {
  readonly cells: ScratchTable;
  readonly published: ScratchTable;
  readonly admin: ScratchTable;
  readonly secondary: ScratchTable;
}

/** What every step of one Athena release uses. */
interface AthenaRun {
  readonly objects: ObjectStore;
  readonly athena: QueryRunner;
  readonly releaseId: string;
  readonly options: AthenaReleaseOptions;
}

function scratchTables(
  databases: AthenaReleaseOptions['databases'],
  releaseId: string,
): (stat: Statistic) => ScratchTables {
  const suffix = athenaName(releaseId);
  // Each scratch table in both spellings: Hive (backticks) for DDL, Trino (double quotes) for queries.
  const scratch = (table: string) => ({
    ddl: hiveName(databases.statsWork, table),
    dml: trinoName(databases.statsWork, table),
  });
  return (stat: Statistic) => ({
    cells: scratch(`${stat.name}_cells_${suffix}`),
    published: scratch(`${stat.name}_published_${suffix}`),
    admin: scratch(`${stat.name}_suppression_${suffix}`),
    secondary: scratch(`${stat.name}_secondary_${suffix}`),
  });
}

/**
 * The Athena path: per statistic, CTAS the cell table (admin prefix), read its index, decide
 * secondary suppression, CTAS the published table and the suppression table (Parquet, partitioned by
 * `release_id`, written under `statsPrefix` / `statsAdminPrefix`) and drop the scratch tables; then
 * register every statistic's partitions, and store the release documents with the completion marker
 * last. `runner` must run in the `etl` workgroup.
 */
export async function publishReleaseOnAthena(
  ports: StatsPorts & { readonly athena: QueryRunner },
  options: AthenaReleaseOptions,
): Promise<ReleaseManifest> {
  const releaseId = releaseIdSchema.parse(options.releaseId);
  const publishedAt = options.publishedAt ?? new Date().toISOString();
  const statistics = options.statistics ?? STATISTICS;
  const { athena } = ports;
  const { databases } = options;
  const run: AthenaRun = { objects: ports.objects, athena, releaseId, options };
  const refs = scratchTables(databases, releaseId);
  // Pass 1: every statistic's cells (admin prefix), so linked tables can be suppressed together.
  const indexed: StatisticCells[] = [];
  for (const stat of statistics) {
    const cellsRef = await createCellsTable(run, stat, refs(stat).cells);
    indexed.push({ stat, cells: toCellIndex(stat, await athena.run(compileCellIndexQuery(stat, cellsRef))) });
  }
  // Pass 2: secondary suppression across the release.
  const secondaryByStatistic = linkedSecondarySuppression(indexed);
  // Pass 3: published and admin tables, partitions, scratch tables dropped and scratch data deleted.
  const published: ReleaseManifest['statistics'] = [];
  for (const { stat, cells } of indexed) {
    const secondaryKeys = secondaryByStatistic.get(stat.name) ?? [];
    await createPublishedTables(run, stat, refs(stat), secondaryKeys);
    published.push(releaseEntry(releaseId, stat, cells, secondaryKeys));
  }
  const audited = await auditBeforePublishing(ports.objects, {
    solver: ports.auditSolver,
    releaseId,
    publishedAt,
    settings: options.settings,
    statistics,
    published,
  });
  // Partitions only once every statistic's objects exist and the audit passed; the marker after them.
  await registerReleasePartitions(athena, {
    releaseId,
    statistics,
    statsBucket: options.statsBucket,
    databases,
  });
  return storeReleaseDocuments(ports, {
    releaseId,
    publishedAt,
    settings: options.settings,
    statistics,
    published: audited,
    engine: 'athena',
  });
}

/** Pass 1 for one statistic: CTAS its cell table (admin prefix). Returns the table's Trino name. */
async function createCellsTable(
  { objects, athena, releaseId, options }: AthenaRun,
  stat: Statistic,
  cellsTable: ScratchTable,
): Promise<string> {
  const { databases } = options;
  const cellsRef = cellsTable.dml;
  await athena.run(`DROP TABLE IF EXISTS ${cellsTable.ddl}`);
  // CTAS needs an empty location: clear what an earlier, interrupted run of this release left.
  await deleteUnder(objects, 'stats', workPrefix(releaseId, stat.name));
  await athena.run(
    `CREATE TABLE ${cellsRef} WITH (format = 'PARQUET', external_location = ${sqlString(s3(options.statsBucket, workCellsPrefix(releaseId, stat.name)))}) AS\n${compileCellsQuery(
      stat,
      {
        dialect: 'athena',
        sourceRef: trinoName(databases.anonymised, stat.source),
        releasePartition: ANONYMISED_RELEASE_PARTITION,
        releaseId,
        disclosure: options.settings.disclosure,
      },
    )}`,
  );
  return cellsRef;
}

/**
 * Pass 3 for one statistic: CTAS the published and the suppression tables, then drop the scratch
 * tables and delete the scratch data.
 */
async function createPublishedTables(
  { objects, athena, releaseId, options }: AthenaRun,
  stat: Statistic,
  { cells: cellsTable, published: publishedTable, admin, secondary: secondaryTable }: ScratchTables,
  secondaryKeys: readonly string[],
): Promise<void> {
  const cellsRef = cellsTable.dml;
  // CTAS locations: the statistic's folder; Athena adds the `release_id=<id>/` partition directory.
  const withoutPartitionDir = (prefix: string) => prefix.replace(/release_id=[^/]+\/$/, '');
  const statsFolder = withoutPartitionDir(statisticPrefix(releaseId, stat.name));
  const adminFolder = withoutPartitionDir(suppressionPrefix(releaseId, stat.name));
  const statsLocation = s3(options.statsBucket, statsFolder);
  const adminLocation = s3(options.statsBucket, adminFolder);
  // Secondary keys travel as a one-column text table: an IN list could exceed Athena's query length.
  const secondaryKey = workSecondaryKey(releaseId, stat.name);
  await objects.put('stats', secondaryKey, secondaryKeys.map((k) => `${k}\n`).join(''), {
    contentType: 'text/plain; charset=utf-8',
  });
  await athena.run(`DROP TABLE IF EXISTS ${secondaryTable.ddl}`);
  await athena.run(
    `CREATE EXTERNAL TABLE ${secondaryTable.ddl} (cell_key string) LOCATION ${sqlString(s3(options.statsBucket, secondaryKey.slice(0, secondaryKey.lastIndexOf('/') + 1)))}`,
  );
  const secondary = { table: secondaryTable.dml };
  for (const ref of [publishedTable, admin]) await athena.run(`DROP TABLE IF EXISTS ${ref.ddl}`);
  await deleteUnder(objects, 'stats', statsFolder);
  await deleteUnder(objects, 'stats', adminFolder);
  await athena.run(
    `CREATE TABLE ${publishedTable.dml} WITH (format = 'PARQUET', external_location = ${sqlString(statsLocation)}, partitioned_by = ARRAY['release_id']) AS\n${compilePublishedQuery(stat, { cellsRef, releaseId, secondary })}`,
  );
  await athena.run(
    `CREATE TABLE ${admin.dml} WITH (format = 'PARQUET', external_location = ${sqlString(adminLocation)}, partitioned_by = ARRAY['release_id']) AS\n${compileAdminQuery(stat, { cellsRef, releaseId, secondary })}`,
  );
  // Dropping the scratch tables removes catalogue entries only; the data stays where it was written.
  for (const ref of [cellsTable, secondaryTable, publishedTable, admin]) {
    await athena.run(`DROP TABLE IF EXISTS ${ref.ddl}`);
  }
  // The unsuppressed cells must not outlive the run, even on the admin side.
  await deleteUnder(objects, 'stats', workPrefix(releaseId, stat.name));
}
