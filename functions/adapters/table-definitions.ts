import type { LogicalTable } from '../domain/zones.ts';

/**
 * Key schemas of Kura's tables: the storage stack and the local platform (dynalite) both create
 * tables from these definitions, so local and deployed keys can never drift apart.
 */
export interface TableDefinition {
  readonly partitionKey: string;
  readonly sortKey?: string;
  /** Attribute DynamoDB expires items by (deployed only; dynalite has no TTL). */
  readonly timeToLiveAttribute?: string;
  readonly globalIndexes?: ReadonlyArray<{
    readonly name: string;
    readonly partitionKey: string;
    readonly sortKey?: string;
  }>;
}

export const TABLE_DEFINITIONS: Readonly<Record<LogicalTable, TableDefinition>> = {
  /** One item per tenant (company): profile, contract, lifecycle state, legal hold. */
  tenants: { partitionKey: 'tenantId' },
  /** One item per upload, queryable by tenant; grants and other tenant-scoped items share it by sort-key prefix. */
  uploads: {
    partitionKey: 'tenantId',
    sortKey: 'uploadId',
    timeToLiveAttribute: 'expiresAtEpoch',
    /** Sparse: only unfinished uploads carry `inFlight` (functions/domain/uploads/in-flight.ts). */
    globalIndexes: [{ name: 'byInFlight', partitionKey: 'inFlight', sortKey: 'updatedAt' }],
  },
  /** Append-only hash-chained ledger: chain id + zero-padded sequence number. */
  ledger: {
    partitionKey: 'chain',
    sortKey: 'seq',
    globalIndexes: [{ name: 'byTenant', partitionKey: 'tenantId', sortKey: 'seq' }],
  },
  /** Asynchronous jobs (releases, purges) with their state and outcome, and the release lease. */
  jobs: { partitionKey: 'jobId', timeToLiveAttribute: 'expiresAtEpoch' },
};

/** Environment variable that names a logical bucket's physical name (set by the grant helpers). */
export const bucketEnvVar = (bucket: string) => `KURA_BUCKET_${bucket.toUpperCase().replace(/-/g, '_')}`;
/** Environment variable holding the KMS key ARN writes to a logical bucket must name (set with the bucket grant). */
export const bucketKeyEnvVar = (bucket: string) => `${bucketEnvVar(bucket)}_KEY_ARN`;
/** Environment variable that names a logical table's physical name (set by the grant helpers). */
export const tableEnvVar = (table: string) => `KURA_TABLE_${table.toUpperCase()}`;
/** Environment variable naming the function that runs a job kind, e.g. `KURA_FUNCTION_RELEASE` (set by grantInvoke). */
export const functionEnvVar = (kind: string) => `KURA_FUNCTION_${kind.toUpperCase().replace(/-/g, '_')}`;
/** Environment variable naming a bucket's disaster-recovery copy, e.g. `KURA_BUCKET_CURATED_REPLICA`. */
export const replicaBucketEnvVar = (bucket: string) => `${bucketEnvVar(bucket)}_REPLICA`;
