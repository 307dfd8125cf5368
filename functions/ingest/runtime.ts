import { createDeployedRuntime } from '../adapters/runtime.ts';
import type { IngestRuntime } from './handler.ts';

/** The deployed runtime: settings from KURA_SETTINGS, ports from the environment the stack sets. */
export async function loadIngestRuntime(): Promise<IngestRuntime> {
  const runtime = createDeployedRuntime();
  return {
    ports: { objects: runtime.objects, table: runtime.table, now: runtime.clock, workDir: '/tmp' },
    settings: runtime.settings,
  };
}
