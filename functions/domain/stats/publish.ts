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
 * issues CTAS statements through a QueryRunner bound to the `etl` workgroup.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { GlueDatabases } from '../athena-names.ts';
import { ANONYMISED_TABLES, anonymisedTableKey } from '../masking/anonymised-schema.ts';
import type { ObjectStore, QueryRunner, SqlRow } from '../ports/index.ts';
import { NotFoundError } from '../ports/index.ts';
import type { PlatformSettings } from '../settings.ts';
import { statsPrefix } from '../zones.ts';
import { auditRelease, ReleaseAuditFailedError } from './audit.ts';
import { STATISTICS, type Statistic, statisticColumns, statisticKeyColumns } from './catalog.ts';
import { withStatsDuckDb } from './duckdb-runner.ts';
import { buildReleaseNotice, renderNoticeMarkdown } from './notice.ts';
import { perturbationDocument } from './perturbation.ts';
import {
  AnonymisedReleaseNotFoundError,
  manifestKey,
  noticeJsonKey,
  noticeMarkdownKey,
  publishedMarkerKey,
  type ReleaseManifest,
  releaseIdSchema,
  releaseManifestSchema,
  releaseMarkerSchema,
  statisticKey,
  statisticPrefix,
  suppressionKey,
  suppressionPrefix,
  workCellsPrefix,
  workPrefix,
  workSecondaryKey,
} from './release.ts';
import {
  compileAdminQuery,
  compileCellIndexQuery,
  compileCellsQuery,
  compilePublishedQuery,
  sqlString,
} from './sql.ts';
import { type CellIndexEntry, linkedSecondarySuppression, type StatisticCells } from './suppression.ts';

export interface StatsPorts {
  readonly objects: ObjectStore;
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

function releaseEntry(
  releaseId: string,
  stat: Statistic,
  cells: readonly CellIndexEntry[],
  secondaryKeys: readonly string[],
): ReleaseManifest['statistics'][number] {
  return {
    name: stat.name,
    prefix: statisticPrefix(releaseId, stat.name),
    files: [],
    cells: cells.length,
    suppressedCells: cells.filter((c) => c.primaryReason !== null).length + secondaryKeys.length,
    columns: statisticColumns(stat).map((c) => c.name),
  };
}

/** Quotes a local path for DuckDB. */
const localPath = (path: string) => sqlString(path);

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
    const sources: Record<string, string> = {};
    for (const table of ANONYMISED_TABLES) {
      const path = join(dir, `${table}.parquet`);
      try {
        await writeFile(path, await ports.objects.get('curated', anonymisedTableKey(releaseId, table)));
      } catch (error) {
        if (error instanceof NotFoundError) {
          throw new AnonymisedReleaseNotFoundError(
            `Anonymised release ${releaseId} has no ${table} table; run the anonymisation for this release first.`,
          );
        }
        throw error;
      }
      sources[table] = `read_parquet(${localPath(path)})`;
    }
    let phaseStarted = performance.now();
    const phase = (name: PublishPhase) => {
      const now = performance.now();
      options.onPhase?.(name, now - phaseStarted);
      phaseStarted = now;
    };
    const published = await withStatsDuckDb(async (runner) => {
      // Pass 1: every statistic's cells, so linked tables can be suppressed together.
      const indexed: StatisticCells[] = [];
      for (const stat of statistics) {
        const cellsRef = `cells_${stat.name}`;
        await runner.run(
          `CREATE TEMP TABLE ${cellsRef} AS ${compileCellsQuery(stat, {
            dialect: 'duckdb',
            sourceRef: sources[stat.source] as string,
            releaseId,
            disclosure: options.settings.disclosure,
          })}`,
        );
        indexed.push({
          stat,
          cells: toCellIndex(stat, await runner.run(compileCellIndexQuery(stat, cellsRef))),
        });
      }
      phase('cells');
      // Pass 2: secondary suppression across the release.
      const secondaryByStatistic = linkedSecondarySuppression(indexed);
      phase('suppression');
      // Pass 3: published and admin tables.
      const results: ReleaseManifest['statistics'] = [];
      for (const { stat, cells } of indexed) {
        const cellsRef = `cells_${stat.name}`;
        const secondaryKeys = secondaryByStatistic.get(stat.name) ?? [];
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
        await ports.objects.put('stats', statisticKey(releaseId, stat.name), await readFile(publishedPath), {
          contentType: 'application/vnd.apache.parquet',
        });
        await ports.objects.put('stats', suppressionKey(releaseId, stat.name), await readFile(adminPath), {
          contentType: 'application/vnd.apache.parquet',
        });
        results.push(releaseEntry(releaseId, stat, cells, secondaryKeys));
        await runner.run(`DROP TABLE ${cellsRef}`);
      }
      return results;
    });
    phase('write');
    const audited = await auditBeforePublishing(ports.objects, {
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

/** The Parquet objects a statistic of a release consists of (Athena CTAS names its own files). */
export async function statisticFiles(
  objects: ObjectStore,
  releaseId: string,
  statistic: string,
): Promise<string[]> {
  const keys: string[] = [];
  for await (const o of objects.list('stats', statisticPrefix(releaseId, statistic))) {
    if (!o.key.endsWith('/') && o.size > 0) keys.push(o.key);
  }
  return keys.sort();
}

/** Every row of a statistic's Parquet objects. */
async function readStatisticRows(objects: ObjectStore, keys: readonly string[]): Promise<SqlRow[]> {
  if (keys.length === 0) return [];
  const dir = await mkdtemp(join(tmpdir(), 'kura-stats-audit-read-'));
  try {
    const paths: string[] = [];
    for (const [i, key] of keys.entries()) {
      const path = join(dir, `${i}.parquet`);
      await writeFile(path, await objects.get('stats', key));
      paths.push(path);
    }
    return await withStatsDuckDb((runner) =>
      runner.run(`SELECT * FROM read_parquet([${paths.map(localPath).join(', ')}])`),
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * The gate (audit.ts): every statistic's published objects exist, nothing makes them visible yet.
 * Records each statistic's files in its manifest entry, audits the release against every earlier
 * readable one, and when the audit fails deletes the release's published objects (the report stays
 * with the admin tables) and throws ReleaseAuditFailedError. Returns the entries with their files.
 */
async function auditBeforePublishing(
  objects: ObjectStore,
  options: {
    releaseId: string;
    publishedAt: string;
    settings: PlatformSettings;
    statistics: readonly Statistic[];
    published: ReleaseManifest['statistics'];
  },
): Promise<ReleaseManifest['statistics']> {
  const rows = new Map<string, SqlRow[]>();
  const entries: ReleaseManifest['statistics'] = [];
  for (const entry of options.published) {
    const files = await statisticFiles(objects, options.releaseId, entry.name);
    entries.push({ ...entry, files });
    rows.set(entry.name, await readStatisticRows(objects, files));
  }
  const report = await auditRelease(objects, {
    releaseId: options.releaseId,
    publishedAt: options.publishedAt,
    settings: options.settings,
    statistics: options.statistics,
    published: rows,
  });
  if (!report.passed) {
    await deleteUnder(objects, 'stats', statsPrefix(options.releaseId));
    throw new ReleaseAuditFailedError(report);
  }
  return entries;
}

async function storeReleaseDocuments(
  ports: StatsPorts,
  options: {
    releaseId: string;
    publishedAt: string;
    settings: PlatformSettings;
    statistics: readonly Statistic[];
    published: ReleaseManifest['statistics'];
    engine: ReleaseManifest['engine'];
  },
): Promise<ReleaseManifest> {
  const { releaseId } = options;
  const notice = buildReleaseNotice(options);
  await ports.objects.put('stats', noticeJsonKey(releaseId), `${JSON.stringify(notice, null, 2)}\n`, {
    contentType: 'application/json',
  });
  await ports.objects.put('stats', noticeMarkdownKey(releaseId), renderNoticeMarkdown(notice), {
    contentType: 'text/markdown; charset=utf-8',
  });
  const { minIndividuals, minCompanies, dominanceN, dominancePercent } = options.settings.disclosure;
  const manifest = releaseManifestSchema.parse({
    releaseId,
    publishedAt: options.publishedAt,
    engine: options.engine,
    disclosure: { minIndividuals, minCompanies, dominanceN, dominancePercent },
    perturbation: perturbationDocument(options.settings.disclosure),
    statistics: options.published,
    notice: { json: noticeJsonKey(releaseId), markdown: noticeMarkdownKey(releaseId) },
  });
  await ports.objects.put('stats', manifestKey(releaseId), `${JSON.stringify(manifest, null, 2)}\n`, {
    contentType: 'application/json',
  });
  // The commit point: written last, so no reader sees the release before all of it exists.
  const marker = releaseMarkerSchema.parse({ release_id: releaseId, published_at: options.publishedAt });
  await ports.objects.put('stats', publishedMarkerKey(releaseId), `${JSON.stringify(marker)}\n`, {
    contentType: 'application/json',
  });
  return manifest;
}

/**
 * Adds the release's partitions to the BI-facing statistic tables and the admin suppression tables,
 * once every statistic's objects exist (both engines). Idempotent (`IF NOT EXISTS`), so a run resumed
 * after a crash registers what is missing. The BI views only show releases with a completion marker,
 * which comes after this.
 */
export async function registerReleasePartitions(
  athena: QueryRunner,
  options: {
    readonly releaseId: string;
    readonly statistics: readonly Statistic[];
    readonly statsBucket: string;
    readonly databases: Pick<GlueDatabases, 'stats' | 'statsAdmin'>;
  },
): Promise<void> {
  const { releaseId, statsBucket, databases } = options;
  const partition = `PARTITION (release_id = ${sqlString(releaseId)})`;
  for (const stat of options.statistics) {
    await athena.run(
      `ALTER TABLE ${hiveName(databases.stats, stat.name)} ADD IF NOT EXISTS ${partition} LOCATION ${sqlString(s3(statsBucket, statisticPrefix(releaseId, stat.name)))}`,
    );
    await athena.run(
      `ALTER TABLE ${hiveName(databases.statsAdmin, `${stat.name}_suppression`)} ADD IF NOT EXISTS ${partition} LOCATION ${sqlString(s3(statsBucket, suppressionPrefix(releaseId, stat.name)))}`,
    );
  }
}

/**
 * A table name in Hive DDL (ALTER TABLE, DROP TABLE, CREATE EXTERNAL TABLE): Athena runs DDL with Hive's
 * grammar, which quotes identifiers with backticks (double quotes are string literals there).
 */
export const hiveName = (database: string, table: string) => `\`${database}\`.\`${table}\``;
/** A table name in Trino SQL (SELECT, CTAS): double quotes. */
export const trinoName = (database: string, table: string) => `"${database}"."${table}"`;
/** Partition key of the anonymised Glue tables (masking/glue-tables.ts: injected projection). */
export const ANONYMISED_RELEASE_PARTITION = 'release';

export interface AthenaReleaseOptions extends PublishReleaseOptions {
  /** Physical name of the stats bucket (s3 locations in CTAS cannot use logical names). */
  readonly statsBucket: string;
  /** The stage's databases the Athena path reads and writes (functions/domain/athena-names.ts). */
  readonly databases: Pick<GlueDatabases, 'anonymised' | 'stats' | 'statsAdmin' | 'statsWork'>;
}

/** Deletes every object under a prefix (in batches of at most 1,000). */
async function deleteUnder(objects: ObjectStore, bucket: string, prefix: string): Promise<void> {
  let batch: { key: string }[] = [];
  for await (const o of objects.list(bucket, prefix)) {
    batch.push({ key: o.key });
    if (batch.length === 1000) {
      await objects.deleteMany(bucket, batch);
      batch = [];
    }
  }
  if (batch.length > 0) await objects.deleteMany(bucket, batch);
}

const athenaName = (value: string) => value.toLowerCase().replace(/[^a-z0-9_]/g, '_');
const s3 = (bucket: string, key: string) => `s3://${bucket}/${key}`;

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
  const suffix = athenaName(releaseId);
  // Each scratch table in both spellings: Hive (backticks) for DDL, Trino (double quotes) for queries.
  const scratch = (table: string) => ({
    ddl: hiveName(databases.statsWork, table),
    dml: trinoName(databases.statsWork, table),
  });
  const refs = (stat: Statistic) => ({
    cells: scratch(`${stat.name}_cells_${suffix}`),
    published: scratch(`${stat.name}_published_${suffix}`),
    admin: scratch(`${stat.name}_suppression_${suffix}`),
    secondary: scratch(`${stat.name}_secondary_${suffix}`),
  });
  // Pass 1: every statistic's cells (admin prefix), so linked tables can be suppressed together.
  const indexed: StatisticCells[] = [];
  for (const stat of statistics) {
    const { cells: cellsTable } = refs(stat);
    const cellsRef = cellsTable.dml;
    await athena.run(`DROP TABLE IF EXISTS ${cellsTable.ddl}`);
    // CTAS needs an empty location: clear what an earlier, interrupted run of this release left.
    await deleteUnder(ports.objects, 'stats', workPrefix(releaseId, stat.name));
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
    indexed.push({ stat, cells: toCellIndex(stat, await athena.run(compileCellIndexQuery(stat, cellsRef))) });
  }
  // Pass 2: secondary suppression across the release.
  const secondaryByStatistic = linkedSecondarySuppression(indexed);
  // Pass 3: published and admin tables, partitions, scratch tables dropped and scratch data deleted.
  const published: ReleaseManifest['statistics'] = [];
  for (const { stat, cells } of indexed) {
    const { cells: cellsTable, published: publishedTable, admin, secondary: secondaryTable } = refs(stat);
    const cellsRef = cellsTable.dml;
    const secondaryKeys = secondaryByStatistic.get(stat.name) ?? [];
    // CTAS locations: the statistic's folder; Athena adds the `release_id=<id>/` partition directory.
    const withoutPartitionDir = (prefix: string) => prefix.replace(/release_id=[^/]+\/$/, '');
    const statsFolder = withoutPartitionDir(statisticPrefix(releaseId, stat.name));
    const adminFolder = withoutPartitionDir(suppressionPrefix(releaseId, stat.name));
    const statsLocation = s3(options.statsBucket, statsFolder);
    const adminLocation = s3(options.statsBucket, adminFolder);
    // Secondary keys travel as a one-column text table: an IN list could exceed Athena's query length.
    const secondaryKey = workSecondaryKey(releaseId, stat.name);
    await ports.objects.put('stats', secondaryKey, secondaryKeys.map((k) => `${k}\n`).join(''), {
      contentType: 'text/plain; charset=utf-8',
    });
    await athena.run(`DROP TABLE IF EXISTS ${secondaryTable.ddl}`);
    await athena.run(
      `CREATE EXTERNAL TABLE ${secondaryTable.ddl} (cell_key string) LOCATION ${sqlString(s3(options.statsBucket, secondaryKey.slice(0, secondaryKey.lastIndexOf('/') + 1)))}`,
    );
    const secondary = { table: secondaryTable.dml };
    for (const ref of [publishedTable, admin]) await athena.run(`DROP TABLE IF EXISTS ${ref.ddl}`);
    await deleteUnder(ports.objects, 'stats', statsFolder);
    await deleteUnder(ports.objects, 'stats', adminFolder);
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
    await deleteUnder(ports.objects, 'stats', workPrefix(releaseId, stat.name));
    published.push(releaseEntry(releaseId, stat, cells, secondaryKeys));
  }
  const audited = await auditBeforePublishing(ports.objects, {
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
