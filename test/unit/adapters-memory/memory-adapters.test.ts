import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MemoryKeyStore, MemoryObjectStore, MemoryTable } from '../../../functions/adapters/memory/index.ts';
import {
  ConditionFailedError,
  NotFoundError,
  type ObjectVersion,
} from '../../../functions/domain/ports/index.ts';

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

describe('MemoryObjectStore (versioned)', () => {
  it('keeps every version and returns the latest', async () => {
    // Prepare
    const store = new MemoryObjectStore();
    await store.put('raw', 'a/1', 'first');
    await store.put('raw', 'a/1', 'second');

    // Act
    const body = new TextDecoder().decode(await store.get('raw', 'a/1'));
    const versions = await collect(store.listVersions('raw', 'a/'));

    // Assess
    expect(body).toBe('second');
    expect(versions).toHaveLength(2);
    expect(versions.map((version) => version.isLatest)).toEqual([true, false]);
    expect(new Set(versions.map((version) => version.versionId)).size).toBe(2);
  });

  it('writes a delete marker when deleting without a version id', async () => {
    // Prepare
    const store = new MemoryObjectStore();
    await store.put('raw', 'a/1', 'data');

    // Act
    await store.deleteMany('raw', [{ key: 'a/1' }]);

    // Assess
    await expect(store.get('raw', 'a/1')).rejects.toBeInstanceOf(NotFoundError);
    expect(await collect(store.list('raw', ''))).toEqual([]);
    const versions = await collect(store.listVersions('raw', ''));
    expect(versions.map((version) => [version.isDeleteMarker, version.isLatest])).toEqual([
      [true, true],
      [false, false],
    ]);
  });

  it('removes a version for good when deleting with its version id, and promotes the previous one', async () => {
    // Prepare
    const store = new MemoryObjectStore();
    await store.put('raw', 'k', 'old');
    await store.put('raw', 'k', 'new');
    const [latest] = await collect(store.listVersions('raw', 'k'));

    // Act
    await store.deleteMany('raw', [{ key: 'k', versionId: latest?.versionId }]);

    // Assess
    expect(new TextDecoder().decode(await store.get('raw', 'k'))).toBe('old');
    expect(await collect(store.listVersions('raw', 'k'))).toHaveLength(1);
  });

  it('forgets a key once its last version and marker are deleted by version id', async () => {
    // Prepare
    const store = new MemoryObjectStore();
    await store.put('raw', 'k', 'data');
    await store.deleteMany('raw', [{ key: 'k' }]);
    const versions: ObjectVersion[] = await collect(store.listVersions('raw', 'k'));

    // Act
    await store.deleteMany(
      'raw',
      versions.map(({ key, versionId }) => ({ key, versionId })),
    );

    // Assess
    expect(await collect(store.listVersions('raw', ''))).toEqual([]);
    expect(store.snapshot()).toEqual([]);
  });

  it('lists keys in byte order and only under the prefix', async () => {
    // Prepare
    const store = new MemoryObjectStore();
    for (const key of ['t/b', 't/a', 'u/a', 't/c']) await store.put('raw', key, key);

    // Act
    const keys = (await collect(store.list('raw', 't/'))).map((summary) => summary.key);

    // Assess
    expect(keys).toEqual(['t/a', 't/b', 't/c']);
  });

  it('refuses more than 1,000 refs in one deleteMany, as S3 does', async () => {
    // Prepare
    const store = new MemoryObjectStore();
    const refs = Array.from({ length: 1001 }, (_, index) => ({ key: `k${index}` }));

    // Act
    const attempt = store.deleteMany('raw', refs);

    // Assess
    await expect(attempt).rejects.toThrow(/at most 1000/);
  });
});

describe('MemoryObjectStore (unversioned)', () => {
  it('reports current objects with version id null and deletes them outright', async () => {
    // Prepare
    const store = new MemoryObjectStore({ versioning: 'disabled' });
    await store.put('landing', 'x', 'one');
    await store.put('landing', 'x', 'two');

    // Act
    const versions = await collect(store.listVersions('landing', ''));
    await store.deleteMany('landing', [{ key: 'x', versionId: 'null' }]);

    // Assess
    expect(versions).toEqual([{ key: 'x', versionId: 'null', isDeleteMarker: false, isLatest: true }]);
    expect(store.snapshot()).toEqual([]);
  });
});

describe('MemoryTable', () => {
  it('queries a partition by sort-key prefix in sort order, page by page', async () => {
    // Prepare
    const table = new MemoryTable();
    for (const uploadId of ['u3', 'grant#1', 'u1', 'u2'])
      await table.put('uploads', { tenantId: 't1', uploadId });
    await table.put('uploads', { tenantId: 't2', uploadId: 'u1' });

    // Act
    const first = await table.query({
      table: 'uploads',
      partition: { name: 'tenantId', value: 't1' },
      sortPrefix: { name: 'uploadId', value: 'u' },
      limit: 2,
    });
    const second = await table.query({
      table: 'uploads',
      partition: { name: 'tenantId', value: 't1' },
      sortPrefix: { name: 'uploadId', value: 'u' },
      cursor: first.cursor,
    });

    // Assess
    expect(first.items.map((item) => item.uploadId)).toEqual(['u1', 'u2']);
    expect(second.items.map((item) => item.uploadId)).toEqual(['u3']);
    expect(second.cursor).toBeUndefined();
  });

  it('returns only the attributes asked for, and pages by key as without them', async () => {
    // Prepare
    const table = new MemoryTable();
    for (const uploadId of ['u1', 'u2', 'u3'])
      await table.put('uploads', { tenantId: 't1', uploadId, status: 'ACCEPTED', errors: ['long'] });

    // Act
    const first = await table.query({
      table: 'uploads',
      partition: { name: 'tenantId', value: 't1' },
      limit: 2,
      attributes: ['uploadId', 'status', 'maskedAt'],
    });
    const second = await table.query({
      table: 'uploads',
      partition: { name: 'tenantId', value: 't1' },
      cursor: first.cursor,
      attributes: ['uploadId', 'status', 'maskedAt'],
    });

    // Assess: an attribute the item lacks stays absent
    expect([...first.items, ...second.items]).toEqual(
      ['u1', 'u2', 'u3'].map((uploadId) => ({ uploadId, status: 'ACCEPTED' })),
    );
  });

  it('queries a global index', async () => {
    // Prepare
    const table = new MemoryTable();
    await table.put('ledger', { chain: 'main', seq: '0002', tenantId: 't1' });
    await table.put('ledger', { chain: 'main', seq: '0001', tenantId: 't1' });
    await table.put('ledger', { chain: 'main', seq: '0003', tenantId: 't2' });

    // Act
    const page = await table.query({
      table: 'ledger',
      index: 'byTenant',
      partition: { name: 'tenantId', value: 't1' },
      descending: true,
    });

    // Assess
    expect(page.items.map((item) => item.seq)).toEqual(['0002', '0001']);
  });

  it('enforces ifAbsent and ifMatch conditions', async () => {
    // Prepare
    const table = new MemoryTable();
    await table.put('tenants', { tenantId: 't1', state: 'ACTIVE' });

    // Act
    const duplicate = table.put('tenants', { tenantId: 't1' }, { ifAbsent: 'tenantId' });
    const stale = table.put(
      'tenants',
      { tenantId: 't1', state: 'PURGED' },
      { ifMatch: { state: 'PURGING' } },
    );
    await table.put('tenants', { tenantId: 't1', state: 'TERMINATED' }, { ifMatch: { state: 'ACTIVE' } });

    // Assess
    await expect(duplicate).rejects.toBeInstanceOf(ConditionFailedError);
    await expect(stale).rejects.toBeInstanceOf(ConditionFailedError);
    expect(await table.get('tenants', { tenantId: 't1' })).toEqual({ tenantId: 't1', state: 'TERMINATED' });
  });

  it('scans every item and deletes by key', async () => {
    // Prepare
    const table = new MemoryTable();
    for (const tenantId of ['c', 'a', 'b']) await table.put('tenants', { tenantId });

    // Act
    await table.delete('tenants', { tenantId: 'b' });
    const first = await table.scan('tenants', { limit: 1 });
    const rest = await table.scan('tenants', { cursor: first.cursor });

    // Assess
    expect([...first.items, ...rest.items].map((item) => item.tenantId)).toEqual(['a', 'c']);
  });

  it('returns copies, so callers cannot change stored items', async () => {
    // Prepare
    const table = new MemoryTable();
    await table.put('tenants', { tenantId: 't1', purge: { checkpoint: 1 } });

    // Act
    const item = await table.get('tenants', { tenantId: 't1' });
    (item?.purge as { checkpoint: number }).checkpoint = 2;

    // Assess
    expect(await table.get('tenants', { tenantId: 't1' })).toEqual({
      tenantId: 't1',
      purge: { checkpoint: 1 },
    });
  });
});

describe('MemoryKeyStore', () => {
  it('destroys a key so it can no longer be read', async () => {
    // Prepare
    const keys = new MemoryKeyStore();
    await keys.create('t1');
    const before = await keys.get('t1');

    // Act
    await keys.destroy('t1');
    await keys.create('t1');

    // Assess
    expect(before).toHaveLength(32);
    expect(Buffer.from(await keys.get('t1')).equals(Buffer.from(before))).toBe(false);
  });

  it('throws NotFoundError for a key never created', async () => {
    // Prepare
    const keys = new MemoryKeyStore();

    // Act
    const attempt = keys.get('nobody');

    // Assess
    await expect(attempt).rejects.toBeInstanceOf(NotFoundError);
    expect(await keys.exists('nobody')).toBe(false);
  });
});

describe('MemoryObjectStore listings (property)', () => {
  // Keys from a small alphabet with a prefix separator, a two-byte, a three-byte and a four-byte (surrogate
  // pair) character, so UTF-8 byte order and JavaScript's UTF-16 order disagree somewhere.
  const keyArb = fc
    .array(fc.constantFrom('a', 'b', '/', 'é', '日', '\u{1D4B3}', 'Z'), { minLength: 1, maxLength: 5 })
    .map((chars) => chars.join(''));
  const opArb = fc.oneof(
    fc.record({ kind: fc.constant('put' as const), key: keyArb }),
    fc.record({ kind: fc.constant('delete' as const), key: keyArb }),
    fc.record({ kind: fc.constant('list' as const), key: keyArb.map((k) => k.slice(0, 2)) }),
  );
  const byteOrder = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));

  it('lists, after any puts and deletes, exactly the live keys under the prefix in UTF-8 byte order', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('enabled' as const, 'disabled' as const),
        fc.array(opArb, { maxLength: 60 }),
        async (versioning, ops) => {
          const store = new MemoryObjectStore({ versioning });
          const live = new Set<string>();
          const everWritten = new Set<string>();
          for (const op of ops) {
            if (op.kind === 'put') {
              await store.put('b', op.key, op.key);
              live.add(op.key);
              everWritten.add(op.key);
            } else if (op.kind === 'delete') {
              await store.deleteMany('b', [{ key: op.key }]);
              live.delete(op.key);
              if (versioning === 'enabled') everWritten.add(op.key);
              else everWritten.delete(op.key);
            } else {
              const listed = (await collect(store.list('b', op.key))).map((o) => o.key);
              expect(listed).toEqual([...live].filter((k) => k.startsWith(op.key)).sort(byteOrder));
              const versioned = [
                ...new Set((await collect(store.listVersions('b', op.key))).map((v) => v.key)),
              ];
              expect(versioned).toEqual([...everWritten].filter((k) => k.startsWith(op.key)).sort(byteOrder));
            }
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
