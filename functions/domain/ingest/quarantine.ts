/**
 * Quarantine: a landed object that does not match its upload record is deleted unread; only a
 * fingerprint (hash, size, what differed) is kept, and the record says why.
 */
import { createHash } from 'node:crypto';
import type { ObjectHead } from '../ports/index.ts';
import type { PlatformSettings } from '../settings.ts';
import type { UploadRecord } from '../uploads/model.ts';
import * as z from '../zod.ts';
import { quarantineKey } from '../zones.ts';
import type { RejectionReason } from './errors.ts';
import type { IngestResult } from './ingest-result.ts';
import type { LandingAddress } from './landing.ts';
import type { LandedObject } from './notification.ts';
import type { IngestLogger, IngestPorts } from './ports.ts';
import { LANDING, objectIdentity, TERMINAL, transitionRecord } from './upload-steps.ts';

/** What quarantine keeps of an object: its fingerprint and why, never its bytes. */
export const quarantineRecordSchema = z.strictObject({
  type: z.literal('kura.quarantine'),
  tenantId: z.string(),
  uploadId: z.string(),
  sizeBytes: z.int().check(z.nonnegative()),
  /** Base64 SHA-256 of the bytes as they landed; absent when the object was too large to read. */
  sha256: z.optional(z.string()),
  contentType: z.optional(z.string()),
  /** What the upload request declared, when there was one. */
  declared: z.optional(
    z.strictObject({ sizeBytes: z.number(), sha256: z.string(), contentType: z.string() }),
  ),
  reason: z.strictObject({ code: z.string(), ja: z.string(), en: z.string() }),
  quarantinedAt: z.string(),
  /** When the landing bucket's lifecycle removes this record (deployed; settings.retention.landingDays). */
  expiresAt: z.string(),
});
export type QuarantineRecord = z.infer<typeof quarantineRecordSchema>;

/** SHA-256 (base64) of an object, read as a stream; undefined above `maxBytes` (not worth reading). */
export async function objectSha256(
  ports: IngestPorts,
  head: ObjectHead,
  maxBytes: number,
): Promise<string | undefined> {
  if (head.size > maxBytes) return head.checksumSha256;
  const hash = createHash('sha256');
  for await (const chunk of await ports.objects.getStream(LANDING, head.key))
    hash.update(chunk as Uint8Array);
  return hash.digest('base64');
}

/**
 * Quarantines an object that does not match its request: records its size, SHA-256 and the reason
 * under quarantine/ (never the bytes, which may hold a My Number or a name), deletes the object,
 * marks the upload REJECTED (when it has a record) and raises an alarm.
 */
export async function quarantine(
  ports: IngestPorts,
  settings: PlatformSettings,
  log: IngestLogger,
  object: LandedObject,
  head: ObjectHead,
  address: LandingAddress | undefined,
  record: UploadRecord | undefined,
  reason: RejectionReason,
): Promise<IngestResult> {
  const tenantId = address?.tenantId ?? '_unknown';
  // A key outside the landing layout has no upload id: its own digest keeps records apart.
  const uploadId = address?.uploadId ?? createHash('sha256').update(object.key).digest('hex').slice(0, 32);
  const target = quarantineKey(tenantId, uploadId);
  const now = (ports.now ?? (() => new Date()))();
  const sha256 = await objectSha256(ports, head, settings.limits.maxFileBytes);
  const fingerprint: QuarantineRecord = quarantineRecordSchema.parse({
    type: 'kura.quarantine',
    tenantId,
    uploadId,
    sizeBytes: head.size,
    ...(sha256 ? { sha256 } : {}),
    ...(head.contentType ? { contentType: head.contentType } : {}),
    ...(record
      ? { declared: { sizeBytes: record.sizeBytes, sha256: record.sha256, contentType: record.contentType } }
      : {}),
    reason: { code: reason.code, ja: reason.ja, en: reason.en },
    quarantinedAt: now.toISOString(),
    expiresAt: new Date(now.getTime() + settings.retention.landingDays * 86_400_000).toISOString(),
  });
  await ports.objects.put(LANDING, target, JSON.stringify(fingerprint), { contentType: 'application/json' });
  if (record && !TERMINAL.includes(record.status) && record.status !== 'WITHDRAWN') {
    await transitionRecord(ports, record, {
      status: 'REJECTED',
      reason,
      processedObject: objectIdentity(object),
    });
  }
  await ports.objects.deleteMany(LANDING, [
    { key: object.key, ...(object.versionId ? { versionId: object.versionId } : {}) },
  ]);
  log.error('Upload quarantined', {
    alarm: 'IngestQuarantine',
    code: reason.code,
    reason: reason.en,
    quarantineKey: target,
    tenantId: address?.tenantId,
    uploadId: address?.uploadId,
  });
  return { kind: 'quarantined', reason };
}
