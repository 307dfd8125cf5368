/**
 * Ports: the only ways domain code reaches storage. Each has an AWS SDK adapter (deployed) and a
 * local adapter (s3rver, dynalite, files, DuckDB). Domain code takes ports as arguments, so the same
 * code runs in Lambda, in the local platform and in tests, and tests can wrap a port to inject faults.
 */
import type { Readable } from 'node:stream';

export type Body = Uint8Array | string | Readable;

export interface ObjectHead {
  readonly key: string;
  readonly size: number;
  readonly contentType?: string | undefined;
  readonly metadata: Readonly<Record<string, string>>;
  readonly versionId?: string | undefined;
  readonly etag?: string | undefined;
  /** When the object was written (S3's LastModified), where the store says. */
  readonly lastModified?: Date | undefined;
  /** Base64 SHA-256 checksum when S3 stored one (x-amz-checksum-sha256). */
  readonly checksumSha256?: string | undefined;
}

export interface ObjectSummary {
  readonly key: string;
  readonly size: number;
}

export interface ObjectVersion {
  readonly key: string;
  readonly versionId: string;
  readonly isDeleteMarker: boolean;
  readonly isLatest: boolean;
}

export interface ObjectRef {
  readonly key: string;
  readonly versionId?: string | undefined;
}

export interface PutOptions {
  readonly contentType?: string;
  readonly metadata?: Readonly<Record<string, string>>;
}

export interface PresignedPostRequest {
  readonly bucket: string;
  readonly key: string;
  readonly contentType: string;
  readonly maxBytes: number;
  /** Base64 SHA-256 of the file (x-amz-checksum-sha256). */
  readonly checksumSha256: string;
  /** KMS key the object must be encrypted with (deployed); absent locally. */
  readonly kmsKeyId?: string | undefined;
  readonly expiresSeconds: number;
}

export interface PresignedPost {
  readonly url: string;
  readonly fields: Readonly<Record<string, string>>;
}

/** S3-shaped object storage. Buckets are logical names resolved by the adapter. */
export interface ObjectStore {
  put(bucket: string, key: string, body: Body, options?: PutOptions): Promise<void>;
  /** Whole object; throws NotFoundError when absent. */
  get(bucket: string, key: string): Promise<Uint8Array>;
  /** Object as a stream; throws NotFoundError when absent. */
  getStream(bucket: string, key: string): Promise<Readable>;
  head(bucket: string, key: string): Promise<ObjectHead | undefined>;
  list(bucket: string, prefix: string): AsyncIterable<ObjectSummary>;
  /** Every version and delete marker under a prefix (an unversioned store reports current objects). */
  listVersions(bucket: string, prefix: string): AsyncIterable<ObjectVersion>;
  /** Deletes at most 1,000 objects or versions in one request; returns the refs that failed. */
  deleteMany(bucket: string, refs: readonly ObjectRef[]): Promise<{ readonly failed: readonly ObjectRef[] }>;
  copy(bucket: string, fromKey: string, toBucket: string, toKey: string): Promise<void>;
  presignPost(request: PresignedPostRequest): Promise<PresignedPost>;
}

export type Item = Record<string, unknown>;

export interface QueryRequest {
  readonly table: string;
  readonly index?: string;
  readonly partition: { readonly name: string; readonly value: string };
  readonly sortPrefix?: { readonly name: string; readonly value: string };
  readonly limit?: number;
  readonly cursor?: Item | undefined;
  readonly descending?: boolean;
}

/** A page of a whole-table scan (small tables only, e.g. tenants). */
export interface ScanRequest {
  readonly limit?: number;
  readonly cursor?: Item | undefined;
}

export interface QueryPage {
  readonly items: Item[];
  readonly cursor?: Item | undefined;
}

/** DynamoDB-shaped key-value table. Tables are logical names resolved by the adapter. */
export interface Table {
  get(table: string, key: Item): Promise<Item | undefined>;
  /**
   * Writes an item. With `ifAbsent`, fails with ConditionFailedError when an item with that key exists;
   * with `ifMatch`, only when every named attribute still has the given value.
   */
  put(
    table: string,
    item: Item,
    condition?: { readonly ifAbsent?: string; readonly ifMatch?: Readonly<Item> },
  ): Promise<void>;
  query(request: QueryRequest): Promise<QueryPage>;
  /**
   * Pages through every item of a table (DynamoDB Scan). Meant for small tables such as tenants, e.g. to
   * find tenants due for purge. Optional so existing adapters keep compiling; callers that need it throw
   * a typed error when an adapter lacks it.
   */
  scan?(table: string, request?: ScanRequest): Promise<QueryPage>;
  delete(table: string, key: Item): Promise<void>;
}

/** Per-tenant pseudonymisation keys, held apart from the data. */
export interface KeyStore {
  /** Creates the tenant's key; idempotent. */
  create(tenantId: string): Promise<void>;
  /** The tenant's 32-byte key; throws NotFoundError when it was never created or was destroyed. */
  get(tenantId: string): Promise<Uint8Array>;
  /** Destroys the key so its tokens can never be recomputed; idempotent. */
  destroy(tenantId: string): Promise<void>;
  exists(tenantId: string): Promise<boolean>;
}

/** What the directory tells of one company's user accounts. */
export interface TenantUserCounts {
  /** Accounts that can still sign in. */
  readonly enabled: number;
  /** Accounts disabled (they cannot sign in). */
  readonly disabled: number;
}

/**
 * The identity provider's user accounts (deployed: the Cognito user pool; locally: the accounts tokens
 * were minted for). A company's accounts are those whose tenant attribute (`custom:tenant_id`) names it.
 */
export interface UserDirectory {
  countTenantUsers(tenantId: string): Promise<TenantUserCounts>;
  /**
   * Ends the sessions of every enabled account of the company (refresh tokens revoked) and disables it,
   * so nobody can sign in for the company again. Idempotent; returns how many accounts it disabled now.
   */
  disableTenantUsers(tenantId: string): Promise<number>;
}

export type SqlRow = Record<string, unknown>;

/** Runs SQL on DuckDB (local, Lambda) or Athena (deployed). */
export interface QueryRunner {
  readonly engine: 'duckdb' | 'athena';
  run(sql: string): Promise<SqlRow[]>;
}

/** The platform's asynchronous jobs, each run by its own function. */
export const JOB_KINDS = ['release', 'purge'] as const;
export type JobKind = (typeof JOB_KINDS)[number];

/**
 * Starts a job in the function that runs it, without waiting for it (deployed: Lambda `Invoke` with
 * InvocationType `Event`; locally: the same handler in this process, in the background). Resolves once
 * the job was handed over; its outcome is in the jobs table.
 */
export interface JobStarter {
  start(kind: JobKind, event: Readonly<Record<string, unknown>>): Promise<void>;
}

/** Raised by ports when an object, item or key does not exist. */
export class NotFoundError extends Error {
  override readonly name = 'NotFoundError';
}

/** Raised by Table.put when its condition does not hold. */
export class ConditionFailedError extends Error {
  override readonly name = 'ConditionFailedError';
}
