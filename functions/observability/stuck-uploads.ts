import type { Item, Table } from '../adapters/ports.ts';
import { listTenants } from '../domain/purge/lifecycle.ts';

/** Statuses an upload passes through while ingestion works on it; it should leave them within minutes. */
const IN_FLIGHT = new Set(['RECEIVED', 'VALIDATING']);

/** How long an upload may stay in flight before it counts as stuck. @default 30 minutes */
export const STUCK_AFTER_MS = 30 * 60_000;

/**
 * Uploads in RECEIVED or VALIDATING whose last change is older than `stuckAfterMs` (ingestion crashed
 * after claiming them and redelivery has not finished them): ids only, for the `UploadsStuck` metric
 * and the operator. Reads every tenant's uploads; meant for a scheduled run, not a request.
 */
export async function findStuckUploads(
  table: Table,
  now: Date,
  stuckAfterMs: number = STUCK_AFTER_MS,
): Promise<Array<{ tenantId: string; uploadId: string; status: string; updatedAt: string }>> {
  const before = new Date(now.getTime() - stuckAfterMs).toISOString();
  const stuck: Array<{ tenantId: string; uploadId: string; status: string; updatedAt: string }> = [];
  for await (const tenant of listTenants(table)) {
    let cursor: Item | undefined;
    do {
      const page = await table.query({
        table: 'uploads',
        partition: { name: 'tenantId', value: tenant.tenantId },
        cursor,
      });
      for (const item of page.items) {
        const { uploadId, status, updatedAt } = item;
        if (
          typeof uploadId === 'string' &&
          typeof status === 'string' &&
          typeof updatedAt === 'string' &&
          IN_FLIGHT.has(status) &&
          updatedAt < before
        ) {
          stuck.push({ tenantId: tenant.tenantId, uploadId, status, updatedAt });
        }
      }
      cursor = page.cursor;
    } while (cursor);
  }
  return stuck;
}
