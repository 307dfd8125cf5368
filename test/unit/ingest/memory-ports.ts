import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import {
  type Body,
  ConditionFailedError,
  type Item,
  NotFoundError,
  type ObjectHead,
  type ObjectStore,
  type ObjectSummary,
  type ObjectVersion,
  type PutOptions,
  type QueryPage,
  type QueryRequest,
  type Table,
} from '../../../functions/domain/ports/index.ts';

interface StoredObject {
  readonly body: Uint8Array;
  readonly contentType?: string | undefined;
  readonly metadata: Record<string, string>;
}

async function toBytes(body: Body): Promise<Uint8Array> {
  if (typeof body === 'string') return new TextEncoder().encode(body);
  if (body instanceof Uint8Array) return body;
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks);
}

/** An in-memory ObjectStore for unit tests; `checksums` makes head report x-amz-checksum-sha256. */
export class MemoryObjectStore implements ObjectStore {
  readonly buckets = new Map<string, Map<string, StoredObject>>();
  constructor(private readonly checksums = false) {}

  private bucket(name: string) {
    let bucket = this.buckets.get(name);
    if (!bucket) {
      bucket = new Map();
      this.buckets.set(name, bucket);
    }
    return bucket;
  }

  keys(bucket: string): string[] {
    return [...this.bucket(bucket).keys()].sort();
  }

  async put(bucket: string, key: string, body: Body, options?: PutOptions): Promise<void> {
    this.bucket(bucket).set(key, {
      body: await toBytes(body),
      contentType: options?.contentType,
      metadata: { ...(options?.metadata ?? {}) },
    });
  }

  async get(bucket: string, key: string): Promise<Uint8Array> {
    const found = this.bucket(bucket).get(key);
    if (!found) throw new NotFoundError(`${bucket}/${key}`);
    return found.body;
  }

  async getStream(bucket: string, key: string): Promise<Readable> {
    const body = await this.get(bucket, key);
    // Small chunks exercise chunk boundaries in streaming code.
    const chunks: Uint8Array[] = [];
    for (let i = 0; i < body.length; i += 7919) chunks.push(body.subarray(i, i + 7919));
    return Readable.from(chunks);
  }

  async head(bucket: string, key: string): Promise<ObjectHead | undefined> {
    const found = this.bucket(bucket).get(key);
    if (!found) return undefined;
    return {
      key,
      size: found.body.length,
      contentType: found.contentType,
      metadata: found.metadata,
      checksumSha256: this.checksums ? createHash('sha256').update(found.body).digest('base64') : undefined,
    };
  }

  async *list(bucket: string, prefix: string): AsyncIterable<ObjectSummary> {
    for (const [key, object] of this.bucket(bucket)) {
      if (key.startsWith(prefix)) yield { key, size: object.body.length };
    }
  }

  async *listVersions(bucket: string, prefix: string): AsyncIterable<ObjectVersion> {
    for (const key of this.bucket(bucket).keys()) {
      if (key.startsWith(prefix)) yield { key, versionId: 'null', isDeleteMarker: false, isLatest: true };
    }
  }

  async deleteMany(bucket: string, refs: readonly { key: string }[]) {
    for (const ref of refs) this.bucket(bucket).delete(ref.key);
    return { failed: [] };
  }

  async copy(bucket: string, fromKey: string, toBucket: string, toKey: string): Promise<void> {
    const found = this.bucket(bucket).get(fromKey);
    if (!found) throw new NotFoundError(`${bucket}/${fromKey}`);
    this.bucket(toBucket).set(toKey, found);
  }

  async presignPost(): Promise<never> {
    throw new Error('not supported in memory');
  }
}

const TABLE_KEYS: Record<string, string[]> = {
  uploads: ['tenantId', 'uploadId'],
  tenants: ['tenantId'],
  ledger: ['chain', 'seq'],
};

/** An in-memory Table with the conditional-write semantics of the port. */
export class MemoryTable implements Table {
  readonly tables = new Map<string, Map<string, Item>>();

  private table(name: string) {
    let table = this.tables.get(name);
    if (!table) {
      table = new Map();
      this.tables.set(name, table);
    }
    return table;
  }

  private keyOf(table: string, item: Item): string {
    return JSON.stringify((TABLE_KEYS[table] ?? ['id']).map((k) => item[k]));
  }

  async get(table: string, key: Item): Promise<Item | undefined> {
    const found = this.table(table).get(this.keyOf(table, key));
    return found ? structuredClone(found) : undefined;
  }

  async put(
    table: string,
    item: Item,
    condition?: { readonly ifAbsent?: string; readonly ifMatch?: Readonly<Item> },
  ): Promise<void> {
    const key = this.keyOf(table, item);
    const existing = this.table(table).get(key);
    if (condition?.ifAbsent && existing) throw new ConditionFailedError('item exists');
    if (condition?.ifMatch) {
      const matches =
        existing !== undefined &&
        Object.entries(condition.ifMatch).every(([name, value]) => existing[name] === value);
      if (!matches) throw new ConditionFailedError('condition failed');
    }
    this.table(table).set(key, structuredClone(item));
  }

  async query(request: QueryRequest): Promise<QueryPage> {
    const sortKey = TABLE_KEYS[request.table]?.[1];
    const items = [...this.table(request.table).values()]
      .filter((item) => item[request.partition.name] === request.partition.value)
      .sort((a, b) => (sortKey ? String(a[sortKey]).localeCompare(String(b[sortKey])) : 0));
    if (request.descending) items.reverse();
    return { items: structuredClone(items.slice(0, request.limit ?? items.length)) };
  }

  async delete(table: string, key: Item): Promise<void> {
    this.table(table).delete(this.keyOf(table, key));
  }
}
