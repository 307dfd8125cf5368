/**
 * The process's ports. Nothing here imports an AWS SDK client or an adapter at module load: the
 * deployed ports are thin stand-ins that `import()` their adapter (and with it its SDK client) on
 * first use, so a function loads only the clients it calls: the API never loads Athena, ingestion
 * never loads Secrets Manager unless it masks. The local runtime lives in local-runtime.ts.
 */
import { readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type {
  JobStarter,
  KeyStore,
  ObjectStore,
  PresignedPostRequest,
  QueryRunner,
  ScanRequest,
  Table,
  UserDirectory,
} from '../domain/ports/index.ts';
import type { PlatformSettings } from '../domain/settings.ts';
import { platformStage } from '../domain/stages.ts';
import type { WithdrawalFinisher } from '../domain/uploads/withdraw.ts';
import { type Env, envResolver, requireEnv } from './env.ts';
import { checkEnvironment, type EnvironmentNeeds, USER_POOL_ENV } from './environment.ts';
import {
  bucketEnvVar,
  bucketKeyEnvVar,
  functionEnvVar,
  replicaBucketEnvVar,
  tableEnvVar,
} from './resource-env-vars.ts';

/** Everything a handler needs from the outside world, built once per process. */
export interface Runtime {
  readonly stage: string;
  /** Region the data is stored and processed in. */
  readonly region: string;
  /** Disaster-recovery region, when the stage replicates. */
  readonly drRegion?: string | undefined;
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
  /** Starts asynchronous jobs (releases, purges) in the functions that run them. */
  readonly jobs: JobStarter;
  /** The identity provider's user accounts (deployed: the Cognito user pool, KURA_USER_POOL_ID). */
  readonly users: UserDirectory;
  /**
   * The disaster-recovery copies of the replicated buckets (in the stage's DR region), addressed by the
   * primary bucket's logical name; only where the function was granted them (the purge).
   */
  readonly replica: { readonly objects: ObjectStore; readonly region: string } | undefined;
  /**
   * Where a withdrawal's deletion runs (deployed: the mask function, when this function may invoke it,
   * KURA_FUNCTION_MASK); absent locally and in tests, where it runs in the caller.
   */
  readonly withdrawals?: WithdrawalFinisher | undefined;
  /** Physical name of a logical bucket (Athena locations need it); undefined when not granted here. */
  bucketName(logical: string): string | undefined;
  /** The one writable folder (Lambda: `/tmp`; elsewhere the system's temp folder). */
  readonly tmpDir: string;
  readonly clock: () => Date;
  readonly newId: () => string;
}

/** A promise started on first use and shared afterwards (module-level singletons, built lazily). */
function once<T>(make: () => Promise<T>): () => Promise<T> {
  let value: Promise<T> | undefined;
  return () => {
    value ??= make().catch((error: unknown) => {
      value = undefined; // a failed load (e.g. a missing variable) is retried on the next call
      throw error;
    });
    return value;
  };
}

/** An ObjectStore that loads its adapter on first call. */
function deferredObjectStore(load: () => Promise<ObjectStore>): ObjectStore {
  return {
    put: async (bucket, key, body, options) => (await load()).put(bucket, key, body, options),
    get: async (bucket, key) => (await load()).get(bucket, key),
    getStream: async (bucket, key) => (await load()).getStream(bucket, key),
    head: async (bucket, key) => (await load()).head(bucket, key),
    list: async function* (bucket, prefix) {
      yield* (await load()).list(bucket, prefix);
    },
    listVersions: async function* (bucket, prefix) {
      yield* (await load()).listVersions(bucket, prefix);
    },
    deleteMany: async (bucket, refs) => (await load()).deleteMany(bucket, refs),
    copy: async (bucket, fromKey, toBucket, toKey) => (await load()).copy(bucket, fromKey, toBucket, toKey),
    presignPost: async (request: PresignedPostRequest) => (await load()).presignPost(request),
  };
}

/** A Table that loads its adapter on first call. */
function deferredTable(load: () => Promise<Required<Pick<Table, 'scan'>> & Table>): Table {
  return {
    get: async (table, key) => (await load()).get(table, key),
    put: async (table, item, condition) => (await load()).put(table, item, condition),
    query: async (request) => (await load()).query(request),
    scan: async (table: string, request?: ScanRequest) => (await load()).scan(table, request),
    delete: async (table, key) => (await load()).delete(table, key),
  };
}

/** A KeyStore that loads its adapter on first call. */
function deferredKeyStore(load: () => Promise<KeyStore>): KeyStore {
  return {
    create: async (tenantId) => (await load()).create(tenantId),
    get: async (tenantId) => (await load()).get(tenantId),
    destroy: async (tenantId) => (await load()).destroy(tenantId),
    exists: async (tenantId) => (await load()).exists(tenantId),
  };
}

/** A JobStarter that loads its adapter on first call. */
function deferredJobStarter(load: () => Promise<JobStarter>): JobStarter {
  return { start: async (kind, event) => (await load()).start(kind, event) };
}

/** A UserDirectory that loads its adapter on first call. */
function deferredUserDirectory(load: () => Promise<UserDirectory>): UserDirectory {
  return {
    countTenantUsers: async (tenantId) => (await load()).countTenantUsers(tenantId),
    disableTenantUsers: async (tenantId) => (await load()).disableTenantUsers(tenantId),
  };
}

/** A QueryRunner that loads its adapter on first call. */
function deferredQueryRunner(engine: QueryRunner['engine'], load: () => Promise<QueryRunner>): QueryRunner {
  return { engine, run: async (sql) => (await load()).run(sql) };
}

/** Logical bucket → the KMS key ARN its grant set (`KURA_BUCKET_<X>_KEY_ARN`), or undefined. */
export const bucketKeyResolver =
  (env: Env) =>
  (logical: string): string | undefined =>
    env[bucketKeyEnvVar(logical)]?.trim() || undefined;

/**
 * Builds the deployed ports from the environment the stack sets (see resource-env-vars.ts for the
 * variable names). KURA_STAGE is required at once and selects the stage's regions and settings from
 * the bundled cdk.json; bucket, table, key-store and Athena variables are read when a port first needs
 * them, and a missing one throws naming it.
 */
export function createDeployedRuntime(env: Env = process.env): Runtime {
  const stage = requireEnv(env, 'KURA_STAGE', 'it names the deployment stage (dev, prod)');
  const platform = platformStage(stage);
  const { settings } = platform;
  const region = env.AWS_REGION;
  const objects = once(async () => {
    const [{ S3Client }, { S3ObjectStore }] = await Promise.all([
      import('@aws-sdk/client-s3'),
      import('./s3-object-store.ts'),
    ]);
    return new S3ObjectStore({
      client: new S3Client({ region }),
      resolveBucket: envResolver(env, bucketEnvVar),
      resolveKmsKey: bucketKeyResolver(env),
    });
  });
  const table = once(async () => {
    const [{ DynamoDBClient }, { DynamoDBDocumentClient }, { DynamoTable }] = await Promise.all([
      import('@aws-sdk/client-dynamodb'),
      import('@aws-sdk/lib-dynamodb'),
      import('./dynamo-table.ts'),
    ]);
    return new DynamoTable({
      client: DynamoDBDocumentClient.from(new DynamoDBClient({ region }), {
        marshallOptions: { removeUndefinedValues: true },
      }),
      resolveTable: envResolver(env, tableEnvVar),
    });
  });
  const keys = once(async () => {
    const [{ SecretsManagerClient }, { SecretsManagerKeyStore }] = await Promise.all([
      import('@aws-sdk/client-secrets-manager'),
      import('./key-stores.ts'),
    ]);
    return new SecretsManagerKeyStore({
      client: new SecretsManagerClient({ region }),
      prefix: () => requireEnv(env, 'KURA_KEY_SECRET_PREFIX', 'it prefixes the per-tenant key secrets'),
      platformSecretName: () =>
        requireEnv(env, 'KURA_PLATFORM_KEY_SECRET', 'it names the platform perturbation key secret'),
      kmsKeyId: env.KURA_DATA_KEY_ARN,
    });
  });
  const jobs = once(async () => {
    const [{ LambdaClient }, { LambdaJobStarter }] = await Promise.all([
      import('@aws-sdk/client-lambda'),
      import('./lambda-job-starter.ts'),
    ]);
    return new LambdaJobStarter({
      client: new LambdaClient({ region }),
      resolveFunction: envResolver(env, functionEnvVar),
    });
  });
  const users = once(async () => {
    const [{ CognitoIdentityProviderClient }, { CognitoUserDirectory }] = await Promise.all([
      import('@aws-sdk/client-cognito-identity-provider'),
      import('./cognito-user-directory.ts'),
    ]);
    return new CognitoUserDirectory({
      client: new CognitoIdentityProviderClient({ region }),
      userPoolId: () =>
        requireEnv(env, USER_POOL_ENV, "it names the Cognito user pool of the companies' users"),
    });
  });
  // The DR copies live in another region: their own client, addressed by the primary logical name.
  const replicaBucket = env[replicaBucketEnvVar('curated')];
  const replicaObjects =
    platform.drRegion && replicaBucket
      ? once(async () => {
          const [{ S3Client }, { S3ObjectStore }] = await Promise.all([
            import('@aws-sdk/client-s3'),
            import('./s3-object-store.ts'),
          ]);
          return new S3ObjectStore({
            client: new S3Client({ region: platform.drRegion }),
            resolveBucket: envResolver(env, replicaBucketEnvVar),
          });
        })
      : undefined;
  const duckdb = once(async () => new (await import('./query-runners.ts')).DuckDbQueryRunner());
  const maskFunction = env[functionEnvVar('mask')]?.trim();
  const withdrawals = once(async () => {
    const [{ LambdaClient }, { LambdaWithdrawalFinisher }] = await Promise.all([
      import('@aws-sdk/client-lambda'),
      import('./lambda-withdrawals.ts'),
    ]);
    return new LambdaWithdrawalFinisher({
      client: new LambdaClient({ region }),
      functionName: () => maskFunction ?? '',
    });
  });
  const workgroup = env.KURA_ATHENA_WORKGROUP;
  const athena = once(async () => {
    const [{ AthenaClient }, { AthenaQueryRunner }] = await Promise.all([
      import('@aws-sdk/client-athena'),
      import('./query-runners.ts'),
    ]);
    return new AthenaQueryRunner({ client: new AthenaClient({ region }), workgroup: workgroup ?? '' });
  });
  return {
    stage,
    region: platform.region,
    drRegion: platform.drRegion,
    settings,
    objects: deferredObjectStore(objects),
    table: deferredTable(table),
    keys: deferredKeyStore(keys),
    duckdb: deferredQueryRunner('duckdb', duckdb),
    athena: workgroup ? deferredQueryRunner('athena', athena) : undefined,
    dataKeyId: env.KURA_DATA_KEY_ARN,
    jobs: deferredJobStarter(jobs),
    users: deferredUserDirectory(users),
    replica:
      replicaObjects && platform.drRegion
        ? { objects: deferredObjectStore(replicaObjects), region: platform.drRegion }
        : undefined,
    withdrawals: maskFunction
      ? { finish: async (request) => (await withdrawals()).finish(request) }
      : undefined,
    bucketName: (logical) => env[bucketEnvVar(logical)]?.trim() || undefined,
    tmpDir: tmpdir(),
    clock: () => new Date(),
    newId: () => crypto.randomUUID(),
  };
}

/**
 * The process's ports for a function whose composition root declares `needs`: the environment is
 * checked first (every variable present and well formed, or an error naming it), then the ports are
 * built once per process.
 */
export function deployedRuntime(needs: EnvironmentNeeds): Runtime {
  checkEnvironment(process.env, needs);
  return runtime();
}

/** Local physical names: `kura-local-landing`, `kura-local-uploads`, … (see local-runtime.ts). */
export const LOCAL_NAME_PREFIX = 'kura-local-';

let current: Runtime | undefined;

/**
 * The process's deployed ports, built from the environment on first call (once per cold start). The
 * local platform and tests never use it: they pass their runtime to a function's composition root.
 */
export function runtime(): Runtime {
  if (!current) {
    removeStaleWorkFiles(tmpdir());
    current = createDeployedRuntime(process.env);
  }
  return current;
}

/**
 * Work files (`kura-*`: decoded uploads, DuckDB spill, masking and statistics folders) left in /tmp by an
 * invocation that was cut short (a timeout or an out-of-memory end keeps the sandbox's /tmp). One sandbox
 * runs one invocation at a time, so at the first composition of a process none of them is in use.
 */
export function removeStaleWorkFiles(dir: string): number {
  let removed = 0;
  for (const name of readdirSync(dir)) {
    if (!name.startsWith('kura-')) continue;
    rmSync(join(dir, name), { recursive: true, force: true });
    removed++;
  }
  return removed;
}
