/**
 * Clients and helpers for the real-AWS suite. Credentials come from the standard AWS chain; the BI role is
 * assumed with STS (@aws-sdk/client-sts, a declared devDependency).
 */
import {
  AthenaClient,
  GetQueryExecutionCommand,
  GetQueryResultsCommand,
  StartQueryExecutionCommand,
} from '@aws-sdk/client-athena';
import { S3Client } from '@aws-sdk/client-s3';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import type { LogicalBucket } from '../../functions/domain/zones.ts';
import { bucketName } from '../../infra/naming.ts';
import { type AwsSuiteEnv, awsSuiteEnv } from './env.ts';

export const env: AwsSuiteEnv = awsSuiteEnv();

/** The stage's account, read from the BI role's ARN (the role lives in the account it reads). */
export function accountId(): string {
  const account = /^arn:aws:iam::(\d{12}):role\//.exec(env.biRoleArn)?.[1];
  if (!account) throw new Error(`KURA_BI_ROLE_ARN is not an IAM role ARN: ${env.biRoleArn}`);
  return account;
}

/** Physical name of a logical bucket of the stage under test. */
export function physicalBucket(logical: LogicalBucket): string {
  return bucketName(env.stage, logical, accountId(), env.region);
}

/** Clients as the operator running the suite. */
export const operator = {
  s3: new S3Client({ region: env.region }),
  athena: new AthenaClient({ region: env.region }),
};

/** S3 and Athena clients acting as the BI role. */
export async function asBiRole(): Promise<{ s3: S3Client; athena: AthenaClient }> {
  const assumed = await new STSClient({ region: env.region }).send(
    new AssumeRoleCommand({
      RoleArn: env.biRoleArn,
      RoleSessionName: `kura-test-aws-${Date.now()}`,
      DurationSeconds: 900,
    }),
  );
  const c = assumed.Credentials;
  if (!c?.AccessKeyId || !c.SecretAccessKey)
    throw new Error(`AssumeRole ${env.biRoleArn} returned no credentials`);
  const credentials = {
    accessKeyId: c.AccessKeyId,
    secretAccessKey: c.SecretAccessKey,
    sessionToken: c.SessionToken,
  };
  return {
    s3: new S3Client({ region: env.region, credentials }),
    athena: new AthenaClient({ region: env.region, credentials }),
  };
}

/** Calls the API with a user's ID token; returns status and parsed JSON body. */
export async function api(
  token: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${env.apiUrl}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      'accept-language': 'en',
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  let parsed: Record<string, unknown> = {};
  try {
    parsed = text ? (JSON.parse(text) as Record<string, unknown>) : {};
  } catch {
    parsed = { text };
  }
  return { status: response.status, body: parsed };
}

/** Polls `probe` until it returns a value (not undefined), at most `attempts` times, `everyMs` apart. */
export async function eventually<T>(
  probe: () => Promise<T | undefined>,
  { attempts = 60, everyMs = 5_000, what = 'condition' } = {},
): Promise<T> {
  for (let attempt = 1; attempt <= attempts; attempt++) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
  throw new Error(`${what} not reached after ${attempts} attempts`);
}

export interface AthenaOutcome {
  readonly state: string;
  readonly reason: string;
  readonly columns: string[];
  readonly rows: string[][];
}

/**
 * Runs a query in a workgroup and waits for it. A refusal at StartQueryExecution (IAM) comes back as a
 * FAILED outcome with the error's name and message, so callers assert on one shape.
 */
export async function athenaQuery(
  client: AthenaClient,
  workgroup: string,
  sql: string,
): Promise<AthenaOutcome> {
  let id: string | undefined;
  try {
    id = (await client.send(new StartQueryExecutionCommand({ QueryString: sql, WorkGroup: workgroup })))
      .QueryExecutionId;
  } catch (error) {
    const e = error as Error;
    return { state: 'FAILED', reason: `${e.name}: ${e.message}`, columns: [], rows: [] };
  }
  const done = await eventually(
    async () => {
      const { QueryExecution } = await client.send(new GetQueryExecutionCommand({ QueryExecutionId: id }));
      const state = QueryExecution?.Status?.State ?? 'UNKNOWN';
      return ['SUCCEEDED', 'FAILED', 'CANCELLED'].includes(state)
        ? { state, reason: QueryExecution?.Status?.StateChangeReason ?? '' }
        : undefined;
    },
    { attempts: 120, everyMs: 2_000, what: `Athena query ${id}` },
  );
  if (done.state !== 'SUCCEEDED') return { ...done, columns: [], rows: [] };
  const results = await client.send(new GetQueryResultsCommand({ QueryExecutionId: id, MaxResults: 100 }));
  const columns = results.ResultSet?.ResultSetMetadata?.ColumnInfo?.map((c) => c.Name ?? '') ?? [];
  const rows = (results.ResultSet?.Rows ?? [])
    .slice(1)
    .map((row) => row.Data?.map((d) => d.VarCharValue ?? '') ?? []);
  return { ...done, columns, rows };
}

/** True for an S3, Glue or Athena refusal by IAM or a bucket policy (or Lake Formation, if an account adds it). */
export function isAccessDenied(error: unknown): boolean {
  const e = error as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  return (
    e?.name === 'AccessDenied' ||
    e?.name === 'AccessDeniedException' ||
    e?.$metadata?.httpStatusCode === 403 ||
    /access denied|not authorized|insufficient (lake formation )?permission/i.test(e?.message ?? '')
  );
}
