import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { TABLE_DEFINITIONS } from '../../functions/domain/ports/table.ts';
import { bucketName, replicaBucketName } from '../../infra/naming.ts';
import { type CfnJson, cdkStage, type SynthesizedStage, synthesizeStage } from './support.ts';

type Resources = Record<string, { Type: string; Properties: CfnJson; DeletionPolicy?: string }>;

const DATA_BUCKETS = ['landing', 'raw', 'curated', 'stats', 'query-results', 'audit'] as const;
/** Distinct retention values, so each assertion proves the setting reaches its rule. */
const DEV_RETENTION = {
  landingDays: 3,
  rawDays: 40,
  queryResultsDays: 5,
  noncurrentVersionDays: 11,
  afterContractDays: 30,
  auditLockDays: 9,
};

let dev: SynthesizedStage;
let prod: SynthesizedStage;
let devTemplate: Template;
let prodTemplate: Template;

const resourcesOf = (template: Template, type: string): Resources =>
  template.findResources(type) as Resources;
const bucketNamed = (template: Template, name: string) => {
  const found = Object.entries(resourcesOf(template, 'AWS::S3::Bucket')).find(
    ([, bucket]) => bucket.Properties.BucketName === name,
  );
  if (!found) throw new Error(`no bucket named ${name}`);
  return { logicalId: found[0], bucket: found[1] };
};
const policyOf = (template: Template, bucketLogicalId: string) => {
  const found = Object.values(resourcesOf(template, 'AWS::S3::BucketPolicy')).find(
    (policy) => policy.Properties.Bucket.Ref === bucketLogicalId,
  );
  if (!found) throw new Error(`no policy for ${bucketLogicalId}`);
  return found.Properties.PolicyDocument.Statement as Array<CfnJson>;
};
const devBucketName = (logical: string) => bucketName('dev', logical, dev.config.account, dev.config.region);
const keyIdOf = (template: Template, alias: string) => {
  const found = Object.values(resourcesOf(template, 'AWS::KMS::Alias')).find(
    (resource) => resource.Properties.AliasName === alias,
  );
  if (!found) throw new Error(`no alias ${alias}`);
  return found.Properties.TargetKeyId['Fn::GetAtt'][0] as string;
};

beforeAll(() => {
  dev = synthesizeStage('dev', {
    settings: { ...(cdkStage('dev').settings as object), retention: DEV_RETENTION },
  });
  prod = synthesizeStage('prod');
  devTemplate = Template.fromStack(dev.stacks.storage);
  prodTemplate = Template.fromStack(prod.stacks.storage);
});

describe('storage stack: keys', () => {
  it('creates a data key and a separate audit key, both customer-managed with rotation', () => {
    const keys = resourcesOf(devTemplate, 'AWS::KMS::Key');
    expect(Object.keys(keys)).toHaveLength(2);
    for (const key of Object.values(keys)) expect(key.Properties.EnableKeyRotation).toBe(true);
    expect(keyIdOf(devTemplate, 'alias/kura-dev-data')).not.toBe(
      keyIdOf(devTemplate, 'alias/kura-dev-audit'),
    );
  });
});

describe('storage stack: buckets', () => {
  it('creates the seven zone buckets', () => {
    const names = Object.values(resourcesOf(devTemplate, 'AWS::S3::Bucket')).map(
      (b) => b.Properties.BucketName,
    );
    expect(names.sort()).toEqual([...DATA_BUCKETS, 'access-logs'].map(devBucketName).sort());
  });

  it('blocks public access and enforces bucket-owner ownership on every bucket', () => {
    for (const bucket of Object.values(resourcesOf(devTemplate, 'AWS::S3::Bucket'))) {
      expect(bucket.Properties.PublicAccessBlockConfiguration).toEqual({
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      });
      expect(bucket.Properties.OwnershipControls).toEqual({
        Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }],
      });
    }
  });

  it('encrypts data buckets with SSE-KMS and bucket keys: the audit bucket with the audit key, the rest with the data key', () => {
    const dataKey = keyIdOf(devTemplate, 'alias/kura-dev-data');
    const auditKey = keyIdOf(devTemplate, 'alias/kura-dev-audit');
    for (const logical of DATA_BUCKETS) {
      const { bucket } = bucketNamed(devTemplate, devBucketName(logical));
      const [rule] = bucket.Properties.BucketEncryption.ServerSideEncryptionConfiguration;
      expect(rule.BucketKeyEnabled).toBe(true);
      expect(rule.ServerSideEncryptionByDefault.SSEAlgorithm).toBe('aws:kms');
      expect(rule.ServerSideEncryptionByDefault.KMSMasterKeyID).toEqual({
        'Fn::GetAtt': [logical === 'audit' ? auditKey : dataKey, 'Arn'],
      });
    }
  });

  it('encrypts the access-logs bucket with S3-managed keys, the only encryption log delivery supports', () => {
    const { bucket } = bucketNamed(devTemplate, devBucketName('access-logs'));
    expect(bucket.Properties.BucketEncryption.ServerSideEncryptionConfiguration).toEqual([
      { ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } },
    ]);
  });

  it('denies non-TLS and TLS below 1.2 on every bucket', () => {
    for (const logical of [...DATA_BUCKETS, 'access-logs']) {
      const statements = policyOf(devTemplate, bucketNamed(devTemplate, devBucketName(logical)).logicalId);
      expect(statements).toContainEqual(
        expect.objectContaining({
          Effect: 'Deny',
          Action: 's3:*',
          Condition: { Bool: { 'aws:SecureTransport': 'false' } },
        }),
      );
      expect(statements).toContainEqual(
        expect.objectContaining({
          Effect: 'Deny',
          Action: 's3:*',
          Condition: { NumericLessThan: { 's3:TlsVersion': 1.2 } },
        }),
      );
    }
  });

  it('denies writes that do not name SSE-KMS and the bucket key on every data bucket', () => {
    for (const logical of DATA_BUCKETS) {
      const { logicalId } = bucketNamed(devTemplate, devBucketName(logical));
      const key = keyIdOf(devTemplate, logical === 'audit' ? 'alias/kura-dev-audit' : 'alias/kura-dev-data');
      const statements = policyOf(devTemplate, logicalId);
      const objects = { 'Fn::Join': ['', [{ 'Fn::GetAtt': [logicalId, 'Arn'] }, '/*']] };
      expect(statements).toContainEqual(
        expect.objectContaining({
          Effect: 'Deny',
          Principal: { AWS: '*' },
          Action: 's3:PutObject',
          Resource: objects,
          Condition: { StringNotEquals: { 's3:x-amz-server-side-encryption': 'aws:kms' } },
        }),
      );
      expect(statements).toContainEqual(
        expect.objectContaining({
          Effect: 'Deny',
          Principal: { AWS: '*' },
          Action: 's3:PutObject',
          Resource: objects,
          Condition: {
            StringNotEquals: {
              's3:x-amz-server-side-encryption-aws-kms-key-id': { 'Fn::GetAtt': [key, 'Arn'] },
            },
          },
        }),
      );
    }
  });

  it('lets only the S3 log delivery service write to the access-logs bucket, for each data bucket of this account', () => {
    const { logicalId } = bucketNamed(devTemplate, devBucketName('access-logs'));
    const allows = policyOf(devTemplate, logicalId).filter((statement) => statement.Effect === 'Allow');
    expect(allows).toHaveLength(DATA_BUCKETS.length);
    for (const allow of allows) {
      expect(allow).toMatchObject({
        Principal: { Service: 'logging.s3.amazonaws.com' },
        Action: 's3:PutObject',
        Condition: { StringEquals: { 'aws:SourceAccount': dev.config.account } },
      });
    }
    const sources = allows.map((allow) => allow.Condition.ArnLike['aws:SourceArn']['Fn::GetAtt'][0]);
    expect(sources.sort()).toEqual(
      DATA_BUCKETS.map((logical) => bucketNamed(devTemplate, devBucketName(logical)).logicalId).sort(),
    );
  });

  it('versions every bucket and sends each data bucket access log to access-logs under its own prefix', () => {
    const accessLogs = bucketNamed(devTemplate, devBucketName('access-logs')).logicalId;
    for (const logical of DATA_BUCKETS) {
      const { bucket } = bucketNamed(devTemplate, devBucketName(logical));
      expect(bucket.Properties.VersioningConfiguration).toEqual({ Status: 'Enabled' });
      expect(bucket.Properties.LoggingConfiguration).toEqual({
        DestinationBucketName: { Ref: accessLogs },
        LogFilePrefix: `${logical}/`,
      });
    }
  });

  it('aborts multipart uploads after a day, expires noncurrent versions and removes expired delete markers in separate rules', () => {
    for (const logical of DATA_BUCKETS) {
      const rules = bucketNamed(devTemplate, devBucketName(logical)).bucket.Properties.LifecycleConfiguration
        .Rules;
      expect(rules).toContainEqual(
        expect.objectContaining({
          AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 },
          Status: 'Enabled',
        }),
      );
      expect(rules).toContainEqual(
        expect.objectContaining({
          NoncurrentVersionExpiration: { NoncurrentDays: DEV_RETENTION.noncurrentVersionDays },
          Status: 'Enabled',
        }),
      );
      const markerRule = rules.find(
        (rule: Record<string, unknown>) => rule.ExpiredObjectDeleteMarker === true,
      );
      expect(markerRule).toBeDefined();
      expect(markerRule.ExpirationInDays).toBeUndefined();
    }
  });

  it('expires landing, raw and query-results objects after their configured days and keeps the others', () => {
    const expiry = (logical: string) =>
      bucketNamed(devTemplate, devBucketName(logical))
        .bucket.Properties.LifecycleConfiguration.Rules.map(
          (rule: { ExpirationInDays?: number }) => rule.ExpirationInDays,
        )
        .filter((days: number | undefined) => days !== undefined);
    expect(expiry('landing')).toEqual([DEV_RETENTION.landingDays]);
    expect(expiry('raw')).toEqual([DEV_RETENTION.rawDays]);
    expect(expiry('query-results')).toEqual([DEV_RETENTION.queryResultsDays]);
    expect(expiry('curated')).toEqual([]);
    expect(expiry('stats')).toEqual([]);
    expect(expiry('audit')).toEqual([]);
  });

  it('locks the audit bucket in COMPLIANCE mode for the configured days', () => {
    const { bucket } = bucketNamed(devTemplate, devBucketName('audit'));
    expect(bucket.Properties.ObjectLockEnabled).toBe(true);
    expect(bucket.Properties.ObjectLockConfiguration).toEqual({
      ObjectLockEnabled: 'Enabled',
      Rule: { DefaultRetention: { Mode: 'COMPLIANCE', Days: DEV_RETENTION.auditLockDays } },
    });
    const landing = bucketNamed(devTemplate, devBucketName('landing')).bucket;
    expect(landing.Properties.ObjectLockConfiguration).toBeUndefined();
  });
});

describe('storage stack: tables', () => {
  const tableNamed = (template: Template, name: string) => {
    const found = Object.values(resourcesOf(template, 'AWS::DynamoDB::Table')).find(
      (table) => table.Properties.TableName === name,
    );
    if (!found) throw new Error(`no table ${name}`);
    return found;
  };

  it('creates each table from its shared definition, on demand, with PITR and the data key', () => {
    const dataKey = keyIdOf(devTemplate, 'alias/kura-dev-data');
    for (const [logical, definition] of Object.entries(TABLE_DEFINITIONS)) {
      const table = tableNamed(devTemplate, `kura-dev-${logical}`);
      const keySchema = [{ AttributeName: definition.partitionKey, KeyType: 'HASH' }];
      if (definition.sortKey) keySchema.push({ AttributeName: definition.sortKey, KeyType: 'RANGE' });
      expect(table.Properties.KeySchema).toEqual(keySchema);
      expect(table.Properties.BillingMode).toBe('PAY_PER_REQUEST');
      expect(table.Properties.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
      expect(table.Properties.SSESpecification).toEqual({
        SSEEnabled: true,
        SSEType: 'KMS',
        KMSMasterKeyId: { 'Fn::GetAtt': [dataKey, 'Arn'] },
      });
    }
  });

  it('sets TTL exactly where the definition names an attribute', () => {
    expect(tableNamed(devTemplate, 'kura-dev-uploads').Properties.TimeToLiveSpecification).toEqual({
      AttributeName: TABLE_DEFINITIONS.uploads.timeToLiveAttribute,
      Enabled: true,
    });
    expect(tableNamed(devTemplate, 'kura-dev-tenants').Properties.TimeToLiveSpecification).toBeUndefined();
    expect(tableNamed(devTemplate, 'kura-dev-ledger').Properties.TimeToLiveSpecification).toBeUndefined();
  });

  it('indexes the ledger by tenant', () => {
    expect(tableNamed(devTemplate, 'kura-dev-ledger').Properties.GlobalSecondaryIndexes).toEqual([
      expect.objectContaining({
        IndexName: 'byTenant',
        KeySchema: [
          { AttributeName: 'tenantId', KeyType: 'HASH' },
          { AttributeName: 'seq', KeyType: 'RANGE' },
        ],
      }),
    ]);
  });

  it('protects prod tables from deletion and lets dev tables go', () => {
    for (const table of Object.values(resourcesOf(prodTemplate, 'AWS::DynamoDB::Table'))) {
      expect(table.Properties.DeletionProtectionEnabled).toBe(true);
    }
    for (const table of Object.values(resourcesOf(devTemplate, 'AWS::DynamoDB::Table'))) {
      expect(table.Properties.DeletionProtectionEnabled).toBe(false);
    }
  });
});

describe('storage stack: removal policies', () => {
  it('retains every bucket, table and key in prod', () => {
    for (const type of ['AWS::S3::Bucket', 'AWS::DynamoDB::Table', 'AWS::KMS::Key']) {
      for (const resource of Object.values(resourcesOf(prodTemplate, type))) {
        expect(resource.DeletionPolicy).toBe('Retain');
      }
    }
  });

  it('destroys dev buckets, tables and the data key, but retains the locked audit bucket and its key', () => {
    for (const logical of DATA_BUCKETS.filter((name) => name !== 'audit')) {
      expect(bucketNamed(devTemplate, devBucketName(logical)).bucket.DeletionPolicy).toBe('Delete');
    }
    expect(bucketNamed(devTemplate, devBucketName('audit')).bucket.DeletionPolicy).toBe('Retain');
    for (const table of Object.values(resourcesOf(devTemplate, 'AWS::DynamoDB::Table'))) {
      expect(table.DeletionPolicy).toBe('Delete');
    }
    const keys = resourcesOf(devTemplate, 'AWS::KMS::Key');
    expect(keys[keyIdOf(devTemplate, 'alias/kura-dev-data')]?.DeletionPolicy).toBe('Delete');
    expect(keys[keyIdOf(devTemplate, 'alias/kura-dev-audit')]?.DeletionPolicy).toBe('Retain');
  });

  it('never adds an auto-delete custom resource that could empty a bucket', () => {
    devTemplate.resourceCountIs('Custom::S3AutoDeleteObjects', 0);
    prodTemplate.resourceCountIs('Custom::S3AutoDeleteObjects', 0);
  });
});

describe('storage stack: disaster-recovery replication', () => {
  it('replicates curated and audit into pre-named replica buckets with the replica key alias when drRegion is set', () => {
    const { account, drRegion } = prod.config;
    expect(drRegion).toBe('ap-northeast-3');
    for (const logical of ['curated', 'audit']) {
      const { bucket } = bucketNamed(prodTemplate, bucketName('prod', logical, account, prod.config.region));
      const [rule] = bucket.Properties.ReplicationConfiguration.Rules;
      expect(rule).toMatchObject({
        Status: 'Enabled',
        SourceSelectionCriteria: { SseKmsEncryptedObjects: { Status: 'Enabled' } },
        Destination: {
          Bucket: `arn:aws:s3:::${replicaBucketName('prod', logical, account, 'ap-northeast-3')}`,
          EncryptionConfiguration: {
            ReplicaKmsKeyID: `arn:aws:kms:ap-northeast-3:${account}:alias/kura-prod-replica`,
          },
        },
      });
    }
    for (const logical of ['landing', 'raw', 'stats', 'query-results']) {
      const { bucket } = bucketNamed(prodTemplate, bucketName('prod', logical, account, prod.config.region));
      expect(bucket.Properties.ReplicationConfiguration).toBeUndefined();
    }
  });

  it('builds the replica stack in the DR region with its own rotated key and an Object Lock audit replica', () => {
    const replica = prod.stacks.storageReplica;
    expect(replica?.region).toBe('ap-northeast-3');
    if (!replica) return;
    const template = Template.fromStack(replica);
    template.resourceCountIs('AWS::KMS::Key', 1);
    template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
    template.hasResourceProperties('AWS::KMS::Alias', { AliasName: 'alias/kura-prod-replica' });
    template.hasResourceProperties('AWS::S3::Bucket', {
      BucketName: replicaBucketName('prod', 'audit', prod.config.account, 'ap-northeast-3'),
      ObjectLockConfiguration: {
        ObjectLockEnabled: 'Enabled',
        Rule: {
          DefaultRetention: { Mode: 'COMPLIANCE', Days: prod.config.settings.retention.auditLockDays },
        },
      },
      VersioningConfiguration: { Status: 'Enabled' },
    });
    template.hasResourceProperties('AWS::S3::Bucket', {
      BucketName: replicaBucketName('prod', 'curated', prod.config.account, 'ap-northeast-3'),
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [
          Match.objectLike({ ServerSideEncryptionByDefault: Match.objectLike({ SSEAlgorithm: 'aws:kms' }) }),
        ],
      },
    });
  });

  it('lets the replication role encrypt only with the aliased replica key, through S3', () => {
    const policies = Object.values(resourcesOf(prodTemplate, 'AWS::IAM::Policy'));
    const kmsEncrypt = policies
      .flatMap((policy) => policy.Properties.PolicyDocument.Statement as Array<CfnJson>)
      .filter((statement) => JSON.stringify(statement.Action).includes('kms:Encrypt'));
    expect(kmsEncrypt).toHaveLength(2);
    for (const statement of kmsEncrypt) {
      expect(statement.Condition).toEqual({
        'ForAnyValue:StringEquals': { 'kms:ResourceAliases': 'alias/kura-prod-replica' },
        StringEquals: { 'kms:ViaService': 's3.ap-northeast-3.amazonaws.com' },
      });
    }
  });

  it('creates no replication and no replica stack when drRegion is absent', () => {
    expect(dev.config.drRegion).toBeUndefined();
    expect(dev.stacks.storageReplica).toBeUndefined();
    for (const bucket of Object.values(resourcesOf(devTemplate, 'AWS::S3::Bucket'))) {
      expect(bucket.Properties.ReplicationConfiguration).toBeUndefined();
    }
    devTemplate.resourceCountIs('AWS::IAM::Role', 0);
  });
});
