import type { Runtime } from '../adapters/runtime.ts';
import type { SupportPorts } from '../domain/support/grants.ts';

/** What the sweep reaches. */
export type SweepPorts = Pick<SupportPorts, 'table' | 'objects' | 'clock'>;

/** The support-sweep function's composition root, for Lambda, local and tests. */
export function composeSupportSweep(runtime: Runtime): SweepPorts {
  const { objects, table, clock } = runtime;
  return { objects, table, clock };
}
