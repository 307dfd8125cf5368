import { Duration, type RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { KURA_METRICS, KURA_NAMESPACE, type KuraMetricName } from '../../functions/observability/catalog.ts';
import type { KuraFunction } from './kura-function.ts';

/** Physical name of a stage's alarm topic: fixed, so every stack can address it without an export. */
export const alarmTopicName = (stage: string) => `kura-${stage}-alarms`;

/** Properties of {@link AlarmTopic}. */
export interface AlarmTopicProps {
  readonly stage: string;
  readonly removalPolicy: RemovalPolicy;
}

/**
 * The SNS topic every Kura alarm notifies (subscribe operators' e-mail or chat to it), encrypted with
 * its own customer-managed key that CloudWatch may use, and refusing publishes without TLS.
 */
export class AlarmTopic extends Construct {
  readonly topic: sns.Topic;
  readonly key: kms.Key;

  constructor(scope: Construct, id: string, props: AlarmTopicProps) {
    super(scope, id);
    this.key = new kms.Key(this, 'Key', {
      alias: `alias/kura-${props.stage}-alarms`,
      description: `Kura ${props.stage}: alarm notifications`,
      enableKeyRotation: true,
      pendingWindow: Duration.days(7),
      removalPolicy: props.removalPolicy,
    });
    // CloudWatch publishes to an encrypted topic only if the key lets it generate data keys.
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
      }),
    );
    this.topic = new sns.Topic(this, 'Topic', {
      topicName: alarmTopicName(props.stage),
      displayName: `Kura ${props.stage} alarms`,
      masterKey: this.key,
      enforceSSL: true,
    });
    // The TLS-only policy replaces the topic's default policy: without this statement no alarm could
    // publish (CloudWatch is a service principal, with no identity policy of its own).
    const stack = Stack.of(this);
    this.topic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowCloudWatchAlarms',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [this.topic.topicArn],
        conditions: {
          StringEquals: { 'aws:SourceAccount': stack.account },
          ArnLike: { 'aws:SourceArn': `arn:aws:cloudwatch:${stack.region}:${stack.account}:alarm:*` },
        },
      }),
    );
  }
}

/** Properties of {@link PipelineMonitoring}. */
export interface PipelineMonitoringProps {
  readonly stage: string;
  /** Pipeline name, e.g. `ingest`: names the dashboard `kura-<stage>-<pipeline>`. */
  readonly pipeline: string;
  readonly functions: readonly KuraFunction[];
  /** @default - none */
  readonly deadLetterQueues?: readonly sqs.IQueue[];
  /** Further alarms of this pipeline (Athena failures, EMF metrics). @default - none */
  readonly metricAlarms?: ReadonlyArray<{
    readonly id: string;
    readonly metric: cloudwatch.IMetric;
    readonly description: string;
  }>;
}

/**
 * Catalogue metrics marked "Alarm: any" (functions/observability/catalog.ts) that every monitoring of a
 * pipeline carries, whatever its stack passes in `metricAlarms`: the pipeline owns these alarms.
 */
export const PIPELINE_METRIC_ALARMS: Readonly<
  Record<string, ReadonlyArray<{ readonly metric: KuraMetricName; readonly description: string }>>
> = {
  ingest: [
    {
      metric: 'IngestQuarantine',
      description:
        'Ingest moved an object to quarantine (no upload record, checksum or size mismatch, bad key; see docs/OPERATIONS.md)',
    },
  ],
};

/**
 * Alarms and a dashboard for one pipeline: each function's errors and throttles, every dead-letter
 * queue's depth, and the pipeline's own metrics, all notifying the stage's alarm topic (addressed by its
 * fixed name, so the stack holding the topic is an ordering dependency only).
 */
export class PipelineMonitoring extends Construct {
  readonly alarms: cloudwatch.Alarm[] = [];
  readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: PipelineMonitoringProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const topic = sns.Topic.fromTopicArn(
      this,
      'AlarmTopic',
      `arn:aws:sns:${stack.region}:${stack.account}:${alarmTopicName(props.stage)}`,
    );
    const notify = new actions.SnsAction(topic);
    const period = Duration.minutes(5);
    const alarm = (alarmId: string, metric: cloudwatch.IMetric, description: string) => {
      const created = new cloudwatch.Alarm(this, alarmId, {
        metric,
        alarmDescription: description,
        threshold: 0,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
      created.addAlarmAction(notify);
      created.addOkAction(notify);
      this.alarms.push(created);
      return created;
    };

    for (const fn of props.functions) {
      const name = fn.node.id;
      alarm(`${name}Errors`, fn.metricErrors({ period, statistic: 'Sum' }), `${name} failed (errors > 0)`);
      alarm(`${name}Throttles`, fn.metricThrottles({ period, statistic: 'Sum' }), `${name} was throttled`);
    }
    for (const [index, queue] of (props.deadLetterQueues ?? []).entries()) {
      alarm(
        `DeadLetters${index}`,
        queue.metricApproximateNumberOfMessagesVisible({ period, statistic: 'Maximum' }),
        `Messages are waiting in a ${props.pipeline} dead-letter queue: work nobody finished (see docs/OPERATIONS.md)`,
      );
    }
    for (const extra of props.metricAlarms ?? []) alarm(extra.id, extra.metric, extra.description);
    for (const own of PIPELINE_METRIC_ALARMS[props.pipeline] ?? []) {
      alarm(own.metric, kuraMetric(own.metric), own.description);
    }

    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: `kura-${props.stage}-${props.pipeline}`,
      defaultInterval: Duration.days(1),
    });
    this.dashboard.addWidgets(
      new cloudwatch.TextWidget({
        markdown: `# Kura ${props.stage}: ${props.pipeline}`,
        width: 24,
        height: 1,
      }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Invocations and errors',
        left: props.functions.flatMap((fn) => [
          fn.metricInvocations({ period }),
          fn.metricErrors({ period }),
        ]),
        width: 12,
      }),
      new cloudwatch.GraphWidget({
        title: 'Duration (p95) and throttles',
        left: props.functions.map((fn) => fn.metricDuration({ period, statistic: 'p95' })),
        right: props.functions.map((fn) => fn.metricThrottles({ period })),
        width: 12,
      }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms: this.alarms, width: 24 }),
    );
    const graphed = [
      ...(props.metricAlarms ?? []).map((extra) => extra.metric),
      ...(PIPELINE_METRIC_ALARMS[props.pipeline] ?? []).map((own) => kuraMetric(own.metric)),
    ];
    if (graphed.length > 0) {
      this.dashboard.addWidgets(
        new cloudwatch.GraphWidget({
          title: `${props.pipeline} metrics`,
          left: graphed,
          width: 24,
        }),
      );
    }
  }
}

/**
 * A Kura domain metric as the functions publish it (Powertools EMF, functions/observability/catalog.ts):
 * namespace `Kura`, dimension `service` of the function that emits it.
 */
export const kuraMetric = (metricName: KuraMetricName, period: Duration = Duration.minutes(5)) =>
  new cloudwatch.Metric({
    namespace: KURA_NAMESPACE,
    metricName,
    dimensionsMap: { service: KURA_METRICS[metricName].service },
    statistic: 'Maximum',
    period,
  });

/**
 * Failed queries of an Athena workgroup. Workgroups with `publishCloudWatchMetricsEnabled` publish
 * `TotalExecutionTime` per query with dimensions `QueryState`, `QueryType` and `WorkGroup`; its
 * SampleCount for `QueryState=FAILED` is the number of failed queries. The statistics pipeline alarms on
 * both this (any failed etl query, also ones the release retried) and the stats function's own EMF
 * `StatsReleaseFailed` (a release that did not publish).
 */
export const athenaFailedQueries = (workgroup: string, queryType: 'DML' | 'DDL') =>
  new cloudwatch.Metric({
    namespace: 'AWS/Athena',
    metricName: 'TotalExecutionTime',
    dimensionsMap: { QueryState: 'FAILED', QueryType: queryType, WorkGroup: workgroup },
    statistic: 'SampleCount',
    period: Duration.minutes(5),
  });
