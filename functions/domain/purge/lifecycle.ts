import type { Item, Table } from '../ports/index.ts';
import type { PlatformSettings } from '../settings.ts';
import { type Contract, type TenantRecord, type TenantState, tenantRecordSchema } from '../tenants/model.ts';
import { addDays, contractEndedBy, japanDay, japanDayStart } from '../tenants/rules.ts';
import { TableScanUnsupportedError } from './errors.ts';

/**
 * Tenant lifecycle: `ACTIVE → TERMINATED → PURGING → PURGED`.
 * - ACTIVE: the contract runs. Once its end date has passed the tenant counts as TERMINATED even before
 *   anyone writes that state, so a forgotten state change never keeps data past its retention.
 * - TERMINATED: data is kept for `retentionDaysAfterEnd` (contract) or `settings.retention.afterContractDays`.
 * - PURGING: a purge has started; its checkpoint lets the next invocation resume.
 * - PURGED: deletion verified and certified. The record stays as a tombstone without personal data.
 * A legal hold stops any purge whatever the state.
 */
const ALLOWED_TRANSITIONS: Readonly<Record<TenantState, readonly TenantState[]>> = {
  ACTIVE: ['TERMINATED'],
  TERMINATED: ['PURGING'],
  PURGING: ['PURGED'],
  PURGED: [],
};

export const canTransition = (from: TenantState, to: TenantState): boolean =>
  ALLOWED_TRANSITIONS[from].includes(to);

/** Days kept after the contract ends: the contract's own figure, else the platform default. */
export const retentionDaysAfterEnd = (contract: Contract, settings: PlatformSettings): number =>
  contract.retentionDaysAfterEnd ?? settings.retention.afterContractDays;

/** The Japanese date the tenant's data becomes due for purge, or undefined while the contract has no end. */
export function purgeDueDate(contract: Contract, settings: PlatformSettings): string | undefined {
  if (contract.end === undefined) return undefined;
  return addDays(contract.end, retentionDaysAfterEnd(contract, settings));
}

/** The instant the purge becomes due: 00:00 JST on the due date. */
export function purgeDueAt(contract: Contract, settings: PlatformSettings): Date | undefined {
  const dueDate = purgeDueDate(contract, settings);
  return dueDate === undefined ? undefined : japanDayStart(dueDate);
}

/** The state the tenant is in at `now`: an ACTIVE tenant whose contract end has passed is TERMINATED. */
export function effectiveState(tenant: TenantRecord, now: Date): TenantState {
  if (tenant.state !== 'ACTIVE') return tenant.state;
  return contractEndedBy(tenant, japanDay(now)) ? 'TERMINATED' : 'ACTIVE';
}

/** True when the scheduled purge should work on the tenant: an unfinished purge, or retention is over. */
export function isPurgeDue(tenant: TenantRecord, settings: PlatformSettings, now: Date): boolean {
  if (tenant.state === 'PURGED') return false;
  if (tenant.state === 'PURGING') return true;
  const dueAt = purgeDueAt(tenant.contract, settings);
  return (
    dueAt !== undefined && now.getTime() >= dueAt.getTime() && effectiveState(tenant, now) === 'TERMINATED'
  );
}

/** Every tenant record in the tenants table (items that are not tenants, e.g. the certificate chain head, are skipped). */
export async function* listTenants(tables: Table): AsyncIterable<TenantRecord> {
  if (!tables.scan) throw new TableScanUnsupportedError('tenants');
  let cursor: Item | undefined;
  do {
    const page = await tables.scan('tenants', { cursor, limit: 100 });
    for (const item of page.items) {
      const parsed = tenantRecordSchema.safeParse(item);
      if (parsed.success) yield parsed.data;
    }
    cursor = page.cursor;
  } while (cursor);
}

/**
 * Tenants the scheduled purge should work on at `now`, legal holds included (the purge refuses those and
 * records the refusal), unfinished purges first so a resumed purge is never starved by new ones.
 */
export async function findTenantsDue(
  ports: { readonly tables: Table; readonly settings: PlatformSettings },
  now: Date,
): Promise<TenantRecord[]> {
  const due: TenantRecord[] = [];
  for await (const tenant of listTenants(ports.tables)) {
    if (isPurgeDue(tenant, ports.settings, now)) due.push(tenant);
  }
  const rank = (tenant: TenantRecord) => (tenant.state === 'PURGING' ? 0 : 1);
  return due.sort((a, b) => rank(a) - rank(b) || a.tenantId.localeCompare(b.tenantId));
}
