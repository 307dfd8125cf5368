/**
 * Release-level shapes shared by the local (DuckDB) and Athena paths: release ids, the manifest and
 * the keys of what a release writes.
 */
import * as z from '../zod.ts';
import { statsAdminPrefix, statsPrefix } from '../zones.ts';

/** Release ids appear in keys and SQL literals, so they are restricted to a safe alphabet. */
export const releaseIdSchema = z.string().check(
  z.regex(/^[0-9A-Za-z][0-9A-Za-z_.-]{0,63}$/, {
    error:
      'a release id has 1–64 letters, digits, dots, dashes or underscores (e.g. 2026-11 or 20261122T120000Z)',
  }),
);

/** A release id that sorts chronologically (as `_latest` views and `latestAnonymisedRelease` need): `20261122T120000Z`. */
export function releaseIdFor(date: Date): string {
  return date
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
}

/** Key of a statistic's published Parquet (hive-style `release_id=` directory, as Athena CTAS writes it). */
export const statisticPrefix = (releaseId: string, statistic: string) =>
  `${statsPrefix(releaseId)}statistic=${statistic}/release_id=${releaseId}/`;
export const statisticKey = (releaseId: string, statistic: string) =>
  `${statisticPrefix(releaseId, statistic)}part-0.parquet`;
/** Admin-only suppression reasons of a statistic. */
export const suppressionPrefix = (releaseId: string, statistic: string) =>
  `${statsAdminPrefix(releaseId)}statistic=${statistic}/release_id=${releaseId}/`;
export const suppressionKey = (releaseId: string, statistic: string) =>
  `${suppressionPrefix(releaseId, statistic)}part-0.parquet`;
/** Athena scratch data (unsuppressed cells, secondary keys), deleted after each release run. */
export const workPrefix = (releaseId: string, statistic: string) =>
  `${statsAdminPrefix(releaseId)}work/statistic=${statistic}/`;
export const workCellsPrefix = (releaseId: string, statistic: string) =>
  `${workPrefix(releaseId, statistic)}cells/`;
export const workSecondaryKey = (releaseId: string, statistic: string) =>
  `${workPrefix(releaseId, statistic)}secondary/keys.txt`;
export const manifestKey = (releaseId: string) => `${statsPrefix(releaseId)}manifest.json`;
export const noticeJsonKey = (releaseId: string) => `${statsPrefix(releaseId)}notice.json`;
export const noticeMarkdownKey = (releaseId: string) => `${statsPrefix(releaseId)}notice.md`;

/**
 * Completion markers, the `releases` table: one small JSON line per release, written after everything
 * else of the release (Parquet, partitions, notice, manifest). A release is published, for every
 * reader (API, BI views on Athena and DuckDB), exactly when its marker exists. Under `stats/`, so BI and
 * the API read it with the statistics; not under `stats/release=…/`, so it is a table of its own.
 */
export const publishedReleasesPrefix = 'stats/published-releases/';
export const publishedMarkerKey = (releaseId: string) => `${publishedReleasesPrefix}${releaseId}.json`;
/** One line of the `releases` table (column names are the Glue/DuckDB columns). */
export const releaseMarkerSchema = z.strictObject({ release_id: z.string(), published_at: z.iso.datetime() });
export type ReleaseMarker = z.infer<typeof releaseMarkerSchema>;

export const releaseStatisticSchema = z.strictObject({
  name: z.string(),
  /** Where the statistic's Parquet files are (one partition directory). */
  prefix: z.string(),
  /**
   * The statistic's Parquet objects, as the publisher listed them (Athena CTAS names its own files):
   * readers take these, never an assumed name. Empty in manifests written before the list existed.
   */
  files: z._default(z.array(z.string()), []),
  cells: z.int().check(z.nonnegative()),
  suppressedCells: z.int().check(z.nonnegative()),
  columns: z.array(z.string()),
});

export const releaseManifestSchema = z.strictObject({
  releaseId: z.string(),
  publishedAt: z.iso.datetime(),
  engine: z.enum(['duckdb', 'athena']),
  disclosure: z.strictObject({
    minIndividuals: z.number(),
    minCompanies: z.number(),
    dominanceN: z.number(),
    dominancePercent: z.number(),
  }),
  /**
   * How published figures are perturbed (perturbation.ts), so readers know how far a figure may be
   * from the truth; the keys stay secret. Absent in releases published before perturbation existed.
   */
  perturbation: z.optional(
    z.strictObject({
      method: z.literal('cell-key'),
      countNoiseMax: z.number(),
      table: z.array(z.strictObject({ noise: z.number(), upTo: z.number() })),
      companyFactorMin: z.number(),
      companyFactorMax: z.number(),
    }),
  ),
  statistics: z.array(releaseStatisticSchema),
  notice: z.strictObject({ json: z.string(), markdown: z.string() }),
});
export type ReleaseManifest = z.infer<typeof releaseManifestSchema>;

/** The anonymised release a statistics run needs is missing. */
export class AnonymisedReleaseNotFoundError extends Error {
  override readonly name = 'AnonymisedReleaseNotFoundError';
}
