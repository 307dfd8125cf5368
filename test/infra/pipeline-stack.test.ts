import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { bucketName } from '../../infra/naming.ts';
import { INGEST_MAX_RECEIVE_COUNT, VISIBILITY_TIMEOUT_FACTOR } from '../../infra/stacks/pipeline-stack.ts';
import {
  allows,
  type CfnJson,
  functionOf,
  rolePolicyOf,
  type SynthesizedStage,
  synthesizeStage,
} from './support.ts';

let dev: SynthesizedStage;
let template: Template;
let ingest: CfnJson;
let policy: CfnJson;
const name = (logical: string) => bucketName('dev', logical, dev.config.account, dev.config.region);
const objects = (logical: string, prefix = '') => `arn:aws:s3:::${name(logical)}/${prefix}*`;
const table = (logical: string) =>
  `arn:aws:dynamodb:${dev.config.region}:${dev.config.account}:table/kura-dev-${logical}`;
const queues = () => Object.entries(template.findResources('AWS::SQS::Queue')) as Array<[string, CfnJson]>;

beforeAll(() => {
  dev = synthesizeStage('dev');
  template = Template.fromStack(dev.stacks.pipeline);
  ingest = functionOf(template, 'Ingest');
  policy = rolePolicyOf(template, 'Ingest');
});

describe('pipeline stack: queue', () => {
  it('encrypts both queues with a rotated customer-managed key and refuses non-TLS access', () => {
    const [key] = Object.entries(template.findResources('AWS::KMS::Key')) as Array<[string, CfnJson]>;
    expect(key?.[1].Properties.EnableKeyRotation).toBe(true);
    expect(queues()).toHaveLength(2);
    for (const [, queue] of queues()) {
      expect(queue.Properties.KmsMasterKeyId).toEqual({ 'Fn::GetAtt': [key?.[0], 'Arn'] });
    }
    const policies = Object.values(template.findResources('AWS::SQS::QueuePolicy')) as CfnJson[];
    expect(policies).toHaveLength(2);
    for (const queuePolicy of policies) {
      expect(queuePolicy.Properties.PolicyDocument.Statement).toContainEqual(
        expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
      );
    }
  });

  it('keeps messages invisible for at least six times the ingest timeout', () => {
    const [, queue] = queues().find(([id]) => id.startsWith('IngestQueue')) ?? [];
    expect(queue?.Properties.VisibilityTimeout).toBeGreaterThanOrEqual(
      VISIBILITY_TIMEOUT_FACTOR * ingest.Properties.Timeout,
    );
  });

  it('sends a message to the dead-letter queue after a few failed receives', () => {
    const [deadLetterId] = queues().find(([id]) => id.startsWith('IngestDeadLetters')) ?? [];
    const [, queue] = queues().find(([id]) => id.startsWith('IngestQueue')) ?? [];
    expect(queue?.Properties.RedrivePolicy).toEqual({
      deadLetterTargetArn: { 'Fn::GetAtt': [deadLetterId, 'Arn'] },
      maxReceiveCount: INGEST_MAX_RECEIVE_COUNT,
    });
    expect(INGEST_MAX_RECEIVE_COUNT).toBeGreaterThanOrEqual(3);
    expect(INGEST_MAX_RECEIVE_COUNT).toBeLessThanOrEqual(5);
  });

  it('feeds the ingest function from the queue with batch item failures reported', () => {
    const [queueId] = queues().find(([id]) => id.startsWith('IngestQueue')) ?? [];
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [queueId, 'Arn'] },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
  });

  it('notifies the queue of objects created under landing/ in the landing bucket only', () => {
    const [queueId] = queues().find(([id]) => id.startsWith('IngestQueue')) ?? [];
    template.hasResourceProperties('Custom::S3BucketNotifications', {
      BucketName: name('landing'),
      Managed: false,
      NotificationConfiguration: {
        QueueConfigurations: [
          {
            Events: ['s3:ObjectCreated:*'],
            Filter: { Key: { FilterRules: [{ Name: 'prefix', Value: 'landing/' }] } },
            QueueArn: { 'Fn::GetAtt': [queueId, 'Arn'] },
          },
        ],
      },
    });
  });

  it('lets only the landing bucket of this account send to the queue', () => {
    const [queueId] = queues().find(([id]) => id.startsWith('IngestQueue')) ?? [];
    const queuePolicy = (Object.values(template.findResources('AWS::SQS::QueuePolicy')) as CfnJson[]).find(
      (candidate) => JSON.stringify(candidate.Properties.Queues).includes(queueId ?? '?'),
    );
    expect(queuePolicy?.Properties.PolicyDocument.Statement).toContainEqual(
      expect.objectContaining({
        Effect: 'Allow',
        Principal: { Service: 's3.amazonaws.com' },
        Condition: { ArnLike: { 'aws:SourceArn': `arn:aws:s3:::${name('landing')}` } },
      }),
    );
  });

  it('builds the notification in the pipeline stack, so storage never depends on it', () => {
    expect(dev.stacks.storage.dependencies).not.toContain(dev.stacks.pipeline);
    expect(dev.stacks.pipeline.dependencies).toContain(dev.stacks.storage);
  });
});

describe('pipeline stack: ingest function', () => {
  it('runs with the DuckDB layer', () => {
    const [layerId] = Object.keys(template.findResources('AWS::Lambda::LayerVersion'));
    expect(ingest.Properties.Layers).toEqual([{ Ref: layerId }]);
    template.hasResourceProperties('AWS::Lambda::LayerVersion', {
      CompatibleRuntimes: ['nodejs24.x'],
      CompatibleArchitectures: ['x86_64'],
    });
  });

  it('reads and deletes landing objects, and writes only quarantine/ in the landing bucket', () => {
    const env = ingest.Properties.Environment.Variables;
    expect(env.KURA_BUCKET_LANDING).toBe(name('landing'));
    expect(allows(policy, 's3:GetObject', objects('landing', 'landing/'))).toBe(true);
    expect(allows(policy, 's3:DeleteObject', objects('landing', 'landing/'))).toBe(true);
    // The handed-on upload is deleted by version: a plain delete would leave it as a noncurrent version.
    expect(allows(policy, 's3:DeleteObjectVersion', objects('landing', 'landing/'))).toBe(true);
    expect(allows(policy, 's3:PutObject', objects('landing', 'quarantine/'))).toBe(true);
    expect(allows(policy, 's3:PutObject', objects('landing', 'landing/'))).toBe(false);
    expect(allows(policy, 's3:PutObject', objects('landing'))).toBe(false);
  });

  it('writes raw and reads and writes curated, each named by its variable', () => {
    const env = ingest.Properties.Environment.Variables;
    expect(env.KURA_BUCKET_RAW).toBe(name('raw'));
    expect(env.KURA_BUCKET_CURATED).toBe(name('curated'));
    expect(allows(policy, 's3:PutObject', objects('raw'))).toBe(true);
    expect(allows(policy, 's3:PutObject', objects('curated'))).toBe(true);
    expect(allows(policy, 's3:GetObject', objects('curated'))).toBe(true);
    expect(allows(policy, 's3:PutObject', objects('stats'))).toBe(false);
    // Masking in ingestion's pass deletes what it wrote when the upload was withdrawn meanwhile.
    expect(allows(policy, 's3:DeleteObjectVersion', objects('curated', 'pseudonymised/'))).toBe(true);
    // A facts rebuild that cannot catch up with the records removes the facts; every rebuild deletes
    // their former versions, which may hold a withdrawn upload's figures.
    expect(allows(policy, 's3:DeleteObject', objects('curated', 'facts/'))).toBe(true);
    expect(allows(policy, 's3:DeleteObjectVersion', objects('curated', 'facts/'))).toBe(true);
    expect(allows(policy, 's3:DeleteObjectVersion', objects('curated', 'anonymised/'))).toBe(false);
    expect(allows(policy, 's3:DeleteObject', objects('curated', 'anonymised/'))).toBe(false);
  });

  it('uses the tables it names: uploads read-write, tenants read-only, ledger append-only', () => {
    const env = ingest.Properties.Environment.Variables;
    expect([env.KURA_TABLE_TENANTS, env.KURA_TABLE_UPLOADS, env.KURA_TABLE_LEDGER]).toEqual([
      'kura-dev-tenants',
      'kura-dev-uploads',
      'kura-dev-ledger',
    ]);
    expect(allows(policy, 'dynamodb:UpdateItem', table('uploads'))).toBe(true);
    expect(allows(policy, 'dynamodb:GetItem', table('tenants'))).toBe(true);
    expect(allows(policy, 'dynamodb:PutItem', table('tenants'))).toBe(false);
    expect(allows(policy, 'dynamodb:PutItem', table('ledger'))).toBe(true);
    expect(allows(policy, 'dynamodb:UpdateItem', table('ledger'))).toBe(false);
    expect(allows(policy, 'dynamodb:DeleteItem', table('ledger'))).toBe(false);
  });

  it('reads tenant key secrets under the stage prefix but cannot create or delete them', () => {
    const env = ingest.Properties.Environment.Variables;
    const secrets = `arn:aws:secretsmanager:${dev.config.region}:${dev.config.account}:secret:kura/dev/tenant-keys/*`;
    expect(env.KURA_KEY_SECRET_PREFIX).toBe('kura/dev/tenant-keys/');
    expect(env.KURA_DATA_KEY_ARN).toBeDefined();
    expect(allows(policy, 'secretsmanager:GetSecretValue', secrets)).toBe(true);
    expect(allows(policy, 'secretsmanager:CreateSecret', secrets)).toBe(false);
    expect(allows(policy, 'secretsmanager:DeleteSecret', secrets)).toBe(false);
  });

  it('decrypts with the data key only through S3, DynamoDB and Secrets Manager', () => {
    const kmsStatements = (policy.Statement as CfnJson[]).filter(
      (statement) =>
        JSON.stringify(statement.Action).includes('kms:') &&
        JSON.stringify(statement.Resource).includes('DataKey'),
    );
    expect(kmsStatements.length).toBeGreaterThan(0);
    for (const statement of kmsStatements) {
      expect(statement.Condition.StringEquals['kms:ViaService']).toMatch(
        /^(s3|dynamodb|secretsmanager)\.ap-northeast-1\.amazonaws\.com$/,
      );
    }
  });
});

describe('pipeline stack: mask function', () => {
  let mask: CfnJson;
  let maskPolicy: CfnJson;
  beforeAll(() => {
    mask = functionOf(template, 'Mask');
    maskPolicy = rolePolicyOf(template, 'Mask');
  });

  it('is a function of its own that ingest does not need to invoke (ingest masks in-process)', () => {
    expect(mask).not.toBe(ingest);
    expect(ingest.Properties.Environment.Variables.KURA_FUNCTION_MASK).toBeUndefined();
    expect(JSON.stringify(policy.Statement)).not.toContain('lambda:InvokeFunction');
  });

  it('reads raw, writes curated and reads tenant keys, with DuckDB', () => {
    const env = mask.Properties.Environment.Variables;
    expect(env.KURA_BUCKET_RAW).toBe(name('raw'));
    expect(env.KURA_BUCKET_CURATED).toBe(name('curated'));
    expect(env.KURA_KEY_SECRET_PREFIX).toBe('kura/dev/tenant-keys/');
    expect(allows(maskPolicy, 's3:GetObject', objects('raw'))).toBe(true);
    expect(allows(maskPolicy, 's3:PutObject', objects('raw'))).toBe(false);
    expect(allows(maskPolicy, 's3:PutObject', objects('curated'))).toBe(true);
    // An upload withdrawn while it is masked: every version masking wrote is deleted again.
    expect(allows(maskPolicy, 's3:DeleteObjectVersion', objects('curated', 'pseudonymised/'))).toBe(true);
    expect(allows(maskPolicy, 's3:DeleteObjectVersion', objects('curated', 'anonymised/'))).toBe(false);
    // A withdrawal's second half (the API invokes it): the upload's versions wherever they are kept.
    for (const [bucket, prefix] of [
      ['landing', 'landing/'],
      ['raw', 'raw/'],
      ['raw', 'reports/'],
      ['raw', 'support-exports/'],
    ] as const) {
      expect(allows(maskPolicy, 's3:DeleteObjectVersion', objects(bucket, prefix)), prefix).toBe(true);
    }
    // The company's facts are removed first (their current versions); the rebuild that follows deletes
    // their former versions, which hold the upload's figures, by version.
    expect(allows(maskPolicy, 's3:DeleteObject', objects('curated', 'facts/'))).toBe(true);
    expect(allows(maskPolicy, 's3:DeleteObjectVersion', objects('curated', 'facts/'))).toBe(true);
    expect(allows(maskPolicy, 's3:DeleteObject', objects('curated', 'anonymised/'))).toBe(false);
    expect(allows(maskPolicy, 's3:DeleteObjectVersion', objects('raw'))).toBe(false);
    expect(mask.Properties.Layers).toHaveLength(1);
  });
});

describe('pipeline stack: dead letters', () => {
  it('raises an alarm as soon as one message reaches the dead-letter queue', () => {
    const [deadLetterId] = queues().find(([id]) => id.startsWith('IngestDeadLetters')) ?? [];
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Namespace: 'AWS/SQS',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [deadLetterId, 'QueueName'] } }],
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
    });
  });
});
