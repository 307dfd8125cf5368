/**
 * Residue after a certificate. A purge certifies only what its last verification saw; anything of the
 * company that appears later (a file whose ticket was issued before the purge and whose deletion at
 * ingestion failed, an export or record written by a request that was already running, an account an
 * administrator created) would make the certificate untrue. The daily purge run therefore lists every
 * purged company again, as the verification does, deletes what it finds (every object version, table
 * row, key; accounts disabled) and records what it deleted in the ledger (`purge.residue_deleted`, counts
 * only, naming the certificate). Running a purge of a purged company again does the same at once.
 */
import type { ObjectRef } from '../ports/index.ts';
import { TABLE_DEFINITIONS } from '../ports/table.ts';
import type { TenantRecord } from '../tenants/model.ts';
import { allTenants } from '../tenants/rules.ts';
import { PurgeDeleteFailedError } from './errors.ts';
import {
  countsKey,
  DELETE_BATCH_LIMIT,
  findResidue,
  purgeLocations,
  type Residue,
  storeOf,
  TENANT_DATA_TABLES,
  toRef,
} from './locations.ts';
import { type PurgeActor, type PurgePorts, SCHEDULER_ACTOR } from './ports.ts';
import { type BackoffOptions, defaultSleep, withBackoff } from './retry.ts';

export interface ResidueDeleted extends Residue {
  readonly tenantId: string;
  /** The certificate the residue appeared after. */
  readonly certificateId: string | undefined;
  /** Stores (buckets, replica copies, tables) where something was found. */
  readonly stores: readonly string[];
}

const nothing = (residue: Residue) =>
  residue.objectVersions + residue.rows + residue.keys + residue.users === 0;

/**
 * Deletes whatever is left of a purged company and records it; undefined when nothing was left.
 * @throws PurgeDeleteFailedError when something cannot be deleted (the next run tries again)
 */
export async function deleteResidue(
  ports: PurgePorts,
  tenant: TenantRecord,
  actor: PurgeActor = SCHEDULER_ACTOR,
): Promise<ResidueDeleted | undefined> {
  const { tenantId } = tenant;
  const found = await findResidue(ports, tenantId);
  if (nothing(found)) return undefined;
  const backoff = { sleep: ports.sleep ?? defaultSleep, random: ports.random ?? Math.random };
  const stores = new Set<string>();

  if (found.users > 0) {
    await withBackoff(() => ports.users.disableTenantUsers(tenantId), backoff);
    stores.add('user-accounts');
  }
  await deleteResidualObjects(ports, tenantId, backoff, stores);
  await deleteResidualRows(ports, tenantId, backoff, stores);
  if (found.keys > 0) {
    await withBackoff(() => ports.keys.destroy(tenantId), backoff);
    stores.add('keys');
  }

  const left = await findResidue(ports, tenantId);
  if (!nothing(left))
    throw new PurgeDeleteFailedError(
      tenantId,
      [...stores].join(', '),
      left.objectVersions + left.rows + left.keys + left.users,
    );
  const certificateId = tenant.purge?.certificateId;
  await ports.ledger.append({
    type: 'purge.residue_deleted',
    tenantId,
    actor,
    at: (ports.clock?.() ?? new Date()).toISOString(),
    detail: {
      certificateId: certificateId ?? null,
      objectVersions: found.objectVersions,
      rows: found.rows,
      keys: found.keys,
      users: found.users,
      stores: [...stores].sort().join(','),
    },
  });
  return {
    tenantId,
    certificateId,
    objectVersions: found.objectVersions,
    rows: found.rows,
    keys: found.keys,
    users: found.users,
    stores: [...stores].sort(),
  };
}

/** Deletes every object version under the company's locations, naming each store where something was. */
async function deleteResidualObjects(
  ports: PurgePorts,
  tenantId: string,
  backoff: BackoffOptions,
  stores: Set<string>,
): Promise<void> {
  for (const location of purgeLocations(ports, tenantId)) {
    const store = storeOf(ports, location);
    let previous: string | undefined;
    for (;;) {
      const refs: ObjectRef[] = [];
      for await (const version of store.listVersions(location.bucket, location.prefix)) {
        refs.push(toRef(version));
        if (refs.length >= DELETE_BATCH_LIMIT) break;
      }
      if (refs.length === 0) break;
      // A store that answers success but keeps the versions would list them again: stop, don't spin.
      const first = JSON.stringify(refs[0]);
      if (first === previous) throw new PurgeDeleteFailedError(tenantId, countsKey(location), refs.length);
      previous = first;
      stores.add(countsKey(location));
      const { failed } = await withBackoff(() => store.deleteMany(location.bucket, refs), backoff);
      if (failed.length > 0) throw new PurgeDeleteFailedError(tenantId, countsKey(location), failed.length);
    }
  }
}

/** Deletes the company's rows in every tenant-partitioned table, naming each table where something was. */
async function deleteResidualRows(
  ports: PurgePorts,
  tenantId: string,
  backoff: BackoffOptions,
  stores: Set<string>,
): Promise<void> {
  for (const table of TENANT_DATA_TABLES) {
    const { partitionKey, sortKey } = TABLE_DEFINITIONS[table];
    for (;;) {
      const page = await withBackoff(
        () => ports.tables.query({ table, partition: { name: partitionKey, value: tenantId }, limit: 100 }),
        backoff,
      );
      if (page.items.length === 0) break;
      stores.add(table);
      for (const item of page.items) {
        const key = sortKey
          ? { [partitionKey]: item[partitionKey], [sortKey]: item[sortKey] }
          : { [partitionKey]: item[partitionKey] };
        await withBackoff(() => ports.tables.delete(table, key), backoff);
      }
    }
  }
}

/**
 * Checks every purged company (the daily run) and deletes what appeared after its certificate. Stops
 * starting new companies at `deadline`; a company it could not clean is reported and tried next run.
 */
export async function sweepPurgedTenants(
  ports: PurgePorts,
  options: { readonly deadline?: Date | undefined } = {},
): Promise<{
  readonly deleted: readonly ResidueDeleted[];
  readonly failed: ReadonlyArray<{ readonly tenantId: string; readonly error: string }>;
  readonly checked: number;
}> {
  const deleted: ResidueDeleted[] = [];
  const failed: Array<{ tenantId: string; error: string }> = [];
  let checked = 0;
  for await (const tenant of allTenants(ports.tables)) {
    if (tenant.state !== 'PURGED') continue;
    const now = ports.clock?.() ?? new Date();
    if (options.deadline && now.getTime() >= options.deadline.getTime()) break;
    checked++;
    try {
      const residue = await deleteResidue(ports, tenant);
      if (residue) deleted.push(residue);
    } catch (error) {
      if (!(error instanceof Error)) throw error;
      failed.push({ tenantId: tenant.tenantId, error: `${error.name}: ${error.message}` });
    }
  }
  return { deleted, failed, checked };
}
