import { createHash, randomUUID } from 'node:crypto';
import { z } from 'zod';
import {
  ConditionFailedError,
  type Item,
  type ObjectRef,
  type ObjectVersion,
  type TenantUserCounts,
} from '../ports/index.ts';
import { TABLE_DEFINITIONS } from '../ports/table.ts';
import { type TenantRecord, tenantRecordSchema } from '../tenants/model.ts';
import { effectiveState, purgeDueDate, retentionDaysAfterEnd } from '../tenants/rules.ts';
import {
  advanceChainHead,
  type BucketCounts,
  bucketCountsSchema,
  type DeletionCertificate,
  deletionCertificateSchema,
  getCertificate,
  readChainHead,
  sealCertificate,
  writeCertificate,
} from './certificate.ts';
import {
  ConcurrentPurgeError,
  LegalHoldError,
  PurgeDeleteFailedError,
  TenantNotFoundError,
  TenantNotTerminatedError,
} from './errors.ts';
import {
  countsKey,
  DELETE_BATCH_LIMIT,
  findResidue,
  type PurgeLocation,
  purgeLocations,
  type Residue,
  storeOf,
  TENANT_DATA_TABLES,
  toRef,
} from './locations.ts';
import { type PurgeActor, type PurgePorts, SCHEDULER_ACTOR } from './ports.ts';
import { deleteResidue, type ResidueDeleted } from './residue.ts';
import { retainedAfterPurge } from './retained.ts';
import { defaultSleep, withBackoff } from './retry.ts';

/** S3 DeleteObjects accepts at most this many keys per request. */
const DEFAULT_TABLE_BATCH = 100;
/** Rounds of re-deleting refs S3 reported as failed before the purge gives up (and stays resumable). */
const PARTIAL_FAILURE_ROUNDS = 5;
const SAMPLE_SIZE = 5;

export interface PurgeBudget {
  /** Stop after this many delete batches (one deleteMany call, or one page of table rows). */
  readonly maxBatches?: number;
  /** Stop starting new batches at this instant (e.g. Lambda remaining time minus a margin). */
  readonly deadline?: Date;
}

export interface PurgeRequest {
  readonly tenantId: string;
  readonly now: Date;
  /** Report what would be deleted, delete nothing. */
  readonly dryRun?: boolean;
  readonly budget?: PurgeBudget;
  /**
   * Refs per deleteMany call, at most 1,000. Keep the default in production: a batch then spans one
   * whole ListObjectVersions page, which keeps the `objects` count exact even with adapters that yield
   * a page's versions before its delete markers. Smaller batches are for tests.
   * @default 1000
   */
  readonly batchSize?: number;
  /** Table rows per page. @default 100 */
  readonly tableBatchSize?: number;
  /** Who asked (the operator's subject), for the ledger. @default SCHEDULER_ACTOR */
  readonly actor?: PurgeActor;
}

const countsDelta = () => ({ objects: 0, versions: 0, deleteMarkers: 0 });

const checkpointSchema = z.object({
  // Checkpoints of earlier versions may say `release` (the release used to come before the certificate).
  phase: z.preprocess(
    (phase) => (phase === 'release' ? 'certify' : phase),
    z.enum(['users', 'objects', 'tables', 'key', 'verify', 'certify']),
  ),
  prefixIndex: z.number().int().nonnegative(),
  tableIndex: z.number().int().nonnegative(),
  buckets: z.record(z.string(), bucketCountsSchema),
  tables: z.record(z.string(), z.object({ rows: z.number().int().nonnegative() })),
  keys: z.number().int().nonnegative(),
  /**
   * Hashes (never the names) of the refs and keys of the last batch. Counts are written before a batch
   * is deleted, so a run interrupted mid-batch must not count again what it meets again on resume.
   */
  lastBatch: z.object({ refs: z.array(z.string()), keys: z.array(z.string()) }),
  batches: z.number().int().nonnegative(),
  verificationRounds: z.number().int().nonnegative(),
  verification: z
    .object({
      checkedAt: z.string(),
      prefixesListed: z.number().int(),
      tablesQueried: z.array(z.string()),
      /** The company's user accounts found disabled (none could still sign in). */
      usersDisabled: z.number().int().nonnegative().optional(),
    })
    .optional(),
  certificate: deletionCertificateSchema.optional(),
  /**
   * The certificate whose `purge.certified` ledger entry a run set out to append. Saved before the
   * append, so a run that resumes after a crash looks in the ledger first instead of appending again.
   */
  ledgerAppendFor: z.string().optional(),
});
export type PurgeCheckpoint = z.infer<typeof checkpointSchema>;
export type PurgePhase = PurgeCheckpoint['phase'];

const initialCheckpoint = (): PurgeCheckpoint => ({
  phase: 'users',
  prefixIndex: 0,
  tableIndex: 0,
  buckets: {},
  tables: {},
  keys: 0,
  lastBatch: { refs: [], keys: [] },
  batches: 0,
  verificationRounds: 0,
});

export interface PurgePlan {
  readonly tenantId: string;
  readonly state: TenantRecord['state'];
  readonly legalHold: boolean;
  readonly dueDate?: string | undefined;
  readonly buckets: Readonly<Record<string, BucketCounts>>;
  /** A few keys per bucket, so the operator sees what kind of data goes. */
  readonly samples: Readonly<Record<string, readonly string[]>>;
  readonly tables: Readonly<Record<string, { readonly rows: number }>>;
  readonly keys: number;
  /** The company's user accounts: those that can still sign in would be disabled. */
  readonly users: TenantUserCounts;
}

export type PurgeResult =
  | {
      readonly outcome: 'purged';
      readonly done: true;
      readonly certificate: DeletionCertificate;
      readonly alreadyPurged: boolean;
      readonly batches: number;
      /** For a company purged before: what appeared after its certificate and was deleted now. */
      readonly residueDeleted?: ResidueDeleted | undefined;
      /**
       * The release without the tenant, started after the certificate: its job id, or undefined when it
       * could not be started (the tenant stays `releasePending` and the daily run asks again).
       */
      readonly releaseJobId?: string | undefined;
    }
  | {
      readonly outcome: 'in-progress';
      readonly done: false;
      readonly phase: PurgePhase;
      readonly batches: number;
      /** Set when verification found something left (e.g. written during the purge): deletion starts over. */
      readonly residue?: Residue | undefined;
    }
  | { readonly outcome: 'dry-run'; readonly done: true; readonly plan: PurgePlan };

/** Short hash of a ref or key for the checkpoint: names of objects may be personal, their hashes are not. */
const digest = (...parts: string[]) =>
  createHash('sha256').update(parts.join('\u0000')).digest('base64url').slice(0, 22);

const versionLabel = (version: ObjectVersion) => version.versionId || 'null';

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

/** Records the refusal in the ledger, then throws LegalHoldError. */
async function refuseForLegalHold(
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

class PurgeRun {
  readonly #ports: PurgePorts;
  readonly #request: PurgeRequest;
  readonly #tenant: TenantRecord;
  #record: Item;
  readonly #checkpoint: PurgeCheckpoint;
  #batchesThisRun = 0;

  private constructor(
    ports: PurgePorts,
    record: Item,
    tenant: TenantRecord,
    request: PurgeRequest,
    checkpoint: PurgeCheckpoint,
  ) {
    this.#ports = ports;
    this.#record = record;
    this.#tenant = tenant;
    this.#request = request;
    this.#checkpoint = checkpoint;
  }

  /** Moves the tenant to PURGING (once) and loads its checkpoint. */
  static async start(
    ports: PurgePorts,
    raw: Item,
    tenant: TenantRecord,
    request: PurgeRequest,
  ): Promise<PurgeRun> {
    if (tenant.state === 'PURGING' && tenant.purge) {
      const checkpoint = checkpointSchema.parse(tenant.purge.checkpoint ?? initialCheckpoint());
      return new PurgeRun(ports, raw, tenant, request, checkpoint);
    }
    if (effectiveState(tenant, request.now) === 'ACTIVE') throw new TenantNotTerminatedError(tenant.tenantId);
    const checkpoint = initialCheckpoint();
    const run = new PurgeRun(ports, raw, tenant, request, checkpoint);
    await run.#write({
      state: 'PURGING',
      purge: { startedAt: request.now.toISOString(), checkpoint },
    });
    await ports.ledger.append({
      type: 'purge.started',
      tenantId: tenant.tenantId,
      actor: request.actor ?? SCHEDULER_ACTOR,
      at: request.now.toISOString(),
      detail: { previousState: tenant.state, dueDate: purgeDueDate(tenant.contract, ports.settings) ?? null },
    });
    return run;
  }

  get #startedAt(): string {
    const purge = this.#record.purge as { startedAt?: unknown } | undefined;
    return typeof purge?.startedAt === 'string' ? purge.startedAt : this.#request.now.toISOString();
  }

  #now(): Date {
    return this.#ports.clock?.() ?? new Date();
  }

  #budgetLeft(): boolean {
    const { maxBatches, deadline } = this.#request.budget ?? {};
    if (maxBatches !== undefined && this.#batchesThisRun >= maxBatches) return false;
    if (deadline !== undefined && this.#now().getTime() >= deadline.getTime()) return false;
    return true;
  }

  #backoff() {
    return { sleep: this.#ports.sleep ?? defaultSleep, random: this.#ports.random ?? Math.random };
  }

  /** Writes the tenant record, failing if anyone else wrote it since this run last did. */
  async #write(changes: Item): Promise<void> {
    const next = { ...this.#record, ...changes, updatedAt: this.#now().toISOString() };
    try {
      await this.#ports.tables.put('tenants', next, {
        ifMatch: { state: this.#record.state, updatedAt: this.#record.updatedAt },
      });
    } catch (error) {
      if (error instanceof ConditionFailedError) await this.#changedUnderneath();
      throw error;
    }
    this.#record = next;
  }

  /**
   * Someone else wrote the tenant record during the purge. A legal hold set meanwhile stops the purge
   * at the next batch (and is recorded); anything else is another purge racing this one.
   */
  async #changedUnderneath(): Promise<never> {
    const current = tenantRecordSchema.safeParse(
      await this.#ports.tables.get('tenants', { tenantId: this.#tenant.tenantId }),
    );
    if (current.success && current.data.legalHold) {
      await refuseForLegalHold(this.#ports, current.data, this.#request);
    }
    throw new ConcurrentPurgeError(this.#tenant.tenantId);
  }

  async #saveCheckpoint(): Promise<void> {
    await this.#write({ purge: { startedAt: this.#startedAt, checkpoint: this.#checkpoint } });
  }

  #pause(residue?: Residue): PurgeResult {
    return {
      outcome: 'in-progress',
      done: false,
      phase: this.#checkpoint.phase,
      batches: this.#batchesThisRun,
      residue,
    };
  }

  async continue(): Promise<PurgeResult> {
    const checkpoint = this.#checkpoint;
    if (checkpoint.phase === 'users') {
      await this.#disableUsers();
      checkpoint.phase = 'objects';
      await this.#saveCheckpoint();
    }
    if (checkpoint.phase === 'objects') {
      if ((await this.#deleteObjects()) === 'budget') return this.#pause();
      Object.assign(checkpoint, { phase: 'tables', tableIndex: 0, lastBatch: { refs: [], keys: [] } });
    }
    if (checkpoint.phase === 'tables') {
      if ((await this.#deleteRows()) === 'budget') return this.#pause();
      checkpoint.phase = 'key';
      checkpoint.lastBatch = { refs: [], keys: [] };
    }
    if (checkpoint.phase === 'key') {
      await this.#destroyKey();
      checkpoint.phase = 'verify';
      await this.#saveCheckpoint();
    }
    if (checkpoint.phase === 'verify') {
      const residue = await this.#verify();
      if (residue) return this.#pause(residue);
    }
    const certificate = await this.#certify();
    return {
      outcome: 'purged',
      done: true,
      certificate,
      alreadyPurged: false,
      batches: this.#batchesThisRun,
    };
  }

  /**
   * Nobody may sign in for the company any more: its accounts' sessions are ended and the accounts
   * disabled before any data is deleted (so no one acts for it during the purge). Idempotent.
   */
  async #disableUsers(): Promise<void> {
    const { tenantId } = this.#tenant;
    const disabled = await withBackoff(() => this.#ports.users.disableTenantUsers(tenantId), this.#backoff());
    if (disabled === 0) return;
    await this.#ports.ledger.append({
      type: 'purge.users_disabled',
      tenantId,
      actor: this.#request.actor ?? SCHEDULER_ACTOR,
      at: this.#now().toISOString(),
      detail: { disabled },
    });
  }

  async #deleteObjects(): Promise<'done' | 'budget'> {
    const locations = purgeLocations(this.#ports, this.#tenant.tenantId);
    const checkpoint = this.#checkpoint;
    while (checkpoint.prefixIndex < locations.length) {
      const location = locations[checkpoint.prefixIndex];
      if (location === undefined) break;
      for (;;) {
        if (!this.#budgetLeft()) return 'budget';
        const batch = await this.#nextObjectBatch(location);
        if (batch.refs.length === 0) break;
        const counts = checkpoint.buckets[countsKey(location)] ?? countsDelta();
        checkpoint.buckets[countsKey(location)] = {
          objects: counts.objects + batch.counts.objects,
          versions: counts.versions + batch.counts.versions,
          deleteMarkers: counts.deleteMarkers + batch.counts.deleteMarkers,
        };
        checkpoint.lastBatch = batch.hashes;
        checkpoint.batches++;
        this.#batchesThisRun++;
        await this.#saveCheckpoint(); // counts are written before deleting: see `lastBatch`
        await this.#deleteRefs(location, batch.refs);
      }
      checkpoint.prefixIndex++;
      checkpoint.lastBatch = { refs: [], keys: [] };
    }
    return 'done';
  }

  /** The next refs under a prefix, from a fresh listing; counts only what no earlier batch counted. */
  async #nextObjectBatch(location: PurgeLocation) {
    const { prefix } = location;
    const bucket = countsKey(location);
    const batchSize = Math.min(this.#request.batchSize ?? DELETE_BATCH_LIMIT, DELETE_BATCH_LIMIT);
    const countedRefs = new Set(this.#checkpoint.lastBatch.refs);
    const countedKeys = new Set(this.#checkpoint.lastBatch.keys);
    const refs: ObjectRef[] = [];
    const refHashes: string[] = [];
    const keyHashes = new Set<string>();
    const counts = countsDelta();
    for await (const version of storeOf(this.#ports, location).listVersions(location.bucket, prefix)) {
      const refHash = digest(bucket, version.key, versionLabel(version));
      const keyHash = digest(bucket, version.key);
      if (!countedRefs.has(refHash)) {
        if (version.isDeleteMarker) counts.deleteMarkers++;
        else counts.versions++;
      }
      if (!countedKeys.has(keyHash) && !keyHashes.has(keyHash)) counts.objects++;
      keyHashes.add(keyHash);
      refHashes.push(refHash);
      refs.push(toRef(version));
      if (refs.length >= batchSize) break;
    }
    return { refs, counts, hashes: { refs: refHashes, keys: [...keyHashes] } };
  }

  async #deleteRefs(location: PurgeLocation, refs: readonly ObjectRef[]): Promise<void> {
    const store = storeOf(this.#ports, location);
    let pending = refs;
    for (let round = 1; pending.length > 0; round++) {
      const batch = pending;
      const { failed } = await withBackoff(() => store.deleteMany(location.bucket, batch), this.#backoff());
      if (failed.length === 0) return;
      if (round >= PARTIAL_FAILURE_ROUNDS)
        throw new PurgeDeleteFailedError(this.#tenant.tenantId, countsKey(location), failed.length);
      const { sleep, random } = this.#backoff();
      await sleep(Math.floor(random() * 100 * 2 ** round));
      pending = failed;
    }
  }

  async #deleteRows(): Promise<'done' | 'budget'> {
    const checkpoint = this.#checkpoint;
    const pageSize = this.#request.tableBatchSize ?? DEFAULT_TABLE_BATCH;
    while (checkpoint.tableIndex < TENANT_DATA_TABLES.length) {
      const table = TENANT_DATA_TABLES[checkpoint.tableIndex];
      if (table === undefined) break;
      const { partitionKey, sortKey } = TABLE_DEFINITIONS[table];
      for (;;) {
        if (!this.#budgetLeft()) return 'budget';
        const page = await withBackoff(
          () =>
            this.#ports.tables.query({
              table,
              partition: { name: partitionKey, value: this.#tenant.tenantId },
              limit: pageSize,
            }),
          this.#backoff(),
        );
        if (page.items.length === 0) break;
        const keys = page.items.map((item) =>
          sortKey
            ? { [partitionKey]: item[partitionKey], [sortKey]: item[sortKey] }
            : { [partitionKey]: item[partitionKey] },
        );
        const counted = new Set(checkpoint.lastBatch.refs);
        const hashes = keys.map((key) => digest(table, JSON.stringify(key)));
        const fresh = hashes.filter((hash) => !counted.has(hash)).length;
        checkpoint.tables[table] = { rows: (checkpoint.tables[table]?.rows ?? 0) + fresh };
        checkpoint.lastBatch = { refs: hashes, keys: [] };
        checkpoint.batches++;
        this.#batchesThisRun++;
        await this.#saveCheckpoint();
        for (const key of keys) {
          await withBackoff(() => this.#ports.tables.delete(table, key), this.#backoff());
        }
      }
      checkpoint.tables[table] ??= { rows: 0 };
      checkpoint.tableIndex++;
      checkpoint.lastBatch = { refs: [], keys: [] };
    }
    return 'done';
  }

  async #destroyKey(): Promise<void> {
    const { tenantId } = this.#tenant;
    if (await this.#ports.keys.exists(tenantId)) {
      this.#checkpoint.keys = 1;
      await this.#saveCheckpoint();
      await withBackoff(() => this.#ports.keys.destroy(tenantId), this.#backoff());
    }
  }

  /** Fresh listings of every version under every prefix, a query of every table, the key store, the accounts. */
  async #verify(): Promise<Residue | undefined> {
    const { tenantId } = this.#tenant;
    const found = await findResidue(this.#ports, tenantId);
    const { objectVersions, rows, keys, users } = found;
    const checkpoint = this.#checkpoint;
    if (objectVersions + rows + keys + users > 0) {
      // Something appeared during the purge (or a delete silently failed): delete again from the start;
      // counts carry on, so the certificate still covers everything that existed.
      Object.assign(checkpoint, {
        phase: 'users',
        prefixIndex: 0,
        tableIndex: 0,
        lastBatch: { refs: [], keys: [] },
      });
      checkpoint.verificationRounds++;
      await this.#saveCheckpoint();
      return { objectVersions, rows, keys, users };
    }
    checkpoint.verification = {
      checkedAt: this.#now().toISOString(),
      prefixesListed: found.prefixesListed,
      tablesQueried: [...TENANT_DATA_TABLES],
      usersDisabled: found.usersDisabled,
    };
    checkpoint.phase = 'certify';
    await this.#saveCheckpoint();
    return undefined;
  }

  /** Builds the certificate, links it into the chain (atomically), stores it, and marks the tenant PURGED. */
  async #certify(): Promise<DeletionCertificate> {
    const checkpoint = this.#checkpoint;
    let certificate = checkpoint.certificate;
    for (;;) {
      const head = await readChainHead(this.#ports.tables);
      if (certificate && head?.hash === certificate.hash) break; // linked by an earlier, interrupted run
      const previousHash = head?.hash ?? null;
      if (!certificate || certificate.previousHash !== previousHash) {
        certificate = this.#buildCertificate(
          certificate?.certificateId ?? randomUUID(),
          (head?.sequence ?? 0) + 1,
          previousHash,
        );
        checkpoint.certificate = certificate;
        await this.#saveCheckpoint();
      }
      try {
        await advanceChainHead(this.#ports.tables, head, certificate);
        break;
      } catch (error) {
        if (!(error instanceof ConditionFailedError)) throw error;
        // Another purge linked its certificate first: build ours again on top of it.
      }
    }
    await writeCertificate(this.#ports.objects, certificate);
    await this.#recordCertification(certificate);
    const tenant = this.#tenant;
    const tombstone: TenantRecord = {
      tenantId: tenant.tenantId,
      name: tenant.tenantId,
      profile: tenant.profile,
      contract: tenant.contract,
      state: 'PURGED',
      legalHold: false,
      createdAt: tenant.createdAt,
      updatedAt: certificate.finishedAt,
      purge: {
        startedAt: certificate.startedAt,
        finishedAt: certificate.finishedAt,
        certificateId: certificate.certificateId,
      },
      releasePending: true,
    };
    try {
      // The tombstone replaces the record whole: attributes added over the tenant's life go with it.
      await this.#ports.tables.put('tenants', tombstone, {
        ifMatch: { state: this.#record.state, updatedAt: this.#record.updatedAt },
      });
    } catch (error) {
      if (error instanceof ConditionFailedError) await this.#changedUnderneath();
      throw error;
    }
    return certificate;
  }

  /**
   * Appends `purge.certified` exactly once, even when a run dies right after the append: the checkpoint
   * names the certificate before the append, and a resumed run finds the entry in the ledger instead.
   */
  async #recordCertification(certificate: DeletionCertificate): Promise<void> {
    const checkpoint = this.#checkpoint;
    if (checkpoint.ledgerAppendFor === certificate.certificateId) {
      const recorded = await this.#ports.ledger.hasCertification(
        certificate.tenantId,
        certificate.certificateId,
      );
      if (recorded) return;
    } else {
      checkpoint.ledgerAppendFor = certificate.certificateId;
      await this.#saveCheckpoint();
    }
    await this.#ports.ledger.append({
      type: 'purge.certified',
      tenantId: certificate.tenantId,
      actor: this.#request.actor ?? SCHEDULER_ACTOR,
      at: certificate.finishedAt,
      detail: {
        certificateId: certificate.certificateId,
        sequence: certificate.sequence,
        hash: certificate.hash,
      },
    });
  }

  #buildCertificate(
    certificateId: string,
    sequence: number,
    previousHash: string | null,
  ): DeletionCertificate {
    const checkpoint = this.#checkpoint;
    const { contract } = this.#tenant;
    const settings = this.#ports.settings;
    const buckets = Object.fromEntries(
      Object.entries(checkpoint.buckets).sort(([a], [b]) => a.localeCompare(b)),
    );
    for (const location of purgeLocations(this.#ports, this.#tenant.tenantId)) {
      buckets[countsKey(location)] ??= countsDelta();
    }
    const bucketTotals = Object.values(buckets).reduce(
      (sum, counts) => ({
        objects: sum.objects + counts.objects,
        versions: sum.versions + counts.versions,
        deleteMarkers: sum.deleteMarkers + counts.deleteMarkers,
      }),
      countsDelta(),
    );
    const rows = Object.values(checkpoint.tables).reduce((sum, table) => sum + table.rows, 0);
    const { usersDisabled = 0, ...verification } = checkpoint.verification ?? {
      checkedAt: this.#now().toISOString(),
      prefixesListed: 0,
      tablesQueried: [],
    };
    return sealCertificate({
      schemaVersion: 3,
      certificateId,
      sequence,
      tenantId: this.#tenant.tenantId,
      contract: {
        start: contract.start,
        end: contract.end,
        retentionDaysAfterEnd: retentionDaysAfterEnd(contract, settings),
        dueDate: purgeDueDate(contract, settings),
      },
      startedAt: this.#startedAt,
      finishedAt: this.#now().toISOString(),
      deleted: {
        buckets,
        tables: checkpoint.tables,
        keys: checkpoint.keys,
        totals: { ...bucketTotals, rows, keys: checkpoint.keys },
      },
      verification: {
        ...verification,
        residue: { objectVersions: 0, rows: 0, keys: 0, users: 0 },
        result: 'ZERO_RESIDUE',
      },
      userAccounts: { disabled: usersDisabled },
      retained: retainedAfterPurge(settings),
      previousHash,
    });
  }
}

/** What a purge would delete, counted like the purge counts, deleting nothing. */
async function planPurge(ports: PurgePorts, tenant: TenantRecord, now: Date): Promise<PurgePlan> {
  const buckets: Record<string, BucketCounts> = {};
  const samples: Record<string, string[]> = {};
  for (const location of purgeLocations(ports, tenant.tenantId)) {
    const bucket = countsKey(location);
    const counts = { ...(buckets[bucket] ?? countsDelta()) };
    const bucketSamples = samples[bucket] ?? [];
    let lastKey: string | undefined;
    for await (const version of storeOf(ports, location).listVersions(location.bucket, location.prefix)) {
      if (version.isDeleteMarker) counts.deleteMarkers++;
      else counts.versions++;
      if (version.key !== lastKey) {
        counts.objects++;
        if (bucketSamples.length < SAMPLE_SIZE) bucketSamples.push(version.key);
      }
      lastKey = version.key;
    }
    buckets[bucket] = counts;
    samples[bucket] = bucketSamples;
  }
  const tables: Record<string, { rows: number }> = {};
  for (const table of TENANT_DATA_TABLES) {
    const { partitionKey } = TABLE_DEFINITIONS[table];
    let rows = 0;
    let cursor: Item | undefined;
    do {
      const page = await ports.tables.query({
        table,
        partition: { name: partitionKey, value: tenant.tenantId },
        cursor,
      });
      rows += page.items.length;
      cursor = page.cursor;
    } while (cursor);
    tables[table] = { rows };
  }
  return {
    tenantId: tenant.tenantId,
    state: effectiveState(tenant, now),
    legalHold: tenant.legalHold,
    dueDate: purgeDueDate(tenant.contract, ports.settings),
    buckets,
    samples,
    tables,
    keys: (await ports.keys.exists(tenant.tenantId)) ? 1 : 0,
    users: await ports.users.countTenantUsers(tenant.tenantId),
  };
}
