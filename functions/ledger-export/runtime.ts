import type { EnvironmentNeeds } from '../adapters/environment.ts';
import type { Runtime } from '../adapters/runtime.ts';
import type { LedgerExportPorts } from '../domain/ledger/export.ts';

/** What the deployed function needs from its environment (checked at its first invocation). */
export const LEDGER_EXPORT_NEEDS: EnvironmentNeeds = { buckets: ['audit'], tables: ['ledger'] };

/** The ledger-export function's composition root, for Lambda, local and tests. */
export function composeLedgerExport(runtime: Runtime): LedgerExportPorts {
  const { objects, table, clock } = runtime;
  return { objects, table, clock };
}
