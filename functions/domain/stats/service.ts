/**
 * Reading side of statistics releases, for the API and the local platform: the latest release, its
 * published cells, its APPI notice, and a tenant's benchmark (own value from its own derived facts,
 * beside its segment's published peers).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ObjectStore } from '../../adapters/ports.ts';
import { NotFoundError } from '../../adapters/ports.ts';
import type { CompanyProfile } from '../company.ts';
import { type FactName, factKey } from '../masking/facts.ts';
import { type Benchmark, benchmarkFor, type PublishedCell } from './benchmark.ts';
import { getStatistic, type Statistic, VARIABLES } from './catalog.ts';
import { withStatsDuckDb } from './duckdb-runner.ts';
import { type ReleaseNotice, releaseNoticeSchema } from './notice.ts';
import {
  manifestKey,
  noticeJsonKey,
  noticeMarkdownKey,
  publishedMarkerKey,
  publishedReleasesPrefix,
  type ReleaseManifest,
  releaseManifestSchema,
  statisticKey,
} from './release.ts';
import { measureSql, rowFilters, sqlString, usedVariables } from './sql.ts';

/** No statistics release has been published yet (or not the one asked for). */
export class StatsReleaseNotFoundError extends Error {
  override readonly name = 'StatsReleaseNotFoundError';
}

/** Whether a release is published: its completion marker, written after everything else, exists. */
async function isPublished(objects: ObjectStore, releaseId: string): Promise<boolean> {
  return (await objects.head('stats', publishedMarkerKey(releaseId))) !== undefined;
}

/**
 * The manifest of a published release, or of the latest one (greatest id with a completion marker). A
 * release whose run has not finished (no marker yet) does not exist for readers.
 */
export async function readReleaseManifest(
  objects: ObjectStore,
  releaseId?: string,
): Promise<ReleaseManifest> {
  let id = releaseId;
  if (id === undefined) {
    for await (const o of objects.list('stats', publishedReleasesPrefix)) {
      const name = o.key.slice(publishedReleasesPrefix.length);
      const candidate = name.endsWith('.json') ? name.slice(0, -'.json'.length) : undefined;
      if (candidate && o.key === publishedMarkerKey(candidate) && (id === undefined || candidate > id))
        id = candidate;
    }
  }
  if (id === undefined) throw new StatsReleaseNotFoundError('No statistics release has been published yet.');
  if (!(await isPublished(objects, id)))
    throw new StatsReleaseNotFoundError(`Statistics release ${id} does not exist.`);
  try {
    return releaseManifestSchema.parse(
      JSON.parse(new TextDecoder().decode(await objects.get('stats', manifestKey(id)))),
    );
  } catch (error) {
    if (error instanceof NotFoundError)
      throw new StatsReleaseNotFoundError(`Statistics release ${id} does not exist.`);
    throw error;
  }
}

/** The APPI notice of a release: JSON and Markdown as stored with it. */
export async function readReleaseNotice(
  objects: ObjectStore,
  releaseId: string,
): Promise<{ notice: ReleaseNotice; markdown: string }> {
  const text = async (key: string) => new TextDecoder().decode(await objects.get('stats', key));
  return {
    notice: releaseNoticeSchema.parse(JSON.parse(await text(noticeJsonKey(releaseId)))),
    markdown: await text(noticeMarkdownKey(releaseId)),
  };
}

async function withLocalFile<T>(bytes: Uint8Array, work: (path: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'kura-stats-read-'));
  try {
    const path = join(dir, 'data.parquet');
    await writeFile(path, bytes);
    return await work(path);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Every published cell of a statistic in a release (suppressed cells included, with null measures). */
export async function readPublishedCells(
  objects: ObjectStore,
  releaseId: string,
  statistic: string,
): Promise<PublishedCell[]> {
  getStatistic(statistic);
  if (!(await isPublished(objects, releaseId)))
    throw new StatsReleaseNotFoundError(`Statistics release ${releaseId} does not exist.`);
  const bytes = await objects.get('stats', statisticKey(releaseId, statistic));
  return withLocalFile(bytes, (path) =>
    withStatsDuckDb((runner) => runner.run(`SELECT * FROM read_parquet(${sqlString(path)})`)),
  );
}

const FACT_OF: Record<Statistic['source'], FactName> = {
  anon_employee_month: 'employee_month',
  anon_company_month: 'company_month',
};

/**
 * SQL of a tenant's own value of a statistic's headline measure, computed exactly as the published
 * measure but over the tenant's own derived facts (same variables, same row filters) for one period.
 */
export function compileOwnValueQuery(stat: Statistic, factsRef: string, period: string): string {
  const headline = stat.measures.find((m) => m.column === stat.headline);
  if (!headline) throw new Error(`${stat.name} has no headline measure`);
  const variables = usedVariables(stat).map((v) => `${VARIABLES[v].sql} AS v_${v}`);
  const periodFilter =
    stat.period === 'month' ? `period = ${sqlString(period)}` : `substr(period, 1, 4) = ${sqlString(period)}`;
  const filters = [periodFilter, ...rowFilters(stat)];
  return `SELECT CAST(${measureSql('duckdb', headline)} AS DOUBLE) AS own_value FROM (SELECT *${variables.length ? `, ${variables.join(', ')}` : ''} FROM ${factsRef} WHERE ${filters.join(' AND ')}) own`;
}

/** A tenant's own value for a statistic and period, or null when its facts have no such rows. */
export async function ownValueFor(
  objects: ObjectStore,
  tenantId: string,
  statistic: string,
  period: string,
): Promise<number | null> {
  const stat = getStatistic(statistic);
  let bytes: Uint8Array;
  try {
    bytes = await objects.get('curated', factKey(tenantId, FACT_OF[stat.source]));
  } catch (error) {
    if (error instanceof NotFoundError) return null;
    throw error;
  }
  const rows = await withLocalFile(bytes, (path) =>
    withStatsDuckDb((runner) =>
      runner.run(compileOwnValueQuery(stat, `read_parquet(${sqlString(path)})`, period)),
    ),
  );
  const value = rows[0]?.own_value;
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

/**
 * `GET /stats/{name}/benchmark` in one call: the latest release's cells of the statistic, the tenant's
 * own value for the period compared (the latest published period unless given), and the benchmark.
 * Authorisation (tenant or granted supporter) and ledger entries belong to the caller.
 */
export async function tenantBenchmark(
  objects: ObjectStore,
  request: {
    readonly tenantId: string;
    readonly profile: CompanyProfile;
    readonly statistic: string;
    readonly period?: string;
    readonly releaseId?: string;
    readonly dimensions?: Readonly<Record<string, string>>;
  },
): Promise<Benchmark & { readonly releaseId: string }> {
  const manifest = await readReleaseManifest(objects, request.releaseId);
  const cells = await readPublishedCells(objects, manifest.releaseId, request.statistic);
  const periods = cells.map((c) => String(c.period)).sort();
  const period = request.period ?? periods[periods.length - 1];
  const own =
    period === undefined ? null : await ownValueFor(objects, request.tenantId, request.statistic, period);
  const result = benchmarkFor(own, cells, request.profile, {
    statistic: request.statistic,
    ...(period === undefined ? {} : { period }),
    dimensions: { ...(request.dimensions ?? {}) },
  });
  return { ...result, releaseId: manifest.releaseId };
}
