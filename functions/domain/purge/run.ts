/**
 * A purge's run: the phases (users, objects, tables, key, verify, certify) in order from the tenant's
 * checkpoint, within the invocation's budget, every write to the tenant record conditional on nobody
 * else having written it.
 */
import { randomUUID } from 'node:crypto';
import { ConditionFailedError, type Item } from '../ports/index.ts';
import { TABLE_DEFINITIONS } from '../ports/table.ts';
import { type TenantRecord, tenantRecordSchema } from '../tenants/model.ts';
import { effectiveState, purgeDueDate } from '../tenants/rules.ts';
import {
  advanceChainHead,
  type DeletionCertificate,
  readChainHead,
  writeCertificate,
} from './certificate.ts';
import { buildCertificate, recordCertification, tombstoneOf } from './certification.ts';
import {
  checkpointSchema,
  countsDelta,
  digest,
  initialCheckpoint,
  nextObjectBatch,
  type PurgeCheckpoint,
} from './checkpoint.ts';
import { deleteRefs } from './delete-refs.ts';
import { ConcurrentPurgeError, TenantNotTerminatedError } from './errors.ts';
import { refuseForLegalHold } from './legal-hold.ts';
import {
  countsKey,
  findResidue,
  purgeLocations,
  type Residue,
  storeOf,
  TENANT_DATA_TABLES,
} from './locations.ts';
import type { PurgeRequest, PurgeResult } from './outcome.ts';
import { type PurgePorts, SCHEDULER_ACTOR } from './ports.ts';
import { defaultSleep, withBackoff } from './retry.ts';

/** Table rows per page (PurgeRequest.tableBatchSize's default). */
const DEFAULT_TABLE_BATCH = 100;

/** One invocation's work on a purge: resumes from the checkpoint and stops when its budget is used. */
export class PurgeRun {
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
        const batch = await nextObjectBatch(
          this.#ports,
          location,
          checkpoint.lastBatch,
          this.#request.batchSize,
        );
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
        await deleteRefs(storeOf(this.#ports, location), location, batch.refs, {
          tenantId: this.#tenant.tenantId,
          backoff: this.#backoff(),
        });
      }
      checkpoint.prefixIndex++;
      checkpoint.lastBatch = { refs: [], keys: [] };
    }
    return 'done';
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
        certificate = buildCertificate(
          {
            tenant: this.#tenant,
            checkpoint,
            settings: this.#ports.settings,
            locations: purgeLocations(this.#ports, this.#tenant.tenantId),
            startedAt: this.#startedAt,
            finishedAt: this.#now().toISOString(),
          },
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
    await recordCertification(this.#ports, certificate, {
      checkpoint: this.#checkpoint,
      actor: this.#request.actor ?? SCHEDULER_ACTOR,
      saveCheckpoint: () => this.#saveCheckpoint(),
    });
    const tombstone = tombstoneOf(this.#tenant, certificate);
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
}
