import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { JOB_MAX_EVENT_AGE, JOB_RETRY_ATTEMPTS } from '../../infra/constructs/job-schedule.ts';
import { bucketName, replicaBucketName } from '../../infra/naming.ts';
import {
  allows,
  type CfnJson,
  functionOf,
  rolePolicyOf,
  type SynthesizedStage,
  synthesizeStage,
} from './support.ts';

let dev: SynthesizedStage;
let prod: SynthesizedStage;
let template: Template;
const name = (logical: string) => bucketName('dev', logical, dev.config.account, dev.config.region);
const objects = (logical: string, prefix = '') => `arn:aws:s3:::${name(logical)}/${prefix}*`;
const table = (logical: string) =>
  `arn:aws:dynamodb:${dev.config.region}:${dev.config.account}:table/kura-dev-${logical}`;
const list = <T>(value: T | T[]): T[] => (Array.isArray(value) ? value : [value]);

beforeAll(() => {
  dev = synthesizeStage('dev');
  prod = synthesizeStage('prod');
  template = Template.fromStack(dev.stacks.operations);
});

/** The schedule whose target is the function with this logical id prefix. */
function scheduleOf(source: Template, functionPrefix: string): CfnJson {
  const schedules = Object.values(source.findResources('AWS::Scheduler::Schedule')) as CfnJson[];
  const found = schedules.filter((s) =>
    JSON.stringify(s.Properties.Target.Arn).includes(`"${functionPrefix}`),
  );
  if (found.length !== 1)
    throw new Error(`expected one schedule for ${functionPrefix}, found ${found.length}`);
  return found[0] as CfnJson;
}

describe('operations stack: purge', () => {
  let fn: CfnJson;
  let policy: CfnJson;
  beforeAll(() => {
    fn = functionOf(template, 'Purge');
    policy = rolePolicyOf(template, 'Purge');
  });

  it('has the full Lambda time to work through a large tenant', () => {
    expect(fn.Properties.Timeout).toBe(900);
  });

  it('may list and delete every object version in each bucket that can hold tenant data', () => {
    for (const bucket of ['landing', 'raw', 'curated', 'query-results']) {
      expect(allows(policy, 's3:DeleteObjectVersion', objects(bucket)), bucket).toBe(true);
      expect(allows(policy, 's3:ListBucketVersions', `arn:aws:s3:::${name(bucket)}`), bucket).toBe(true);
    }
  });

  it('may never delete anything in the audit bucket, only write and read certificates', () => {
    const deletes = (policy.Statement as CfnJson[]).filter(
      (s) => s.Effect === 'Allow' && list(s.Action).some((a: string) => a.startsWith('s3:Delete')),
    );
    expect(JSON.stringify(deletes)).not.toContain(name('audit'));
    expect(allows(policy, 's3:PutObject', objects('audit', 'certificates/'))).toBe(true);
    expect(allows(policy, 's3:GetObject', objects('audit', 'certificates/'))).toBe(true);
  });

  it('deletes tenant rows, only appends to the ledger, and destroys key secrets', () => {
    expect(allows(policy, 'dynamodb:DeleteItem', table('uploads'))).toBe(true);
    expect(allows(policy, 'dynamodb:DeleteItem', table('ledger'))).toBe(false);
    expect(allows(policy, 'dynamodb:UpdateItem', table('ledger'))).toBe(false);
    expect(allows(policy, 'dynamodb:PutItem', table('ledger'))).toBe(true);
    const secrets = `arn:aws:secretsmanager:${dev.config.region}:${dev.config.account}:secret:kura/dev/tenant-keys/*`;
    expect(allows(policy, 'secretsmanager:DeleteSecret', secrets)).toBe(true);
  });

  it('disables a purged company’s accounts in the stage’s user pool, and nothing more there', () => {
    const statements = (policy.Statement as CfnJson[]).filter((s) =>
      list(s.Action).some((a: string) => a.startsWith('cognito-idp:')),
    );
    expect(statements).toHaveLength(1);
    const [statement] = statements as [CfnJson];
    expect(list(statement.Action).sort()).toEqual([
      'cognito-idp:AdminDisableUser',
      'cognito-idp:AdminUserGlobalSignOut',
      'cognito-idp:ListUsers',
    ]);
    expect(JSON.stringify(statement.Resource)).toMatch(/Fn::ImportValue/);
    expect(JSON.stringify(statement.Resource)).toMatch(/UserPool/);
    expect(JSON.stringify(fn.Properties.Environment.Variables.KURA_USER_POOL_ID)).toMatch(/UserPool/);
  });

  it('starts the release after a purge as a job of the release function, and has no statistics grants itself', () => {
    expect(fn.Properties.Layers ?? []).toHaveLength(0);
    expect(allows(policy, 's3:PutObject', objects('stats'))).toBe(false);
    expect(fn.Properties.Environment.Variables.KURA_ATHENA_WORKGROUP).toBeUndefined();
    expect(fn.Properties.Environment.Variables).toMatchObject({
      KURA_FUNCTION_RELEASE: 'kura-dev-release',
      KURA_FUNCTION_PURGE: 'kura-dev-purge',
    });
    expect(fn.Properties.FunctionName).toBe('kura-dev-purge');
    expect(
      allows(
        policy,
        'lambda:InvokeFunction',
        `arn:aws:lambda:${dev.config.region}:${dev.config.account}:function:kura-dev-release`,
      ),
    ).toBe(true);
  });

  it('runs daily at 03:00 Japanese time with retries and a dead-letter queue', () => {
    const schedule = scheduleOf(template, 'Purge');
    expect(schedule.Properties.ScheduleExpression).toBe('cron(0 3 * * ? *)');
    expect(schedule.Properties.ScheduleExpressionTimezone).toBe('Asia/Tokyo');
    expect(schedule.Properties.Target.RetryPolicy).toEqual({
      MaximumRetryAttempts: JOB_RETRY_ATTEMPTS,
      MaximumEventAgeInSeconds: JOB_MAX_EVENT_AGE.toSeconds(),
    });
    const [queueId] = Object.keys(template.findResources('AWS::SQS::Queue'));
    expect(schedule.Properties.Target.DeadLetterConfig.Arn).toEqual({ 'Fn::GetAtt': [queueId, 'Arn'] });
  });

  it('deletes versions in the disaster-recovery copy of the curated bucket when there is one', () => {
    const prodTemplate = Template.fromStack(prod.stacks.operations);
    const prodPolicy = rolePolicyOf(prodTemplate, 'Purge');
    const replica = replicaBucketName('prod', 'curated', prod.config.account, prod.config.drRegion ?? '');
    expect(allows(prodPolicy, 's3:DeleteObjectVersion', `arn:aws:s3:::${replica}/*`)).toBe(true);
    expect(
      functionOf(prodTemplate, 'Purge').Properties.Environment.Variables.KURA_BUCKET_CURATED_REPLICA,
    ).toBe(replica);
    expect(JSON.stringify(policy)).not.toContain('replica');
  });
});

describe('operations stack: ledger export', () => {
  it('reads the ledger and writes only under ledger-exports/ of the audit bucket, never deleting', () => {
    const policy = rolePolicyOf(template, 'LedgerExport');
    expect(allows(policy, 'dynamodb:Query', table('ledger'))).toBe(true);
    expect(allows(policy, 'dynamodb:PutItem', table('ledger'))).toBe(false);
    expect(allows(policy, 's3:PutObject', objects('audit', 'ledger-exports/'))).toBe(true);
    expect(allows(policy, 's3:PutObject', objects('audit', 'certificates/'))).toBe(false);
    expect(JSON.stringify(policy)).not.toContain('s3:Delete');
  });

  it('runs daily on Japanese time', () => {
    const schedule = scheduleOf(template, 'LedgerExport');
    expect(schedule.Properties.ScheduleExpression).toBe('cron(0 2 * * ? *)');
    expect(schedule.Properties.ScheduleExpressionTimezone).toBe('Asia/Tokyo');
  });
});

describe('operations stack: support sweep', () => {
  it('deletes only support exports in the raw bucket and appends to the ledger', () => {
    const policy = rolePolicyOf(template, 'SupportSweep');
    expect(allows(policy, 's3:DeleteObjectVersion', objects('raw', 'support-exports/'))).toBe(true);
    expect(allows(policy, 's3:DeleteObjectVersion', objects('raw', 'raw/'))).toBe(false);
    expect(allows(policy, 'dynamodb:PutItem', table('uploads'))).toBe(true);
    expect(allows(policy, 'dynamodb:Scan', table('tenants'))).toBe(true);
    expect(allows(policy, 'dynamodb:PutItem', table('tenants'))).toBe(false);
    expect(allows(policy, 'dynamodb:UpdateItem', table('ledger'))).toBe(false);
  });

  it('runs every 15 minutes on Japanese time', () => {
    const schedule = scheduleOf(template, 'SupportSweep');
    expect(schedule.Properties.ScheduleExpression).toBe('cron(0/15 * * * ? *)');
    expect(schedule.Properties.ScheduleExpressionTimezone).toBe('Asia/Tokyo');
  });
});

describe('operations stack: dead letters', () => {
  it('encrypts the schedules dead-letter queue with a rotated key and refuses non-TLS access', () => {
    const [keyId, key] = Object.entries(template.findResources('AWS::KMS::Key'))[0] as [string, CfnJson];
    expect(key.Properties.EnableKeyRotation).toBe(true);
    template.hasResourceProperties('AWS::SQS::Queue', { KmsMasterKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] } });
    const [queuePolicy] = Object.values(template.findResources('AWS::SQS::QueuePolicy')) as CfnJson[];
    expect(queuePolicy?.Properties.PolicyDocument.Statement).toContainEqual(
      expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
    );
  });
});
