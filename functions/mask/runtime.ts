import type { EnvironmentNeeds } from '../adapters/environment.ts';
import type { Runtime } from '../adapters/runtime.ts';
import type { MaskingPorts } from '../domain/masking/pseudonymise.ts';

/** What the deployed function needs from its environment (checked at its first invocation). */
export const MASK_NEEDS: EnvironmentNeeds = {
  // landing: a withdrawal's second half deletes the landed file's versions (domain/uploads/withdraw.ts).
  buckets: ['landing', 'raw', 'curated'],
  tables: ['tenants', 'uploads', 'ledger'],
  keySecrets: true,
  // Stages with a DR region: withdrawals and masking's clean-up delete there too.
  replicas: ['curated'],
};

/** The mask function's composition root (re-masking one upload on demand), for Lambda, local and tests. */
export function composeMask(runtime: Runtime): MaskingPorts {
  const { objects, table, keys, settings, replica } = runtime;
  return { objects, table, keys, settings, replica };
}
