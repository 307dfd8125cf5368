import type { EnvironmentNeeds } from '../adapters/environment.ts';
import type { Runtime } from '../adapters/runtime.ts';
import type { ObjectStore, Table } from '../domain/ports/index.ts';

/** What the deployed function needs from its environment (checked at its first invocation). */
export const UPLOAD_WATCH_NEEDS: EnvironmentNeeds = { buckets: ['landing'], tables: ['uploads'] };

/** What the watch reads: the uploads table's `byInFlight` index, and whether a request's file landed. */
export interface UploadWatchPorts {
  readonly table: Table;
  readonly objects: Pick<ObjectStore, 'head'>;
  readonly clock: () => Date;
}

/** The upload-watch function's composition root, for Lambda, local and tests. */
export function composeUploadWatch(runtime: Runtime): UploadWatchPorts {
  const { objects, table, clock } = runtime;
  return { objects, table, clock };
}
