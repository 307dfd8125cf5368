import { beforeAll, describe, expect, inject, it } from 'vitest';
import { type Json, ResolvedDeployment, readAssembly } from './harness/assembly.ts';
import { type Decision, TwinIam } from './harness/iam.ts';

/**
 * The hops AWS services make on Kura's behalf, each evaluated against the synthesized policies the
 * service would meet: CloudWatch alarms publishing to the alarm topic (topic policy, topic key),
 * EventBridge Scheduler invoking a job and writing to its dead-letter queue (role, queue key), S3
 * notifying the ingest queue (queue policy, queue key), Lambda polling that queue, API Gateway invoking
 * the API function.
 */
describe.each(['dev', 'prod'] as const)('service principals of the %s stage', (stage) => {
  let deployment: ResolvedDeployment;
  let iam: TwinIam;
  let account: string;

  beforeAll(() => {
    deployment = new ResolvedDeployment(readAssembly(inject('twinAssemblies')[stage], stage));
    iam = new TwinIam(deployment);
    account = deployment.assembly.config.account;
  });

  const refused = (decisions: Decision[]) =>
    decisions
      .filter((d) => !d.allowed)
      .map(
        (d) =>
          `${d.request.principal.split('/').at(-1)} ${d.request.action} ${d.request.resource} (${d.result})`,
      );

  /** The KMS key of an SNS topic or SQS queue, by its ARN. */
  const keyOf = (type: 'AWS::SNS::Topic' | 'AWS::SQS::Queue', arn: string): string | undefined => {
    const resource = deployment
      .ofType(type)
      .find((r) => (type === 'AWS::SNS::Topic' ? deployment.ref(r) : deployment.arn(r)) === arn);
    return resource ? deployment.resolve(resource.stack, resource.properties.KmsMasterKeyId) : undefined;
  };

  it('lets every alarm publish to its topic, through the topic policy and the topic key', async () => {
    // Prepare
    const alarms = deployment.ofType('AWS::CloudWatch::Alarm');
    const decisions: Decision[] = [];

    // Act
    for (const alarm of alarms) {
      const context = { 'aws:SourceArn': deployment.arn(alarm), 'aws:SourceAccount': account };
      for (const topic of deployment.resolve(alarm.stack, alarm.properties.AlarmActions ?? []) as string[]) {
        decisions.push(
          await iam.authorize({
            principal: 'cloudwatch.amazonaws.com',
            action: 'sns:Publish',
            resource: topic,
            context,
          }),
        );
        const key = keyOf('AWS::SNS::Topic', topic);
        for (const action of ['kms:GenerateDataKey', 'kms:Decrypt']) {
          if (key)
            decisions.push(
              await iam.authorize({ principal: 'cloudwatch.amazonaws.com', action, resource: key, context }),
            );
        }
      }
    }

    // Assess
    expect(alarms.length).toBeGreaterThan(10);
    expect(decisions.length).toBeGreaterThanOrEqual(alarms.length * 3);
    expect(refused(decisions)).toEqual([]);
  });

  it('lets every schedule invoke its job and write to its dead-letter queue through the queue key', async () => {
    // Prepare
    const schedules = deployment
      .ofType('AWS::Scheduler::Schedule')
      .map((s) => deployment.resolve(s.stack, s.properties));
    const decisions: Decision[] = [];

    // Act
    for (const { Target: target } of schedules) {
      decisions.push(
        await iam.authorize({
          principal: target.RoleArn,
          action: 'lambda:InvokeFunction',
          resource: target.Arn,
        }),
      );
      const dlq = target.DeadLetterConfig?.Arn as string | undefined;
      if (!dlq) continue;
      decisions.push(
        await iam.authorize({ principal: target.RoleArn, action: 'sqs:SendMessage', resource: dlq }),
      );
      const key = keyOf('AWS::SQS::Queue', dlq);
      const region = dlq.split(':')[3];
      for (const action of ['kms:GenerateDataKey', 'kms:Decrypt']) {
        if (key) {
          decisions.push(
            await iam.authorize({
              principal: target.RoleArn,
              action,
              resource: key,
              context: { 'kms:ViaService': `sqs.${region}.amazonaws.com` },
            }),
          );
        }
      }
    }

    // Assess
    // Monthly release, daily purge, daily ledger export, support sweep, upload watch.
    expect(schedules.length).toBe(5);
    expect(schedules.every((s) => s.Target.DeadLetterConfig?.Arn)).toBe(true);
    expect(refused(decisions)).toEqual([]);
  });

  it('lets S3 notify the ingest queue and Lambda poll it, through the queue policy and key', async () => {
    // Prepare
    const decisions: Decision[] = [];
    const notifications = deployment
      .ofType('Custom::S3BucketNotifications')
      .map((n) => deployment.resolve(n.stack, n.properties));
    const mappings = deployment
      .ofType('AWS::Lambda::EventSourceMapping')
      .map((m) => deployment.resolve(m.stack, m.properties));

    // Act
    for (const notification of notifications) {
      for (const queue of notification.NotificationConfiguration.QueueConfigurations as Json[]) {
        const context = {
          'aws:SourceArn': `arn:aws:s3:::${notification.BucketName}`,
          'aws:SourceAccount': account,
        };
        decisions.push(
          await iam.authorize({
            principal: 's3.amazonaws.com',
            action: 'sqs:SendMessage',
            resource: queue.QueueArn,
            context,
          }),
        );
        const key = keyOf('AWS::SQS::Queue', queue.QueueArn);
        if (key)
          decisions.push(
            await iam.authorize({
              principal: 's3.amazonaws.com',
              action: 'kms:GenerateDataKey',
              resource: key,
              context,
            }),
          );
      }
    }
    for (const mapping of mappings) {
      const fn = deployment
        .ofType('AWS::Lambda::Function')
        .find((f) => deployment.ref(f) === mapping.FunctionName);
      if (!fn) throw new Error(`No function ${mapping.FunctionName} for the event source mapping`);
      const role = deployment.resolve(fn.stack, fn.properties.Role);
      for (const action of ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes']) {
        decisions.push(await iam.authorize({ principal: role, action, resource: mapping.EventSourceArn }));
      }
      const key = keyOf('AWS::SQS::Queue', mapping.EventSourceArn);
      const region = String(mapping.EventSourceArn).split(':')[3];
      if (key) {
        decisions.push(
          await iam.authorize({
            principal: role,
            action: 'kms:Decrypt',
            resource: key,
            context: { 'kms:ViaService': `sqs.${region}.amazonaws.com` },
          }),
        );
      }
    }

    // Assess
    expect(notifications).toHaveLength(1);
    expect(mappings).toHaveLength(1);
    expect(refused(decisions)).toEqual([]);
  });
});
