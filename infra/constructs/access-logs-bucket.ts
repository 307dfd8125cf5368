import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';

/** Properties of {@link AccessLogsBucket}. */
export interface AccessLogsBucketProps {
  /** Physical bucket name (see `infra/naming.ts`). */
  readonly bucketName: string;
  /** Days S3 server access logs are kept. */
  readonly retentionDays: number;
  /**
   * What happens to the bucket when the stack is deleted.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * Destination of the S3 server access logs of every other bucket.
 *
 * It is encrypted with S3-managed keys (SSE-S3) on purpose: the S3 log delivery service can only write
 * to buckets with SSE-S3 default encryption, never SSE-KMS. Logging delivery is authorised by a bucket
 * policy for `logging.s3.amazonaws.com` (ACLs are impossible with BucketOwnerEnforced); CDK writes that
 * policy because `@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy` is on.
 */
export class AccessLogsBucket extends Construct {
  readonly bucket: s3.Bucket;

  constructor(scope: Construct, id: string, props: AccessLogsBucketProps) {
    super(scope, id);
    this.bucket = new s3.Bucket(this, 'Bucket', {
      bucketName: props.bucketName,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      versioned: true,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
      lifecycleRules: [
        { id: 'abort-incomplete-multipart', abortIncompleteMultipartUploadAfter: Duration.days(1) },
        { id: 'expire-access-logs', expiration: Duration.days(props.retentionDays) },
        { id: 'expire-noncurrent-versions', noncurrentVersionExpiration: Duration.days(1) },
        { id: 'remove-expired-delete-markers', expiredObjectDeleteMarker: true },
      ],
    });
    Validations.of(this.bucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        'This is the access-log destination itself; logging it into itself would log every log delivery in an endless loop.',
    });
  }
}
