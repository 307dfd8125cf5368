import { CfnOutput, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { StageConfig } from '../config.ts';
import { AlarmTopic } from '../constructs/monitoring.ts';

/** Properties of {@link MonitoringStack}. */
export interface MonitoringStackProps extends StackProps {
  readonly config: StageConfig;
}

/**
 * The stage's alarm topic (SNS, KMS-encrypted, TLS only). Deployed first; the other stacks' alarms
 * notify it by its fixed name (`alarmTopicName`), and their dashboards live with their pipelines.
 */
export class MonitoringStack extends Stack {
  readonly alarms: AlarmTopic;

  constructor(scope: Construct, id: string, props: MonitoringStackProps) {
    super(scope, id, props);
    const { config } = props;
    this.alarms = new AlarmTopic(this, 'Alarms', {
      stage: config.stage,
      removalPolicy: config.removal === 'retain' ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });
    new CfnOutput(this, 'AlarmTopicArn', {
      value: this.alarms.topic.topicArn,
      description: 'Subscribe operators to this topic to receive Kura alarms',
    });
  }
}
