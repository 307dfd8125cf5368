import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Runtime } from '../../../functions/adapters/runtime.ts';
import { type LocalStorage, startLocalStorage } from '../local-storage.ts';

let storage: LocalStorage;
let ports: Runtime;

beforeAll(async () => {
  storage = await startLocalStorage('listing');
  ports = storage.runtime;
});

afterAll(async () => {
  await storage?.stop();
});

/** Puts objects with a few requests in flight, as a busy tenant's uploads would. */
async function putMany(keys: readonly string[]): Promise<void> {
  const queue = [...keys];
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      for (let key = queue.shift(); key !== undefined; key = queue.shift()) {
        await ports.objects.put('raw', key, 'x');
      }
    }),
  );
}

describe('listing more than 1,000 objects on the local s3rver', () => {
  it('lists 1,500 objects through S3ObjectStore, every key once and in order', async () => {
    // Prepare: more than one ListObjectsV2 page, next to a prefix that must stay out
    const keys = Array.from(
      { length: 1500 },
      (_, i) => `raw/tenant=big/dataset=attendance/period=2025-04/u-${String(i).padStart(4, '0')}.parquet`,
    );
    await putMany([...keys, 'raw/tenant=bigger/dataset=attendance/period=2025-04/other.parquet']);

    // Act
    const listed: string[] = [];
    for await (const object of ports.objects.list('raw', 'raw/tenant=big/')) listed.push(object.key);

    // Assess
    expect(listed).toHaveLength(1500);
    expect(listed).toEqual(keys);
  });
});
