/**
 * Physical names of Kura's buckets, tables, keys and stacks. Names are derived from stage, account and
 * region so that every stack (and the disaster-recovery region) can name a resource without a
 * cross-stack export: exports pin resources in place and make stacks hard to change independently.
 * Japan's regions are in the `aws` partition, so ARNs here are literal strings.
 */

/** Stack name prefix of a stage: every stack is `Kura-<stage>-<Name>`. */
export const stackName = (stage: string, name: string) => `Kura-${stage}-${name}`;

/** Physical name of a bucket, e.g. `kura-dev-landing-000000000000-ap-northeast-1` (at most 63 characters). */
export const bucketName = (stage: string, logical: string, account: string, region: string) =>
  `kura-${stage}-${logical}-${account}-${region}`;

/** Physical name of a replica bucket in the disaster-recovery region. */
export const replicaBucketName = (stage: string, logical: string, account: string, region: string) =>
  bucketName(stage, `${logical}-replica`, account, region);

/** ARN of a bucket by name. */
export const bucketArn = (name: string) => `arn:aws:s3:::${name}`;

/** Physical name of a table, e.g. `kura-dev-uploads`. */
export const tableName = (stage: string, logical: string) => `kura-${stage}-${logical}`;

/** ARN of a table by name. */
export const tableArn = (name: string, account: string, region: string) =>
  `arn:aws:dynamodb:${region}:${account}:table/${name}`;

/** Alias of the replica KMS key in the disaster-recovery region. */
export const replicaKeyAlias = (stage: string) => `alias/kura-${stage}-replica`;

/**
 * Secrets Manager name of the platform perturbation key (record keys of anonymised releases), apart
 * from the tenant keys so that no purge's permission reaches it.
 */
export const platformKeySecretName = (stage: string) => `kura/${stage}/platform-keys/perturbation`;

/** Secrets Manager name prefix of per-tenant pseudonymisation keys, e.g. `kura/dev/tenant-keys/`. */
export const keySecretPrefix = (stage: string) => `kura/${stage}/tenant-keys/`;

/**
 * Fixed name of the function that runs a job kind, e.g. `kura-dev-release`: callers name it in an IAM
 * statement and an environment variable without a cross-stack reference (a function may also start
 * itself, which a reference to its own ARN could not express).
 */
export const jobFunctionName = (stage: string, kind: InvokedFunction) => `kura-${stage}-${kind}`;

/**
 * Functions other functions invoke by their fixed name: the two job functions, and the mask function,
 * which the API invokes to finish a withdrawal (it holds the grants to delete an upload's data).
 */
export type InvokedFunction = 'release' | 'purge' | 'mask';
