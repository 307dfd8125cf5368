import { Duration, RemovalPolicy, Size, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3n from 'aws-cdk-lib/aws-s3-notifications';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { INGEST_MAX_RECEIVE_COUNT } from '../../functions/domain/ingest/batch.ts';
import type { StageConfig } from '../config.ts';
import { DuckDbLayer } from '../constructs/duckdb-layer.ts';
import { grantBucket, grantKeySecrets, grantReplicaDelete, grantTable } from '../constructs/grants.ts';
import { KuraFunction } from '../constructs/kura-function.ts';
import { PipelineMonitoring } from '../constructs/monitoring.ts';
import { jobFunctionName, keySecretPrefix } from '../naming.ts';
import type { StorageStack } from './storage-stack.ts';

/** Properties of {@link PipelineStack}. */
export interface PipelineStackProps extends StackProps {
  readonly config: StageConfig;
  readonly storage: StorageStack;
}

/** SQS redelivers a message this many times before it goes to the dead-letter queue (local queue alike). */
export { INGEST_MAX_RECEIVE_COUNT };
/** AWS guidance: a queue's visibility timeout is at least six times its consumer's timeout. */
export const VISIBILITY_TIMEOUT_FACTOR = 6;

/**
 * The ingest pipeline: S3 `ObjectCreated` under `landing/` → SQS (KMS, TLS only, DLQ) → the ingest
 * function, which verifies, decodes, validates and writes Parquet to the raw zone, then pseudonymises
 * accepted uploads in the same invocation. The mask function re-runs masking for one upload on demand.
 *
 * The bucket notification lives here, on an imported landing bucket, not in the storage stack: a
 * notification there would make storage depend on this stack's queue while this stack depends on
 * storage for the bucket, a cycle.
 */
export class PipelineStack extends Stack {
  readonly queue: sqs.Queue;
  readonly deadLetterQueue: sqs.Queue;
  readonly ingest: KuraFunction;
  readonly mask: KuraFunction;
  readonly duckDbLayer: DuckDbLayer;

  constructor(scope: Construct, id: string, props: PipelineStackProps) {
    super(scope, id, props);
    const { config, storage } = props;
    const removalPolicy = config.removal === 'retain' ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;

    this.duckDbLayer = new DuckDbLayer(this, 'DuckDb');
    this.ingest = new KuraFunction(this, 'Ingest', {
      entry: 'functions/ingest/handler.ts',
      serviceName: 'kura-ingest',
      description: 'Verifies, decodes, validates and normalises uploaded CSV files into raw Parquet',
      config,
      memorySize: 3008,
      timeout: Duration.minutes(10),
      ephemeralStorageSize: Size.gibibytes(10),
      duckDbLayer: this.duckDbLayer.layer,
    });
    const { buckets, tables, dataKey } = storage;
    grantBucket(this.ingest, buckets.landing, 'landing', 'read', { prefix: 'landing/' });
    // Once ingested, the uploaded file is deleted by version (the bucket is versioned: a plain delete would
    // leave the personal data behind as a noncurrent version until the lifecycle expires it).
    grantBucket(this.ingest, buckets.landing, 'landing', 'purge', { prefix: 'landing/' });
    grantBucket(this.ingest, buckets.landing, 'landing', 'write', { prefix: 'quarantine/' });
    grantBucket(this.ingest, buckets.raw, 'raw', 'readWrite');
    grantBucket(this.ingest, buckets.curated, 'curated', 'readWrite');
    // Masking's commit deletes every version it wrote when the upload was withdrawn meanwhile.
    grantBucket(this.ingest, buckets.curated, 'curated', 'purge', { prefix: 'pseudonymised/' });
    // A facts rebuild that cannot catch up with the records removes the facts; every rebuild deletes the
    // facts' former versions (they may hold a withdrawn upload's figures), here and in the DR copy.
    grantBucket(this.ingest, buckets.curated, 'curated', 'purge', { prefix: 'facts/' });
    if (config.drRegion) {
      grantReplicaDelete(this.ingest, config, config.drRegion, 'pseudonymised/');
      grantReplicaDelete(this.ingest, config, config.drRegion, 'facts/');
    }
    grantTable(this.ingest, tables.tenants, 'tenants', 'read');
    grantTable(this.ingest, tables.uploads, 'uploads', 'readWrite');
    grantTable(this.ingest, tables.ledger, 'ledger', 'append');
    grantKeySecrets(this.ingest, keySecretPrefix(config.stage), dataKey, 'read');

    // Ingest masks accepted uploads in the same invocation (it holds the grants masking needs). The mask
    // function runs the same step on its own, `{ tenantId, uploadId }`, to re-mask an upload on demand;
    // `grantInvoke(this.ingest, this.mask, 'mask')` would hand uploads over instead.
    this.mask = new KuraFunction(this, 'Mask', {
      entry: 'functions/mask/handler.ts',
      // Named, so the API invokes it without a cross-stack reference (it finishes withdrawals).
      functionName: jobFunctionName(config.stage, 'mask'),
      serviceName: 'kura-mask',
      description:
        'Pseudonymises an accepted upload per tenant and rebuilds the tenant facts; finishes withdrawals',
      config,
      memorySize: 3008,
      timeout: Duration.minutes(10),
      ephemeralStorageSize: Size.gibibytes(10),
      duckDbLayer: this.duckDbLayer.layer,
    });
    grantBucket(this.mask, buckets.raw, 'raw', 'read');
    grantBucket(this.mask, buckets.curated, 'curated', 'readWrite');
    grantBucket(this.mask, buckets.curated, 'curated', 'purge', { prefix: 'pseudonymised/' });
    // A withdrawal's second half (the API invokes it): every version of the upload's objects, wherever
    // they are kept (domain/uploads/withdraw.ts uploadLocations), then the company's facts rebuilt.
    grantBucket(this.mask, buckets.landing, 'landing', 'purge', { prefix: 'landing/' });
    grantBucket(this.mask, buckets.raw, 'raw', 'purge', { prefix: 'raw/' });
    grantBucket(this.mask, buckets.raw, 'raw', 'purge', { prefix: 'reports/' });
    grantBucket(this.mask, buckets.raw, 'raw', 'purge', { prefix: 'support-exports/' });
    // Before it deletes anything, the company's facts (current versions): a failed withdrawal leaves
    // the company out of releases rather than in them with the withdrawn upload's figures. The same
    // for a facts rebuild that cannot catch up with the records. Every rebuild deletes the facts' former
    // versions (which may hold a withdrawn upload's figures) by version, here and in the DR copy.
    grantBucket(this.mask, buckets.curated, 'curated', 'purge', { prefix: 'facts/' });
    if (config.drRegion) {
      grantReplicaDelete(this.mask, config, config.drRegion, 'pseudonymised/');
      grantReplicaDelete(this.mask, config, config.drRegion, 'facts/');
    }
    grantTable(this.mask, tables.tenants, 'tenants', 'read');
    grantTable(this.mask, tables.uploads, 'uploads', 'readWrite');
    grantTable(this.mask, tables.ledger, 'ledger', 'append');
    grantKeySecrets(this.mask, keySecretPrefix(config.stage), dataKey, 'read');

    // S3 must encrypt the messages it sends, so the queue key (not the data key) trusts S3 for this bucket.
    const queueKey = new kms.Key(this, 'QueueKey', {
      alias: `alias/kura-${config.stage}-ingest-queue`,
      description: `Kura ${config.stage}: ingest notification queues`,
      enableKeyRotation: true,
      pendingWindow: Duration.days(7),
      removalPolicy,
    });
    this.deadLetterQueue = new sqs.Queue(this, 'IngestDeadLetters', {
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: queueKey,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
      removalPolicy,
    });
    this.queue = new sqs.Queue(this, 'IngestQueue', {
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: queueKey,
      enforceSSL: true,
      visibilityTimeout: Duration.seconds(
        this.ingest.functionTimeout.toSeconds() * VISIBILITY_TIMEOUT_FACTOR,
      ),
      retentionPeriod: Duration.days(4),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: INGEST_MAX_RECEIVE_COUNT },
      removalPolicy,
    });
    this.ingest.addEventSource(
      new SqsEventSource(this.queue, { batchSize: 1, reportBatchItemFailures: true, maxConcurrency: 10 }),
    );

    const landing = s3.Bucket.fromBucketAttributes(this, 'LandingBucket', {
      bucketName: buckets.landing.bucketName,
      bucketArn: buckets.landing.bucketArn,
    });
    landing.addEventNotification(s3.EventType.OBJECT_CREATED, new s3n.SqsDestination(this.queue), {
      prefix: 'landing/',
    });
    this.acknowledgeNotificationHandler();

    // A message in the dead-letter queue is an upload nobody processed: it must never go unnoticed.
    new PipelineMonitoring(this, 'IngestMonitoring', {
      stage: config.stage,
      pipeline: 'ingest',
      functions: [this.ingest],
      deadLetterQueues: [this.deadLetterQueue],
    });
    new PipelineMonitoring(this, 'MaskingMonitoring', {
      stage: config.stage,
      pipeline: 'masking',
      functions: [this.mask],
    });
  }

  /** CDK writes bucket notifications through its own singleton custom-resource function. */
  private acknowledgeNotificationHandler(): void {
    const handler = this.node
      .findAll()
      .find((construct) => construct.node.id.startsWith('BucketNotificationsHandler'));
    if (!handler) return;
    const acknowledge = (id: string, reason: string) => Validations.of(handler).acknowledge({ id, reason });
    acknowledge(
      'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
      "CDK's BucketNotificationsHandler custom resource (not Kura code) runs only at deploy time with the basic execution policy for its own logs.",
    );
    acknowledge(
      'AwsSolutions-IAM5[Resource::*]',
      "CDK's BucketNotificationsHandler needs s3:PutBucketNotification, which it requests on * because the bucket is passed at deploy time.",
    );
  }
}
