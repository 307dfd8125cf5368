/**
 * A statistics release, the one use case behind every release: pick the tenants allowed to contribute
 * now, anonymise their facts into a fresh anonymised release, publish its statistics. It runs only in the
 * release function, started by the monthly schedule, by an administrator (`POST /admin/releases`, which
 * answers 202 with a job id) and after every purge, so a purged tenant never contributes to a release
 * made after its purge.
 */

import type { JobActor } from '../jobs/jobs.ts';
import { appendLedger } from '../ledger/ledger.ts';
import { anonymise } from '../masking/anonymise.ts';
import type { CompaniesLeftOut } from '../masking/release-companies.ts';
import {
  ConditionFailedError,
  type JobStarter,
  type KeyStore,
  type ObjectStore,
  type Table,
} from '../ports/index.ts';
import type { PlatformSettings } from '../settings.ts';
import type { SuppressionSolver } from '../stats/audit-checks.ts';
import { type ReleaseManifest, releaseIdFor } from '../stats/release.ts';
import { publishAnonymisedRelease, type ReleaseAthena } from '../stats/run.ts';
import { TENANTS_TABLE, type TenantRecord } from '../tenants/model.ts';
import { allTenants, contractRunningAt } from '../tenants/rules.ts';
import { tenantsInFlight } from '../uploads/in-flight.ts';
import * as z from '../zod.ts';

/** Why a release runs; `data-folder-migration`: replaces a local data folder's releases of an earlier version (local/reconcile.ts). */
export const RELEASE_REASONS = ['scheduled', 'on-demand', 'tenant-purged', 'data-folder-migration'] as const;
export const releaseReasonSchema = z.enum(RELEASE_REASONS);
export type ReleaseReason = z.infer<typeof releaseReasonSchema>;

/** What a release reaches: facts and releases (objects), tenants, jobs and ledger (table), settings. */
export interface ReleasePorts {
  readonly objects: ObjectStore;
  readonly table: Table;
  readonly keys: KeyStore;
  readonly settings: PlatformSettings;
  readonly clock: () => Date;
  readonly newId: () => string;
  /** Athena in the stage's `etl` workgroup (deployed); publishing uses it above the size threshold. */
  readonly athena?: ReleaseAthena | undefined;
  /** Solves the release audit's linear programs (worker threads where the composition root gives them). */
  readonly auditSolver?: SuppressionSolver | undefined;
  /**
   * Starts the release function again, to publish in a fresh invocation what this one anonymised when
   * too little time is left (runReleaseJob); without it a job always publishes in the same invocation.
   */
  readonly jobs?: JobStarter | undefined;
}

export interface BuildReleaseRequest {
  readonly now: Date;
  readonly reason: ReleaseReason;
  /** Who asked (an admin's subject), for the ledger. @default the release scheduler */
  readonly actor?: JobActor;
}

export interface BuiltRelease {
  readonly releaseId: string;
  readonly reason: ReleaseReason;
  /** Tenants allowed to contribute (those without facts yet add no rows). */
  readonly contributingTenants: number;
  /** Of them, the companies whose facts the release pooled. */
  readonly pooledCompanies: number;
  /** The others, by why: contributingTenants = pooledCompanies + the three counts. */
  readonly leftOut: CompaniesLeftOut;
  /** Tenants left out for outdated facts (for the operators' log; never published). */
  readonly factsOutdated: readonly string[];
  readonly manifest: ReleaseManifest;
}

/** Who runs a release nobody asked for by name (the monthly schedule). */
export const RELEASE_ACTOR: JobActor = { subject: 'system:stats-release', roles: ['system'] };

/**
 * Whether a tenant's facts may go into a release made at `now`: its record says ACTIVE and its contract
 * (Japanese calendar dates) has started and not ended. A terminated tenant (data kept only until purge), one being purged and a
 * purged one never contribute.
 */
export function mayContribute(tenant: TenantRecord, now: Date): boolean {
  return contractRunningAt(tenant, now);
}

/**
 * Ids of the tenants allowed to contribute now, from the tenants table (sorted, for stable releases). A
 * tenant with a withdrawal not yet finished is left out: its facts may still hold the withdrawn rows until
 * the run that finishes the withdrawal removes them, and that run may never have started (the API died
 * after its commit, or could not reach the mask function).
 */
export async function contributingTenants(table: Table, now: Date): Promise<string[]> {
  return (await contributingTenantRecords(table, now)).map((tenant) => tenant.tenantId);
}

/** The records of the tenants allowed to contribute now (contributingTenants), in the same order. */
async function contributingTenantRecords(table: Table, now: Date): Promise<TenantRecord[]> {
  const withdrawing = await tenantsInFlight(table, 'WITHDRAWING');
  const records: TenantRecord[] = [];
  for await (const tenant of allTenants(table)) {
    if (mayContribute(tenant, now) && !withdrawing.has(tenant.tenantId)) records.push(tenant);
  }
  return records.sort((a, b) => (a.tenantId < b.tenantId ? -1 : a.tenantId > b.tenantId ? 1 : 0));
}

/** What a release's first step leaves for its second: the anonymised release and who is in it. */
export const anonymisedStepSchema = z.strictObject({
  step: z.literal('anonymised'),
  releaseId: z.string(),
  /** Names the hand-over of this step's publishing (the lease's holder while it waits). */
  handover: z.uuid(),
  /** When the contributing tenants were picked: a purge finished before then is not in this release. */
  selectedAt: z.iso.datetime(),
  contributingTenants: z.int().check(z.nonnegative()),
  pooledCompanies: z.int().check(z.nonnegative()),
  leftOut: z.strictObject({
    withoutFacts: z.int().check(z.nonnegative()),
    withdrawalUnfinished: z.int().check(z.nonnegative()),
    factsOutdated: z.int().check(z.nonnegative()),
  }),
});
export type AnonymisedStep = z.infer<typeof anonymisedStepSchema>;

/**
 * A release's first step: the tenants allowed to contribute at `now` → `anonymise` (release id
 * `releaseIdFor(now)`), a fresh anonymised release in the curated bucket. Also returns the tenants left
 * out for outdated facts (for the operators' log; never recorded).
 */
export async function anonymiseStep(
  ports: ReleasePorts,
  now: Date,
  handover: string,
): Promise<{ readonly step: AnonymisedStep; readonly factsOutdated: readonly string[] }> {
  const releaseId = releaseIdFor(now);
  const records = await contributingTenantRecords(ports.table, now);
  const tenants = records.map((tenant) => tenant.tenantId);
  const anonymised = await anonymise(
    { objects: ports.objects, table: ports.table, keys: ports.keys, settings: ports.settings },
    { releaseId, tenants, profiles: new Map(records.map((tenant) => [tenant.tenantId, tenant.profile])) },
  );
  return {
    step: {
      step: 'anonymised',
      releaseId,
      handover,
      selectedAt: now.toISOString(),
      contributingTenants: tenants.length,
      pooledCompanies: anonymised.report.tenants,
      leftOut: { ...anonymised.leftOut },
    },
    factsOutdated: anonymised.factsOutdated,
  };
}

/**
 * A release's second step: the anonymised release published (DuckDB here, Athena above the threshold
 * when deployed) and recorded in the ledger. It reads only what the first step stored, so it can run in
 * another invocation.
 */
export async function publishStep(
  ports: ReleasePorts,
  step: AnonymisedStep,
  request: { readonly reason: ReleaseReason; readonly actor?: JobActor | undefined },
): Promise<ReleaseManifest> {
  const manifest = await publishAnonymisedRelease(
    { objects: ports.objects, athena: ports.athena, auditSolver: ports.auditSolver },
    ports.settings,
    step.releaseId,
  );
  const actor = request.actor ?? RELEASE_ACTOR;
  await appendLedger(ports, {
    action: 'stats.release_published',
    actor: { subject: actor.subject, roles: [...actor.roles] },
    purpose: 'anonymised-statistics',
    details: {
      releaseId: step.releaseId,
      reason: request.reason,
      contributingTenants: step.contributingTenants,
      pooledCompanies: step.pooledCompanies,
      leftOutWithoutFacts: step.leftOut.withoutFacts,
      leftOutWithdrawalUnfinished: step.leftOut.withdrawalUnfinished,
      leftOutFactsOutdated: step.leftOut.factsOutdated,
    },
  });
  return manifest;
}

/**
 * Builds a release in one go: `anonymiseStep` then `publishStep`. Recorded in the ledger.
 */
export async function buildRelease(ports: ReleasePorts, request: BuildReleaseRequest): Promise<BuiltRelease> {
  const reason = releaseReasonSchema.parse(request.reason);
  const { step, factsOutdated } = await anonymiseStep(ports, request.now, ports.newId());
  const manifest = await publishStep(ports, step, { reason, actor: request.actor });
  return builtRelease(step, reason, manifest, factsOutdated);
}

/** What a release reports once its step is published (the job runner's and buildRelease's answer). */
export function builtRelease(
  step: AnonymisedStep,
  reason: ReleaseReason,
  manifest: ReleaseManifest,
  factsOutdated: readonly string[],
): BuiltRelease {
  return {
    releaseId: step.releaseId,
    reason,
    contributingTenants: step.contributingTenants,
    pooledCompanies: step.pooledCompanies,
    leftOut: step.leftOut,
    factsOutdated,
    manifest,
  };
}

/**
 * Purged tenants whose data a release made after their purge no longer holds: a release that started
 * at `startedAt` settles every tenant purged before then.
 */
export async function settlePendingReleases(table: Table, startedAt: string): Promise<string[]> {
  const settled: string[] = [];
  // Read every tenant first, then write: the writes never change the scan being read.
  const tenants: TenantRecord[] = [];
  for await (const tenant of allTenants(table)) tenants.push(tenant);
  for (const tenant of tenants) {
    const finished = tenant.purge?.finishedAt;
    if (tenant.state !== 'PURGED' || !tenant.releasePending || !finished || finished > startedAt) continue;
    const item = await table.get(TENANTS_TABLE, { tenantId: tenant.tenantId });
    if (!item) continue;
    try {
      await table.put(
        TENANTS_TABLE,
        { ...item, releasePending: false },
        { ifMatch: { updatedAt: tenant.updatedAt, state: 'PURGED' } },
      );
      settled.push(tenant.tenantId);
    } catch (error) {
      // Changed meanwhile: it stays pending, and the next release settles it.
      if (!(error instanceof ConditionFailedError)) throw error;
    }
  }
  return settled;
}

/** Purged tenants still waiting for a release without them. */
export async function tenantsAwaitingRelease(table: Table): Promise<string[]> {
  const ids: string[] = [];
  for await (const tenant of allTenants(table))
    if (tenant.state === 'PURGED' && tenant.releasePending === true) ids.push(tenant.tenantId);
  return ids;
}
