import type { Runtime } from '../adapters/runtime.ts';
import type { MaskingPorts } from '../domain/masking/pseudonymise.ts';

/** The mask function's composition root (re-masking one upload on demand), for Lambda, local and tests. */
export function composeMask(runtime: Runtime): MaskingPorts {
  const { objects, table, keys, settings } = runtime;
  return { objects, table, keys, settings };
}
