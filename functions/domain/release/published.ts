/**
 * What the API serves of the latest statistics release: its manifest, a statistic's published cells
 * (suppressed cells flagged with null values, never a reason) and its APPI notice in one language.
 */

import { knownStatistic, published } from '../advisors/benchmark.ts';
import type { Lang } from '../i18n.ts';
import type { ObjectStore } from '../ports/index.ts';
import { statisticColumns } from '../stats/catalog.ts';
import { readPublishedCells, readReleaseManifest, readReleaseNotice } from '../stats/service.ts';
import { getStatistic, STATISTICS } from '../stats/statistics.ts';

/** Columns that would say why a cell is suppressed; the published tables have none, and none may leak. */
const ADMIN_ONLY_COLUMNS = new Set(['reason', 'primary_reason', 'suppression_reason', 'cell_key', 'n_rows']);

/** A Parquet value as JSON can carry it (counts arrive as bigint). */
const jsonValue = (value: unknown): unknown =>
  typeof value === 'bigint' ? Number(value) : value instanceof Date ? value.toISOString() : value;

/** `GET /stats`: the latest release — its id, date and the statistics available in it. */
export async function latestReleaseSummary(objects: ObjectStore) {
  const manifest = await published(() => readReleaseManifest(objects));
  return {
    releaseId: manifest.releaseId,
    publishedAt: manifest.publishedAt,
    releaseDate: manifest.publishedAt.slice(0, 10),
    disclosure: manifest.disclosure,
    statistics: manifest.statistics.map((entry) => {
      const stat = STATISTICS.find((s) => s.name === entry.name);
      return {
        name: entry.name,
        ...(stat ? { title: stat.title, description: stat.description, period: stat.period } : {}),
        cells: entry.cells,
        suppressedCells: entry.suppressedCells,
      };
    }),
  };
}

/**
 * `GET /stats/{name}`: every published cell of the statistic in the latest release. Suppressed cells
 * stay in the list with `suppressed: true` and null measures; `period` narrows to one period.
 */
export async function publishedStatistic(
  objects: ObjectStore,
  name: string,
  options: { readonly period?: string | undefined } = {},
) {
  const stat = knownStatistic(name);
  const manifest = await published(() => readReleaseManifest(objects));
  const cells = await published(() => readPublishedCells(objects, manifest.releaseId, stat.name));
  const columns = statisticColumns(getStatistic(stat.name));
  const keep = columns.map((c) => c.name).filter((c) => !ADMIN_ONLY_COLUMNS.has(c));
  return {
    releaseId: manifest.releaseId,
    releaseDate: manifest.publishedAt.slice(0, 10),
    statistic: { name: stat.name, title: stat.title, description: stat.description },
    columns: columns.filter((c) => keep.includes(c.name)),
    cells: cells
      .filter((cell) => options.period === undefined || cell.period === options.period)
      .map((cell) => {
        const suppressed = cell.suppressed === true;
        return Object.fromEntries(
          keep.map((column) => [
            column,
            column === 'suppressed'
              ? suppressed
              : suppressed && !isKey(stat, column)
                ? null
                : jsonValue(cell[column]),
          ]),
        );
      }),
  };
}

const isKey = (stat: ReturnType<typeof getStatistic>, column: string) =>
  !stat.measures.some((m) => m.column === column);

/** `GET /releases/latest/notice`: the APPI notice of the latest release, in the caller's language. */
export async function latestReleaseNotice(objects: ObjectStore, lang: Lang) {
  const manifest = await published(() => readReleaseManifest(objects));
  const { notice, markdown } = await published(() => readReleaseNotice(objects, manifest.releaseId));
  return {
    releaseId: notice.releaseId,
    releaseDate: notice.releaseDate,
    lang,
    legalBasis: notice.legalBasis[lang],
    items: notice.items.map((item) => ({
      column: item.column,
      title: item.title[lang],
      processing: item.processing[lang],
      sources: item.sources.map((s) => ({
        dataset: s.dataset,
        column: s.column,
        ...(lang === 'ja' ? { name: s.ja } : {}),
        privacy: s.privacy,
      })),
      statistics: item.feeds,
    })),
    companyItems: notice.companyItems.map((i) => i[lang]),
    removed: notice.removed.map((i) => i[lang]),
    processingMethod: notice.processingMethod[lang],
    statistics: notice.statistics.map((s) => ({ name: s.name, title: s.title[lang] })),
    markdown,
  };
}
