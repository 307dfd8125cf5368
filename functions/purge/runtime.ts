import type { Runtime } from '../adapters/runtime.ts';
import { bucketEnvVar } from '../adapters/table-definitions.ts';
import { purgeLedger } from '../domain/purge/ledger.ts';
import type { PurgePorts, ReleaseStatistics } from '../domain/purge/ports.ts';
import { releaseAfterPurge } from '../domain/release/release.ts';
import { AnonymisedReleaseNotFoundError } from '../domain/stats/release.ts';
import { runStatsRelease } from '../domain/stats/run.ts';

/**
 * Publishes statistics in this process after a purge. Published statistics are anonymised and stay;
 * a platform with no anonymised release yet has nothing to republish.
 */
export function statisticsReleaseIn(runtime: Runtime, statsBucket?: string): ReleaseStatistics {
  return async () => {
    try {
      const manifest = await runStatsRelease(
        { objects: runtime.objects, athena: runtime.athena, statsBucket },
        runtime.settings,
        {},
      );
      return { releaseId: manifest.releaseId };
    } catch (error) {
      if (error instanceof AnonymisedReleaseNotFoundError) return undefined;
      throw error;
    }
  };
}

/**
 * The purge's ports over a runtime (deployed or local): one call for the handler, the admin API route
 * and the CLI. Pass `releaseStatistics` to trigger the release some other way (e.g. invoke a function).
 */
export function purgePortsFrom(
  runtime: Runtime,
  options: { releaseStatistics?: ReleaseStatistics } = {},
): PurgePorts {
  return {
    objects: runtime.objects,
    tables: runtime.table,
    keys: runtime.keys,
    ledger: purgeLedger({ table: runtime.table, clock: runtime.clock }),
    releaseStatistics:
      options.releaseStatistics ??
      releaseAfterPurge({ ...runtime, statsBucket: process.env[bucketEnvVar('stats')] }),
    settings: runtime.settings,
    clock: runtime.clock,
  };
}
