import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { KURA_METRICS } from '../../functions/observability/catalog.ts';
import { alarmTopicName } from '../../infra/constructs/monitoring.ts';
import { allStacks, type CfnJson, type SynthesizedStage, synthesizeStage } from './support.ts';

let dev: SynthesizedStage;
let alarms: CfnJson[];
let topicArn: string;

beforeAll(() => {
  dev = synthesizeStage('dev');
  alarms = allStacks(dev.stacks).flatMap(
    (stack) => Object.values(Template.fromStack(stack).findResources('AWS::CloudWatch::Alarm')) as CfnJson[],
  );
  topicArn = `arn:aws:sns:${dev.config.region}:${dev.config.account}:${alarmTopicName('dev')}`;
});

const alarmsOn = (metricName: string, namespace: string) =>
  alarms.filter((a) => a.Properties.MetricName === metricName && a.Properties.Namespace === namespace);

describe('monitoring: alarm topic', () => {
  it('encrypts the topic with a rotated key CloudWatch may use, and refuses non-TLS publishing', () => {
    const template = Template.fromStack(dev.stacks.monitoring);
    const [keyId, key] = Object.entries(template.findResources('AWS::KMS::Key'))[0] as [string, CfnJson];
    expect(key.Properties.EnableKeyRotation).toBe(true);
    expect(key.Properties.KeyPolicy.Statement).toContainEqual(
      expect.objectContaining({ Principal: { Service: 'cloudwatch.amazonaws.com' } }),
    );
    template.hasResourceProperties('AWS::SNS::Topic', {
      TopicName: alarmTopicName('dev'),
      KmsMasterKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] },
    });
    const [policy] = Object.values(template.findResources('AWS::SNS::TopicPolicy')) as CfnJson[];
    expect(policy?.Properties.PolicyDocument.Statement).toContainEqual(
      expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
    );
  });

  it('is deployed before every stack whose alarms notify it', () => {
    for (const stack of [dev.stacks.pipeline, dev.stacks.analytics, dev.stacks.operations, dev.stacks.api]) {
      expect(stack.dependencies).toContain(dev.stacks.monitoring);
    }
  });
});

describe('monitoring: alarms', () => {
  it('sends every alarm to the alarm topic', () => {
    expect(alarms.length).toBeGreaterThan(0);
    for (const alarm of alarms) expect(alarm.Properties.AlarmActions).toEqual([topicArn]);
  });

  it('watches errors and throttles of every function', () => {
    const functions = allStacks(dev.stacks).flatMap((stack) =>
      Object.entries(Template.fromStack(stack).findResources('AWS::Lambda::Function'))
        .filter(([, fn]) => (fn as CfnJson).Properties.Environment?.Variables?.KURA_STAGE === 'dev')
        .map(([id]) => id),
    );
    expect(functions.length).toBeGreaterThanOrEqual(6);
    for (const metric of ['Errors', 'Throttles']) {
      const watched = alarmsOn(metric, 'AWS/Lambda').map((a) => JSON.stringify(a.Properties.Dimensions));
      for (const id of functions)
        expect(
          watched.some((d) => d.includes(`"${id}"`)),
          `${metric} of ${id}`,
        ).toBe(true);
    }
  });

  it('watches the depth of every dead-letter queue', () => {
    const deadLetterQueues = allStacks(dev.stacks).flatMap((stack) =>
      Object.keys(Template.fromStack(stack).findResources('AWS::SQS::Queue')).filter((id) =>
        /DeadLetters/.test(id),
      ),
    );
    expect(deadLetterQueues).toHaveLength(3);
    const watched = alarmsOn('ApproximateNumberOfMessagesVisible', 'AWS/SQS');
    for (const id of deadLetterQueues) {
      expect(
        watched.some((a) => JSON.stringify(a.Properties.Dimensions).includes(`"${id}"`)),
        id,
      ).toBe(true);
    }
    for (const alarm of watched) {
      expect(alarm.Properties.Threshold).toBe(0);
      expect(alarm.Properties.ComparisonOperator).toBe('GreaterThanThreshold');
    }
  });

  it('alarms on failed Athena queries of the etl workgroup', () => {
    const failed = alarmsOn('TotalExecutionTime', 'AWS/Athena').map((a) => a.Properties);
    for (const workgroup of ['kura-dev-etl']) {
      expect(failed).toContainEqual(
        expect.objectContaining({
          Statistic: 'SampleCount',
          Dimensions: expect.arrayContaining([
            { Name: 'QueryState', Value: 'FAILED' },
            { Name: 'WorkGroup', Value: workgroup },
          ]),
        }),
      );
    }
  });

  it('alarms on stuck uploads, overdue and failed purges and failed releases, as the functions publish them', () => {
    for (const metric of ['UploadsStuck', 'PurgeOverdue', 'PurgeFailed', 'StatsReleaseFailed'] as const) {
      const [alarm] = alarmsOn(metric, 'Kura');
      expect(alarm?.Properties.Dimensions, metric).toEqual([
        { Name: 'service', Value: KURA_METRICS[metric].service },
      ]);
      expect(alarm?.Properties.Threshold).toBe(0);
    }
  });

  it('looks for stuck uploads every 5 minutes and alarms on the next period, not the next day', () => {
    const [alarm] = alarmsOn('UploadsStuck', 'Kura');
    expect(alarm?.Properties.Period).toBe(300);
    expect(alarm?.Properties.EvaluationPeriods).toBe(1);
  });

  it('alarms on every catalogue metric marked alarm-worthy, quarantined ingest objects included', () => {
    const alarmWorthy = (Object.keys(KURA_METRICS) as Array<keyof typeof KURA_METRICS>).filter((metric) =>
      KURA_METRICS[metric].doc.includes('Alarm:'),
    );
    expect(alarmWorthy).toContain('IngestQuarantine');
    for (const metric of alarmWorthy) {
      const [alarm] = alarmsOn(metric, 'Kura');
      expect(alarm?.Properties.Dimensions, metric).toEqual([
        { Name: 'service', Value: KURA_METRICS[metric].service },
      ]);
      expect(alarm?.Properties.Threshold, metric).toBe(0);
      expect(alarm?.Properties.ComparisonOperator, metric).toBe('GreaterThanThreshold');
      expect(alarm?.Properties.AlarmActions, metric).toEqual([topicArn]);
    }
  });
});

describe('monitoring: dashboards', () => {
  it('has one dashboard per pipeline', () => {
    const names = allStacks(dev.stacks).flatMap((stack) =>
      (Object.values(Template.fromStack(stack).findResources('AWS::CloudWatch::Dashboard')) as CfnJson[]).map(
        (d) => d.Properties.DashboardName,
      ),
    );
    expect(names.sort()).toEqual(
      ['uploads', 'ingest', 'masking', 'statistics', 'purge'].map((p) => `kura-dev-${p}`).sort(),
    );
  });
});

describe('monitoring: Powertools on every function', () => {
  it('gives every Kura function its service name, the Kura metrics namespace, a log level and active tracing', () => {
    const functions = allStacks(dev.stacks).flatMap(
      (stack) => Object.values(Template.fromStack(stack).findResources('AWS::Lambda::Function')) as CfnJson[],
    );
    const kura = functions.filter((fn) => fn.Properties.Environment?.Variables?.KURA_STAGE === 'dev');
    expect(kura.length).toBeGreaterThanOrEqual(6);
    for (const fn of kura) {
      const env = fn.Properties.Environment.Variables;
      expect(env.POWERTOOLS_SERVICE_NAME).toMatch(/^kura-/);
      expect(env.POWERTOOLS_METRICS_NAMESPACE).toBe('Kura');
      expect(['DEBUG', 'INFO']).toContain(env.POWERTOOLS_LOG_LEVEL);
      expect(fn.Properties.TracingConfig).toEqual({ Mode: 'Active' });
    }
  });
});
