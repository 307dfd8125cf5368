import { RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import { TABLE_DEFINITIONS } from '../../functions/domain/ports/table.ts';
import { type LogicalBucket, type LogicalTable, REPLICATED_BUCKETS } from '../../functions/domain/zones.ts';
import type { StageConfig } from '../config.ts';
import { AccessLogsBucket } from '../constructs/access-logs-bucket.ts';
import { BucketReplication } from '../constructs/bucket-replication.ts';
import { EncryptionKeys } from '../constructs/encryption-keys.ts';
import { KuraTable } from '../constructs/kura-table.ts';
import { SecureBucket } from '../constructs/secure-bucket.ts';
import { bucketName, replicaBucketName, replicaKeyAlias, tableName } from '../naming.ts';

/** Properties of {@link StorageStack}. */
export interface StorageStackProps extends StackProps {
  readonly config: StageConfig;
}

/** Data buckets (every logical bucket except access-logs). */
export type DataBucket = Exclude<LogicalBucket, 'access-logs'>;

/**
 * Kura's storage: KMS keys, the zone buckets of `functions/domain/zones.ts`, and the tables of
 * `TABLE_DEFINITIONS`. Other stacks receive these through the readonly properties.
 */
export class StorageStack extends Stack {
  readonly dataKey: kms.Key;
  readonly auditKey: kms.Key;
  readonly accessLogsBucket: s3.Bucket;
  readonly buckets: Readonly<Record<DataBucket, SecureBucket>>;
  readonly tables: Readonly<Record<LogicalTable, KuraTable>>;

  constructor(scope: Construct, id: string, props: StorageStackProps) {
    super(scope, id, props);
    const { config } = props;
    const { retention } = config.settings;
    const removalPolicy = config.removal === 'retain' ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;

    const keys = new EncryptionKeys(this, 'Keys', { stage: config.stage, removalPolicy });
    this.dataKey = keys.dataKey;
    this.auditKey = keys.auditKey;
    const name = (logical: string) => bucketName(config.stage, logical, config.account, config.region);
    this.accessLogsBucket = new AccessLogsBucket(this, 'AccessLogs', {
      bucketName: name('access-logs'),
      retentionDays: config.logRetentionDays,
      removalPolicy,
    }).bucket;

    const dataBucket = (logical: DataBucket, expireAfterDays?: number) =>
      new SecureBucket(this, bucketId(logical), {
        bucketName: name(logical),
        encryptionKey: this.dataKey,
        accessLogsBucket: this.accessLogsBucket,
        accessLogsPrefix: `${logical}/`,
        noncurrentVersionDays: retention.noncurrentVersionDays,
        expireAfterDays,
        removalPolicy,
      });
    this.buckets = {
      landing: dataBucket('landing', retention.landingDays),
      raw: dataBucket('raw', retention.rawDays),
      curated: dataBucket('curated'),
      stats: dataBucket('stats'),
      'query-results': dataBucket('query-results', retention.queryResultsDays),
      // The audit store holds evidence under COMPLIANCE Object Lock: locked objects cannot be deleted by
      // anyone before their retention ends, so deleting the bucket with the stack could only fail. It is
      // retained in every stage, with its own key.
      audit: new SecureBucket(this, bucketId('audit'), {
        bucketName: name('audit'),
        encryptionKey: this.auditKey,
        accessLogsBucket: this.accessLogsBucket,
        accessLogsPrefix: 'audit/',
        noncurrentVersionDays: retention.noncurrentVersionDays,
        objectLock: { complianceDays: retention.auditLockDays },
        removalPolicy: RemovalPolicy.RETAIN,
      }),
    };

    const table = (logical: LogicalTable) =>
      new KuraTable(this, tableId(logical), {
        tableName: tableName(config.stage, logical),
        definition: TABLE_DEFINITIONS[logical],
        encryptionKey: this.dataKey,
        deletionProtection: config.removal === 'retain',
        removalPolicy,
      });
    this.tables = {
      tenants: table('tenants'),
      uploads: table('uploads'),
      ledger: table('ledger'),
      jobs: table('jobs'),
    };

    if (config.drRegion) {
      for (const logical of REPLICATED_BUCKETS) {
        new BucketReplication(this, `${bucketId(logical)}Replication`, {
          source: this.buckets[logical],
          destinationBucketName: replicaBucketName(config.stage, logical, config.account, config.drRegion),
          destinationRegion: config.drRegion,
          destinationKeyAlias: replicaKeyAlias(config.stage),
          // Delete-marker replication is not possible from an Object Lock bucket; audit objects are never deleted.
          replicateDeleteMarkers: logical !== 'audit',
        });
      }
    }
  }
}

/** `query-results` → `QueryResults`: construct ids of buckets. */
export const bucketId = (name: string) =>
  name.replace(/(^|-)([a-z])/g, (_match, _dash: string, letter: string) => letter.toUpperCase());
const tableId = (name: string) => `${bucketId(name)}Table`;
