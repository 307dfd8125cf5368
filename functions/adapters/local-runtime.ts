/**
 * The local platform's ports: s3rver, dynalite, key files under the data folder and in-process
 * DuckDB, behind the same adapters as the deployed ones. Kept apart from runtime.ts so that Lambda
 * bundles, which import runtime.ts, never load an SDK client at module load.
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { JobStarter } from '../domain/ports/index.ts';
import type { PlatformSettings } from '../domain/settings.ts';
import { DynamoTable } from './dynamo-table.ts';
import { prefixResolver } from './env.ts';
import { localUserDirectory } from './file-user-directory.ts';
import { FileKeyStore } from './key-stores.ts';
import { DuckDbQueryRunner } from './query-runners.ts';
import { LOCAL_NAME_PREFIX, type Runtime } from './runtime.ts';
import { S3ObjectStore } from './s3-object-store.ts';

/** s3rver and dynalite accept any credentials; the SDK still wants some. */
const LOCAL_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };
const LOCAL_REGION = 'ap-northeast-1';

export interface LocalRuntimeOptions {
  /** s3rver, e.g. http://127.0.0.1:4569 */
  readonly s3Endpoint: string;
  /** dynalite, e.g. http://127.0.0.1:4567 */
  readonly dynamoEndpoint: string;
  /** Data folder (`.kura-data`): keys live in `<dataDir>/keys`. */
  readonly dataDir: string;
  readonly settings: PlatformSettings;
  /**
   * Where jobs (releases, purges) start: the local platform passes its in-process starter.
   * @default a starter that refuses, for tools that start no job (the CLI's ledger check)
   */
  readonly jobs?: JobStarter;
  /** Where work files go (the local platform: `<dataDir>/tmp`, emptied at every start). @default the OS's */
  readonly tmpDir?: string;
}

/** For runtimes that must never start a job. */
const noJobs: JobStarter = {
  start: async (kind) => {
    throw new Error(`This local runtime starts no ${kind} job`);
  },
};

/** The local clients, for the platform that also creates buckets and tables through them. */
export function localClients(options: Pick<LocalRuntimeOptions, 's3Endpoint' | 'dynamoEndpoint'>) {
  const s3 = new S3Client({
    region: LOCAL_REGION,
    endpoint: options.s3Endpoint,
    forcePathStyle: true,
    credentials: LOCAL_CREDENTIALS,
    // s3rver does not understand the SDK's default aws-chunked CRC32 trailers.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  const dynamo = new DynamoDBClient({
    region: LOCAL_REGION,
    endpoint: options.dynamoEndpoint,
    credentials: LOCAL_CREDENTIALS,
  });
  return { s3, dynamo };
}

/** The same ports over s3rver, dynalite, key files and in-process DuckDB. */
export function createLocalRuntime(options: LocalRuntimeOptions): Runtime {
  const { s3, dynamo } = localClients(options);
  return {
    stage: 'local',
    region: LOCAL_REGION,
    drRegion: undefined,
    settings: options.settings,
    objects: new S3ObjectStore({ client: s3, resolveBucket: prefixResolver(LOCAL_NAME_PREFIX) }),
    table: new DynamoTable({
      client: DynamoDBDocumentClient.from(dynamo, { marshallOptions: { removeUndefinedValues: true } }),
      resolveTable: prefixResolver(LOCAL_NAME_PREFIX),
    }),
    keys: new FileKeyStore(join(options.dataDir, 'keys')),
    duckdb: new DuckDbQueryRunner(),
    athena: undefined,
    dataKeyId: undefined,
    jobs: options.jobs ?? noJobs,
    users: localUserDirectory(options.dataDir),
    replica: undefined,
    bucketName: prefixResolver(LOCAL_NAME_PREFIX),
    tmpDir: options.tmpDir ?? tmpdir(),
    clock: () => new Date(),
    newId: () => crypto.randomUUID(),
  };
}
