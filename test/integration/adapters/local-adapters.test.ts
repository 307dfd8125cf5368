import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Runtime } from '../../../functions/adapters/runtime.ts';
import { ConditionFailedError, NotFoundError } from '../../../functions/domain/ports/index.ts';
import { type LocalStorage, startLocalStorage } from '../local-storage.ts';

let storage: LocalStorage;
let ports: Runtime;

beforeAll(async () => {
  storage = await startLocalStorage('adapters');
  ports = storage.runtime;
});

afterAll(async () => {
  await storage?.stop();
});

describe('S3ObjectStore on s3rver', () => {
  it('stores, reads, lists, copies and deletes objects', async () => {
    // Prepare
    await ports.objects.put('raw', 'reports/t-1/a.json', '{"a":1}', { contentType: 'application/json' });

    // Act
    await ports.objects.copy('raw', 'reports/t-1/a.json', 'curated', 'facts/tenant=t-1/a.json');
    const copied = new TextDecoder().decode(await ports.objects.get('curated', 'facts/tenant=t-1/a.json'));
    const listed = [];
    for await (const object of ports.objects.list('raw', 'reports/t-1/')) listed.push(object.key);
    const versions = [];
    for await (const version of ports.objects.listVersions('raw', 'reports/t-1/')) versions.push(version);
    const { failed } = await ports.objects.deleteMany('raw', [{ key: 'reports/t-1/a.json' }]);

    // Assess
    expect(copied).toBe('{"a":1}');
    expect(listed).toEqual(['reports/t-1/a.json']);
    expect(versions).toEqual([
      { key: 'reports/t-1/a.json', versionId: 'null', isDeleteMarker: false, isLatest: true },
    ]);
    expect(failed).toEqual([]);
    expect(await ports.objects.head('raw', 'reports/t-1/a.json')).toBeUndefined();
    await expect(ports.objects.get('raw', 'reports/t-1/a.json')).rejects.toBeInstanceOf(NotFoundError);
  });

  it('uploads a stream larger than one part in several parts', async () => {
    // Prepare
    const bytes = 9 * 1024 * 1024;
    const chunks = Array.from({ length: 9 }, (_, i) => Buffer.alloc(1024 * 1024, i));

    // Act
    await ports.objects.put('raw', 'big/file.bin', Readable.from(chunks));

    // Assess
    const head = await ports.objects.head('raw', 'big/file.bin');
    expect(head?.size).toBe(bytes);
    const body = await ports.objects.get('raw', 'big/file.bin');
    expect(body[bytes - 1]).toBe(8);
  });

  it('accepts a file posted with the presigned fields at exactly the presigned key', async () => {
    // Prepare
    const post = await ports.objects.presignPost({
      bucket: 'landing',
      key: 'landing/t-1/sales/u-1/sales.csv',
      contentType: 'text/csv',
      maxBytes: 100,
      checksumSha256: `${'x'.repeat(43)}=`,
      expiresSeconds: 60,
    });
    const form = new FormData();
    for (const [name, value] of Object.entries(post.fields)) form.append(name, value);
    form.append('file', new Blob(['a,b\r\n1,2\r\n'], { type: 'text/csv' }), 'sales.csv');

    // Act
    const response = await fetch(post.url, { method: 'POST', body: form });

    // Assess
    expect(response.status).toBeLessThan(300);
    const head = await ports.objects.head('landing', 'landing/t-1/sales/u-1/sales.csv');
    expect(head?.size).toBe(10);
  });
});

describe('DynamoTable on dynalite', () => {
  it('refuses a second put of the same key with ifAbsent', async () => {
    // Prepare
    await ports.table.put('tenants', { tenantId: 'dup-1', name: 'A' }, { ifAbsent: 'tenantId' });

    // Act
    const second = ports.table.put('tenants', { tenantId: 'dup-1', name: 'B' }, { ifAbsent: 'tenantId' });

    // Assess
    await expect(second).rejects.toBeInstanceOf(ConditionFailedError);
    expect(await ports.table.get('tenants', { tenantId: 'dup-1' })).toEqual({ tenantId: 'dup-1', name: 'A' });
  });

  it('writes with ifMatch only while the attribute still has the expected value', async () => {
    // Prepare
    await ports.table.put('tenants', { tenantId: 'match-1', version: 1 });

    // Act
    await ports.table.put('tenants', { tenantId: 'match-1', version: 2 }, { ifMatch: { version: 1 } });
    const stale = ports.table.put(
      'tenants',
      { tenantId: 'match-1', version: 3 },
      { ifMatch: { version: 1 } },
    );

    // Assess
    await expect(stale).rejects.toBeInstanceOf(ConditionFailedError);
    expect((await ports.table.get('tenants', { tenantId: 'match-1' }))?.version).toBe(2);
  });

  it('queries a partition by sort-key prefix, page by page, and through an index', async () => {
    // Prepare
    for (const seq of ['001', '002', '003']) {
      await ports.table.put('ledger', { chain: 'test', seq, tenantId: 'q-tenant' });
    }
    await ports.table.put('uploads', { tenantId: 'q-tenant', uploadId: 'grant#1' });
    await ports.table.put('uploads', { tenantId: 'q-tenant', uploadId: 'u-1' });

    // Act
    const first = await ports.table.query({
      table: 'ledger',
      partition: { name: 'chain', value: 'test' },
      limit: 2,
    });
    const rest = await ports.table.query({
      table: 'ledger',
      partition: { name: 'chain', value: 'test' },
      cursor: first.cursor,
    });
    const grants = await ports.table.query({
      table: 'uploads',
      partition: { name: 'tenantId', value: 'q-tenant' },
      sortPrefix: { name: 'uploadId', value: 'grant#' },
    });
    const byTenant = await ports.table.query({
      table: 'ledger',
      index: 'byTenant',
      partition: { name: 'tenantId', value: 'q-tenant' },
      descending: true,
    });

    // Assess
    expect(first.items.map((i) => i.seq)).toEqual(['001', '002']);
    expect(rest.items.map((i) => i.seq)).toEqual(['003']);
    expect(grants.items.map((i) => i.uploadId)).toEqual(['grant#1']);
    expect(byTenant.items.map((i) => i.seq)).toEqual(['003', '002', '001']);
  });
});

describe('DynamoTable projection', () => {
  it('returns only the attributes asked for, and pages by key as without them', async () => {
    // Prepare: items with a large attribute the reader does not want
    for (const uploadId of ['p-1', 'p-2', 'p-3'])
      await ports.table.put('uploads', {
        tenantId: 'p-tenant',
        uploadId,
        status: 'ACCEPTED',
        errors: ['x'.repeat(1000)],
      });

    // Act
    const first = await ports.table.query({
      table: 'uploads',
      partition: { name: 'tenantId', value: 'p-tenant' },
      limit: 2,
      attributes: ['uploadId', 'status'],
    });
    const rest = await ports.table.query({
      table: 'uploads',
      partition: { name: 'tenantId', value: 'p-tenant' },
      cursor: first.cursor,
      attributes: ['uploadId', 'status'],
    });

    // Assess
    expect([...first.items, ...rest.items]).toEqual(
      ['p-1', 'p-2', 'p-3'].map((uploadId) => ({ uploadId, status: 'ACCEPTED' })),
    );
  });
});

describe('DynamoTable.scan', () => {
  it('pages through every item of a table', async () => {
    // Prepare
    await ports.table.put('tenants', { tenantId: 'scan-1' });
    await ports.table.put('tenants', { tenantId: 'scan-2' });

    // Act
    const seen: unknown[] = [];
    let cursor: Record<string, unknown> | undefined;
    do {
      const page = await ports.table.scan?.('tenants', { limit: 1, cursor });
      seen.push(...(page?.items ?? []).map((item) => item.tenantId));
      cursor = page?.cursor;
    } while (cursor);

    // Assess
    expect(seen).toEqual(expect.arrayContaining(['scan-1', 'scan-2']));
  });
});

describe('FileKeyStore', () => {
  it('creates a private 32-byte key once and destroys it for good', async () => {
    // Prepare
    await ports.keys.create('key-tenant');
    const key = await ports.keys.get('key-tenant');

    // Act
    await ports.keys.create('key-tenant');
    const again = await ports.keys.get('key-tenant');
    const mode = (await stat(join(storage.dataDir, 'keys', 'key-tenant.key'))).mode & 0o777;
    await ports.keys.destroy('key-tenant');

    // Assess
    expect(key).toHaveLength(32);
    expect(again).toEqual(key);
    expect(mode).toBe(0o600);
    expect(await ports.keys.exists('key-tenant')).toBe(false);
    await expect(ports.keys.get('key-tenant')).rejects.toBeInstanceOf(NotFoundError);
  });

  it('refuses a tenant id that would leave the key folder', async () => {
    // Act
    const attempt = ports.keys.create('../escape');

    // Assess
    await expect(attempt).rejects.toThrow(/not a tenant id/);
  });
});

describe('DuckDbQueryRunner', () => {
  it('returns rows as plain objects with numbers', async () => {
    // Act
    const rows = await ports.duckdb.run("SELECT 40 + 2 AS answer, '蔵' AS name");

    // Assess
    expect(rows).toEqual([{ answer: 42, name: '蔵' }]);
  });
});
