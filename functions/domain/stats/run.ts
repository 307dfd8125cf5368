/**
 * Publishing the statistics of one anonymised release, as the release use case does it: pick the
 * engine, publish. Engine choice: DuckDB inside the function, or Athena (the stage's `etl` workgroup)
 * when the function has Athena and the anonymised data is larger than
 * `settings.limits.athenaThresholdBytes`.
 */
import type { GlueDatabases } from '../athena-names.ts';
import { ANONYMISED_TABLES, anonymisedTableKey } from '../masking/anonymised-schema.ts';
import type { ObjectStore, QueryRunner } from '../ports/index.ts';
import type { PlatformSettings } from '../settings.ts';
import type { SuppressionSolver } from './audit-checks.ts';
import { publishRelease } from './publish.ts';
import { publishReleaseOnAthena } from './publish-athena.ts';
import type { ReleaseManifest } from './release.ts';

/** Athena as a deployed release uses it: the `etl` runner, the stats bucket's physical name, the stage's databases. */
export interface ReleaseAthena {
  readonly runner: QueryRunner;
  readonly statsBucket: string;
  readonly databases: GlueDatabases;
}

export interface PublishPorts {
  readonly objects: ObjectStore;
  /** Present where the function has an Athena workgroup (deployed); absent locally. */
  readonly athena?: ReleaseAthena | undefined;
  /** Solves the audit's linear programs; in this thread when absent. */
  readonly auditSolver?: SuppressionSolver | undefined;
}

/** Bytes of an anonymised release's Parquet, which decide the engine. */
export async function anonymisedReleaseBytes(objects: ObjectStore, releaseId: string): Promise<number> {
  let bytes = 0;
  for (const table of ANONYMISED_TABLES) {
    bytes += (await objects.head('curated', anonymisedTableKey(releaseId, table)))?.size ?? 0;
  }
  return bytes;
}

/**
 * Publishes the statistics of an anonymised release: on DuckDB inside this process, or on Athena when
 * Athena is available and the anonymised data is larger than `settings.limits.athenaThresholdBytes`.
 * With Athena, a DuckDB-published release's partitions are registered through it as well.
 */
export async function publishAnonymisedRelease(
  ports: PublishPorts,
  settings: PlatformSettings,
  releaseId: string,
): Promise<ReleaseManifest> {
  const { athena } = ports;
  if (
    athena &&
    (await anonymisedReleaseBytes(ports.objects, releaseId)) > settings.limits.athenaThresholdBytes
  ) {
    return publishReleaseOnAthena(
      { objects: ports.objects, athena: athena.runner, auditSolver: ports.auditSolver },
      { releaseId, settings, statsBucket: athena.statsBucket, databases: athena.databases },
    );
  }
  // Deployed, the DuckDB path registers its partitions through Athena too, so BI sees every release.
  const glue = athena
    ? { athena: athena.runner, statsBucket: athena.statsBucket, databases: athena.databases }
    : undefined;
  return publishRelease(
    { objects: ports.objects, glue, auditSolver: ports.auditSolver },
    { releaseId, settings },
  );
}
