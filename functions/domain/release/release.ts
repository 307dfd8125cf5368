/**
 * A statistics release from scratch: pick the tenants allowed to contribute now, anonymise their facts
 * into a fresh anonymised release, publish its statistics. Run monthly, on demand (`POST /admin/releases`)
 * and after every purge, so a purged tenant never contributes to a release made after its purge.
 */
import { z } from 'zod';
import type { KeyStore, ObjectStore, QueryRunner, Table } from '../../adapters/ports.ts';
import { appendLedger } from '../ledger/ledger.ts';
import { anonymise } from '../masking/anonymise.ts';
import { japanDate } from '../purge/lifecycle.ts';
import type { ReleaseStatistics } from '../purge/ports.ts';
import type { PlatformSettings } from '../settings.ts';
import { type ReleaseManifest, releaseIdFor } from '../stats/release.ts';
import { runStatsRelease } from '../stats/run.ts';
import { TENANTS_TABLE } from '../tenants/admin.ts';
import { type TenantRecord, tenantRecordSchema } from '../tenants/model.ts';

export const RELEASE_REASONS = ['scheduled', 'on-demand', 'tenant-purged'] as const;
export const releaseReasonSchema = z.enum(RELEASE_REASONS);
export type ReleaseReason = z.infer<typeof releaseReasonSchema>;

/** What a release reaches: facts and releases (objects), tenants and ledger (table), settings. */
export interface ReleasePorts {
  readonly objects: ObjectStore;
  readonly table: Table;
  readonly keys: KeyStore;
  readonly settings: PlatformSettings;
  readonly clock: () => Date;
  /** Athena in the `etl` workgroup (deployed); publishing uses it above the size threshold. */
  readonly athena?: QueryRunner | undefined;
  /** Physical stats bucket, for Athena CTAS locations. */
  readonly statsBucket?: string | undefined;
}

export interface BuildReleaseRequest {
  readonly now: Date;
  readonly reason: ReleaseReason;
  /** Who asked (an admin's subject), for the ledger. @default the release scheduler */
  readonly actor?: { readonly subject: string; readonly roles: readonly string[] };
}

export interface BuiltRelease {
  readonly releaseId: string;
  readonly reason: ReleaseReason;
  /** Tenants allowed to contribute (those without facts yet add no rows). */
  readonly contributingTenants: number;
  readonly manifest: ReleaseManifest;
}

const RELEASE_ACTOR = { subject: 'system:stats-release', roles: ['system'] } as const;

/**
 * Whether a tenant's facts may go into a release made at `now`: its record says ACTIVE and its contract
 * (Japanese calendar dates) has started and not ended. A terminated tenant (data kept only until purge), one being purged and a
 * purged one never contribute.
 */
export function mayContribute(tenant: TenantRecord, now: Date): boolean {
  const today = japanDate(now);
  if (tenant.state !== 'ACTIVE') return false;
  if (tenant.contract.start > today) return false;
  return tenant.contract.end === undefined || tenant.contract.end >= today;
}

/** Ids of the tenants allowed to contribute now, from the tenants table (sorted, for stable releases). */
export async function contributingTenants(table: Table, now: Date): Promise<string[]> {
  if (!table.scan) throw new Error('The Table adapter has no scan(); the tenants table cannot be listed');
  const ids: string[] = [];
  let cursor: Record<string, unknown> | undefined;
  do {
    const page = await table.scan(TENANTS_TABLE, { cursor, limit: 100 });
    for (const item of page.items) {
      const tenant = tenantRecordSchema.safeParse(item);
      if (tenant.success && mayContribute(tenant.data, now)) ids.push(tenant.data.tenantId);
    }
    cursor = page.cursor;
  } while (cursor);
  return ids.sort();
}

/**
 * Builds a release: contributing tenants → `anonymise` (release id `releaseIdFor(now)`) → published
 * statistics (DuckDB here, Athena above the threshold when deployed). Recorded in the ledger.
 */
export async function buildRelease(ports: ReleasePorts, request: BuildReleaseRequest): Promise<BuiltRelease> {
  const reason = releaseReasonSchema.parse(request.reason);
  const releaseId = releaseIdFor(request.now);
  const tenants = await contributingTenants(ports.table, request.now);
  await anonymise(
    { objects: ports.objects, table: ports.table, keys: ports.keys, settings: ports.settings },
    { releaseId, tenants },
  );
  const manifest = await runStatsRelease(
    { objects: ports.objects, athena: ports.athena, statsBucket: ports.statsBucket },
    ports.settings,
    { releaseId },
  );
  const actor = request.actor ?? RELEASE_ACTOR;
  await appendLedger(ports, {
    action: 'stats.release_published',
    actor: { subject: actor.subject, roles: [...actor.roles] },
    purpose: 'anonymised-statistics',
    details: { releaseId, reason, contributingTenants: tenants.length },
  });
  return { releaseId, reason, contributingTenants: tenants.length, manifest };
}

/**
 * The purge's `releaseStatistics` port: after a tenant's data is gone, a new release built without it
 * (the tenant is PURGING by then, so it is not among the contributors).
 */
export function releaseAfterPurge(ports: ReleasePorts): ReleaseStatistics {
  return async () => {
    const built = await buildRelease(ports, { now: ports.clock(), reason: 'tenant-purged' });
    return { releaseId: built.releaseId };
  };
}
