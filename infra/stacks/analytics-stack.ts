import { Duration, RemovalPolicy, Size, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { workgroupName } from '../../functions/domain/athena-names.ts';
import { IN_FLIGHT_INDEX } from '../../functions/domain/uploads/in-flight.ts';
import type { LogicalBucket } from '../../functions/domain/zones.ts';
import type { StageConfig } from '../config.ts';
import { AnalyticsAccess } from '../constructs/analytics-access.ts';
import { AnalyticsCatalog } from '../constructs/analytics-catalog.ts';
import { AthenaWorkgroups } from '../constructs/athena-workgroups.ts';
import { DuckDbLayer } from '../constructs/duckdb-layer.ts';
import { grantIndexQuery, grantJobStart, grantPlatformKey, grantTable } from '../constructs/grants.ts';
import { JobDeadLetters, JobSchedule, SCHEDULED_TIME } from '../constructs/job-schedule.ts';
import { KuraFunction } from '../constructs/kura-function.ts';
import { athenaFailedQueries, kuraMetric, PipelineMonitoring } from '../constructs/monitoring.ts';
import { grantStatsRelease } from '../constructs/stats-release-access.ts';
import { bucketName, jobFunctionName, platformKeySecretName } from '../naming.ts';
import type { StorageStack } from './storage-stack.ts';

/** Properties of {@link AnalyticsStack}. */
export interface AnalyticsStackProps extends StackProps {
  readonly config: StageConfig;
  readonly storage: StorageStack;
}

/** When the monthly release runs: the 2nd of each month, 04:00 JST (after the daily purge at 03:00). */
export const STATS_RELEASE_AT = { minute: '0', hour: '4', day: '2' } as const;

/**
 * Statistics and analysis: the Glue catalogue (every zone's tables, the statistics tables and BI
 * views), the Athena workgroups, the BI and admin analysis roles, and the stats-release function with
 * its monthly schedule.
 */
export class AnalyticsStack extends Stack {
  readonly catalog: AnalyticsCatalog;
  readonly workgroups: AthenaWorkgroups;
  readonly access: AnalyticsAccess;
  readonly statsRelease: KuraFunction;
  readonly deadLetters: JobDeadLetters;
  readonly duckDbLayer: DuckDbLayer;

  constructor(scope: Construct, id: string, props: AnalyticsStackProps) {
    super(scope, id, props);
    const { config, storage } = props;
    const removalPolicy = config.removal === 'retain' ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;
    const name = (logical: LogicalBucket) => bucketName(config.stage, logical, config.account, config.region);

    this.catalog = new AnalyticsCatalog(this, 'Catalog', { stage: config.stage, bucketName: name });
    this.workgroups = new AthenaWorkgroups(this, 'Workgroups', {
      stage: config.stage,
      queryResults: storage.buckets['query-results'],
      dataKey: storage.dataKey,
      recursiveDelete: config.removal === 'destroy',
    });
    this.access = new AnalyticsAccess(this, 'Access', {
      stage: config.stage,
      stats: storage.buckets.stats,
      curated: storage.buckets.curated,
      queryResults: storage.buckets['query-results'],
      dataKey: storage.dataKey,
    });

    this.duckDbLayer = new DuckDbLayer(this, 'DuckDb');
    this.statsRelease = new KuraFunction(this, 'StatsRelease', {
      entry: 'functions/stats-release/handler.ts',
      functionName: jobFunctionName(config.stage, 'release'),
      serviceName: 'kura-stats-release',
      description:
        'Statistics releases: anonymises the contributing tenants and publishes with disclosure control',
      config,
      memorySize: 3008,
      timeout: Duration.minutes(15),
      ephemeralStorageSize: Size.gibibytes(10),
      duckDbLayer: this.duckDbLayer.layer,
      // The release audit's LP solver (HiGHS, WebAssembly) loads highs.wasm from beside the bundle.
      bundledFiles: ['node_modules/highs/build/highs.wasm'],
    });
    grantStatsRelease(this.statsRelease, config.stage, storage);
    // The release picks contributing tenants and settles purged ones (tenants), records its job and
    // lease (jobs) and its publication (ledger).
    grantTable(this.statsRelease, storage.tables.tenants, 'tenants', 'readWrite');
    grantTable(this.statsRelease, storage.tables.jobs, 'jobs', 'readWrite');
    grantTable(this.statsRelease, storage.tables.ledger, 'ledger', 'append');
    // It leaves out tenants with a withdrawal unfinished: only the uploads table's index of unfinished
    // uploads, never an upload record.
    grantIndexQuery(this.statsRelease, storage.tables.uploads, 'uploads', IN_FLIGHT_INDEX);
    // Record keys of anonymised releases come from the platform perturbation key (masking/record-keys.ts).
    grantPlatformKey(this.statsRelease, platformKeySecretName(config.stage), storage.dataKey);
    // Itself, by name (see jobFunctionName): a release that anonymised with too little time left
    // publishes in a fresh invocation (functions/domain/release/release.ts, runReleaseJob).
    grantJobStart(this.statsRelease, config.stage, 'release');

    this.deadLetters = new JobDeadLetters(this, 'JobDeadLetters', { stage: config.stage, removalPolicy });
    new JobSchedule(this, 'MonthlyStatsRelease', {
      fn: this.statsRelease,
      at: STATS_RELEASE_AT,
      description: 'Monthly statistics release (Asia/Tokyo)',
      deadLetters: this.deadLetters,
      // A retry of the schedule's event is then the same release job (jobs.ts jobIdOf), which resumes a
      // release whose hand-over to a second invocation failed instead of joining it.
      input: { scheduledAt: SCHEDULED_TIME },
    });

    new PipelineMonitoring(this, 'StatisticsMonitoring', {
      stage: config.stage,
      pipeline: 'statistics',
      functions: [this.statsRelease],
      deadLetterQueues: [this.deadLetters.queue],
      metricAlarms: [
        ...(['DML', 'DDL'] as const).map((queryType) => ({
          id: `EtlQueriesFailed${queryType}`,
          metric: athenaFailedQueries(workgroupName(config.stage, 'etl'), queryType),
          description: `A statistics ${queryType} query failed in the etl workgroup (re-run the release on demand)`,
        })),
        {
          id: 'StatsReleaseFailed',
          metric: kuraMetric('StatsReleaseFailed', Duration.days(1)),
          description:
            'A statistics release did not publish (EMF StatsReleaseFailed from the stats-release function)',
        },
        {
          id: 'StatsReleaseAuditFailed',
          metric: kuraMetric('StatsReleaseAuditFailed', Duration.days(1)),
          description:
            'The disclosure audit withheld a statistics release (findings in stats-admin/release=<id>/audit.json; see docs/OPERATIONS.md)',
        },
        {
          id: 'StatsCompaniesFactsOutdated',
          metric: kuraMetric('StatsCompaniesFactsOutdated', Duration.days(1)),
          description:
            'A published release left companies out because their facts were outdated (tenant ids in the function log; see docs/OPERATIONS.md)',
        },
      ],
    });
  }
}
