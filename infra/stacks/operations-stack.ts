import { Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import { replicaBucketEnvVar } from '../../functions/adapters/resource-env-vars.ts';
import type { StageConfig } from '../config.ts';
import {
  grantBucket,
  grantJobStart,
  grantKeySecrets,
  grantTable,
  grantUserDirectory,
} from '../constructs/grants.ts';
import { JobDeadLetters, JobSchedule } from '../constructs/job-schedule.ts';
import { KuraFunction } from '../constructs/kura-function.ts';
import type { KuraUserPool } from '../constructs/kura-user-pool.ts';
import { kuraMetric, PipelineMonitoring } from '../constructs/monitoring.ts';
import { acknowledgeWildcardResource } from '../nag.ts';
import { bucketArn, jobFunctionName, keySecretPrefix, replicaBucketName } from '../naming.ts';
import type { StorageStack } from './storage-stack.ts';

/** Properties of {@link OperationsStack}. */
export interface OperationsStackProps extends StackProps {
  readonly config: StageConfig;
  readonly storage: StorageStack;
  /** The companies' users: the purge disables a purged company's accounts. */
  readonly users: KuraUserPool;
}

/** Daily purge of tenants due: 03:00 JST (purges become due at 00:00 JST). */
export const PURGE_AT = { minute: '0', hour: '3' } as const;
/** Daily ledger export to the audit bucket: 02:00 JST. */
export const LEDGER_EXPORT_AT = { minute: '0', hour: '2' } as const;
/** Support grants end at most 15 minutes before their exports are deleted. */
export const SUPPORT_SWEEP_AT = { minute: '0/15', hour: '*' } as const;
/** Stuck uploads are looked for every 5 minutes, so the alarm sounds within minutes. */
export const UPLOAD_WATCH_AT = { minute: '0/5', hour: '*' } as const;

/**
 * Scheduled operations: the purge (retention, verified deletion, certificates; issue 7), the ledger
 * export to the Object Lock audit bucket (issue 10.3), each on an EventBridge Scheduler schedule on
 * Japanese time with retries and a dead-letter queue. The scheduled purge also publishes the
 * `PurgeOverdue` metric (functions/purge/handler.ts) behind an alarm; the upload watch, every 5 minutes,
 * `UploadsStuck`.
 */
export class OperationsStack extends Stack {
  readonly purge: KuraFunction;
  readonly ledgerExport: KuraFunction;
  readonly supportSweep: KuraFunction;
  readonly uploadWatch: KuraFunction;
  readonly deadLetters: JobDeadLetters;

  constructor(scope: Construct, id: string, props: OperationsStackProps) {
    super(scope, id, props);
    const { config, storage } = props;
    const removalPolicy = config.removal === 'retain' ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;
    const { buckets, tables, dataKey } = storage;

    // The purge deletes and certifies; the release without the purged tenant is a job of the release
    // function that the purge starts afterwards, so the purge needs no DuckDB and no statistics grants.
    this.purge = new KuraFunction(this, 'Purge', {
      entry: 'functions/purge/handler.ts',
      functionName: jobFunctionName(config.stage, 'purge'),
      serviceName: 'kura-purge',
      description:
        'Purges tenants past retention: every object version, table row and key, with a certificate',
      config,
      memorySize: 1024,
      timeout: Duration.minutes(15),
    });
    // functions/domain/purge/README.md: every bucket that can hold a tenant's data (zones.ts tenantPrefixes).
    grantBucket(this.purge, buckets.landing, 'landing', 'purge');
    grantBucket(this.purge, buckets.raw, 'raw', 'purge');
    grantBucket(this.purge, buckets.curated, 'curated', 'purge');
    grantBucket(this.purge, buckets['query-results'], 'query-results', 'purge');
    grantBucket(this.purge, buckets.audit, 'audit', 'readWrite', { prefix: 'certificates/' });
    grantTable(this.purge, tables.tenants, 'tenants', 'readWrite');
    grantTable(this.purge, tables.uploads, 'uploads', 'readWrite');
    grantTable(this.purge, tables.ledger, 'ledger', 'append');
    grantKeySecrets(this.purge, keySecretPrefix(config.stage), dataKey, 'destroy');
    // Its own job record; the release after a purge, and the purge itself again when one invocation
    // cannot finish (both by function name: see jobFunctionName).
    grantTable(this.purge, tables.jobs, 'jobs', 'readWrite');
    grantJobStart(this.purge, config.stage, 'release');
    grantJobStart(this.purge, config.stage, 'purge');
    // Nobody may sign in for a purged company: its accounts are disabled before its data is deleted.
    grantUserDirectory(this.purge, props.users.userPool);
    if (config.drRegion) this.grantReplicaPurge(config, config.drRegion);

    this.ledgerExport = new KuraFunction(this, 'LedgerExport', {
      entry: 'functions/ledger-export/handler.ts',
      serviceName: 'kura-ledger-export',
      description: 'Exports new ledger entries with the chain head hash to the Object Lock audit bucket',
      config,
      memorySize: 1024,
      timeout: Duration.minutes(5),
    });
    grantTable(this.ledgerExport, tables.ledger, 'ledger', 'read');
    grantBucket(this.ledgerExport, buckets.audit, 'audit', 'readWrite', { prefix: 'ledger-exports/' });

    // Exports taken under a support grant must not outlive it (issue 11): the sweep deletes them and
    // records what it deleted; it reads grants in every tenant's partition of the uploads table.
    this.supportSweep = new KuraFunction(this, 'SupportSweep', {
      entry: 'functions/support-sweep/handler.ts',
      serviceName: 'kura-support-sweep',
      description: 'Ends expired support grants: deletes their exports and records what was deleted',
      config,
      memorySize: 512,
      timeout: Duration.minutes(5),
    });
    grantTable(this.supportSweep, tables.tenants, 'tenants', 'read');
    grantTable(this.supportSweep, tables.uploads, 'uploads', 'readWrite');
    grantTable(this.supportSweep, tables.ledger, 'ledger', 'append');
    grantBucket(this.supportSweep, buckets.raw, 'raw', 'purge', { prefix: 'support-exports/' });

    // Unfinished uploads that stopped moving (functions/domain/uploads/stuck.ts): it queries the uploads
    // table's sparse byInFlight index and checks whether a request's file is in the landing bucket.
    this.uploadWatch = new KuraFunction(this, 'UploadWatch', {
      entry: 'functions/upload-watch/handler.ts',
      serviceName: 'kura-upload-watch',
      description: 'Every 5 minutes: uploads that stopped moving, as the UploadsStuck metric',
      config,
      memorySize: 256,
      timeout: Duration.minutes(2),
    });
    grantTable(this.uploadWatch, tables.uploads, 'uploads', 'read');
    grantBucket(this.uploadWatch, buckets.landing, 'landing', 'read', { prefix: 'landing/' });

    this.deadLetters = new JobDeadLetters(this, 'JobDeadLetters', { stage: config.stage, removalPolicy });
    new JobSchedule(this, 'DailyPurge', {
      fn: this.purge,
      at: PURGE_AT,
      description: 'Daily purge of tenants past retention (Asia/Tokyo)',
      deadLetters: this.deadLetters,
    });
    new JobSchedule(this, 'DailyLedgerExport', {
      fn: this.ledgerExport,
      at: LEDGER_EXPORT_AT,
      description: 'Daily ledger export to the audit bucket (Asia/Tokyo)',
      deadLetters: this.deadLetters,
    });

    new JobSchedule(this, 'SupportSweepSchedule', {
      fn: this.supportSweep,
      at: SUPPORT_SWEEP_AT,
      description: 'Every 15 minutes: delete the exports of support grants that have ended',
      deadLetters: this.deadLetters,
    });

    new JobSchedule(this, 'UploadWatchSchedule', {
      fn: this.uploadWatch,
      at: UPLOAD_WATCH_AT,
      description: 'Every 5 minutes: look for uploads that stopped moving',
      deadLetters: this.deadLetters,
    });

    new PipelineMonitoring(this, 'PurgeMonitoring', {
      stage: config.stage,
      pipeline: 'purge',
      functions: [this.purge, this.ledgerExport, this.supportSweep, this.uploadWatch],
      deadLetterQueues: [this.deadLetters.queue],
      metricAlarms: [
        {
          id: 'UploadsStuck',
          metric: kuraMetric('UploadsStuck', Duration.minutes(5)),
          description:
            'An upload stopped moving (RECEIVED, VALIDATING, MASKING, or REQUESTED with its file landed) for 15 minutes: see docs/OPERATIONS.md, "Stuck uploads"',
        },
        {
          id: 'PurgeOverdue',
          metric: kuraMetric('PurgeOverdue', Duration.days(1)),
          description:
            'The daily purge left tenants past retention unfinished (failed or still in progress; see docs/OPERATIONS.md)',
        },
        {
          id: 'PurgeFailed',
          metric: kuraMetric('PurgeFailed', Duration.days(1)),
          description: "A tenant's purge failed in the daily run (it resumes from its checkpoint next run)",
        },
      ],
    });
  }

  /**
   * Replication copies object versions but not version deletions, so the purge deletes the tenant's
   * versions in the disaster-recovery copy of the curated bucket itself (`KURA_BUCKET_CURATED_REPLICA`).
   */
  private grantReplicaPurge(config: StageConfig, drRegion: string): void {
    const replica = replicaBucketName(config.stage, 'curated', config.account, drRegion);
    const objects = `${bucketArn(replica)}/*`;
    this.purge.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['s3:ListBucket', 's3:ListBucketVersions'],
        resources: [bucketArn(replica)],
      }),
    );
    this.purge.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['s3:DeleteObject', 's3:DeleteObjectVersion', 's3:GetObjectVersion'],
        resources: [objects],
      }),
    );
    this.purge.addEnvironment(replicaBucketEnvVar('curated'), replica);
    acknowledgeWildcardResource(
      this.purge.role,
      objects,
      "The purge deletes every version of a purged tenant's objects in the disaster-recovery copy of the curated bucket; keys are per tenant and upload.",
    );
  }
}
