import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLocalRuntime, localClients } from '../../functions/adapters/local-runtime.ts';
import { LOCAL_NAME_PREFIX, type Runtime } from '../../functions/adapters/runtime.ts';
import { defaultSettings } from '../../functions/domain/settings.ts';
import {
  ensureBuckets,
  ensureTables,
  type LocalStorageServers,
  startStorageServers,
} from '../../local/servers.ts';

/** s3rver and dynalite on 127.0.0.1 in a fresh temp dir, with Kura's buckets and tables, and ports over them. */
export interface LocalStorage {
  readonly dataDir: string;
  readonly servers: LocalStorageServers;
  readonly runtime: Runtime;
  /** Stops both servers and removes the temp dir. */
  stop(): Promise<void>;
}

/** Starts local storage for an integration test (call in beforeAll, `stop` in afterAll). */
export async function startLocalStorage(name: string): Promise<LocalStorage> {
  const dataDir = await mkdtemp(join(tmpdir(), `kura-${name}-`));
  const servers = await startStorageServers({ dataDir });
  const physical = (logical: string) => `${LOCAL_NAME_PREFIX}${logical}`;
  const clients = localClients(servers);
  await ensureBuckets(clients.s3, physical);
  await ensureTables(clients.dynamo, physical);
  const runtime = createLocalRuntime({ ...servers, dataDir, settings: defaultSettings });
  return {
    dataDir,
    servers,
    runtime,
    stop: async () => {
      await servers.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
