import { randomUUID } from 'node:crypto';
import type { SQSEvent } from 'aws-lambda';
import type { Runtime } from '../functions/adapters/runtime.ts';
import { INGEST_MAX_RECEIVE_COUNT } from '../functions/domain/ingest/batch.ts';
import { createIngestHandler } from '../functions/ingest/handler.ts';
import { composeIngest } from '../functions/ingest/runtime.ts';
import { type DeadLetter, DurableQueue } from './durable-queue.ts';
import type { S3NotificationEvent } from './servers.ts';

/**
 * Object-created events from local S3 take the deployed path: S3 notification JSON as the body of an
 * SQS record in an SQSEvent, handed to the ingest function (which claims the upload and ingests it).
 * Between the two sits a queue on disk (durable-queue.ts) with the deployed queue's rules: a failed
 * message (thrown, or named in the handler's `batchItemFailures`) is delivered again after a backoff, and
 * after INGEST_MAX_RECEIVE_COUNT receipts goes to the dead-letter list; a message survives a crash.
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

const LOCAL_QUEUE_ARN = 'arn:aws:sqs:ap-northeast-1:000000000000:kura-local-landing-events';

/** The SQS message body S3 sends for these records (keys URL-encoded as S3 does). */
export function notificationBody(notification: S3NotificationEvent): string {
  const records = notification.Records.map((record) => ({
    ...record,
    s3: { ...record.s3, object: { ...record.s3.object, key: encodeNotificationKey(record.s3.object.key) } },
  }));
  return JSON.stringify({ Records: records });
}

/** An SQS event carrying one message, as SQS → Lambda delivers it. */
export function sqsEventOf(
  message: {
    readonly id: string;
    readonly body: string;
    readonly attempts: number;
    readonly sentAt?: string;
  },
  queueArn: string = LOCAL_QUEUE_ARN,
): SQSEvent {
  const now = String(Date.now());
  const sent = message.sentAt ? String(Date.parse(message.sentAt)) : now;
  return {
    Records: [
      {
        messageId: message.id,
        receiptHandle: randomUUID(),
        body: message.body,
        attributes: {
          ApproximateReceiveCount: String(message.attempts),
          SentTimestamp: sent,
          SenderId: 'AIDAS3NOTIFICATIONS',
          ApproximateFirstReceiveTimestamp: sent,
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

/** An SQS event carrying one S3 notification, as S3 → SQS → Lambda delivers it. */
export function sqsEventFor(notification: S3NotificationEvent, queueArn: string): SQSEvent {
  return sqsEventOf({ id: randomUUID(), body: notificationBody(notification), attempts: 1 }, queueArn);
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

/** The failed messages a handler reports (SQS partial batch response). */
const failedIds = (response: unknown): string[] => {
  const failures = (response as { batchItemFailures?: unknown } | undefined)?.batchItemFailures;
  return Array.isArray(failures)
    ? failures.map((failure) => String((failure as { itemIdentifier?: unknown }).itemIdentifier))
    : [];
};

export interface Dispatcher {
  /** Takes one s3rver event (called synchronously from s3rver's `event` emitter). */
  accept(notification: S3NotificationEvent): void;
  /** Queues an S3 notification; resolves once it is on disk. */
  send(notification: S3NotificationEvent): Promise<void>;
  /** Starts delivering (messages left by an earlier run first). */
  start(): void;
  /** The notification bodies waiting (for the startup reconciliation). */
  pendingBodies(): Promise<string[]>;
  deadLetters(): Promise<DeadLetter[]>;
  /** Resolves when every accepted event has been handled (or dead-lettered). */
  settled(): Promise<void>;
  /** Finishes the message being handled; the rest stay queued for the next start. */
  stop(): Promise<void>;
}

/** Where the local ingest queue keeps its messages: `<dataDir>/queue/ingest`. */
export const INGEST_QUEUE_DIR = ['queue', 'ingest'] as const;

/**
 * Queues object-created events from the landing bucket on disk and hands them to the consumer one at a
 * time, as the deployed queue and event source mapping do (batch size 1, partial batch responses).
 */
export async function createDispatcher(options: {
  readonly landingBucket: string;
  readonly dir: string;
  readonly consume: ObjectCreatedConsumer;
  readonly onError: (error: unknown) => void;
  readonly backoffMs?: (attempts: number) => number;
}): Promise<Dispatcher> {
  const queue = await DurableQueue.open({
    dir: options.dir,
    maxReceiveCount: INGEST_MAX_RECEIVE_COUNT,
    ...(options.backoffMs ? { backoffMs: options.backoffMs } : {}),
    consume: async (message) => {
      const response = await options.consume(sqsEventOf(message));
      return failedIds(response).includes(message.id) ? 'retry' : 'done';
    },
    onError: (error) => options.onError(error),
    onDeadLetter: (letter) =>
      options.onError(
        new Error(
          `An object-created event failed ${letter.attempts} times and was moved to the dead-letter list (kura status --stuck): ${letter.lastError ?? 'unknown'}`,
        ),
      ),
  });
  const send = async (notification: S3NotificationEvent) => {
    const created = notification.Records.filter(
      (record) =>
        record.eventName.startsWith('ObjectCreated') && record.s3.bucket.name === options.landingBucket,
    );
    if (created.length === 0) return;
    await queue.send(notificationBody({ Records: created }));
  };
  return {
    accept(notification) {
      send(notification).catch(options.onError);
    },
    send,
    start: () => queue.start(),
    pendingBodies: () => queue.pendingBodies(),
    deadLetters: () => queue.deadLetters(),
    settled: () => queue.settled(),
    stop: () => queue.stop(),
  };
}
