import { queryAll, type Table } from '../ports/index.ts';
import type { UploadRecord } from './model.ts';
import { UPLOADS_TABLE } from './records.ts';

/**
 * Bookkeeping written on every version of an upload record, so operators find unfinished uploads without
 * reading every tenant's partition, and abandoned requests do not stay forever:
 *
 * - `inFlight`: the phase of an upload that is not finished — `REQUESTED` (ticket given, file not yet
 *   processed), `RECEIVED`, `VALIDATING`, `MASKING` (accepted, masking not committed), or `WITHDRAWING`
 *   (withdrawn, its data not yet all deleted and its facts not rebuilt: no ledger entry yet). Absent once
 *   the upload is final. It keys the sparse index `byInFlight` (sort key `updatedAt`), which therefore holds
 *   only unfinished uploads: the upload watch (functions/upload-watch) queries it every few minutes.
 * - `expiresAtEpoch`: the uploads table's TTL attribute, set on `REQUESTED` records only: a request whose
 *   file never arrives is deleted REQUESTED_RECORD_DAYS after its ticket expired (its `upload.requested`
 *   ledger entry stays). Any later version of the record removes it.
 */
export const IN_FLIGHT_INDEX = 'byInFlight';
export const IN_FLIGHT_PHASES = ['REQUESTED', 'RECEIVED', 'VALIDATING', 'MASKING', 'WITHDRAWING'] as const;
export type InFlightPhase = (typeof IN_FLIGHT_PHASES)[number];

/** How long a request whose file never came is kept after its ticket expired. */
export const REQUESTED_RECORD_DAYS = 7;

/** The phase of an unfinished upload; undefined once it is final. */
export function inFlightPhase(
  record: Pick<UploadRecord, 'status' | 'maskedAt' | 'withdrawalRef'>,
): InFlightPhase | undefined {
  switch (record.status) {
    case 'REQUESTED':
    case 'RECEIVED':
    case 'VALIDATING':
      return record.status;
    case 'ACCEPTED':
    case 'PARTIALLY_ACCEPTED':
      return record.maskedAt === undefined ? 'MASKING' : undefined;
    case 'WITHDRAWN':
      return record.withdrawalRef === undefined ? 'WITHDRAWING' : undefined;
    default:
      return undefined;
  }
}

/** The record with its bookkeeping attributes set (or removed: `undefined`) for its current state. */
export function withBookkeeping<T extends UploadRecord>(record: T): T {
  const phase = inFlightPhase(record);
  const expiresAtEpoch =
    record.status === 'REQUESTED'
      ? Math.floor(Date.parse(record.expiresAt) / 1000) + REQUESTED_RECORD_DAYS * 86_400
      : undefined;
  const next: Record<string, unknown> = { ...record, inFlight: phase, expiresAtEpoch };
  for (const name of ['inFlight', 'expiresAtEpoch']) if (next[name] === undefined) delete next[name];
  return next as T;
}

/**
 * The tenants with an upload in `phase`, from the `byInFlight` index (unfinished uploads only, so a small
 * read whatever the number of tenants).
 */
export async function tenantsInFlight(table: Table, phase: InFlightPhase): Promise<Set<string>> {
  const tenants = new Set<string>();
  const unfinished = queryAll(table, {
    table: UPLOADS_TABLE,
    index: IN_FLIGHT_INDEX,
    partition: { name: 'inFlight', value: phase },
  });
  for await (const item of unfinished) if (typeof item.tenantId === 'string') tenants.add(item.tenantId);
  return tenants;
}
