/**
 * What each function needs from its environment, declared by its composition root and checked when
 * the function first runs: every variable present and well formed, or the function fails naming the
 * variable. The stacks' grant helpers set exactly these variables (the twin tier checks that the
 * synthesized environment of every function is what its declaration implies, nothing missing and
 * nothing extra). Variables carry names and ARNs only: settings come from the bundled stage config.
 */

import type { JobKind } from '../domain/ports/index.ts';
import { STAGE_NAME_PATTERN } from '../domain/stages.ts';
import type { LogicalBucket, LogicalTable, ReplicatedBucket } from '../domain/zones.ts';
import { type Env, MissingEnvironmentError } from './env.ts';
import {
  bucketEnvVar,
  bucketKeyEnvVar,
  functionEnvVar,
  replicaBucketEnvVar,
  tableEnvVar,
} from './resource-env-vars.ts';

/** The variable naming the Cognito user pool (set with its grant, `grantUserDirectory`). */
export const USER_POOL_ENV = 'KURA_USER_POOL_ID';

/** A function's declared needs. */
export interface EnvironmentNeeds {
  /** Buckets it reads or writes (their name and the key writes must name). */
  readonly buckets?: readonly LogicalBucket[];
  readonly tables?: readonly LogicalTable[];
  /** Per-tenant key secrets (their name prefix and the key that encrypts them). */
  readonly keySecrets?: boolean;
  /** The platform data key (uploads are encrypted with it). */
  readonly dataKey?: boolean;
  /** The platform perturbation key's secret (record keys of anonymised releases). */
  readonly platformKey?: boolean;
  /** An Athena workgroup. */
  readonly athena?: boolean;
  /** Job kinds it starts (the functions that run them). */
  readonly jobs?: readonly JobKind[];
  /** Functions it invokes and waits for (the API: the mask function, to finish a withdrawal). */
  readonly invokes?: readonly 'mask'[];
  /** The Cognito user pool (its users are disabled when their company is purged). */
  readonly userPool?: boolean;
  /** Disaster-recovery copies it reaches, when the stage has them (optional: absent without a DR region). */
  readonly replicas?: readonly ReplicatedBucket[];
}

/** Raised when a variable is present but not what its stack would set. */
export class InvalidEnvironmentError extends MissingEnvironmentError {
  override readonly name = 'InvalidEnvironmentError';
}

interface VariableRule {
  readonly pattern: RegExp;
  readonly max: number;
  readonly what: string;
}

const RULES = {
  bucket: { pattern: /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, max: 63, what: 'an S3 bucket name' },
  table: { pattern: /^[A-Za-z0-9_.-]{3,255}$/, max: 255, what: 'a DynamoDB table name' },
  kmsKey: {
    pattern: /^arn:aws:kms:[a-z0-9-]+:\d{12}:(key|alias)\/[A-Za-z0-9/_-]+$/,
    max: 2048,
    what: 'a KMS key ARN',
  },
  secretPrefix: {
    pattern: /^[A-Za-z0-9/_+=.@-]+\/$/,
    max: 400,
    what: 'a Secrets Manager name prefix ending in /',
  },
  secretName: { pattern: /^[A-Za-z0-9/_+=.@-]+$/, max: 512, what: 'a Secrets Manager secret name' },
  workgroup: { pattern: /^[A-Za-z0-9._-]{1,128}$/, max: 128, what: 'an Athena workgroup name' },
  function: { pattern: /^[A-Za-z0-9-_]{1,64}$/, max: 64, what: 'a Lambda function name' },
  stage: { pattern: STAGE_NAME_PATTERN, max: 16, what: 'a stage name' },
  userPool: { pattern: /^[a-z]{2}-[a-z]+-\d_[0-9A-Za-z]+$/, max: 55, what: 'a Cognito user pool id' },
} as const satisfies Record<string, VariableRule>;

/** Every variable a declaration implies, with the rule its value must follow. */
export function requiredVariables(
  needs: EnvironmentNeeds,
): ReadonlyArray<{ name: string; rule: VariableRule }> {
  const variables: Array<{ name: string; rule: VariableRule }> = [{ name: 'KURA_STAGE', rule: RULES.stage }];
  for (const bucket of needs.buckets ?? []) {
    variables.push(
      { name: bucketEnvVar(bucket), rule: RULES.bucket },
      { name: bucketKeyEnvVar(bucket), rule: RULES.kmsKey },
    );
  }
  for (const table of needs.tables ?? []) variables.push({ name: tableEnvVar(table), rule: RULES.table });
  if (needs.keySecrets) variables.push({ name: 'KURA_KEY_SECRET_PREFIX', rule: RULES.secretPrefix });
  if (needs.platformKey) variables.push({ name: 'KURA_PLATFORM_KEY_SECRET', rule: RULES.secretName });
  if (needs.keySecrets || needs.dataKey || needs.platformKey) {
    variables.push({ name: 'KURA_DATA_KEY_ARN', rule: RULES.kmsKey });
  }
  if (needs.athena) variables.push({ name: 'KURA_ATHENA_WORKGROUP', rule: RULES.workgroup });
  if (needs.userPool) variables.push({ name: USER_POOL_ENV, rule: RULES.userPool });
  for (const kind of needs.jobs ?? []) variables.push({ name: functionEnvVar(kind), rule: RULES.function });
  for (const name of needs.invokes ?? [])
    variables.push({ name: functionEnvVar(name), rule: RULES.function });
  return variables;
}

/** Variables a declaration allows but does not require (present only in some stages). */
export function optionalVariables(needs: EnvironmentNeeds): string[] {
  return (needs.replicas ?? []).map((bucket) => replicaBucketEnvVar(bucket));
}

/**
 * Checks the environment against a function's declaration.
 * @throws MissingEnvironmentError naming a variable that is absent
 * @throws InvalidEnvironmentError naming a variable whose value is too long or not of its kind
 */
export function checkEnvironment(env: Env, needs: EnvironmentNeeds): void {
  for (const { name, rule } of requiredVariables(needs)) {
    const value = env[name];
    if (value === undefined || value.trim() === '') {
      throw new MissingEnvironmentError(
        `Environment variable ${name} is not set: it must hold ${rule.what}. The stack's grant helpers set it together with the permission it needs.`,
        name,
      );
    }
    if (value.length > rule.max) {
      throw new InvalidEnvironmentError(
        `Environment variable ${name} is ${value.length} characters long; ${rule.what} has at most ${rule.max}.`,
        name,
      );
    }
    if (!rule.pattern.test(value)) {
      throw new InvalidEnvironmentError(`Environment variable ${name} does not hold ${rule.what}.`, name);
    }
  }
  for (const name of optionalVariables(needs)) {
    const value = env[name];
    if (value !== undefined && !RULES.bucket.pattern.test(value)) {
      throw new InvalidEnvironmentError(
        `Environment variable ${name} does not hold ${RULES.bucket.what}.`,
        name,
      );
    }
  }
}
