import { type ObjectStore, queryAll, type Table } from '../ports/index.ts';
import { IN_FLIGHT_INDEX, IN_FLIGHT_PHASES, type InFlightPhase } from './in-flight.ts';
import { UPLOADS_TABLE } from './records.ts';

/**
 * Uploads that should have moved on and have not: found through the sparse `byInFlight` index (only
 * unfinished uploads are in it), so the check reads unfinished uploads only and can run every few
 * minutes (functions/upload-watch). Ids, phases and times only — never a value of the file.
 *
 * - RECEIVED, VALIDATING, MASKING, WITHDRAWING: unchanged for longer than `stuckAfterMs`. The ingest function runs at
 *   most its timeout (10 minutes), so after that the invocation that set the phase is gone; SQS delivers
 *   the message again after the visibility timeout, and after INGEST_MAX_RECEIVE_COUNT receipts it sits in
 *   the dead-letter queue, where nothing finishes it without an operator.
 * - REQUESTED with its file in the landing bucket for longer than `stuckAfterMs`: the object-created
 *   notification was lost or is stuck in the queue. A request without a file is the user's to finish
 *   (or abandon: it expires with the table's TTL) and is not stuck.
 */
export interface StuckUpload {
  readonly tenantId: string;
  readonly uploadId: string;
  readonly phase: InFlightPhase;
  readonly updatedAt: string;
}

/** Default age after which an unfinished upload counts as stuck: the ingest timeout and 5 minutes. */
export const STUCK_AFTER_MS = 15 * 60_000;

export async function findStuckUploads(
  ports: { readonly table: Table; readonly objects: Pick<ObjectStore, 'head'> },
  now: Date,
  stuckAfterMs: number = STUCK_AFTER_MS,
): Promise<StuckUpload[]> {
  const before = new Date(now.getTime() - stuckAfterMs).toISOString();
  const stuck: StuckUpload[] = [];
  for (const phase of IN_FLIGHT_PHASES) {
    const unfinished = queryAll(ports.table, {
      table: UPLOADS_TABLE,
      index: IN_FLIGHT_INDEX,
      partition: { name: 'inFlight', value: phase },
    });
    for await (const item of unfinished) {
      const { tenantId, uploadId, updatedAt, key } = item;
      if (typeof tenantId !== 'string' || typeof uploadId !== 'string' || typeof updatedAt !== 'string') {
        continue;
      }
      if (updatedAt >= before) continue;
      if (phase === 'REQUESTED') {
        const landed = typeof key === 'string' ? await ports.objects.head('landing', key) : undefined;
        if (!landed || (landed.lastModified && landed.lastModified.toISOString() >= before)) continue;
      }
      stuck.push({ tenantId, uploadId, phase, updatedAt });
    }
  }
  return stuck;
}
