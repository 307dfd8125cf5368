/**
 * Publishes a statistics release from an anonymised release.
 *
 * Both paths run the same compiled SQL in three passes per statistic:
 * 1. cells: every cell of every grouping set with its primary-suppression reason (SQL);
 * 2. secondary suppression over the cell index (TypeScript, suppression.ts);
 * 3. published table (measures nulled for suppressed cells, no reason) and the admin-only table of
 *    suppressed cells with their reason (SQL).
 *
 * `publishRelease` runs on in-process DuckDB (Lambda and the local platform); `publishReleaseOnAthena`
 * (publish-athena.ts) issues CTAS statements through a QueryRunner bound to the `etl` workgroup. Both
 * end in publish-commit.ts: the audit gate, partitions, documents and, last, the completion marker.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { GlueDatabases } from '../athena-names.ts';
import type { ObjectStore, QueryRunner, SqlRow } from '../ports/index.ts';
import type { PlatformSettings } from '../settings.ts';
import type { SuppressionSolver } from './audit-checks.ts';
import { type Statistic, statisticKeyColumns } from './catalog.ts';
import { copyAnonymisedTables, fitThreadsToSources, withStatsDuckDb } from './duckdb-runner.ts';
import {
  auditBeforePublishing,
  localPath,
  registerReleasePartitions,
  releaseEntry,
  storeReleaseDocuments,
} from './publish-commit.ts';
import { type ReleaseManifest, releaseIdSchema, statisticKey, suppressionKey } from './release.ts';
import { compileAdminQuery, compileCellIndexQuery, compilePublishedQuery } from './sql.ts';
import { compileCellsQuery } from './sql-cells.ts';
import { STATISTICS } from './statistics.ts';
import { type CellIndexEntry, linkedSecondarySuppression, type StatisticCells } from './suppression.ts';

export interface StatsPorts {
  readonly objects: ObjectStore;
  /** Solves the release audit's linear programs; in this thread when absent. */
  readonly auditSolver?: SuppressionSolver | undefined;
}

export interface PublishReleaseOptions {
  readonly releaseId: string;
  readonly settings: PlatformSettings;
  /** Defaults to now. */
  readonly publishedAt?: string;
  /** Defaults to the whole catalogue. */
  readonly statistics?: readonly Statistic[];
  /** Told how long each phase took (benchmarks): cells, suppression, write, audit. */
  readonly onPhase?: (phase: PublishPhase, ms: number) => void;
}

/** The phases of a DuckDB release, in order. */
export type PublishPhase = 'cells' | 'suppression' | 'write' | 'audit';

/**
 * Where a DuckDB-published release is registered in the Glue catalogue when deployed: Athena (the `etl`
 * workgroup) adds the release's partitions, so BI on AWS sees releases of any size.
 */
export interface GlueRegistration {
  readonly athena: QueryRunner;
  /** Physical name of the stats bucket (partition locations are s3 URLs). */
  readonly statsBucket: string;
  /** The stage's stats databases (functions/domain/athena-names.ts). */
  readonly databases: Pick<GlueDatabases, 'stats' | 'statsAdmin'>;
}

/** Turns the rows of the cell-index query into what secondary suppression needs. */
export function toCellIndex(stat: Statistic, rows: readonly SqlRow[]): CellIndexEntry[] {
  const keyCols = statisticKeyColumns(stat);
  return rows.map((row) => ({
    cellKey: String(row.cell_key),
    keys: Object.fromEntries(keyCols.map((c) => [c, String(row[c])])),
    nRows: Number(row.n_rows),
    primaryReason:
      row.primary_reason === null || row.primary_reason === undefined ? null : String(row.primary_reason),
  }));
}

/**
 * Materialises every statistic of an anonymised release on DuckDB and stores the published Parquet
 * (stats bucket, `statsPrefix(releaseId)`), the admin-only suppression tables (`statsAdminPrefix`),
 * then (deployed, `ports.glue`) registers the release's partitions, then the APPI notice (notice.json,
 * notice.md), the release manifest and, last, the completion marker that publishes it. Returns the
 * manifest.
 */
export async function publishRelease(
  ports: StatsPorts & { readonly glue?: GlueRegistration | undefined },
  options: PublishReleaseOptions,
): Promise<ReleaseManifest> {
  const releaseId = releaseIdSchema.parse(options.releaseId);
  const publishedAt = options.publishedAt ?? new Date().toISOString();
  const statistics = options.statistics ?? STATISTICS;
  const dir = await mkdtemp(join(tmpdir(), 'kura-stats-'));
  try {
    const sources = await copyAnonymisedTables(ports.objects, releaseId, dir);
    let phaseStarted = performance.now();
    const phase = (name: PublishPhase) => {
      const now = performance.now();
      options.onPhase?.(name, now - phaseStarted);
      phaseStarted = now;
    };
    const published = await withStatsDuckDb(async (runner) => {
      await fitThreadsToSources(runner, sources);
      // Pass 1: every statistic's cells, so linked tables can be suppressed together.
      const indexed: StatisticCells[] = [];
      for (const stat of statistics) {
        indexed.push({
          stat,
          cells: await createCellsTable(runner, stat, sources, releaseId, options.settings),
        });
      }
      phase('cells');
      // Pass 2: secondary suppression across the release.
      const secondaryByStatistic = linkedSecondarySuppression(indexed);
      phase('suppression');
      // Pass 3: published and admin tables.
      const results: ReleaseManifest['statistics'] = [];
      for (const { stat, cells } of indexed) {
        const secondaryKeys = secondaryByStatistic.get(stat.name) ?? [];
        await writeStatisticTables(runner, ports.objects, stat, { dir, releaseId, secondaryKeys });
        results.push(releaseEntry(releaseId, stat, cells, secondaryKeys));
        await runner.run(`DROP TABLE cells_${stat.name}`);
      }
      return results;
    });
    phase('write');
    const audited = await auditBeforePublishing(ports.objects, {
      solver: ports.auditSolver,
      releaseId,
      publishedAt,
      settings: options.settings,
      statistics,
      published,
    });
    phase('audit');
    if (ports.glue) {
      await registerReleasePartitions(ports.glue.athena, {
        releaseId,
        statistics,
        statsBucket: ports.glue.statsBucket,
        databases: ports.glue.databases,
      });
    }
    return await storeReleaseDocuments(ports, {
      releaseId,
      publishedAt,
      settings: options.settings,
      statistics,
      published: audited,
      engine: 'duckdb',
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Pass 1 for one statistic: its cell table `cells_<statistic>`, read back as the cell index. */
async function createCellsTable(
  runner: QueryRunner,
  stat: Statistic,
  sources: Record<string, string>,
  releaseId: string,
  settings: PlatformSettings,
): Promise<CellIndexEntry[]> {
  const cellsRef = `cells_${stat.name}`;
  await runner.run(
    `CREATE TEMP TABLE ${cellsRef} AS ${compileCellsQuery(stat, {
      dialect: 'duckdb',
      sourceRef: sources[stat.source] as string,
      releaseId,
      disclosure: settings.disclosure,
    })}`,
  );
  return toCellIndex(stat, await runner.run(compileCellIndexQuery(stat, cellsRef)));
}

/** Pass 3 for one statistic: its published and admin Parquet, written locally and stored. */
async function writeStatisticTables(
  runner: QueryRunner,
  objects: ObjectStore,
  stat: Statistic,
  { dir, releaseId, secondaryKeys }: { dir: string; releaseId: string; secondaryKeys: readonly string[] },
): Promise<void> {
  const cellsRef = `cells_${stat.name}`;
  const secondary = { keys: secondaryKeys };
  const publishedPath = join(dir, `${stat.name}.parquet`);
  const adminPath = join(dir, `${stat.name}.admin.parquet`);
  const withoutPartition = (sql: string) =>
    `SELECT * EXCLUDE (release_id) FROM (${sql}) ORDER BY ${statisticKeyColumns(stat).join(', ')}`;
  await runner.run(
    `COPY (${withoutPartition(compilePublishedQuery(stat, { cellsRef, releaseId, secondary }))}) TO ${localPath(publishedPath)} (FORMAT PARQUET)`,
  );
  await runner.run(
    `COPY (${withoutPartition(compileAdminQuery(stat, { cellsRef, releaseId, secondary }))}) TO ${localPath(adminPath)} (FORMAT PARQUET)`,
  );
  await objects.put('stats', statisticKey(releaseId, stat.name), await readFile(publishedPath), {
    contentType: 'application/vnd.apache.parquet',
  });
  await objects.put('stats', suppressionKey(releaseId, stat.name), await readFile(adminPath), {
    contentType: 'application/vnd.apache.parquet',
  });
}
