import { createHash } from 'node:crypto';
import { ConditionFailedError, type ObjectHead } from '../../adapters/ports.ts';
import type { PlatformSettings } from '../settings.ts';
import { type UploadRecord, type UploadStatus, uploadRecordSchema } from '../uploads/model.ts';
import { quarantineKey } from '../zones.ts';
import { IngestBusyError, type RejectionReason, UploadMismatchError } from './errors.ts';
import { type LandingAddress, parseLandingKey } from './landing.ts';
import type { LandedObject } from './notification.ts';
import { type IngestLogger, type IngestPorts, silentLogger } from './ports.ts';

const LANDING = 'landing';
const UPLOADS = 'uploads';
const TERMINAL: readonly UploadStatus[] = ['ACCEPTED', 'PARTIALLY_ACCEPTED', 'REJECTED'];

/** What one delivery of an S3 notification led to. */
export type IngestResult =
  | { readonly kind: 'ignored'; readonly why: string }
  | { readonly kind: 'duplicate'; readonly status: UploadStatus }
  | { readonly kind: 'quarantined'; readonly reason: RejectionReason }
  | { readonly kind: 'processed'; readonly status: UploadStatus };

/** Identity of one S3 object version, for idempotency: bucket + key + version id (or sequencer). */
export function objectIdentity(object: LandedObject): string {
  const version = object.versionId
    ? `v:${object.versionId}`
    : object.sequencer
      ? `s:${object.sequencer}`
      : '-';
  return `s3://${object.bucket}/${object.key}#${version}`;
}

const mismatch = (code: string, ja: string, en: string) => new UploadMismatchError({ code, ja, en });

/** Media type without parameters, lower-cased: `text/csv; charset=Shift_JIS` → `text/csv`. */
const mediaType = (contentType: string) => contentType.split(';')[0]?.trim().toLowerCase() ?? '';

/** Checks the object's head against its upload record; throws UploadMismatchError on any difference. */
export function verifyAgainstRecord(address: LandingAddress, head: ObjectHead, record: UploadRecord): void {
  if (record.dataset !== address.dataset) {
    throw mismatch(
      'DATASET_MISMATCH',
      `アップロードはデータセット「${record.dataset}」として申請されましたが、「${address.dataset}」に届きました。`,
      `The upload was requested for dataset "${record.dataset}" but arrived as "${address.dataset}".`,
    );
  }
  if (record.key !== head.key) {
    throw mismatch(
      'KEY_MISMATCH',
      'アップロード先が申請と一致しません。もう一度アップロードしてください。',
      'The object was stored under a different key than the one requested. Please upload again.',
    );
  }
  if (record.sizeBytes !== head.size) {
    throw mismatch(
      'SIZE_MISMATCH',
      `ファイルサイズ（${head.size} バイト）が申請（${record.sizeBytes} バイト）と一致しません。もう一度アップロードしてください。`,
      `The file has ${head.size} bytes but ${record.sizeBytes} were declared. Please upload again.`,
    );
  }
  if (head.contentType && mediaType(head.contentType) !== mediaType(record.contentType)) {
    throw mismatch(
      'CONTENT_TYPE_MISMATCH',
      `ファイル形式（${head.contentType}）が申請（${record.contentType}）と一致しません。`,
      `The content type ${head.contentType} differs from the declared ${record.contentType}.`,
    );
  }
  if (head.checksumSha256 && head.checksumSha256 !== record.sha256) {
    throw checksumMismatch();
  }
}

export const checksumMismatch = () =>
  mismatch(
    'CHECKSUM_MISMATCH',
    'ファイルのチェックサム（SHA-256）が申請と一致しません。ファイルが途中で変わった可能性があります。もう一度アップロードしてください。',
    'The file’s SHA-256 checksum differs from the one declared; it may have changed in transit. Please upload again.',
  );

/** Reads and validates the upload record; undefined when there is none. */
async function readRecord(ports: IngestPorts, tenantId: string, uploadId: string) {
  const item = await ports.table.get(UPLOADS, { tenantId, uploadId });
  return item ? uploadRecordSchema.parse(item) : undefined;
}

/**
 * Writes the next version of an upload record, only if nobody changed it since `previous` was read
 * (status and updatedAt act as the version). Returns the record written.
 */
export async function transitionRecord(
  ports: IngestPorts,
  previous: UploadRecord,
  patch: Partial<UploadRecord>,
): Promise<UploadRecord> {
  const now = (ports.now ?? (() => new Date()))();
  let updatedAt = now.toISOString();
  // Two writes within one millisecond would otherwise carry the same version.
  if (updatedAt <= previous.updatedAt) updatedAt = new Date(Date.parse(previous.updatedAt) + 1).toISOString();
  const next = uploadRecordSchema.parse({ ...previous, ...patch, updatedAt });
  await ports.table.put(UPLOADS, next, {
    ifMatch: { status: previous.status, updatedAt: previous.updatedAt },
  });
  return next;
}

/** Moves the object to quarantine, marks the upload REJECTED (when it has a record) and raises an alarm. */
async function quarantine(
  ports: IngestPorts,
  log: IngestLogger,
  object: LandedObject,
  address: LandingAddress | undefined,
  record: UploadRecord | undefined,
  reason: RejectionReason,
): Promise<IngestResult> {
  const fileName = address?.fileName ?? object.key.split('/').pop() ?? 'object';
  const target = quarantineKey(address?.tenantId ?? '_unknown', address?.uploadId ?? '_unknown', fileName);
  await ports.objects.copy(LANDING, object.key, LANDING, target);
  if (record && !TERMINAL.includes(record.status)) {
    await transitionRecord(ports, record, {
      status: 'REJECTED',
      reason,
      processedObject: objectIdentity(object),
    });
  }
  await ports.objects.deleteMany(LANDING, [{ key: object.key }]);
  log.error('Upload quarantined', {
    alarm: 'IngestQuarantine',
    code: reason.code,
    reason: reason.en,
    key: object.key,
    quarantineKey: target,
    tenantId: address?.tenantId,
    uploadId: address?.uploadId,
  });
  return { kind: 'quarantined', reason };
}

/** SHA-256 (base64) of an object, streamed. */
async function sha256OfObject(ports: IngestPorts, key: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of await ports.objects.getStream(LANDING, key)) hash.update(chunk as Uint8Array);
  return hash.digest('base64');
}

/**
 * Ingests one landed object: verifies it against its upload record, claims it (idempotently, so a
 * second or out-of-order delivery of the same object produces no second result) and marks it RECEIVED.
 *
 * Buckets passed to the ObjectStore are logical (`landing`); `object.bucket` is the physical name
 * from the notification and only serves the object's identity.
 */
export async function ingestObject(
  ports: IngestPorts,
  settings: PlatformSettings,
  object: LandedObject,
): Promise<IngestResult> {
  const log = ports.logger ?? silentLogger;
  const address = parseLandingKey(object.key);
  if (!object.key.startsWith('landing/')) return { kind: 'ignored', why: 'not a landing key' };

  const head = await ports.objects.head(LANDING, object.key);
  // Gone already (processed and removed) or replaced by a newer version with its own notification.
  if (!head) return { kind: 'ignored', why: 'object no longer exists' };
  if (object.versionId && head.versionId && head.versionId !== object.versionId) {
    return { kind: 'ignored', why: 'a newer version of the object exists' };
  }

  if (!address) {
    return quarantine(ports, log, object, undefined, undefined, {
      code: 'BAD_LANDING_KEY',
      ja: 'アップロード先のキーが想定の形式ではありません。',
      en: 'The object key does not have the landing layout landing/<tenant>/<dataset>/<upload>/<file>.',
    });
  }
  const record = await readRecord(ports, address.tenantId, address.uploadId);
  if (!record) {
    return quarantine(ports, log, object, address, undefined, {
      code: 'NO_UPLOAD_RECORD',
      ja: '対応するアップロード申請がありません。アップロードをやり直してください。',
      en: 'No upload was requested for this object. Please request an upload and try again.',
    });
  }

  const identity = objectIdentity(object);
  if (TERMINAL.includes(record.status)) {
    if (record.processedObject === identity) return { kind: 'duplicate', status: record.status };
    return quarantine(ports, log, object, address, record, {
      code: 'UPLOAD_ALREADY_COMPLETED',
      ja: 'このアップロードは既に処理済みです。新しいファイルは新しいアップロードとして送ってください。',
      en: 'This upload was already processed. Send a new file as a new upload.',
    });
  }
  if (record.processedObject && record.processedObject !== identity) {
    throw new IngestBusyError(
      `Upload ${address.uploadId} is being processed from another object; retry later`,
    );
  }
  if (record.sizeBytes > settings.limits.maxFileBytes) {
    return quarantine(ports, log, object, address, record, {
      code: 'FILE_TOO_LARGE',
      ja: `ファイルが大きすぎます（上限 ${settings.limits.maxFileBytes} バイト）。分割してアップロードしてください。`,
      en: `The file is larger than the limit of ${settings.limits.maxFileBytes} bytes. Split it and upload the parts.`,
    });
  }

  try {
    verifyAgainstRecord(address, head, record);
  } catch (error) {
    if (error instanceof UploadMismatchError) {
      return quarantine(ports, log, object, address, record, error.reason);
    }
    throw error;
  }

  let current = record;
  if (current.status === 'REQUESTED') {
    try {
      current = await transitionRecord(ports, current, { status: 'RECEIVED', processedObject: identity });
    } catch (error) {
      if (!(error instanceof ConditionFailedError)) throw error;
      // Another delivery claimed it first: report what it produced, or let SQS retry later.
      const latest = await readRecord(ports, address.tenantId, address.uploadId);
      if (latest && TERMINAL.includes(latest.status) && latest.processedObject === identity) {
        return { kind: 'duplicate', status: latest.status };
      }
      throw new IngestBusyError(
        `Upload ${address.uploadId} was claimed by a concurrent delivery; retry later`,
      );
    }
  }

  if (!head.checksumSha256) {
    const actual = await sha256OfObject(ports, object.key);
    if (actual !== current.sha256)
      return quarantine(ports, log, object, address, current, checksumMismatch().reason);
  }
  log.info('Upload received', { tenantId: address.tenantId, uploadId: address.uploadId, key: object.key });
  return { kind: 'processed', status: current.status };
}
