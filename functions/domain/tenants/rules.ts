/**
 * Tenant rules: the one home of "is this company's contract running on day D", of the lifecycle
 * (ACTIVE → TERMINATED → PURGING → PURGED, retention, when a purge is due), of listing the tenants, and
 * of what may still be written under a company. Contract dates are Japanese calendar dates, so every rule here reads time as
 * Japan's day (JST, UTC+9 all year): a contract ending 2026-03-31 runs until 2026-03-31T15:00:00Z.
 * Uploads, ingestion, releases, the lifecycle, the purge and grants all ask these functions; none
 * compares contract dates itself.
 */

import { ForbiddenError } from '../errors.ts';
import { msg } from '../i18n.ts';
import type { Item, QueryPage, Table } from '../ports/index.ts';
import type { PlatformSettings } from '../settings.ts';
import {
  type Contract,
  isTenantId,
  TENANTS_TABLE,
  type TenantRecord,
  type TenantState,
  tenantRecordSchema,
} from './model.ts';

/** Japan Standard Time's offset: Japan has no daylight saving time. */
export const JST_OFFSET = '+09:00';
const JST_OFFSET_MS = 9 * 60 * 60 * 1000;

/** The Japanese calendar day (YYYY-MM-DD) an instant falls on. */
export const japanDay = (instant: Date): string =>
  new Date(instant.getTime() + JST_OFFSET_MS).toISOString().slice(0, 10);

/** The instant Japanese calendar day `day` (YYYY-MM-DD) begins: 00:00 JST. */
export const japanDayStart = (day: string): Date => new Date(`${day}T00:00:00${JST_OFFSET}`);

/** The calendar day `days` after `day` (negative: before), both YYYY-MM-DD. */
export function addDays(day: string, days: number): string {
  const date = new Date(`${day}T00:00:00Z`);
  date.setUTCDate(date.getUTCDate() + days);
  return date.toISOString().slice(0, 10);
}

/** What the rules read of a tenant. */
export type TenantTerms = Pick<TenantRecord, 'state' | 'contract'>;

/**
 * Whether the contract runs on Japanese day `day`: the record is ACTIVE and `day` lies between the
 * contract's start and end, both included (no end: it runs on).
 */
export function contractRunningOn(tenant: TenantTerms, day: string): boolean {
  if (tenant.state !== 'ACTIVE') return false;
  if (tenant.contract.start > day) return false;
  return tenant.contract.end === undefined || tenant.contract.end >= day;
}

/** Whether the contract runs at `instant` (on the Japanese day the instant falls on). */
export const contractRunningAt = (tenant: TenantTerms, instant: Date): boolean =>
  contractRunningOn(tenant, japanDay(instant));

/** Whether the contract has ended by Japanese day `day` (its end date is before `day`). */
export const contractEndedBy = (tenant: TenantTerms, day: string): boolean =>
  tenant.contract.end !== undefined && tenant.contract.end < day;

/** A purge has started (PURGING) or finished (PURGED): nothing may be written under the tenant any more. */
export const purgeStarted = (tenant: Pick<TenantRecord, 'state'>): boolean =>
  tenant.state === 'PURGING' || tenant.state === 'PURGED';

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

/** The Table adapter cannot scan, so the tenants cannot be listed. A wiring defect (every real adapter can), not a user error. */
export class TableScanUnsupportedError extends Error {
  override readonly name = 'TableScanUnsupportedError';
  constructor(table: string) {
    super(
      `The Table adapter has no scan(), so the ${table} table cannot be listed; implement Table.scan in the adapter`,
    );
  }
}

/**
 * One page of the tenants table (a DynamoDB scan of `limit` items): the tenant records on it, in table
 * order (items that are not tenants, e.g. the certificate chain head, are skipped), and where the next
 * page starts. The one way every caller lists tenants.
 */
export async function tenantsPage(
  table: Table,
  request: { readonly limit: number; readonly cursor?: Item | undefined },
): Promise<{ readonly tenants: TenantRecord[]; readonly cursor?: QueryPage['cursor'] }> {
  if (!table.scan) throw new TableScanUnsupportedError(TENANTS_TABLE);
  const page = await table.scan(TENANTS_TABLE, { limit: request.limit, cursor: request.cursor });
  const tenants = page.items
    .map((item) => tenantRecordSchema.safeParse(item))
    .flatMap((parsed) => (parsed.success ? [parsed.data] : []));
  return { tenants, cursor: page.cursor };
}

/**
 * Every tenant record in the tenants table, a page of up to 1,000 at a time (DynamoDB also ends a page
 * at 1 MB): a release of 50,000 companies scans the table in 50 requests or more (more when records pass
 * 1 KB) instead of 500.
 */
export async function* allTenants(table: Table): AsyncIterable<TenantRecord> {
  let cursor: Item | undefined;
  do {
    const page = await tenantsPage(table, { cursor, limit: 1_000 });
    yield* page.tenants;
    cursor = page.cursor;
  } while (cursor);
}

/** The tenant record, or undefined when no company has that id (tenant ids are validated first). */
export async function readTenant(table: Table, tenantId: string): Promise<TenantRecord | undefined> {
  if (!isTenantId(tenantId)) return undefined;
  const item = await table.get(TENANTS_TABLE, { tenantId });
  const parsed = item === undefined ? undefined : tenantRecordSchema.safeParse(item);
  return parsed?.success ? parsed.data : undefined;
}

/** No company with this id is registered (API: 403; the caller's token names a company Kura does not know). */
export class TenantNotRegisteredError extends ForbiddenError {
  override readonly name = 'TenantNotRegisteredError';
  override readonly code = 'TENANT_NOT_REGISTERED';
  constructor(tenantId: string) {
    super(
      msg(
        `会社 ${tenantId.slice(0, 63)} は Kura に登録されていません。管理者にお問い合わせください。`,
        `Company ${tenantId.slice(0, 63)} is not registered with Kura: contact the administrator.`,
      ),
    );
  }
}

/** The company's contract does not run today (Japan's day), so it may not send data or share it (API: 403). */
export class ContractNotRunningError extends ForbiddenError {
  override readonly name = 'ContractNotRunningError';
  override readonly code = 'CONTRACT_NOT_RUNNING';
  constructor(tenant: TenantRecord, day: string) {
    const { start, end } = tenant.contract;
    const period = `${start}〜${end ?? ''}`;
    const periodEn = end === undefined ? `from ${start}` : `from ${start} to ${end}`;
    super(
      msg(
        `会社 ${tenant.tenantId} の契約は本日（日本時間 ${day}）有効ではないため、この操作はできません（契約期間: ${period}、状態: ${tenant.state}）。契約の更新については管理者にお問い合わせください。`,
        `Company ${tenant.tenantId} has no contract running today (${day}, Japan time), so this is not allowed (contract ${periodEn}, state ${tenant.state}). Contact the administrator to renew the contract.`,
      ),
    );
  }
}

/** The company's data is being or has been deleted: nothing new may be written under it (API: 403). */
export class TenantPurgedError extends ForbiddenError {
  override readonly name = 'TenantPurgedError';
  override readonly code = 'TENANT_PURGED';
  constructor(tenantId: string) {
    super(
      msg(
        `会社 ${tenantId} のデータは契約終了により削除中または削除済みのため、新しい記録は作成できません。`,
        `Company ${tenantId}'s data is being or has been deleted after its contract ended, so nothing new can be recorded for it.`,
      ),
    );
  }
}

/**
 * What may still be written under a company:
 * - `running-contract`: only while its contract runs today (Japan's day): upload tickets and records,
 *   supporter grants (sharing its benchmarks), landed files taken into ingestion.
 * - `data-held`: while its data exists, i.e. before its purge starts (also in the retention period after
 *   the contract ended): support grants, so support can still help with the data that is kept.
 */
export type TenantWriteRule = 'running-contract' | 'data-held';

/** Why a write under the tenant is refused at `now`, or undefined when it may go ahead. */
export function writeRefusal(
  tenantId: string,
  tenant: TenantRecord | undefined,
  rule: TenantWriteRule,
  now: Date,
): ForbiddenError | undefined {
  if (tenant === undefined) return new TenantNotRegisteredError(tenantId);
  if (purgeStarted(tenant)) return new TenantPurgedError(tenant.tenantId);
  if (rule === 'running-contract' && !contractRunningAt(tenant, now))
    return new ContractNotRunningError(tenant, japanDay(now));
  return undefined;
}

/** The tenant, when a write under it follows `rule` at `now`; else the typed refusal is thrown. */
export async function requireTenantWrite(
  ports: { readonly table: Table },
  tenantId: string,
  rule: TenantWriteRule,
  now: Date,
): Promise<TenantRecord> {
  const tenant = await readTenant(ports.table, tenantId);
  const refusal = writeRefusal(tenantId, tenant, rule, now);
  if (refusal) throw refusal;
  return tenant as TenantRecord;
}

/**
 * Confirms a write under a tenant after it was made: the tenant is read again and, when a purge started
 * meanwhile, the write is undone and TenantPurgedError thrown. Why this closes the race with the purge:
 * a purge sets PURGING before it deletes anything and lists every table and prefix again before it
 * certifies. A write that lands before PURGING is deleted by the purge; one that lands after it is
 * followed by this strongly consistent read, which sees PURGING or PURGED, and is undone.
 */
export async function confirmTenantWrite(
  ports: { readonly table: Table },
  tenantId: string,
  undo: () => Promise<void>,
): Promise<void> {
  const after = await readTenant(ports.table, tenantId);
  if (after === undefined || purgeStarted(after)) {
    await undo();
    throw new TenantPurgedError(tenantId);
  }
}

/** A write under a tenant that can never outlive its purge: the rule checked, the write made, then confirmed. */
export async function guardedTenantWrite<T>(
  ports: { readonly table: Table },
  tenantId: string,
  rule: TenantWriteRule,
  now: Date,
  steps: { readonly write: () => Promise<T>; readonly undo: () => Promise<void> },
): Promise<T> {
  await requireTenantWrite(ports, tenantId, rule, now);
  const written = await steps.write();
  await confirmTenantWrite(ports, tenantId, steps.undo);
  return written;
}
