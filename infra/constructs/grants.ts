import { Stack } from 'aws-cdk-lib';
import type * as cognito from 'aws-cdk-lib/aws-cognito';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import { USER_POOL_ENV } from '../../functions/adapters/environment.ts';
import {
  bucketEnvVar,
  functionEnvVar,
  replicaBucketEnvVar,
  tableEnvVar,
} from '../../functions/adapters/resource-env-vars.ts';
import type { LogicalBucket, LogicalTable } from '../../functions/domain/zones.ts';
import { acknowledgeWildcardResource } from '../nag.ts';
import { bucketArn, type InvokedFunction, jobFunctionName, replicaBucketName } from '../naming.ts';
import type { KuraFunction } from './kura-function.ts';
import type { KuraTable } from './kura-table.ts';
import type { SecureBucket } from './secure-bucket.ts';

/**
 * Grant helpers: each grants a function exactly the actions it needs AND sets the environment variable
 * that names the resource, so a function can never hold a name without its permission (or the reverse).
 * Actions are listed one by one (no `s3:*`-style action wildcards).
 */

/** What a function may do with a bucket. `purge` also deletes noncurrent versions. */
export type BucketAccess = 'read' | 'write' | 'readWrite' | 'delete' | 'purge';

/** Options of {@link grantBucket}. */
export interface BucketGrantOptions {
  /**
   * Limit object access to keys under this prefix (e.g. `landing/`, `quarantine/`).
   * @default - every object of the bucket
   */
  readonly prefix?: string;
}

/** Variable naming the KMS key that writes to a bucket must name, e.g. `KURA_BUCKET_AUDIT_KEY_ARN`. */
export const bucketKeyEnvVar = (logical: string) => `${bucketEnvVar(logical)}_KEY_ARN`;

const READ_OBJECT = ['s3:GetObject', 's3:GetObjectVersion', 's3:GetObjectAttributes'];
const WRITE_OBJECT = ['s3:PutObject', 's3:AbortMultipartUpload'];

/**
 * Grants `access` to a Kura bucket and sets `KURA_BUCKET_<LOGICAL>` (its name) and
 * `KURA_BUCKET_<LOGICAL>_KEY_ARN` (the key every write must name, see SecureBucket).
 */
export function grantBucket(
  fn: KuraFunction,
  bucket: SecureBucket,
  logical: LogicalBucket,
  access: BucketAccess,
  options: BucketGrantOptions = {},
): void {
  const prefix = options.prefix ?? '';
  const objects = `${bucket.bucketArn}/${prefix}*`;
  const reads = access === 'read' || access === 'readWrite';
  const writes = access === 'write' || access === 'readWrite';
  const objectActions = [
    ...(reads ? READ_OBJECT : []),
    ...(writes ? WRITE_OBJECT : []),
    ...(access === 'delete' || access === 'purge' ? ['s3:DeleteObject'] : []),
    ...(access === 'purge' ? ['s3:DeleteObjectVersion', 's3:GetObjectVersion'] : []),
  ];
  fn.addToRolePolicy(new iam.PolicyStatement({ actions: objectActions, resources: [objects] }));
  if (reads || access === 'purge') {
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: access === 'purge' ? ['s3:ListBucket', 's3:ListBucketVersions'] : ['s3:ListBucket'],
        resources: [bucket.bucketArn],
        conditions: prefix ? { StringLike: { 's3:prefix': [`${prefix}*`] } } : undefined,
      }),
    );
  }
  if (reads || writes) {
    // Multipart uploads decrypt earlier parts, so writers need kms:Decrypt as well.
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: writes ? ['kms:Decrypt', 'kms:GenerateDataKey'] : ['kms:Decrypt'],
        resources: [bucket.encryptionKey.keyArn],
        conditions: { StringEquals: { 'kms:ViaService': `s3.${Stack.of(fn).region}.amazonaws.com` } },
      }),
    );
  }
  fn.addEnvironment(bucketEnvVar(logical), bucket.bucketName);
  fn.addEnvironment(bucketKeyEnvVar(logical), bucket.encryptionKey.keyArn);
  acknowledgeWildcardResource(
    fn.role,
    objects,
    `Object keys of the ${logical} bucket${prefix ? ` under ${prefix}` : ''} are generated per tenant and upload, so the function must reach any key there; tenant isolation is enforced in code through the zones.ts prefixes.`,
  );
}

/** What a function may do with a table. `append` writes new items only (the ledger is append-only). */
export type TableAccess = 'read' | 'readWrite' | 'append';

const TABLE_READ = [
  'dynamodb:GetItem',
  'dynamodb:BatchGetItem',
  'dynamodb:Query',
  'dynamodb:ConditionCheckItem',
];
const TABLE_WRITE = [
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:BatchWriteItem',
];

/** Grants `access` to a Kura table (and its indexes) and sets `KURA_TABLE_<LOGICAL>`. */
export function grantTable(
  fn: KuraFunction,
  table: KuraTable,
  logical: LogicalTable,
  access: TableAccess,
): void {
  const hasIndexes = (table.table.node.defaultChild as { globalSecondaryIndexes?: unknown[] } | undefined)
    ?.globalSecondaryIndexes;
  const indexes = `${table.tableArn}/index/*`;
  const resources = hasIndexes ? [table.tableArn, indexes] : [table.tableArn];
  const actions =
    access === 'read'
      ? [...TABLE_READ, 'dynamodb:Scan']
      : access === 'readWrite'
        ? [...TABLE_READ, 'dynamodb:Scan', ...TABLE_WRITE]
        : [...TABLE_READ, 'dynamodb:PutItem'];
  fn.addToRolePolicy(new iam.PolicyStatement({ actions, resources }));
  grantTableKey(fn, table, logical, access === 'read' ? 'read' : 'write');
  if (hasIndexes) {
    acknowledgeWildcardResource(
      fn.role,
      indexes,
      `The ${logical} table's global secondary indexes (e.g. byTenant) are queried by name; the wildcard covers only this table's indexes.`,
    );
  }
}

/**
 * Lets `fn` query one index of a Kura table, and nothing else of it (no item read, no other index), and
 * sets `KURA_TABLE_<LOGICAL>`. For a function that needs only what an index tells (the statistics
 * release: which tenants have a withdrawal unfinished, from the uploads table's `byInFlight`).
 */
export function grantIndexQuery(
  fn: KuraFunction,
  table: KuraTable,
  logical: LogicalTable,
  index: string,
): void {
  fn.addToRolePolicy(
    new iam.PolicyStatement({ actions: ['dynamodb:Query'], resources: [`${table.tableArn}/index/${index}`] }),
  );
  grantTableKey(fn, table, logical, 'read');
}

/** The table's key, used through DynamoDB only (to read, or to read and write), and `KURA_TABLE_<LOGICAL>`. */
function grantTableKey(
  fn: KuraFunction,
  table: KuraTable,
  logical: LogicalTable,
  use: 'read' | 'write',
): void {
  fn.addToRolePolicy(
    new iam.PolicyStatement({
      actions:
        use === 'read'
          ? ['kms:Decrypt', 'kms:DescribeKey']
          : ['kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey'],
      resources: [table.encryptionKey.keyArn],
      conditions: { StringEquals: { 'kms:ViaService': `dynamodb.${Stack.of(fn).region}.amazonaws.com` } },
    }),
  );
  fn.addEnvironment(tableEnvVar(logical), table.tableName);
}

/**
 * Lets a function ask S3 to encrypt with the platform data key (presigned SSE-KMS uploads are signed
 * with the function's credentials, so S3 calls KMS as the function) and sets `KURA_DATA_KEY_ARN`.
 */
export function grantDataKey(fn: KuraFunction, dataKey: kms.IKey): void {
  fn.addToRolePolicy(
    new iam.PolicyStatement({
      actions: ['kms:GenerateDataKey', 'kms:Encrypt'],
      resources: [dataKey.keyArn],
      conditions: { StringEquals: { 'kms:ViaService': `s3.${Stack.of(fn).region}.amazonaws.com` } },
    }),
  );
  fn.addEnvironment('KURA_DATA_KEY_ARN', dataKey.keyArn);
}

/** What a function may do with per-tenant key secrets. */
export type KeySecretAccess = 'read' | 'create' | 'destroy';

/**
 * Grants access to the per-tenant pseudonymisation key secrets under `prefix` (encrypted with the data
 * key) and sets `KURA_KEY_SECRET_PREFIX` and `KURA_DATA_KEY_ARN`.
 */
export function grantKeySecrets(
  fn: KuraFunction,
  prefix: string,
  dataKey: kms.IKey,
  access: KeySecretAccess,
): void {
  const stack = Stack.of(fn);
  const secrets = `arn:aws:secretsmanager:${stack.region}:${stack.account}:secret:${prefix}*`;
  const actions = {
    read: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
    create: ['secretsmanager:CreateSecret', 'secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue'],
    destroy: ['secretsmanager:DeleteSecret', 'secretsmanager:DescribeSecret'],
  }[access];
  fn.addToRolePolicy(new iam.PolicyStatement({ actions, resources: [secrets] }));
  if (access !== 'destroy') {
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: access === 'create' ? ['kms:Decrypt', 'kms:GenerateDataKey'] : ['kms:Decrypt'],
        resources: [dataKey.keyArn],
        conditions: { StringEquals: { 'kms:ViaService': `secretsmanager.${stack.region}.amazonaws.com` } },
      }),
    );
  }
  fn.addEnvironment('KURA_KEY_SECRET_PREFIX', prefix);
  fn.addEnvironment('KURA_DATA_KEY_ARN', dataKey.keyArn);
  acknowledgeWildcardResource(
    fn.role,
    secrets,
    `One secret per tenant under ${prefix}; tenants are created at run time, so the names are known only by prefix (Secrets Manager also appends a random suffix).`,
  );
}

/**
 * Lets a function read (and create once, on first use) the platform perturbation key, a secret of its
 * own name apart from the tenant keys, encrypted with the data key; sets `KURA_PLATFORM_KEY_SECRET`
 * and `KURA_DATA_KEY_ARN`.
 */
export function grantPlatformKey(fn: KuraFunction, secretName: string, dataKey: kms.IKey): void {
  const stack = Stack.of(fn);
  // Secrets Manager appends six random characters to a secret's ARN.
  const secret = `arn:aws:secretsmanager:${stack.region}:${stack.account}:secret:${secretName}-??????`;
  fn.addToRolePolicy(
    new iam.PolicyStatement({
      actions: [
        'secretsmanager:CreateSecret',
        'secretsmanager:DescribeSecret',
        'secretsmanager:GetSecretValue',
      ],
      resources: [secret],
    }),
  );
  fn.addToRolePolicy(
    new iam.PolicyStatement({
      actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
      resources: [dataKey.keyArn],
      conditions: { StringEquals: { 'kms:ViaService': `secretsmanager.${stack.region}.amazonaws.com` } },
    }),
  );
  fn.addEnvironment('KURA_PLATFORM_KEY_SECRET', secretName);
  fn.addEnvironment('KURA_DATA_KEY_ARN', dataKey.keyArn);
}

/**
 * Lets `fn` invoke exactly one function named by `jobFunctionName` (a job's, started asynchronously, or
 * the mask function the API waits for) and sets `KURA_FUNCTION_<KIND>` to its name.
 */
export function grantJobStart(fn: KuraFunction, stage: string, kind: InvokedFunction): void {
  const stack = Stack.of(fn);
  const name = jobFunctionName(stage, kind);
  fn.addToRolePolicy(
    new iam.PolicyStatement({
      actions: ['lambda:InvokeFunction'],
      resources: [`arn:aws:lambda:${stack.region}:${stack.account}:function:${name}`],
    }),
  );
  fn.addEnvironment(functionEnvVar(kind), name);
}

/**
 * Lets `fn` find a company's user accounts in the user pool and disable them (their sessions ended
 * first), and sets `KURA_USER_POOL_ID`. Used by the purge: nobody may sign in for a purged company.
 */
export function grantUserDirectory(fn: KuraFunction, userPool: cognito.IUserPool): void {
  fn.addToRolePolicy(
    new iam.PolicyStatement({
      actions: [
        'cognito-idp:ListUsers',
        'cognito-idp:AdminUserGlobalSignOut',
        'cognito-idp:AdminDisableUser',
      ],
      resources: [userPool.userPoolArn],
    }),
  );
  fn.addEnvironment(USER_POOL_ENV, userPool.userPoolId);
}

/**
 * Lets `fn` delete every version under `prefix` in the disaster-recovery copy of the curated bucket
 * (S3 replicates new versions and delete markers, never the deletion of a version), and sets
 * `KURA_BUCKET_CURATED_REPLICA`. For the functions that delete an upload's pseudonymised rows again (a
 * withdrawal, masking's clean-up); the purge has its own grant over the whole copy.
 */
export function grantReplicaDelete(
  fn: KuraFunction,
  stage: { readonly stage: string; readonly account: string },
  drRegion: string,
  prefix: string,
): void {
  const replica = replicaBucketName(stage.stage, 'curated', stage.account, drRegion);
  const objects = `${bucketArn(replica)}/${prefix}*`;
  fn.addToRolePolicy(
    new iam.PolicyStatement({
      actions: ['s3:ListBucketVersions'],
      resources: [bucketArn(replica)],
      conditions: { StringLike: { 's3:prefix': [`${prefix}*`] } },
    }),
  );
  fn.addToRolePolicy(new iam.PolicyStatement({ actions: ['s3:DeleteObjectVersion'], resources: [objects] }));
  fn.addEnvironment(replicaBucketEnvVar('curated'), replica);
  acknowledgeWildcardResource(
    fn.role,
    objects,
    `Keys under ${prefix} in the disaster-recovery copy of the curated bucket are per tenant and upload; the function deletes the versions of one upload there.`,
  );
}
