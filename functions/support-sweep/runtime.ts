import type { EnvironmentNeeds } from '../adapters/environment.ts';
import type { Runtime } from '../adapters/runtime.ts';
import type { SupportPorts } from '../domain/platform-support/grant-records.ts';

/** What the deployed function needs from its environment (checked at its first invocation). */
export const SUPPORT_SWEEP_NEEDS: EnvironmentNeeds = {
  buckets: ['raw'],
  tables: ['tenants', 'uploads', 'ledger'],
};

/** What the sweep reaches. */
export type SweepPorts = Pick<SupportPorts, 'table' | 'objects' | 'clock'>;

/** The support-sweep function's composition root, for Lambda, local and tests. */
export function composeSupportSweep(runtime: Runtime): SweepPorts {
  const { objects, table, clock } = runtime;
  return { objects, table, clock };
}
