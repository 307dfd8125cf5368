/**
 * Reading side of statistics releases, for the API and the local platform: the latest release, its
 * published cells, its APPI notice, and a tenant's benchmark (own value from its own derived facts,
 * beside its segment's published peers).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CompanyProfile } from '../company.ts';
import type { Lang } from '../i18n.ts';
import type { CompiledQuery } from '../masking/compile.ts';
import { type FactName, factKey } from '../masking/facts.ts';
import { factsInForce } from '../masking/release-companies.ts';
import type { ObjectStore, Table } from '../ports/index.ts';
import { NotFoundError } from '../ports/index.ts';
import { type DisclosureSettings, defaultSettings } from '../settings.ts';
import { type Benchmark, benchmarkFor } from './benchmark.ts';
import type { OwnFigures, PublishedCell } from './benchmark-segments.ts';
import { type Statistic, VARIABLES } from './catalog.ts';
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
  releaseMarkerSchema,
  statisticKey,
} from './release.ts';
import { measureSql, rowFilters, sqlString, usedVariables } from './sql.ts';
import { getStatistic } from './statistics.ts';

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

/**
 * Every published cell of a statistic in a release (suppressed cells included, with null measures),
 * read from the files the release's manifest lists (Athena CTAS names its own files). A manifest
 * written before that list existed names none; then the DuckDB publisher's one file is read.
 */
export async function readPublishedCells(
  objects: ObjectStore,
  releaseId: string,
  statistic: string,
): Promise<PublishedCell[]> {
  getStatistic(statistic);
  const manifest = await readReleaseManifest(objects, releaseId);
  const entry = manifest.statistics.find((s) => s.name === statistic);
  if (!entry) throw new StatsReleaseNotFoundError(`Statistics release ${releaseId} has no ${statistic}.`);
  const files = entry.files.length > 0 ? entry.files : [statisticKey(releaseId, statistic)];
  const dir = await mkdtemp(join(tmpdir(), 'kura-stats-read-'));
  try {
    const paths: string[] = [];
    for (const [i, key] of files.entries()) {
      const path = join(dir, `${i}.parquet`);
      await writeFile(path, await objects.get('stats', key));
      paths.push(path);
    }
    return await withStatsDuckDb((runner) =>
      runner.run(`SELECT * FROM read_parquet([${paths.map(sqlString).join(', ')}])`),
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
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

/**
 * SQL of a tenant's own additive figures for a period (rows and the sum of every variable the
 * statistic's measures add up), over its own facts, so its benchmark can leave it out of its peers.
 */
export function compileOwnFiguresQuery(stat: Statistic, factsRef: string, period: string): string {
  const variables = usedVariables(stat).map((v) => `${VARIABLES[v].sql} AS v_${v}`);
  const periodFilter =
    stat.period === 'month' ? `period = ${sqlString(period)}` : `substr(period, 1, 4) = ${sqlString(period)}`;
  const sums = usedVariables(stat).map((v) => `CAST(sum(v_${v}) AS DOUBLE) AS sum_${v}`);
  // A statistic compared by a share counts the own rows with its value (a fixed catalogue column and value).
  const share = stat.benchmarkShare;
  if (share)
    sums.push(
      `CAST(count(*) FILTER (WHERE ${share.dimension} = ${sqlString(share.value)}) AS BIGINT) AS share_rows`,
    );
  return `SELECT CAST(count(*) AS BIGINT) AS own_rows${sums.length ? `, ${sums.join(', ')}` : ''} FROM (SELECT *${variables.length ? `, ${variables.join(', ')}` : ''} FROM ${factsRef} WHERE ${[periodFilter, ...rowFilters(stat)].join(' AND ')}) own`;
}

/**
 * A tenant's own value and own additive figures for a statistic and period: null when its facts have no
 * such rows, or do not count now (a withdrawal of the tenant unfinished, or facts not of the generation
 * in force: release-companies.ts `factsInForce`, the rules a release pools by).
 */
export async function ownFiguresFor(
  ports: { readonly objects: ObjectStore; readonly table: Table },
  tenantId: string,
  statistic: string,
  period: string,
): Promise<{ readonly value: number | null; readonly figures: OwnFigures | null }> {
  const stat = getStatistic(statistic);
  let bytes: Uint8Array;
  try {
    bytes = await ports.objects.get('curated', factKey(tenantId, FACT_OF[stat.source]));
  } catch (error) {
    if (error instanceof NotFoundError) return { value: null, figures: null };
    throw error;
  }
  return withLocalFile(bytes, (path) =>
    withStatsDuckDb(async (runner) => {
      const session = { run: (query: CompiledQuery) => runner.run(query.sqlForExecution()) };
      // Facts that do not count may still hold a withdrawn upload's rows: no own figures meanwhile.
      if (!(await factsInForce(ports, session, tenantId, path))) return { value: null, figures: null };
      const ref = `read_parquet(${sqlString(path)})`;
      const row = (await runner.run(compileOwnFiguresQuery(stat, ref, period)))[0] ?? {};
      const rows = Number(row.own_rows ?? 0);
      const sums = Object.fromEntries(usedVariables(stat).map((v) => [v, Number(row[`sum_${v}`] ?? 0)]));
      if (stat.benchmarkShare) {
        // The comparable figure of a headcount: the share of the company's rows with the value.
        const shareRows = Number(row.share_rows ?? 0);
        return rows > 0
          ? { value: Math.round((shareRows / rows) * 1e6) / 1e6, figures: { rows, sums, shareRows } }
          : { value: null, figures: null };
      }
      const value = (await runner.run(compileOwnValueQuery(stat, ref, period)))[0]?.own_value;
      return {
        value: typeof value === 'number' && Number.isFinite(value) ? value : null,
        figures: rows > 0 ? { rows, sums } : null,
      };
    }),
  );
}

/**
 * `GET /stats/{name}/benchmark` in one call: the latest release's cells of the statistic, the tenant's
 * own value and figures for the period compared (the latest published period unless given), and the
 * benchmark against its peers with the tenant itself left out. Authorisation (tenant or granted
 * supporter) and ledger entries belong to the caller.
 */
export async function tenantBenchmark(
  ports: { readonly objects: ObjectStore; readonly table: Table },
  request: {
    readonly tenantId: string;
    readonly profile: CompanyProfile;
    readonly statistic: string;
    readonly period?: string;
    readonly releaseId?: string;
    readonly dimensions?: Readonly<Record<string, string>>;
    readonly disclosure?: DisclosureSettings;
  },
): Promise<Benchmark & { readonly releaseId: string }> {
  const { objects } = ports;
  const manifest = await readReleaseManifest(objects, request.releaseId);
  const cells = await readPublishedCells(objects, manifest.releaseId, request.statistic);
  const periods = cells.map((c) => String(c.period)).sort();
  const period = request.period ?? periods[periods.length - 1];
  const own =
    period === undefined
      ? { value: null, figures: null }
      : await ownFiguresFor(ports, request.tenantId, request.statistic, period);
  const result = benchmarkFor(
    own.value,
    cells,
    request.profile,
    {
      statistic: request.statistic,
      ...(period === undefined ? {} : { period }),
      dimensions: { ...(request.dimensions ?? {}) },
    },
    { own: own.figures, disclosure: request.disclosure ?? defaultSettings.disclosure },
  );
  return { ...result, releaseId: manifest.releaseId };
}

/** Every published release (completion marker written), newest first, with its publication time. */
export async function listPublishedReleases(
  objects: ObjectStore,
): Promise<Array<{ readonly releaseId: string; readonly publishedAt: string }>> {
  const releases: Array<{ releaseId: string; publishedAt: string }> = [];
  for await (const o of objects.list('stats', publishedReleasesPrefix)) {
    const name = o.key.slice(publishedReleasesPrefix.length);
    if (!name.endsWith('.json')) continue;
    const marker = releaseMarkerSchema.safeParse(
      JSON.parse(new TextDecoder().decode(await objects.get('stats', o.key))),
    );
    if (marker.success) {
      releases.push({ releaseId: marker.data.release_id, publishedAt: marker.data.published_at });
    }
  }
  return releases.sort((a, b) => (a.releaseId < b.releaseId ? 1 : a.releaseId > b.releaseId ? -1 : 0));
}

/**
 * The APPI notice of a published release (`latest` for the newest) in one language, as the public
 * route serves it without sign-in: the law asks for it to be published (公表). Every release keeps
 * its own notice, so what was said when a release was published stays readable.
 */
export async function publicReleaseNotice(objects: ObjectStore, releaseId: string, lang: Lang) {
  const manifest = await readReleaseManifest(objects, releaseId === 'latest' ? undefined : releaseId);
  const { notice, markdown } = await readReleaseNotice(objects, manifest.releaseId);
  return {
    releaseId: notice.releaseId,
    releaseDate: notice.releaseDate,
    lang,
    legalBasis: notice.legalBasis[lang],
    items: notice.items.map((item) => ({
      column: item.column,
      title: item.title[lang],
      processing: item.processing[lang],
      sources: item.sources.map((source) => ({
        dataset: source.dataset,
        column: source.column,
        ...(lang === 'ja' ? { name: source.ja } : {}),
        privacy: source.privacy,
      })),
      statistics: item.feeds,
    })),
    companyItems: notice.companyItems.map((i) => i[lang]),
    removed: notice.removed.map((i) => i[lang]),
    processingMethod: notice.processingMethod[lang],
    statistics: notice.statistics.map((st) => ({ name: st.name, title: st.title[lang] })),
    ...(manifest.perturbation ? { perturbation: manifest.perturbation } : {}),
    markdown,
  };
}
