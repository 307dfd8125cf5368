/**
 * One statistics release run, as the stats-release function performs it (scheduled monthly, on
 * demand, and after a purge): pick the anonymised release, pick the engine, publish.
 */
import { z } from 'zod';
import type { ObjectStore, QueryRunner } from '../../adapters/ports.ts';
import type { GlueDatabases } from '../athena-names.ts';
import { ANONYMISED_TABLES, anonymisedTableKey } from '../masking/anonymised-schema.ts';
import type { PlatformSettings } from '../settings.ts';
import { anonymisedPrefix } from '../zones.ts';
import { publishRelease, publishReleaseOnAthena } from './publish.ts';
import { AnonymisedReleaseNotFoundError, type ReleaseManifest, releaseIdSchema } from './release.ts';

/** The function's event: a release id, or none for the latest anonymised release. Other fields (a schedule's) are ignored. */
export const statsReleaseEventSchema = z.object({ releaseId: releaseIdSchema.optional() });
export type StatsReleaseEvent = z.infer<typeof statsReleaseEventSchema>;

export interface StatsReleasePorts {
  readonly objects: ObjectStore;
  /** Athena in the `etl` workgroup, when deployed; absent locally. */
  readonly athena?: QueryRunner | undefined;
  /** Physical stats bucket name, needed for Athena CTAS locations. */
  readonly statsBucket?: string | undefined;
  /** The stage's Glue databases, needed with Athena (functions/domain/athena-names.ts). */
  readonly databases?: GlueDatabases | undefined;
  /**
   * Makes a fresh anonymised release (masking's `anonymise` over the tenants that may contribute now)
   * and returns its id. When present and the event names no release, it runs first, so a release
   * after a purge no longer contains the purged tenant; when absent, the latest anonymised release is
   * published again.
   */
  readonly newAnonymisedRelease?: (() => Promise<string>) | undefined;
}

/** The greatest anonymised release id in the curated bucket (release ids sort chronologically). */
export async function latestAnonymisedRelease(objects: ObjectStore): Promise<string> {
  const root = anonymisedPrefix('').slice(0, -1);
  let latest: string | undefined;
  for await (const object of objects.list('curated', root)) {
    const id = object.key.slice(root.length).split('/')[0];
    if (id && (latest === undefined || id > latest)) latest = id;
  }
  if (latest === undefined) {
    throw new AnonymisedReleaseNotFoundError(
      'There is no anonymised release yet; run the anonymisation first.',
    );
  }
  return latest;
}

/**
 * Publishes the statistics of a release: on DuckDB inside this process, or on Athena when an Athena
 * runner is available and the anonymised data is larger than `settings.limits.athenaThresholdBytes`.
 * With an Athena runner, a DuckDB-published release's partitions are registered through it as well.
 */
export async function runStatsRelease(
  ports: StatsReleasePorts,
  settings: PlatformSettings,
  event: StatsReleaseEvent,
): Promise<ReleaseManifest> {
  const releaseId =
    event.releaseId ??
    (ports.newAnonymisedRelease
      ? await ports.newAnonymisedRelease()
      : await latestAnonymisedRelease(ports.objects));
  let bytes = 0;
  for (const table of ANONYMISED_TABLES) {
    bytes += (await ports.objects.head('curated', anonymisedTableKey(releaseId, table)))?.size ?? 0;
  }
  const { athena, statsBucket, databases } = ports;
  if (athena && statsBucket && databases && bytes > settings.limits.athenaThresholdBytes) {
    return publishReleaseOnAthena(
      { objects: ports.objects, athena },
      { releaseId, settings, statsBucket, databases },
    );
  }
  // Deployed, the DuckDB path registers its partitions through Athena too, so BI sees every release.
  const glue = athena && statsBucket && databases ? { athena, statsBucket, databases } : undefined;
  return publishRelease({ objects: ports.objects, glue }, { releaseId, settings });
}
