/** A legal hold stops any purge: the refusal is recorded in the ledger, then raised. */
import type { TenantRecord } from '../tenants/model.ts';
import { LegalHoldError } from './errors.ts';
import type { PurgeRequest } from './outcome.ts';
import { type PurgePorts, SCHEDULER_ACTOR } from './ports.ts';

/** Records the refusal in the ledger, then throws LegalHoldError. */
export async function refuseForLegalHold(
  ports: PurgePorts,
  tenant: TenantRecord,
  request: PurgeRequest,
): Promise<never> {
  await ports.ledger.append({
    type: 'purge.refused',
    tenantId: tenant.tenantId,
    actor: request.actor ?? SCHEDULER_ACTOR,
    at: (ports.clock?.() ?? request.now).toISOString(),
    detail: { reason: 'legal-hold', state: tenant.state },
  });
  throw new LegalHoldError(tenant.tenantId);
}
