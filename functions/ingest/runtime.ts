import { createDeployedRuntime } from '../adapters/runtime.ts';
import { pseudonymise } from '../domain/masking/pseudonymise.ts';
import type { IngestRuntime } from './handler.ts';

/**
 * The deployed runtime: settings from the bundled stage config, ports from the environment the stack sets.
 * Accepted uploads are masked in the same invocation (the function holds the grants masking needs),
 * so no second Lambda client is bundled; routing them to the mask function instead is this one line.
 */
export async function loadIngestRuntime(): Promise<IngestRuntime> {
  const runtime = createDeployedRuntime();
  const { objects, table, keys, settings } = runtime;
  return {
    ports: {
      objects,
      table,
      now: runtime.clock,
      workDir: '/tmp',
      afterAccepted: async (tenantId, uploadId) => {
        await pseudonymise({ objects, table, keys, settings }, { tenantId, uploadId });
      },
    },
    settings,
  };
}
