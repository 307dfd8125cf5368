import type { EnvironmentNeeds } from '../adapters/environment.ts';
import type { Runtime } from '../adapters/runtime.ts';
import { openZipWorkbook } from '../adapters/xlsx-archive.ts';
import type { IngestPorts } from '../domain/ingest/ports.ts';
import { compileDuckdbPseudonymiseInPass } from '../domain/masking/compile.ts';
import { cleanUpWithdrawn, pseudonymiseAccepted } from '../domain/masking/pseudonymise.ts';
import type { PlatformSettings } from '../domain/settings.ts';

/** What the deployed function needs from its environment (checked at its first invocation). */
export const INGEST_NEEDS: EnvironmentNeeds = {
  buckets: ['landing', 'raw', 'curated'],
  tables: ['tenants', 'uploads', 'ledger'],
  keySecrets: true,
  // Stages with a DR region: masking's clean-up of a withdrawn upload deletes there too.
  replicas: ['curated'],
};

/** What the ingest handler runs with. */
export interface IngestRuntime {
  readonly ports: Omit<IngestPorts, 'logger'>;
  readonly settings: PlatformSettings;
}

/**
 * The ingest function's composition root, for Lambda, the local platform and the tests alike. Accepted
 * uploads are masked in the same invocation (the function holds the grants masking needs), before the
 * landing object is removed, so a failure is retried by redelivery of the same notification.
 */
export function composeIngest(
  runtime: Pick<Runtime, 'objects' | 'table' | 'keys' | 'settings' | 'clock' | 'tmpDir'> &
    Partial<Pick<Runtime, 'replica'>>,
): IngestRuntime {
  const { objects, table, keys, settings, replica } = runtime;
  return {
    ports: {
      objects,
      table,
      now: runtime.clock,
      workDir: runtime.tmpDir,
      openWorkbook: openZipWorkbook,
      // Single pass: the accepted rows are pseudonymised while ingestion's DuckDB still holds them;
      // masking then commits those objects instead of reading the raw Parquet back.
      maskInPass: async (tenantId, dataset, relation, outDir) =>
        compileDuckdbPseudonymiseInPass({ dataset, key: await keys.get(tenantId), relation, outDir }),
      afterAccepted: async (tenantId, uploadId, maskedInPass) => {
        await pseudonymiseAccepted(
          { objects, table, keys, settings, replica },
          { tenantId, uploadId, ...(maskedInPass ? { maskedInPass } : {}) },
        );
      },
      afterWithdrawn: (tenantId, uploadId) =>
        cleanUpWithdrawn({ objects, table, keys, settings, replica }, tenantId, uploadId),
    },
    settings,
  };
}
