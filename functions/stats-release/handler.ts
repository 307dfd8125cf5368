import { runtime } from '../adapters/runtime.ts';
import { bucketEnvVar } from '../adapters/table-definitions.ts';
import type { PlatformSettings } from '../domain/settings.ts';
import type { ReleaseManifest } from '../domain/stats/release.ts';
import { runStatsRelease, type StatsReleasePorts, statsReleaseEventSchema } from '../domain/stats/run.ts';
import { observability, withObservability } from '../observability/observability.ts';
import { recordOutcome } from '../observability/outcomes.ts';

const { logger, metrics } = observability('kura-stats-release');
/** Physical stats bucket, for Athena CTAS locations; only set where the stack grants the bucket. */
const statsBucket = process.env[bucketEnvVar('stats')];

export interface StatsReleaseRuntime {
  readonly ports: StatsReleasePorts;
  readonly settings: PlatformSettings;
}

/** A stats-release handler over the given runtime (the local platform passes its own). */
export function createStatsReleaseHandler(load: () => StatsReleaseRuntime) {
  return withObservability('kura-stats-release', async (event: unknown): Promise<ReleaseManifest> => {
    const { ports, settings } = load();
    const manifest = await runStatsRelease(ports, settings, statsReleaseEventSchema.parse(event ?? {})).catch(
      (error: unknown) => {
        recordOutcome(metrics, { kind: 'stats-release', ok: false });
        throw error;
      },
    );
    const suppressedCells = manifest.statistics.reduce((sum, s) => sum + s.suppressedCells, 0);
    recordOutcome(metrics, { kind: 'stats-release', ok: true, suppressedCells });
    logger.info('statistics release published', {
      releaseId: manifest.releaseId,
      engine: manifest.engine,
      statistics: manifest.statistics.map((s) => ({
        name: s.name,
        cells: s.cells,
        suppressed: s.suppressedCells,
      })),
    });
    return manifest;
  });
}

/** The deployed function: `{ releaseId? }` (scheduled, on demand, after a purge) → release manifest. */
export const handler = createStatsReleaseHandler(() => {
  const { objects, athena, settings } = runtime();
  return { ports: { objects, athena, statsBucket }, settings };
});
