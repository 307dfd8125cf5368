import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { bucketArn } from '../naming.ts';

/** Object Lock settings of a {@link SecureBucket}. */
export interface SecureBucketObjectLock {
  /** Days every new object version is locked in COMPLIANCE mode (nobody, not even root, can shorten it). */
  readonly complianceDays: number;
}

/** Properties of {@link SecureBucket}. */
export interface SecureBucketProps {
  /** Customer-managed key the bucket encrypts with; every write must name it. */
  readonly encryptionKey: kms.IKey;
  /** Bucket that receives this bucket's S3 server access logs. */
  readonly accessLogsBucket: s3.IBucket;
  /** Prefix of this bucket's access logs in the access-logs bucket, e.g. `landing/`. */
  readonly accessLogsPrefix: string;
  /** Days a noncurrent object version is kept before it expires. */
  readonly noncurrentVersionDays: number;
  /**
   * Days after which current objects expire (landing, raw, query results).
   * @default - objects never expire by age
   */
  readonly expireAfterDays?: number;
  /**
   * Object Lock (COMPLIANCE) default retention.
   * @default - no Object Lock
   */
  readonly objectLock?: SecureBucketObjectLock;
  /** Physical bucket name (see `infra/naming.ts`): other stacks and regions refer to it by name. */
  readonly bucketName: string;
  /**
   * What happens to the bucket when the stack is deleted. Objects are never auto-deleted: a stack deletion
   * that meets data fails instead of silently destroying it.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * A Kura data bucket with every protection the platform requires: Block Public Access, BucketOwnerEnforced,
 * TLS 1.2+ only, SSE-KMS with bucket keys and a policy that refuses writes without the expected key,
 * versioning, server access logs, and lifecycle rules that leave no forgotten copies behind.
 *
 * Writers must send `x-amz-server-side-encryption: aws:kms` and
 * `x-amz-server-side-encryption-aws-kms-key-id: <key ARN>` (SDK: `ServerSideEncryption` and `SSEKMSKeyId`);
 * a presigned POST carries both as form fields.
 */
export class SecureBucket extends Construct {
  readonly bucket: s3.Bucket;
  readonly encryptionKey: kms.IKey;
  /** Physical name as a plain string, usable in any stack without an export. */
  readonly bucketName: string;
  /** ARN as a plain string, usable in any stack without an export. */
  readonly bucketArn: string;

  constructor(scope: Construct, id: string, props: SecureBucketProps) {
    super(scope, id);
    this.encryptionKey = props.encryptionKey;
    this.bucketName = props.bucketName;
    this.bucketArn = bucketArn(props.bucketName);
    const lifecycleRules: s3.LifecycleRule[] = [
      { id: 'abort-incomplete-multipart', abortIncompleteMultipartUploadAfter: Duration.days(1) },
      {
        id: 'expire-noncurrent-versions',
        noncurrentVersionExpiration: Duration.days(props.noncurrentVersionDays),
      },
      // A separate rule: S3 refuses ExpiredObjectDeleteMarker together with an expiration in days.
      { id: 'remove-expired-delete-markers', expiredObjectDeleteMarker: true },
    ];
    if (props.expireAfterDays !== undefined) {
      lifecycleRules.push({ id: 'expire-current-objects', expiration: Duration.days(props.expireAfterDays) });
    }
    this.bucket = new s3.Bucket(this, 'Bucket', {
      bucketName: props.bucketName,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: props.encryptionKey,
      bucketKeyEnabled: true,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      versioned: true,
      serverAccessLogsBucket: props.accessLogsBucket,
      serverAccessLogsPrefix: props.accessLogsPrefix,
      lifecycleRules,
      objectLockEnabled: props.objectLock !== undefined,
      objectLockDefaultRetention: props.objectLock
        ? s3.ObjectLockRetention.compliance(Duration.days(props.objectLock.complianceDays))
        : undefined,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
      autoDeleteObjects: false,
    });
    // StringNotEquals also matches when the header is absent, so a write that omits it is refused too.
    this.bucket.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'DenyWritesWithoutKmsEncryption',
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: ['s3:PutObject'],
        resources: [this.bucket.arnForObjects('*')],
        conditions: { StringNotEquals: { 's3:x-amz-server-side-encryption': 'aws:kms' } },
      }),
    );
    // Without a key id S3 would fall back to the AWS-managed aws/s3 key, which Kura cannot audit or revoke.
    this.bucket.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'DenyWritesWithOtherKey',
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: ['s3:PutObject'],
        resources: [this.bucket.arnForObjects('*')],
        conditions: {
          StringNotEquals: { 's3:x-amz-server-side-encryption-aws-kms-key-id': props.encryptionKey.keyArn },
        },
      }),
    );
  }
}
