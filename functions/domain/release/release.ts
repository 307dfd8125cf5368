/**
 * A statistics release, the one use case behind every release: pick the tenants allowed to contribute
 * now, anonymise their facts into a fresh anonymised release, publish its statistics. It runs only in the
 * release function, started by the monthly schedule, by an administrator (`POST /admin/releases`, which
 * answers 202 with a job id) and after every purge, so a purged tenant never contributes to a release
 * made after its purge.
 */

import { KuraError } from '../errors.ts';
import { msg } from '../i18n.ts';
import {
  acquireLease,
  beginJob,
  finishJob,
  type JobActor,
  type JobRecord,
  jobEventSchema,
  releaseLease,
} from '../jobs/jobs.ts';
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
import { auditReportKey, ReleaseAuditFailedError } from '../stats/audit.ts';
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
const anonymisedStepSchema = z.strictObject({
  step: z.literal('anonymised'),
  releaseId: z.string(),
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
type AnonymisedStep = z.infer<typeof anonymisedStepSchema>;

/**
 * A release's first step: the tenants allowed to contribute at `now` → `anonymise` (release id
 * `releaseIdFor(now)`), a fresh anonymised release in the curated bucket. Also returns the tenants left
 * out for outdated facts (for the operators' log; never recorded).
 */
async function anonymiseStep(
  ports: ReleasePorts,
  now: Date,
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
async function publishStep(
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
  const { step, factsOutdated } = await anonymiseStep(ports, request.now);
  const manifest = await publishStep(ports, step, { reason, actor: request.actor });
  return builtRelease(step, reason, manifest, factsOutdated);
}

function builtRelease(
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

/** The release function's event: `{}` from the schedule, or a job the API or a purge requested. */
export const releaseJobEventSchema = z.extend(jobEventSchema, {
  reason: z._default(releaseReasonSchema, 'scheduled'),
  actor: z.optional(z.object({ subject: z.string().check(z.minLength(1)), roles: z.array(z.string()) })),
  /** The purged tenant a `tenant-purged` release is for (for the record only). */
  tenantId: z.optional(z.string()),
});
export type ReleaseJobEvent = z.input<typeof releaseJobEventSchema>;

export type ReleaseJobOutcome =
  | { readonly outcome: 'published'; readonly job: JobRecord; readonly release: BuiltRelease }
  | { readonly outcome: 'joined'; readonly job: JobRecord; readonly runningJobId: string }
  | {
      /** Anonymised; publishing goes on in a fresh invocation of the release function (same job). */
      readonly outcome: 'continued';
      readonly job: JobRecord;
      readonly releaseId: string;
      /** Tenants left out for outdated facts (for the operators' log; never recorded). */
      readonly factsOutdated: readonly string[];
    }
  | {
      readonly outcome: 'refused';
      readonly job: JobRecord;
      readonly releaseId: string;
      /** Findings of the disclosure audit (their details are in the admin-only audit report). */
      readonly findings: number;
    };

/**
 * Publishing (cells, suppression, the disclosure audit) took 2.1–3.7 times as long as anonymising at
 * 5,000 and 50,000 companies in the bench (docs/LIMITS.md), and up to 11 times at small sizes, where
 * both take seconds. A release publishes in the invocation that anonymised it only when the time left
 * is at least this many times what anonymising took plus `PUBLISH_FLOOR_MS`; otherwise it hands
 * publishing to a fresh invocation, which has the function's whole timeout.
 */
export const PUBLISH_PER_ANONYMISE = 4;
export const PUBLISH_FLOOR_MS = 120_000;
/**
 * How long the release lease is held for the invocation that publishes, from the hand-off: its queueing
 * and its whole timeout (15 minutes). A hand-off that never runs frees the lease after this.
 */
export const CONTINUATION_LEASE_MS = 30 * 60_000;

/** Whether publishing must go on in a fresh invocation: too little time left after anonymising. */
export function publishNeedsFreshInvocation(anonymiseMs: number, remainingMs: number): boolean {
  return remainingMs < anonymiseMs * PUBLISH_PER_ANONYMISE + PUBLISH_FLOOR_MS;
}

/**
 * Runs one release job, in one invocation or two. Two jobs started at once (the schedule and an
 * administrator) produce one release: the second finds the lease held and records that it joined the
 * first. When too little time is left after anonymising (`publishNeedsFreshInvocation`) and the function
 * can start itself (`ports.jobs`), the job records its first step (`result.step: 'anonymised'`), keeps
 * the lease and starts the release function again with the same job: that invocation, or any retry of
 * either, publishes the anonymised release the record names instead of anonymising again. A failure is
 * recorded on the job and thrown, so Lambda retries the asynchronous invocation.
 */
export async function runReleaseJob(
  ports: ReleasePorts,
  rawEvent: unknown,
  options: { readonly leaseMs: number; readonly remainingMs: () => number },
): Promise<ReleaseJobOutcome> {
  const event = releaseJobEventSchema.parse(rawEvent ?? {});
  const actor = event.actor ?? RELEASE_ACTOR;
  const job = await beginJob(ports, {
    jobId: event.jobId,
    kind: 'release',
    reason: event.reason,
    actor,
    tenantId: event.tenantId,
  });
  const lease = await acquireLease(
    ports,
    'release',
    job.jobId,
    new Date(ports.clock().getTime() + options.leaseMs),
  );
  if (!lease.acquired) {
    const joined = await finishJob(ports, job, { state: 'JOINED', joinedJobId: lease.holder });
    return { outcome: 'joined', job: joined, runningJobId: lease.holder };
  }
  let handedOff = false;
  // The record as last written: a failure after the first step keeps the step for the retry.
  let current = job;
  try {
    const recorded = anonymisedStepSchema.safeParse(job.result);
    let step: AnonymisedStep;
    let factsOutdated: readonly string[] = [];
    if (recorded.success) {
      step = recorded.data;
    } else {
      const started = performance.now();
      ({ step, factsOutdated } = await anonymiseStep(ports, ports.clock()));
      const anonymiseMs = performance.now() - started;
      if (ports.jobs && publishNeedsFreshInvocation(anonymiseMs, options.remainingMs())) {
        current = await finishJob(ports, job, { state: 'RUNNING', result: step });
        await acquireLease(
          ports,
          'release',
          job.jobId,
          new Date(ports.clock().getTime() + CONTINUATION_LEASE_MS),
        );
        await ports.jobs.start('release', { ...event, jobId: job.jobId });
        handedOff = true;
        return { outcome: 'continued', job: current, releaseId: step.releaseId, factsOutdated };
      }
    }
    const manifest = await publishStep(ports, step, { reason: event.reason, actor });
    await settlePendingReleases(ports.table, step.selectedAt);
    const done = await finishJob(ports, current, {
      state: 'SUCCEEDED',
      result: {
        releaseId: step.releaseId,
        contributingTenants: step.contributingTenants,
        pooledCompanies: step.pooledCompanies,
        leftOut: { ...step.leftOut },
      },
    });
    return {
      outcome: 'published',
      job: done,
      release: builtRelease(step, event.reason, manifest, factsOutdated),
    };
  } catch (error) {
    if (error instanceof ReleaseAuditFailedError) {
      // The audit refused the release: nothing was published, and running it again would refuse again.
      const refused = await finishJob(ports, current, {
        state: 'FAILED',
        code: 'AUDIT_FAILED',
        message: msg(
          `統計の公表を取りやめました。開示リスク監査が ${error.report.failures.length} 件の問題を見つけました（管理者向けの記録: ${auditReportKey(error.report.releaseId)}）。`,
          `The statistics release was withheld: the disclosure audit found ${error.report.failures.length} problem(s) (for administrators: ${auditReportKey(error.report.releaseId)}).`,
        ),
      });
      return {
        outcome: 'refused',
        job: refused,
        releaseId: error.report.releaseId,
        findings: error.report.failures.length,
      };
    }
    await finishJob(ports, current, {
      state: 'FAILED',
      code: error instanceof KuraError ? error.code : error instanceof Error ? error.name : 'UNKNOWN',
      message: msg(
        '統計の公表に失敗しました。自動で再試行されます。続く場合は運用者に連絡してください。',
        'The statistics release failed. It is retried automatically; if it keeps failing, contact the operators.',
      ),
    });
    throw error;
  } finally {
    // A release handed to a fresh invocation keeps the lease: that invocation gives it back.
    if (!handedOff) await releaseLease(ports, 'release', job.jobId);
  }
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
