/**
 * The end of a support grant: its exports deleted (every version) when it expires or is revoked, and the
 * sweep that expires grants (and lapses undecided requests) on a schedule.
 */
import { ConflictError } from '../errors.ts';
import { appendLedger } from '../ledger/ledger.ts';
import { allTenants } from '../tenants/rules.ts';
import { supportExportPrefix } from '../zones.ts';
import {
  effectiveStatus,
  type GrantRecord,
  type SupportPorts,
  saveGrant,
  tenantGrants,
} from './grant-records.ts';

/** Every registered tenant id (the tenants table is small), sorted. */
export async function allTenantIds(ports: Pick<SupportPorts, 'table'>): Promise<string[]> {
  const ids: string[] = [];
  for await (const tenant of allTenants(ports.table)) ids.push(tenant.tenantId);
  return ids.sort();
}

/**
 * Deletes every object (and every version) under the grant's export prefix; returns the keys deleted.
 */
export async function deleteGrantExports(
  ports: Pick<SupportPorts, 'objects'>,
  grant: Pick<GrantRecord, 'tenantId' | 'grantId'>,
): Promise<string[]> {
  const prefix = supportExportPrefix(grant.tenantId, grant.grantId);
  const refs: { key: string; versionId: string }[] = [];
  for await (const version of ports.objects.listVersions('raw', prefix)) {
    refs.push({ key: version.key, versionId: version.versionId });
  }
  for (let i = 0; i < refs.length; i += 1000) {
    const { failed } = await ports.objects.deleteMany('raw', refs.slice(i, i + 1000));
    if (failed.length > 0) throw new Error(`Could not delete ${failed.length} support export object(s)`);
  }
  return [...new Set(refs.map((r) => r.key))].sort();
}

/** The fields of a grant that ended (revoked, or expired by the sweep) and had its exports deleted. */
export const endedFields = (status: 'REVOKED' | 'EXPIRED', endedBy: string, at: Date, deleted: string[]) => ({
  status,
  endedBy,
  endedAt: at.toISOString(),
  deletedExports: deleted,
});

const SWEEPER = { subject: 'kura:support-sweep', roles: [] as string[] };

export interface SweptGrant {
  readonly tenantId: string;
  readonly grantId: string;
  readonly deleted: readonly string[];
}

/**
 * Ends every grant past its expiry (and lapses undecided requests): marks it EXPIRED, deletes its
 * exports and records a `support.grant_expired` ledger entry listing what was deleted. Meant to run
 * on a schedule (every few minutes); support requests also call it for their tenant, so the local
 * platform behaves without a scheduler. Access checks never rely on it: they compare with the clock.
 */
export async function sweepExpiredSupportGrants(
  ports: Pick<SupportPorts, 'table' | 'objects' | 'clock'>,
  now: Date,
  options: { readonly tenantId?: string } = {},
): Promise<SweptGrant[]> {
  const tenants = options.tenantId !== undefined ? [options.tenantId] : await allTenantIds(ports);
  const swept: SweptGrant[] = [];
  for (const tenantId of tenants) {
    for (const grant of await tenantGrants(ports, tenantId)) {
      if (grant.status === 'EXPIRED' || effectiveStatus(grant, now) !== 'EXPIRED') continue;
      const deleted = await deleteGrantExports(ports, grant);
      try {
        await saveGrant(ports, grant, {
          ...grant,
          ...endedFields('EXPIRED', SWEEPER.subject, now, deleted),
          updatedAt: now.toISOString(),
        });
      } catch (error) {
        // Another sweep or a revocation got there first; it records its own entry.
        if (error instanceof ConflictError) continue;
        throw error;
      }
      await appendLedger(ports, {
        action: 'support.grant_expired',
        actor: SWEEPER,
        tenantId,
        purpose: grant.purpose,
        details: {
          grantId: grant.grantId,
          wasApproved: grant.status === 'APPROVED',
          expiresAt: grant.expiresAt ?? grant.requestExpiresAt,
          deletedExports: deleted,
          deletedCount: deleted.length,
        },
      });
      swept.push({ tenantId, grantId: grant.grantId, deleted });
    }
  }
  return swept;
}
