/**
 * Purging a tenant's data at the end of its contract: the entry point (purgeTenant), which plans a dry
 * run, deletes again what appeared of a purged company, refuses under a legal hold, or runs the purge
 * (run.ts) and then asks for a release without the tenant.
 */

import { tenantRecordSchema } from '../tenants/model.ts';
import { getCertificate } from './certificate.ts';
import { TenantNotFoundError } from './errors.ts';
import { refuseForLegalHold } from './legal-hold.ts';
import type { PurgeRequest, PurgeResult } from './outcome.ts';
import { planPurge } from './plan.ts';
import type { PurgePorts } from './ports.ts';
import { deleteResidue } from './residue.ts';
import { PurgeRun } from './run.ts';

export type { PurgeCheckpoint, PurgePhase } from './checkpoint.ts';
export type { PurgeBudget, PurgeRequest, PurgeResult } from './outcome.ts';
export type { PurgePlan } from './plan.ts';

/**
 * Purges a tenant: every object version and delete marker under every prefix of `tenantPrefixes` (and
 * of `tenantReplicaPrefixes` in the disaster-recovery copies, which S3 replication never deletes), its
 * rows in every tenant-partitioned table and its pseudonymisation key; then verifies with fresh
 * listings that nothing is left, writes a chained deletion certificate, marks the tenant PURGED, and
 * only then starts a statistics release without it. The certificate does not wait for the release: a
 * release that cannot start or fails is asked for again by the daily run.
 *
 * Resumable: the checkpoint in the tenant record is saved before each batch is deleted; when the budget
 * is used the result is `{ done: false }` and the caller invokes again. Re-running a finished purge
 * returns its certificate. A legal hold refuses the purge (recorded in the ledger).
 */
export async function purgeTenant(ports: PurgePorts, request: PurgeRequest): Promise<PurgeResult> {
  const raw = await ports.tables.get('tenants', { tenantId: request.tenantId });
  if (raw === undefined) throw new TenantNotFoundError(request.tenantId);
  const tenant = tenantRecordSchema.parse(raw);
  if (request.dryRun)
    return { outcome: 'dry-run', done: true, plan: await planPurge(ports, tenant, request.now) };
  if (tenant.state === 'PURGED') {
    // Purging a purged company again deletes (and records) whatever appeared after its certificate.
    const residueDeleted = await deleteResidue(ports, tenant, request.actor);
    const certificate = await getCertificate(ports, tenant.tenantId);
    return {
      outcome: 'purged',
      done: true,
      certificate,
      alreadyPurged: true,
      batches: 0,
      ...(residueDeleted ? { residueDeleted } : {}),
    };
  }
  if (tenant.legalHold) await refuseForLegalHold(ports, tenant, request);
  const run = await PurgeRun.start(ports, raw, tenant, request);
  const result = await run.continue();
  if (result.outcome !== 'purged') return result;
  return { ...result, releaseJobId: await requestReleaseWithout(ports, tenant.tenantId) };
}

/** Starts the release without a purged tenant; a failure leaves it pending for the daily run. */
async function requestReleaseWithout(ports: PurgePorts, tenantId: string): Promise<string | undefined> {
  try {
    return (await ports.requestRelease({ reason: 'tenant-purged', tenantId })).jobId;
  } catch {
    return undefined;
  }
}
