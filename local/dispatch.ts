import { randomUUID } from 'node:crypto';
import type { SQSEvent } from 'aws-lambda';
import type { Runtime } from '../functions/adapters/runtime.ts';
import { createIngestHandler } from '../functions/ingest/handler.ts';
import { composeIngest } from '../functions/ingest/runtime.ts';
import type { S3NotificationEvent } from './servers.ts';

/**
 * Object-created events from local S3 take the deployed path: S3 notification JSON as the body of an
 * SQS record in an SQSEvent, handed to the ingest function (which marks the upload RECEIVED and
 * ingests it). Events run one at a time, as a queue would deliver them.
 */
export type ObjectCreatedConsumer = (event: SQSEvent) => Promise<unknown>;

/** The ingest function over the local ports, composed exactly as deployed (functions/ingest/runtime.ts). */
export const localIngest = (ports: Runtime): ObjectCreatedConsumer => {
  const ingest = createIngestHandler(async () => composeIngest(ports));
  return (event) => ingest(event, lambdaContext('kura-ingest-local'));
};

/** S3 URL-encodes keys in notifications (spaces as `+`); s3rver does not, so the wrapper does. */
export const encodeNotificationKey = (key: string) =>
  key
    .split('/')
    .map((segment) => encodeURIComponent(segment).replace(/%20/g, '+'))
    .join('/');

/** An SQS event carrying one S3 notification, as S3 → SQS → Lambda delivers it. */
export function sqsEventFor(notification: S3NotificationEvent, queueArn: string): SQSEvent {
  const records = notification.Records.map((record) => ({
    ...record,
    s3: { ...record.s3, object: { ...record.s3.object, key: encodeNotificationKey(record.s3.object.key) } },
  }));
  const body = JSON.stringify({ Records: records });
  const now = String(Date.now());
  return {
    Records: [
      {
        messageId: randomUUID(),
        receiptHandle: randomUUID(),
        body,
        attributes: {
          ApproximateReceiveCount: '1',
          SentTimestamp: now,
          SenderId: 'AIDAS3NOTIFICATIONS',
          ApproximateFirstReceiveTimestamp: now,
        },
        messageAttributes: {},
        md5OfBody: '',
        eventSource: 'aws:sqs',
        eventSourceARN: queueArn,
        awsRegion: 'ap-northeast-1',
      },
    ],
  };
}

/** A Lambda context for functions invoked in-process. */
export function lambdaContext(functionName: string) {
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:ap-northeast-1:000000000000:function:${functionName}`,
    memoryLimitInMB: '1024',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => 900_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

export interface Dispatcher {
  /** Takes one s3rver event (called synchronously from s3rver's `event` emitter). */
  accept(notification: S3NotificationEvent): void;
  /** Resolves when every accepted event has been handled. */
  settled(): Promise<void>;
}

/**
 * Queues object-created events from the landing bucket for the consumer, one at a time. Failures are
 * reported and do not stop the queue (SQS would redeliver; locally, upload again).
 */
export function createDispatcher(options: {
  readonly landingBucket: string;
  readonly consume: ObjectCreatedConsumer;
  readonly onError: (error: unknown) => void;
}): Dispatcher {
  let tail: Promise<void> = Promise.resolve();
  const queueArn = 'arn:aws:sqs:ap-northeast-1:000000000000:kura-local-landing-events';
  return {
    accept(notification) {
      const created = notification.Records.filter(
        (record) =>
          record.eventName.startsWith('ObjectCreated') && record.s3.bucket.name === options.landingBucket,
      );
      if (created.length === 0) return;
      const event = sqsEventFor({ Records: created }, queueArn);
      tail = tail.then(() => options.consume(event).then(() => undefined, options.onError));
    },
    settled: () => tail,
  };
}
