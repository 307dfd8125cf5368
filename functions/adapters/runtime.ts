import { join } from 'node:path';
import { AthenaClient } from '@aws-sdk/client-athena';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { type PlatformSettings, platformSettingsSchema } from '../domain/settings.ts';
import { DynamoTable } from './dynamo-table.ts';
import { type Env, envResolver, MissingEnvironmentError, prefixResolver, requireEnv } from './env.ts';
import { FileKeyStore, SecretsManagerKeyStore } from './key-stores.ts';
import type { KeyStore, ObjectStore, QueryRunner, Table } from './ports.ts';
import { AthenaQueryRunner, DuckDbQueryRunner } from './query-runners.ts';
import { S3ObjectStore } from './s3-object-store.ts';
import { bucketEnvVar, bucketKeyEnvVar, tableEnvVar } from './table-definitions.ts';

/** Everything a handler needs from the outside world, built once per process. */
export interface Runtime {
  readonly stage: string;
  readonly settings: PlatformSettings;
  readonly objects: ObjectStore;
  readonly table: Table;
  /** Per-tenant pseudonymisation keys. */
  readonly keys: KeyStore;
  /** DuckDB inside this process. */
  readonly duckdb: QueryRunner;
  /** Athena, when the function has a workgroup (KURA_ATHENA_WORKGROUP); absent locally. */
  readonly athena: QueryRunner | undefined;
  /** KMS key uploads must be encrypted with (KURA_DATA_KEY_ARN); absent locally. */
  readonly dataKeyId: string | undefined;
  readonly clock: () => Date;
  readonly newId: () => string;
}

/** Parses KURA_SETTINGS with the shared schema, naming the variable when it is wrong. */
export function settingsFromEnv(env: Env): PlatformSettings {
  const raw = requireEnv(env, 'KURA_SETTINGS', 'it holds the platform settings as JSON');
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    throw new MissingEnvironmentError('Environment variable KURA_SETTINGS is not valid JSON.');
  }
  const parsed = platformSettingsSchema.safeParse(json);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    throw new MissingEnvironmentError(
      `Environment variable KURA_SETTINGS is invalid at ${first?.path.join('.') || '(root)'}: ${first?.message}`,
    );
  }
  return parsed.data;
}

/** A value computed on first use: functions only need the variables of the ports they touch. */
function lazy<T>(make: () => T): () => T {
  let value: { v: T } | undefined;
  return () => {
    value ??= { v: make() };
    return value.v;
  };
}

/** Logical bucket → the KMS key ARN its grant set (`KURA_BUCKET_<X>_KEY_ARN`), or undefined. */
export const bucketKeyResolver =
  (env: Env) =>
  (logical: string): string | undefined =>
    env[bucketKeyEnvVar(logical)]?.trim() || undefined;

/**
 * Builds the deployed ports from the environment the stack sets (see table-definitions.ts for the
 * variable names). KURA_STAGE and KURA_SETTINGS are required at once; bucket, table, key-store and
 * Athena variables are read when a port first needs them, and a missing one throws naming it.
 */
export function createDeployedRuntime(env: Env = process.env): Runtime {
  const stage = requireEnv(env, 'KURA_STAGE', 'it names the deployment stage (dev, prod)');
  const settings = settingsFromEnv(env);
  const region = env.AWS_REGION;
  const s3 = lazy(() => new S3Client({ region }));
  const objects = new S3ObjectStore({
    client: s3(),
    resolveBucket: envResolver(env, bucketEnvVar),
    resolveKmsKey: bucketKeyResolver(env),
  });
  const table = new DynamoTable({
    client: DynamoDBDocumentClient.from(new DynamoDBClient({ region }), {
      marshallOptions: { removeUndefinedValues: true },
    }),
    resolveTable: envResolver(env, tableEnvVar),
  });
  const secretKeys = lazy(
    () =>
      new SecretsManagerKeyStore({
        client: new SecretsManagerClient({ region }),
        prefix: requireEnv(env, 'KURA_KEY_SECRET_PREFIX', 'it prefixes the per-tenant key secrets'),
        kmsKeyId: env.KURA_DATA_KEY_ARN,
      }),
  );
  const keys: KeyStore = {
    create: async (tenantId) => secretKeys().create(tenantId),
    get: async (tenantId) => secretKeys().get(tenantId),
    destroy: async (tenantId) => secretKeys().destroy(tenantId),
    exists: async (tenantId) => secretKeys().exists(tenantId),
  };
  const workgroup = env.KURA_ATHENA_WORKGROUP;
  return {
    stage,
    settings,
    objects,
    table,
    keys,
    duckdb: new DuckDbQueryRunner(),
    athena: workgroup
      ? new AthenaQueryRunner({ client: new AthenaClient({ region }), workgroup })
      : undefined,
    dataKeyId: env.KURA_DATA_KEY_ARN,
    clock: () => new Date(),
    newId: () => crypto.randomUUID(),
  };
}

/** Local physical names: `kura-local-landing`, `kura-local-uploads`, … */
export const LOCAL_NAME_PREFIX = 'kura-local-';
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
}

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
    clock: () => new Date(),
    newId: () => crypto.randomUUID(),
  };
}

let current: Runtime | undefined;

/**
 * The process's ports. In Lambda they are built from the environment on first call (once per cold
 * start); the local platform installs its own with `useRuntime` before it invokes a handler.
 */
export function runtime(): Runtime {
  current ??= createDeployedRuntime(process.env);
  return current;
}

/** Installs the ports handlers use (local platform, tests). */
export function useRuntime(ports: Runtime): void {
  current = ports;
}
