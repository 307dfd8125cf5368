/** Which tenants the scheduled purge works on (the lifecycle rules themselves are in tenants/rules.ts). */
import type { Table } from '../ports/index.ts';
import type { PlatformSettings } from '../settings.ts';
import type { TenantRecord } from '../tenants/model.ts';
import { allTenants, isPurgeDue } from '../tenants/rules.ts';

/**
 * Tenants the scheduled purge should work on at `now`, legal holds included (the purge refuses those and
 * records the refusal), unfinished purges first so a resumed purge is never starved by new ones.
 */
export async function findTenantsDue(
  ports: { readonly tables: Table; readonly settings: PlatformSettings },
  now: Date,
): Promise<TenantRecord[]> {
  const due: TenantRecord[] = [];
  for await (const tenant of allTenants(ports.tables)) {
    if (isPurgeDue(tenant, ports.settings, now)) due.push(tenant);
  }
  const rank = (tenant: TenantRecord) => (tenant.state === 'PURGING' ? 0 : 1);
  return due.sort((a, b) => rank(a) - rank(b) || a.tenantId.localeCompare(b.tenantId));
}
