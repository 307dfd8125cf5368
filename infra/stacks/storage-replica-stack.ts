import { Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import type { ReplicatedBucket } from '../../functions/domain/zones.ts';
import type { StageConfig } from '../config.ts';
import { AccessLogsBucket } from '../constructs/access-logs-bucket.ts';
import { SecureBucket } from '../constructs/secure-bucket.ts';
import { bucketName, replicaBucketName, replicaKeyAlias } from '../naming.ts';
import { bucketId } from './storage-stack.ts';

/** Properties of {@link StorageReplicaStack}. */
export interface StorageReplicaStackProps extends StackProps {
  readonly config: StageConfig;
}

/**
 * Disaster-recovery copies of the curated and audit buckets in the second Japanese region, encrypted with
 * their own key. Deployed before the storage stack, which replicates into these pre-named buckets.
 */
export class StorageReplicaStack extends Stack {
  readonly replicaKey: kms.Key;
  readonly buckets: Readonly<Record<ReplicatedBucket, s3.Bucket>>;

  constructor(scope: Construct, id: string, props: StorageReplicaStackProps) {
    super(scope, id, props);
    const { config } = props;
    const region = this.region;
    const removalPolicy = config.removal === 'retain' ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;
    const { retention } = config.settings;
    // Retained like the primary audit key: the replica audit bucket is under Object Lock too.
    this.replicaKey = new kms.Key(this, 'ReplicaKey', {
      alias: replicaKeyAlias(config.stage),
      description: `Kura ${config.stage}: disaster-recovery replicas`,
      enableKeyRotation: true,
      pendingWindow: Duration.days(30),
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const accessLogsBucket = new AccessLogsBucket(this, 'AccessLogs', {
      bucketName: bucketName(config.stage, 'access-logs', config.account, region),
      retentionDays: config.logRetentionDays,
      removalPolicy,
    }).bucket;
    const replica = (name: ReplicatedBucket) =>
      new SecureBucket(this, `${bucketId(name)}Replica`, {
        bucketName: replicaBucketName(config.stage, name, config.account, region),
        encryptionKey: this.replicaKey,
        accessLogsBucket,
        accessLogsPrefix: `${name}-replica/`,
        noncurrentVersionDays: retention.noncurrentVersionDays,
        objectLock: name === 'audit' ? { complianceDays: retention.auditLockDays } : undefined,
        removalPolicy: name === 'audit' ? RemovalPolicy.RETAIN : removalPolicy,
      }).bucket;
    this.buckets = { curated: replica('curated'), audit: replica('audit') };
  }
}
