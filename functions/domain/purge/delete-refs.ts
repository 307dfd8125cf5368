/** Deleting one batch of object versions, again and again for what S3 reports as not deleted. */
import type { ObjectRef, ObjectStore } from '../ports/index.ts';
import { PurgeDeleteFailedError } from './errors.ts';
import { countsKey, type PurgeLocation } from './locations.ts';
import { type BackoffOptions, withBackoff } from './retry.ts';

/** Rounds of re-deleting refs S3 reported as failed before the purge gives up (and stays resumable). */
const PARTIAL_FAILURE_ROUNDS = 5;

/**
 * Deletes refs under a location, retrying throttling (backoff) and re-deleting the refs a DeleteObjects
 * call reports as failed; PurgeDeleteFailedError after PARTIAL_FAILURE_ROUNDS rounds.
 */
export async function deleteRefs(
  store: ObjectStore,
  location: PurgeLocation,
  refs: readonly ObjectRef[],
  options: {
    readonly tenantId: string;
    readonly backoff: BackoffOptions;
  },
): Promise<void> {
  let pending = refs;
  for (let round = 1; pending.length > 0; round++) {
    const batch = pending;
    const { failed } = await withBackoff(() => store.deleteMany(location.bucket, batch), options.backoff);
    if (failed.length === 0) return;
    if (round >= PARTIAL_FAILURE_ROUNDS)
      throw new PurgeDeleteFailedError(options.tenantId, countsKey(location), failed.length);
    const { sleep, random } = options.backoff;
    await sleep(Math.floor(random() * 100 * 2 ** round));
    pending = failed;
  }
}
