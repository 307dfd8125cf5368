import { Duration, type RemovalPolicy, Stack, TimeZone, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as targets from 'aws-cdk-lib/aws-scheduler-targets';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { KuraFunction } from './kura-function.ts';

/** Kura's jobs run on Japanese time: a "daily 03:00" job runs at 03:00 JST. */
export const JOB_TIME_ZONE = 'Asia/Tokyo';
/** Scheduler retries a failed invocation this many times before the event goes to the dead-letter queue. */
export const JOB_RETRY_ATTEMPTS = 3;
/** An event older than this is not retried any more (it goes to the dead-letter queue). */
export const JOB_MAX_EVENT_AGE = Duration.hours(2);

/** Properties of {@link JobDeadLetters}. */
export interface JobDeadLettersProps {
  readonly stage: string;
  readonly removalPolicy: RemovalPolicy;
}

/** One encrypted dead-letter queue for every schedule of a stack: a job event nobody ran lands here. */
export class JobDeadLetters extends Construct {
  readonly queue: sqs.Queue;
  /** The queue's key: whoever sends to the queue (the scheduler's role) must use it. */
  readonly key: kms.Key;

  constructor(scope: Construct, id: string, props: JobDeadLettersProps) {
    super(scope, id);
    const key = new kms.Key(this, 'Key', {
      description: `Kura ${props.stage}: dead letters of scheduled jobs`,
      enableKeyRotation: true,
      pendingWindow: Duration.days(7),
      removalPolicy: props.removalPolicy,
    });
    this.key = key;
    this.queue = new sqs.Queue(this, 'Queue', {
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: key,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
      removalPolicy: props.removalPolicy,
    });
    Validations.of(this.queue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        'This queue is the dead-letter queue of the scheduled jobs; a dead-letter queue of its own would only move the same events one hop further.',
    });
  }
}

/** When a job runs, on Japanese time (fields as in cron; omitted fields are `*`, day-of-week `?`). */
export interface JobTime {
  readonly minute: string;
  readonly hour: string;
  /** @default every day */
  readonly day?: string;
}

/**
 * In a schedule's input, the time the schedule fired (EventBridge Scheduler puts it in, the same in every
 * retry of one firing): a job function takes its job id from it (functions/domain/jobs/jobs.ts jobIdOf).
 */
export const SCHEDULED_TIME = scheduler.ContextAttribute.scheduledTime;

/** Properties of {@link JobSchedule}. */
export interface JobScheduleProps {
  readonly fn: KuraFunction;
  readonly at: JobTime;
  readonly description: string;
  readonly deadLetters: JobDeadLetters;
  /**
   * Event the function receives.
   * @default {}
   */
  readonly input?: Record<string, unknown>;
}

/**
 * An EventBridge Scheduler schedule that invokes a function on Japanese time, with retries and the
 * stack's dead-letter queue.
 */
export class JobSchedule extends Construct {
  readonly schedule: scheduler.Schedule;

  constructor(scope: Construct, id: string, props: JobScheduleProps) {
    super(scope, id);
    this.schedule = new scheduler.Schedule(this, 'Schedule', {
      description: props.description,
      schedule: scheduler.ScheduleExpression.cron({
        minute: props.at.minute,
        hour: props.at.hour,
        ...(props.at.day !== undefined ? { day: props.at.day } : {}),
        timeZone: TimeZone.ASIA_TOKYO,
      }),
      target: new targets.LambdaInvoke(props.fn, {
        input: scheduler.ScheduleTargetInput.fromObject(props.input ?? {}),
        retryAttempts: JOB_RETRY_ATTEMPTS,
        maxEventAge: JOB_MAX_EVENT_AGE,
        deadLetterQueue: props.deadLetters.queue,
      }),
    });
    // CDK's scheduler role (one per stack) may invoke the function and its versions (`<arn>:*`).
    const stack = Stack.of(this);
    const functionId = stack.getLogicalId(props.fn.node.defaultChild as lambda.CfnFunction);
    for (const role of stack.node.children.filter((child) =>
      child.node.id.startsWith('SchedulerRoleForTarget'),
    )) {
      // A failed invocation's event goes to the dead-letter queue, which SQS encrypts with the queue's
      // key as the sender: the role needs that key, or the event is lost.
      if (role instanceof iam.Role) props.deadLetters.key.grant(role, 'kms:GenerateDataKey', 'kms:Decrypt');
      Validations.of(role).acknowledge({
        id: `AwsSolutions-IAM5[Resource::<${functionId}.Arn>:*]`,
        reason:
          'EventBridge Scheduler target role made by CDK: it may invoke this one function and its versions or aliases, nothing else.',
      });
    }
  }
}
