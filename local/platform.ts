import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import { join, resolve } from 'node:path';
import { createLocalRuntime, localClients } from '../functions/adapters/local-runtime.ts';
import { DuckDbQueryRunner } from '../functions/adapters/query-runners.ts';
import { LOCAL_NAME_PREFIX, type Runtime } from '../functions/adapters/runtime.ts';
import { createApiHandler } from '../functions/api/handler.ts';
import type { PlatformSettings } from '../functions/domain/settings.ts';
import { createPurgeHandler } from '../functions/purge/handler.ts';
import { composePurge } from '../functions/purge/runtime.ts';
import { createReleaseHandler } from '../functions/stats-release/handler.ts';
import { composeRelease } from '../functions/stats-release/runtime.ts';
import { PLATFORM_INFO_FILE } from './cli/context.ts';
import { DEMO_MARKER } from './demo/marker.ts';
import { createDispatcher, INGEST_QUEUE_DIR, localIngest } from './dispatch.ts';
import type { DeadLetter } from './durable-queue.ts';
import { createApiServer } from './http-server.ts';
import { JOB_QUEUE_DIR, LocalJobStarter } from './jobs.ts';
import { renderPreviewCsv, renderPreviewPage } from './preview/page.ts';
import { type ReconcileReport, reconcileLocalPlatform } from './reconcile.ts';
import { seedDemoTenants } from './seed.ts';
import {
  ensureBuckets,
  ensureTables,
  LOCAL_HOST,
  listen,
  type S3NotificationEvent,
  startStorageServers,
} from './servers.ts';
import { localSettings } from './settings.ts';
import { loadSigningKeys, mintAccountToken, type TokenRequest, verifyAccountToken } from './tokens.ts';

/** Well-known local ports; each falls back to a free port when taken. */
export const DEFAULT_PORTS = { api: 8787, s3: 4569, dynamodb: 4567 } as const;

export interface LocalPlatformOptions {
  /** Data folder; a restart with the same folder keeps the data. @default `.kura-data` */
  readonly dataDir?: string;
  /** API port; 0 picks a free one. @default 8787 */
  readonly port?: number;
  /** @default 4569 (0 when `port` is 0) */
  readonly s3Port?: number;
  /** @default 4567 (0 when `port` is 0) */
  readonly dynamoPort?: number;
  /** Registers demo-a and demo-b on first start. @default true */
  readonly seed?: boolean;
  /** Overrides the dev-stage settings from cdk.json. */
  readonly settings?: PlatformSettings;
  /** Where dispatch failures are reported. @default console.error */
  readonly onError?: (error: unknown) => void;
  /** Wait before a failed message or job is delivered again (tests shorten it). @default exponential from 0.5 s */
  readonly retryBackoffMs?: (attempts: number) => number;
  /**
   * Wraps the ports every handler gets, for fault injection (test/integration/crash: a process killed at
   * a chosen call). @default the ports as they are
   */
  readonly decorate?: (ports: Runtime) => Runtime;
}

/** Where the local platform's work files go: emptied at every start (reconcile.ts). */
export const localTmpDir = (dataDir: string) => join(dataDir, 'tmp');

export interface LocalPlatform {
  readonly apiUrl: string;
  readonly s3Url: string;
  readonly dynamoUrl: string;
  /** The BI preview page (published statistics, a demo company's benchmark, the APPI notice). */
  readonly previewUrl: string;
  readonly dataDir: string;
  /** The ports the handlers run with (tests read the tables through them). */
  readonly ports: Runtime;
  /** Seeded on this start (empty when the data folder had them already). */
  readonly seeded: readonly string[];
  /** What the start found interrupted and took up again (reconcile.ts). */
  readonly reconciled: ReconcileReport;
  /** Object-created events and jobs that failed every delivery (`kura status --stuck`). */
  deadLetters(): Promise<{ readonly ingest: DeadLetter[]; readonly jobs: DeadLetter[] }>;
  /** A token signed with the data folder's local key. */
  token(request: TokenRequest): Promise<string>;
  /** Resolves when every object-created event and every job started so far has been handled. */
  settled(): Promise<void>;
  /** Stops: the upload or job being processed finishes, queued ones wait on disk for the next start. */
  stop(): Promise<void>;
}

const closeServer = (server: Server) =>
  new Promise<void>((resolveClose) => {
    server.close(() => resolveClose());
    server.closeAllConnections();
  });

/**
 * Starts Kura on this machine, in this process, on 127.0.0.1: s3rver and dynalite with the stack's
 * buckets and tables, the API handler behind a local API Gateway stand-in, and S3 events flowing to
 * the ingest handler as SQS events.
 */
export async function startLocalPlatform(options: LocalPlatformOptions = {}): Promise<LocalPlatform> {
  const dataDir = resolve(options.dataDir ?? '.kura-data');
  const ephemeral = options.port === 0;
  const settings = options.settings ?? (await localSettings());
  const keys = await loadSigningKeys(dataDir, { create: true });
  const storage = await startStorageServers({
    dataDir,
    s3Port: options.s3Port ?? (ephemeral ? 0 : DEFAULT_PORTS.s3),
    dynamoPort: options.dynamoPort ?? (ephemeral ? 0 : DEFAULT_PORTS.dynamodb),
  });
  let api: Server | undefined;
  try {
    const physical = (logical: string) => `${LOCAL_NAME_PREFIX}${logical}`;
    const clients = localClients(storage);
    await ensureBuckets(clients.s3, physical);
    await ensureTables(clients.dynamo, physical);
    const onError =
      options.onError ?? ((error) => console.error('[kura] object-created event failed:', error));
    const backoff = options.retryBackoffMs ? { backoffMs: options.retryBackoffMs } : {};
    const jobs = await LocalJobStarter.open({
      dir: join(dataDir, ...JOB_QUEUE_DIR),
      onError: (kind, error) => onError(new Error(`The ${kind} job failed`, { cause: error })),
      ...backoff,
    });
    const tmpDir = localTmpDir(dataDir);
    await mkdir(tmpDir, { recursive: true, mode: 0o700 });
    const created = createLocalRuntime({ ...storage, dataDir, settings, jobs, tmpDir });
    const ports = options.decorate ? options.decorate(created) : created;
    // Every function is composed from these ports by its own composition root, as deployed.
    jobs.register(
      'release',
      createReleaseHandler(() => composeRelease(ports)),
    );
    jobs.register(
      'purge',
      createPurgeHandler(() => composePurge(ports)),
    );
    const seeded = options.seed === false ? [] : await seedDemoTenants(ports);

    const dispatcher = await createDispatcher({
      landingBucket: physical('landing'),
      dir: join(dataDir, ...INGEST_QUEUE_DIR),
      consume: localIngest(ports),
      onError,
      ...backoff,
    });
    const onEvent = (event: S3NotificationEvent) => dispatcher.accept(event);
    storage.s3.on('event', onEvent);
    // Whatever the last run left unfinished is taken up again before anything new arrives.
    const reconciled = await reconcileLocalPlatform({
      ports,
      tmpDir,
      landingBucket: physical('landing'),
      dispatcher,
      jobs,
    });
    dispatcher.start();
    jobs.run();

    api = createApiServer({
      handler: createApiHandler(() => ports),
      verify: (token) => verifyAccountToken(dataDir, keys, token),
      preview: async (url, lang) => {
        const period = url.searchParams.get('period') ?? undefined;
        if (url.pathname === '/preview/csv') {
          return renderPreviewCsv(ports, {
            lang,
            statistic: url.searchParams.get('statistic') ?? '',
            period,
          });
        }
        const tenants = await demoTenants(dataDir);
        const html = await renderPreviewPage(ports, {
          lang,
          tenants,
          tenantId: url.searchParams.get('tenant') ?? undefined,
          period,
        });
        return { kind: 'html', html };
      },
    });
    const apiPort = await listen(api, options.port ?? DEFAULT_PORTS.api);
    const apiServer = api;
    const apiUrl = `http://${LOCAL_HOST}:${apiPort}`;
    // Where the CLI finds this platform (`kura` reads it from the same data folder).
    const infoFile = join(dataDir, PLATFORM_INFO_FILE);
    await writeFile(
      infoFile,
      JSON.stringify({
        apiUrl,
        s3Url: storage.s3Endpoint,
        dynamoUrl: storage.dynamoEndpoint,
        pid: process.pid,
      }),
    );
    return {
      apiUrl,
      s3Url: storage.s3Endpoint,
      dynamoUrl: storage.dynamoEndpoint,
      previewUrl: `${apiUrl}/preview`,
      dataDir,
      ports,
      seeded,
      reconciled,
      deadLetters: async () => ({ ingest: await dispatcher.deadLetters(), jobs: await jobs.deadLetters() }),
      token: (request) => mintAccountToken(dataDir, keys, request),
      settled: async () => {
        await dispatcher.settled();
        await jobs.settled();
      },
      async stop() {
        storage.s3.off('event', onEvent);
        await rm(infoFile, { force: true });
        await closeServer(apiServer);
        await dispatcher.stop();
        await jobs.stop();
        if (ports.duckdb instanceof DuckDbQueryRunner) await ports.duckdb.close();
        await storage.stop();
      },
    };
  } catch (error) {
    if (api) await closeServer(api);
    await storage.stop();
    throw error;
  }
}

/** The companies of the seeded demo (for the preview's benchmark picker), if the demo was seeded. */
async function demoTenants(dataDir: string): Promise<string[] | undefined> {
  try {
    const marker = JSON.parse(await readFile(join(dataDir, DEMO_MARKER), 'utf8')) as { tenants?: unknown };
    return Array.isArray(marker.tenants) ? marker.tenants.map(String) : undefined;
  } catch {
    return undefined;
  }
}
