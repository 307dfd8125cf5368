/**
 * Key-value tables as the domain needs them (DynamoDB-shaped): deployed over the AWS SDK, locally over
 * dynalite, in tests in memory (functions/adapters/). Tables are logical names the adapter resolves.
 */
import type { LogicalTable } from '../zones.ts';

export type Item = Record<string, unknown>;

export interface QueryRequest {
  readonly table: string;
  readonly index?: string;
  readonly partition: { readonly name: string; readonly value: string };
  readonly sortPrefix?: { readonly name: string; readonly value: string };
  readonly limit?: number;
  readonly cursor?: Item | undefined;
  readonly descending?: boolean;
  /**
   * Only these attributes of each item (DynamoDB's ProjectionExpression): list the key attributes too
   * when they are needed. An adapter may return more; a caller reads only what it asked for.
   */
  readonly attributes?: readonly string[];
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

/** Every item a query finds, page after page. */
export async function* queryAll(table: Table, request: Omit<QueryRequest, 'cursor'>): AsyncIterable<Item> {
  let cursor: Item | undefined;
  do {
    const page = await table.query({ ...request, cursor });
    yield* page.items;
    cursor = page.cursor;
  } while (cursor);
}

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
