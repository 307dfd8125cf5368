import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLocalRuntime, localClients } from '../../../functions/adapters/local-runtime.ts';
import { LOCAL_NAME_PREFIX, type Runtime } from '../../../functions/adapters/runtime.ts';
import { defaultSettings } from '../../../functions/domain/settings.ts';
import { ensureBuckets, type LocalStorageServers, startStorageServers } from '../../../local/servers.ts';

let dataDir: string;
let servers: LocalStorageServers;
let ports: Runtime;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'kura-listing-'));
  servers = await startStorageServers({ dataDir });
  const clients = localClients(servers);
  await ensureBuckets(clients.s3, (logical) => `${LOCAL_NAME_PREFIX}${logical}`);
  ports = createLocalRuntime({ ...servers, dataDir, settings: defaultSettings });
});

afterAll(async () => {
  await servers?.stop();
  await rm(dataDir, { recursive: true, force: true });
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
