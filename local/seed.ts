import type { Runtime } from '../functions/adapters/runtime.ts';
import type { Principal } from '../functions/domain/auth/principal.ts';
import { registerTenant } from '../functions/domain/tenants/admin.ts';
import { TENANTS_TABLE } from '../functions/domain/tenants/model.ts';

/** Demo companies registered on first start (fictional; no personal data). */
export const DEMO_TENANTS = [
  {
    tenantId: 'demo-a',
    name: 'デモ製作所株式会社 (Demo Manufacturing)',
    profile: { industry: 'E', prefecture: '13', sizeBand: '20-49' },
    contract: { start: '2026-04-01' },
  },
  {
    tenantId: 'demo-b',
    name: 'デモ商店合同会社 (Demo Retail)',
    profile: { industry: 'I', prefecture: '27', sizeBand: '5-19' },
    contract: { start: '2026-04-01' },
  },
] as const;

/** The local platform's administrator (its token: `kura token --role admin`). */
export const LOCAL_ADMIN: Principal = { subject: 'local-admin-platform', roles: ['admin'] };

/** Registers the demo tenants that are not registered yet (idempotent, so a restart changes nothing). */
export async function seedDemoTenants(ports: Runtime): Promise<string[]> {
  const created: string[] = [];
  for (const tenant of DEMO_TENANTS) {
    if (await ports.table.get(TENANTS_TABLE, { tenantId: tenant.tenantId })) continue;
    await registerTenant(ports, LOCAL_ADMIN, tenant);
    created.push(tenant.tenantId);
  }
  return created;
}
