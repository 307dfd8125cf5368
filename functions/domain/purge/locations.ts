/**
 * Where a tenant's data lives for a purge (buckets and prefixes, primary and replica; tenant-scoped
 * tables) and what is left of it there: shared by the purge (purge.ts) and the residue sweep
 * (residue.ts), so neither imports the other.
 */
import type { ObjectRef, ObjectStore, ObjectVersion } from '../ports/index.ts';
import { TABLE_DEFINITIONS } from '../ports/table.ts';
import { type LogicalTable, TABLES, tenantPrefixes, tenantReplicaPrefixes } from '../zones.ts';
import type { PurgePorts } from './ports.ts';

export const DELETE_BATCH_LIMIT = 1000;

/**
 * Tables whose items belong to one tenant by partition key (uploads, grants and other tenant-scoped
 * items). Derived from the key schemas, so a new tenant-partitioned table is purged without a code change.
 * The tenants table keeps a tombstone; the ledger is append-only evidence (see `retainedAfterPurge`).
 */
export const TENANT_DATA_TABLES: readonly LogicalTable[] = TABLES.filter(
  (table) => table !== 'tenants' && TABLE_DEFINITIONS[table].partitionKey === 'tenantId',
);

/** Where a purge deletes objects: the primary buckets, and the disaster-recovery copies when the stage has them. */
export interface PurgeLocation {
  readonly replica: boolean;
  readonly bucket: string;
  readonly prefix: string;
}

/** The certificate's name for a bucket's disaster-recovery copy, e.g. `curated-replica`. */
export const replicaStoreName = (bucket: string) => `${bucket}-replica`;

/** Every location of a tenant's objects, primary first, then the replicas the ports reach. */
export function purgeLocations(ports: PurgePorts, tenantId: string): PurgeLocation[] {
  return [
    ...tenantPrefixes(tenantId).map((location) => ({ ...location, replica: false })),
    ...(ports.replica
      ? tenantReplicaPrefixes(tenantId).map((location) => ({ ...location, replica: true }))
      : []),
  ];
}

export const storeOf = (ports: PurgePorts, location: PurgeLocation): ObjectStore => {
  if (!location.replica) return ports.objects;
  if (!ports.replica) throw new Error('A replica location needs the replica object store');
  return ports.replica.objects;
};
export const countsKey = (location: PurgeLocation) =>
  location.replica ? replicaStoreName(location.bucket) : location.bucket;

export interface Residue {
  readonly objectVersions: number;
  readonly rows: number;
  readonly keys: number;
  /** The company's user accounts that can still sign in. */
  readonly users: number;
}

/** An unversioned store (s3rver) reports version id `null` or none; S3 accepts `null` as a version id. */
export const toRef = (version: ObjectVersion): ObjectRef =>
  version.versionId ? { key: version.key, versionId: version.versionId } : { key: version.key };

/** What is left of a tenant in every store the purge reaches: fresh listings, one query per table, the key, the accounts. */
export async function findResidue(
  ports: PurgePorts,
  tenantId: string,
): Promise<Residue & { readonly prefixesListed: number; readonly usersDisabled: number }> {
  const prefixes = purgeLocations(ports, tenantId);
  let objectVersions = 0;
  for (const location of prefixes) {
    const store = storeOf(ports, location);
    for await (const _version of store.listVersions(location.bucket, location.prefix)) objectVersions++;
  }
  let rows = 0;
  for (const table of TENANT_DATA_TABLES) {
    const { partitionKey } = TABLE_DEFINITIONS[table];
    const page = await ports.tables.query({
      table,
      partition: { name: partitionKey, value: tenantId },
      limit: 1,
    });
    rows += page.items.length;
  }
  const keys = (await ports.keys.exists(tenantId)) ? 1 : 0;
  const accounts = await ports.users.countTenantUsers(tenantId);
  return {
    objectVersions,
    rows,
    keys,
    users: accounts.enabled,
    prefixesListed: prefixes.length,
    usersDisabled: accounts.disabled,
  };
}
