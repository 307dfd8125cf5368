import type { Message } from '../i18n.ts';
import { tenantsAwaitingRelease } from '../release/release.ts';
import { findTenantsDue } from './due.ts';
import { LegalHoldError } from './errors.ts';
import type { PurgePorts } from './ports.ts';
import { type PurgeBudget, purgeTenant } from './purge.ts';
import { type ResidueDeleted, sweepPurgedTenants } from './residue.ts';

export interface ScheduledPurgeSummary {
  /** A release asked for again because purged tenants still wait for one without them (its job id). */
  readonly releaseRequested?: string | undefined;
  readonly purged: ReadonlyArray<{ readonly tenantId: string; readonly certificateId: string }>;
  readonly inProgress: readonly string[];
  readonly blocked: ReadonlyArray<{ readonly tenantId: string; readonly message: Message }>;
  readonly failed: ReadonlyArray<{ readonly tenantId: string; readonly error: string }>;
  /** Purged companies where something appeared after their certificate: deleted now and recorded. */
  readonly residueDeleted: readonly ResidueDeleted[];
  /** True when work is left (a purge paused, or tenants not reached): invoke again. */
  readonly more: boolean;
}

/**
 * The scheduled run: purges every tenant due at `now`, one after another, within one shared budget.
 * A legal hold or a failing tenant does not stop the others; each is reported.
 */
export async function purgeExpiredTenants(
  ports: PurgePorts,
  request: { readonly now: Date; readonly budget?: PurgeBudget },
): Promise<ScheduledPurgeSummary> {
  const purged: Array<{ tenantId: string; certificateId: string }> = [];
  const inProgress: string[] = [];
  const blocked: Array<{ tenantId: string; message: Message }> = [];
  const failed: Array<{ tenantId: string; error: string }> = [];
  const due = await findTenantsDue(ports, request.now);
  let batchesLeft = request.budget?.maxBatches;
  let reached = 0;
  for (const tenant of due) {
    if (batchesLeft !== undefined && batchesLeft <= 0) break;
    const deadline = request.budget?.deadline;
    if (deadline && (ports.clock?.() ?? new Date()).getTime() >= deadline.getTime()) break;
    reached++;
    try {
      const result = await purgeTenant(ports, {
        tenantId: tenant.tenantId,
        now: request.now,
        budget: { maxBatches: batchesLeft, deadline },
      });
      if (result.outcome === 'purged') {
        purged.push({ tenantId: tenant.tenantId, certificateId: result.certificate.certificateId });
      } else if (result.outcome === 'in-progress') {
        inProgress.push(tenant.tenantId);
      }
      if (batchesLeft !== undefined && result.outcome !== 'dry-run') batchesLeft -= result.batches;
    } catch (error) {
      if (error instanceof LegalHoldError)
        blocked.push({ tenantId: tenant.tenantId, message: error.userMessage });
      else if (error instanceof Error)
        failed.push({ tenantId: tenant.tenantId, error: `${error.name}: ${error.message}` });
      else throw error;
    }
  }
  const releaseRequested = await askAgainForPendingRelease(ports, purged.length);
  // Every purged company again, as its verification did: what appeared since is deleted and recorded.
  const sweep = await sweepPurgedTenants(ports, { deadline: request.budget?.deadline });
  failed.push(...sweep.failed);
  return {
    purged,
    inProgress,
    blocked,
    failed,
    residueDeleted: sweep.deleted,
    more: inProgress.length > 0 || reached < due.length,
    ...(releaseRequested ? { releaseRequested } : {}),
  };
}

/**
 * A purge starts a release without the tenant right after its certificate; when that could not start or
 * the release failed, the tenant stays `releasePending`. The daily run asks once more for all of them
 * (one release serves every pending tenant); a purge of this run already asked.
 */
async function askAgainForPendingRelease(
  ports: PurgePorts,
  purgedThisRun: number,
): Promise<string | undefined> {
  if (purgedThisRun > 0) return undefined;
  if ((await tenantsAwaitingRelease(ports.tables)).length === 0) return undefined;
  return (await ports.requestRelease({ reason: 'tenant-purged' })).jobId;
}
