import { getDataset } from '../catalog/index.ts';
import { ConditionFailedError, type ObjectHead } from '../ports/index.ts';
import type { PlatformSettings } from '../settings.ts';
import { readTenant, writeRefusal } from '../tenants/rules.ts';
import type { UploadRecord } from '../uploads/model.ts';
import { discardArrival } from './discard.ts';
import { IngestBusyError, type RejectionReason, UploadMismatchError } from './errors.ts';
import type { IngestResult } from './ingest-result.ts';
import { type LandingAddress, parseLandingKey } from './landing.ts';
import type { LandedObject } from './notification.ts';
import { type IngestPorts, silentLogger } from './ports.ts';
import { handOn, processUpload } from './process-upload.ts';
import { quarantine } from './quarantine.ts';
import { LANDING, now, objectIdentity, readRecord, TERMINAL, transitionRecord } from './upload-steps.ts';
import { verifyAgainstRecord } from './verify.ts';

/**
 * Ingests one landed object: verifies it against its upload record, claims it (idempotently, so a
 * second or out-of-order delivery of the same object produces no second result: RECEIVED), then
 * validates it (VALIDATING) and records the outcome (ACCEPTED, PARTIALLY_ACCEPTED or REJECTED).
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
  if (!head) {
    // Or withdrawn: a delivery that failed after the withdrawal looked may have put objects of it.
    if (address && ports.afterWithdrawn) {
      const record = await readRecord(ports, address.tenantId, address.uploadId);
      if (record?.status === 'WITHDRAWN') await ports.afterWithdrawn(address.tenantId, address.uploadId);
    }
    return { kind: 'ignored', why: 'object no longer exists' };
  }
  if (object.versionId && head.versionId && head.versionId !== object.versionId) {
    return { kind: 'ignored', why: 'a newer version of the object exists' };
  }

  if (!address) {
    return quarantine(ports, settings, log, object, head, undefined, undefined, {
      code: 'BAD_LANDING_KEY',
      ja: 'アップロード先のキーが想定の形式ではありません。',
      en: 'The object key does not have the landing layout landing/<tenant>/<dataset>/<upload>/<file>.',
    });
  }
  const landedAt = object.landedAt ? new Date(object.landedAt) : now(ports);
  const tenant = await readTenant(ports.table, address.tenantId);
  const refusal = writeRefusal(address.tenantId, tenant, 'running-contract', landedAt);
  if (refusal) return discardArrival(ports, settings, log, object, head, address, tenant, refusal, landedAt);

  const record = await readRecord(ports, address.tenantId, address.uploadId);
  if (!record) {
    return quarantine(ports, settings, log, object, head, address, undefined, {
      code: 'NO_UPLOAD_RECORD',
      ja: '対応するアップロード申請がありません。アップロードをやり直してください。',
      en: 'No upload was requested for this object. Please request an upload and try again.',
    });
  }

  const identity = objectIdentity(object);
  const problem = recordProblem(settings, address, head, record, identity);
  if (problem === 'already-processed') {
    // The outcome is recorded but the landing object is still here: an earlier delivery stopped
    // (or masking failed) before the end. Finish its last steps; the result stays the same.
    await handOn(ports, object, address, record.status);
    return { kind: 'duplicate', status: record.status };
  }
  if (problem) return quarantine(ports, settings, log, object, head, address, record, problem);
  const claimed = await claim(ports, address, record, identity);
  if ('result' in claimed) return claimed.result;
  return processUpload(ports, settings, log, object, head, address, claimed.record, identity);
}

/**
 * Why a landed object cannot be taken for its upload record as it stands: the reason to quarantine it,
 * `already-processed` when this very object's outcome is recorded, or undefined when it may go on.
 * IngestBusyError while another object of the same upload is being processed.
 */
function recordProblem(
  settings: PlatformSettings,
  address: LandingAddress,
  head: ObjectHead,
  record: UploadRecord,
  identity: string,
): RejectionReason | 'already-processed' | undefined {
  if (record.status === 'WITHDRAWN') {
    return {
      code: 'UPLOAD_WITHDRAWN',
      ja: 'このアップロードは取り下げられています。送り直す場合は新しいアップロードとして送ってください。',
      en: 'This upload was withdrawn. To send the file after all, send it as a new upload.',
    };
  }
  if (TERMINAL.includes(record.status)) {
    if (record.processedObject === identity) return 'already-processed';
    return {
      code: 'UPLOAD_ALREADY_COMPLETED',
      ja: 'このアップロードは既に処理済みです。新しいファイルは新しいアップロードとして送ってください。',
      en: 'This upload was already processed. Send a new file as a new upload.',
    };
  }
  if (record.processedObject && record.processedObject !== identity) {
    throw new IngestBusyError(
      `Upload ${address.uploadId} is being processed from another object; retry later`,
    );
  }
  const maxBytes = Math.min(settings.limits.maxFileBytes, getDataset(address.dataset).maxFileBytes);
  if (head.size > maxBytes) {
    const limit = `${Math.floor(maxBytes / 1024 ** 2)} MiB`;
    return {
      code: 'FILE_TOO_LARGE',
      ja: `ファイルが大きすぎます（上限 ${limit}）。分割してアップロードしてください。`,
      en: `The file is larger than the ${limit} limit. Split it and upload the parts.`,
    };
  }
  try {
    verifyAgainstRecord(address, head, record);
  } catch (error) {
    if (error instanceof UploadMismatchError) return error.reason;
    throw error;
  }
  return undefined;
}

/**
 * Claims a requested upload for this object (REQUESTED → RECEIVED, conditionally): the record to go on
 * with, or the result of the concurrent delivery that claimed it first (IngestBusyError while it runs).
 */
async function claim(
  ports: IngestPorts,
  address: LandingAddress,
  record: UploadRecord,
  identity: string,
): Promise<{ readonly record: UploadRecord } | { readonly result: IngestResult }> {
  if (record.status !== 'REQUESTED') return { record };
  try {
    return {
      record: await transitionRecord(ports, record, { status: 'RECEIVED', processedObject: identity }),
    };
  } catch (error) {
    if (!(error instanceof ConditionFailedError)) throw error;
    // Another delivery claimed it first: report what it produced, or let SQS retry later.
    const latest = await readRecord(ports, address.tenantId, address.uploadId);
    if (latest && TERMINAL.includes(latest.status) && latest.processedObject === identity) {
      return { result: { kind: 'duplicate', status: latest.status } };
    }
    throw new IngestBusyError(`Upload ${address.uploadId} was claimed by a concurrent delivery; retry later`);
  }
}
