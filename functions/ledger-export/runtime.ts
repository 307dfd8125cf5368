import type { Runtime } from '../adapters/runtime.ts';
import type { LedgerExportPorts } from '../domain/ledger/export.ts';

/** The ledger-export function's composition root, for Lambda, local and tests. */
export function composeLedgerExport(runtime: Runtime): LedgerExportPorts {
  const { objects, table, clock } = runtime;
  return { objects, table, clock };
}
