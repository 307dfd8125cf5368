import * as z from '../zod.ts';

/**
 * S3 event notifications as they arrive in an SQS message body (S3 → SQS). Only the fields ingestion
 * needs are read; everything else is tolerated so s3rver's events and AWS's parse alike.
 */
const s3RecordSchema = z.object({
  eventName: z.string(),
  /** When S3 stored the object (ISO 8601); absent in hand-made events. */
  eventTime: z.optional(z.string()),
  s3: z.object({
    bucket: z.object({ name: z.string() }),
    object: z.object({
      key: z.string(),
      size: z.optional(z.int().check(z.nonnegative())),
      versionId: z.optional(z.string()),
      sequencer: z.optional(z.string()),
    }),
  }),
});

const notificationSchema = z.union([
  z.object({ Records: z.array(s3RecordSchema) }),
  /** Sent once by S3 when a notification configuration is created. */
  z.object({ Event: z.literal('s3:TestEvent') }),
]);

/** One object that S3 says was created. */
export const landedObjectSchema = z.object({
  bucket: z.string().check(z.minLength(1)),
  key: z.string().check(z.minLength(1)),
  size: z.int().check(z.nonnegative()),
  versionId: z.optional(z.string()),
  sequencer: z.optional(z.string()),
  /** When S3 stored the object (the notification's eventTime): the day a company's file arrived on. */
  landedAt: z.optional(z.string()),
});
export type LandedObject = z.infer<typeof landedObjectSchema>;

/** Raised when an SQS message body is not an S3 event notification. */
export class NotificationFormatError extends Error {
  override readonly name = 'NotificationFormatError';
}

/** S3 URL-encodes keys in notifications, with `+` for spaces. */
export function decodeNotificationKey(key: string): string {
  return decodeURIComponent(key.replace(/\+/g, ' '));
}

/**
 * The created objects an S3 notification (SQS message body) reports. A test event reports none;
 * removal and other events are ignored.
 */
export function parseS3Notification(body: string): LandedObject[] {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    throw new NotificationFormatError('SQS message body is not JSON; expected an S3 event notification');
  }
  const parsed = notificationSchema.safeParse(json);
  if (!parsed.success) {
    throw new NotificationFormatError(
      `SQS message body is not an S3 event notification: ${parsed.error.message}`,
    );
  }
  if (!('Records' in parsed.data)) return [];
  return parsed.data.Records.filter((r) => r.eventName.startsWith('ObjectCreated')).map((r) => ({
    bucket: r.s3.bucket.name,
    key: decodeNotificationKey(r.s3.object.key),
    size: r.s3.object.size ?? 0,
    ...(r.s3.object.versionId ? { versionId: r.s3.object.versionId } : {}),
    ...(r.s3.object.sequencer ? { sequencer: r.s3.object.sequencer } : {}),
    ...(r.eventTime && !Number.isNaN(Date.parse(r.eventTime)) ? { landedAt: r.eventTime } : {}),
  }));
}
