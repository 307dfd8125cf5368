/**
 * What makes a written release visible, in order (publish.ts and publish-athena.ts both end here):
 * the audit gate (audit.ts) over the written objects, which deletes them when the audit fails; the
 * Glue partitions; then the APPI notice (notice.json, notice.md), the release manifest and, last,
 * the completion marker that publishes the release.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { GlueDatabases } from '../athena-names.ts';
import type { ObjectStore, QueryRunner, SqlRow } from '../ports/index.ts';
import type { PlatformSettings } from '../settings.ts';
import { statsPrefix } from '../zones.ts';
import { auditRelease, ReleaseAuditFailedError } from './audit.ts';
import type { SuppressionSolver } from './audit-checks.ts';
import { type Statistic, statisticColumns } from './catalog.ts';
import { withStatsDuckDb } from './duckdb-runner.ts';
import { buildReleaseNotice, renderNoticeMarkdown } from './notice.ts';
import { perturbationDocument } from './perturbation.ts';
import {
  manifestKey,
  noticeJsonKey,
  noticeMarkdownKey,
  publishedMarkerKey,
  type ReleaseManifest,
  releaseManifestSchema,
  releaseMarkerSchema,
  statisticPrefix,
  suppressionPrefix,
} from './release.ts';
import { sqlString } from './sql.ts';
import type { CellIndexEntry } from './suppression.ts';

/** A statistic's manifest entry, before its files are listed (the gate lists them). */
export function releaseEntry(
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
export const localPath = (path: string) => sqlString(path);

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
export async function auditBeforePublishing(
  objects: ObjectStore,
  options: {
    releaseId: string;
    publishedAt: string;
    settings: PlatformSettings;
    statistics: readonly Statistic[];
    published: ReleaseManifest['statistics'];
    solver?: SuppressionSolver | undefined;
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
    ...(options.solver ? { solver: options.solver } : {}),
  });
  if (!report.passed) {
    await deleteUnder(objects, 'stats', statsPrefix(options.releaseId));
    throw new ReleaseAuditFailedError(report);
  }
  return entries;
}

/** Writes the APPI notice, the release manifest and, last, the completion marker. Returns the manifest. */
export async function storeReleaseDocuments(
  ports: { readonly objects: ObjectStore },
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

/** Deletes every object under a prefix (in batches of at most 1,000). */
export async function deleteUnder(objects: ObjectStore, bucket: string, prefix: string): Promise<void> {
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

/** An s3 URL. */
export const s3 = (bucket: string, key: string) => `s3://${bucket}/${key}`;
