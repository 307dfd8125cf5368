import type { EnvironmentNeeds } from '../adapters/environment.ts';
import type { Runtime } from '../adapters/runtime.ts';

/** What the deployed function needs from its environment (checked at its first invocation). */
export const API_NEEDS: EnvironmentNeeds = {
  buckets: ['landing', 'raw', 'curated', 'stats', 'audit'],
  tables: ['tenants', 'uploads', 'ledger', 'jobs'],
  keySecrets: true,
  dataKey: true,
  jobs: ['purge', 'release'],
  // A withdrawal's deletion and facts rebuild run in the mask function (domain/uploads/withdraw.ts).
  invokes: ['mask'],
};

/**
 * The API function's composition root: its routes run over the platform's ports as they are (the API
 * starts jobs through the runtime's job starter, never runs them). Lambda, the local platform and the
 * tests all build the API through it.
 */
export function composeApi(runtime: Runtime): Runtime {
  return runtime;
}
