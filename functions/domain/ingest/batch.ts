import type { PlatformSettings } from '../settings.ts';
import * as z from '../zod.ts';
import { IngestBusyError } from './errors.ts';
import { ingestObject } from './ingest.ts';
import { NotificationFormatError, parseS3Notification } from './notification.ts';
import { type IngestPorts, silentLogger } from './ports.ts';

/**
 * Receipts of one notification before it goes to the dead-letter list: the deployed queue's
 * maxReceiveCount (infra/stacks/pipeline-stack.ts) and the local queue's (local/dispatch.ts).
 */
export const INGEST_MAX_RECEIVE_COUNT = 4;

/** The part of an SQS record ingestion reads. */
export const sqsMessageSchema = z.object({ messageId: z.string(), body: z.string() });
export const sqsBatchSchema = z.object({ Records: z.array(sqsMessageSchema) });
export type SqsBatch = z.infer<typeof sqsBatchSchema>;

/** SQS partial batch response: the messages to deliver again. */
export interface BatchResponse {
  batchItemFailures: { itemIdentifier: string }[];
}

/**
 * Ingests every object an SQS batch of S3 notifications reports. A message whose processing failed is
 * reported for redelivery (and reaches the dead-letter queue after the queue's retries); a message that
 * is not an S3 notification at all is logged and dropped, since redelivery cannot fix it.
 */
export async function ingestNotificationBatch(
  ports: IngestPorts,
  settings: PlatformSettings,
  batch: SqsBatch,
): Promise<BatchResponse> {
  const log = ports.logger ?? silentLogger;
  const batchItemFailures: { itemIdentifier: string }[] = [];
  for (const message of batch.Records) {
    try {
      for (const object of parseS3Notification(message.body)) {
        const result = await ingestObject(ports, settings, object);
        log.info('Ingest result', { messageId: message.messageId, key: object.key, result });
      }
    } catch (error) {
      if (error instanceof NotificationFormatError) {
        log.error('Dropping a message that is not an S3 notification', {
          messageId: message.messageId,
          error: error.message,
        });
        continue;
      }
      const level = error instanceof IngestBusyError ? 'warn' : 'error';
      log[level]('Ingest failed; the message will be delivered again', {
        messageId: message.messageId,
        error: error instanceof Error ? { name: error.name, message: error.message } : String(error),
      });
      batchItemFailures.push({ itemIdentifier: message.messageId });
    }
  }
  return { batchItemFailures };
}
