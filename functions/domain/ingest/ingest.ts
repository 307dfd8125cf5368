import { createHash, randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { getDataset, withTimeFormat } from '../catalog/index.ts';
import { getProfile, profilesFor } from '../catalog/profiles.ts';
import type { KuraError } from '../errors.ts';
import { appendLedger } from '../ledger/ledger.ts';
import { ConditionFailedError, type ObjectHead, type ObjectRef } from '../ports/index.ts';
import type { PlatformSettings } from '../settings.ts';
import type { TenantRecord } from '../tenants/model.ts';
import { japanDay, purgeStarted, readTenant, writeRefusal } from '../tenants/rules.ts';
import { readColumnMapping } from '../uploads/mappings.ts';
import type { UploadRecord, UploadStatus } from '../uploads/model.ts';
import { storedUploadSchema, updateUploadRecord } from '../uploads/supersession.ts';

import { quarantineKey, rawKey, reportKey } from '../zones.ts';
import { FileRejectedError, IngestBusyError, type RejectionReason, UploadMismatchError } from './errors.ts';
import { type LandingAddress, parseLandingKey } from './landing.ts';
import type { LandedObject } from './notification.ts';
import { type IngestLogger, type IngestPorts, silentLogger } from './ports.ts';
import { validateFile } from './process.ts';

const LANDING = 'landing';
const RAW = 'raw';
const UPLOADS = 'uploads';
const TERMINAL: readonly UploadStatus[] = ['ACCEPTED', 'PARTIALLY_ACCEPTED', 'REJECTED', 'CHECKED'];

/** What one delivery of an S3 notification led to. */
export type IngestResult =
  | { readonly kind: 'ignored'; readonly why: string }
  | { readonly kind: 'duplicate'; readonly status: UploadStatus }
  | { readonly kind: 'quarantined'; readonly reason: RejectionReason }
  /** Arrived for a company that may not send data (see `discardArrival`): deleted, recorded by hash. */
  | { readonly kind: 'discarded'; readonly reason: RejectionReason }
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

const XLSX_CONTENT_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

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
  return item ? storedUploadSchema.parse(item) : undefined;
}

/**
 * Writes the next version of an upload record, only if nobody changed it since `previous` was read
 * (status and updatedAt act as the version). Returns the record written.
 */
export function transitionRecord(
  ports: IngestPorts,
  previous: UploadRecord,
  patch: Partial<UploadRecord>,
): Promise<UploadRecord> {
  return updateUploadRecord(ports.table, (ports.now ?? (() => new Date()))(), previous, patch);
}

/** What quarantine keeps of an object: its fingerprint and why, never its bytes. */
export const quarantineRecordSchema = z
  .object({
    type: z.literal('kura.quarantine'),
    tenantId: z.string(),
    uploadId: z.string(),
    sizeBytes: z.number().int().nonnegative(),
    /** Base64 SHA-256 of the bytes as they landed; absent when the object was too large to read. */
    sha256: z.string().optional(),
    contentType: z.string().optional(),
    /** What the upload request declared, when there was one. */
    declared: z
      .object({ sizeBytes: z.number(), sha256: z.string(), contentType: z.string() })
      .strict()
      .optional(),
    reason: z.object({ code: z.string(), ja: z.string(), en: z.string() }).strict(),
    quarantinedAt: z.string(),
    /** When the landing bucket's lifecycle removes this record (deployed; settings.retention.landingDays). */
    expiresAt: z.string(),
  })
  .strict();
export type QuarantineRecord = z.infer<typeof quarantineRecordSchema>;

/** SHA-256 (base64) of an object, read as a stream; undefined above `maxBytes` (not worth reading). */
async function objectSha256(
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
async function quarantine(
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

const now = (ports: IngestPorts) => (ports.now ?? (() => new Date()))();

/** Every version of exactly this key (not of keys it is a prefix of). */
async function versionsOf(ports: IngestPorts, key: string): Promise<ObjectRef[]> {
  const refs: ObjectRef[] = [];
  for await (const version of ports.objects.listVersions(LANDING, key)) {
    if (version.key !== key) continue;
    refs.push(
      version.versionId && version.versionId !== 'null' ? { key, versionId: version.versionId } : { key },
    );
  }
  return refs;
}

/** Why a file of a company that may not send data is not taken, for the upload record and the ledger. */
function discardReason(refusal: KuraError, landedDay: string): RejectionReason {
  switch (refusal.code) {
    case 'TENANT_PURGED':
      return {
        code: 'TENANT_PURGED',
        ja: '会社のデータは契約終了により削除中または削除済みのため、届いたファイルは受け付けずに削除しました。',
        en: "The company's data is being or has been deleted after its contract ended, so the file was deleted unread.",
      };
    case 'TENANT_NOT_REGISTERED':
      return {
        code: 'TENANT_NOT_REGISTERED',
        ja: 'Kura に登録されていない会社宛てのファイルのため、受け付けずに削除しました。',
        en: 'The file was sent for a company not registered with Kura, so it was deleted unread.',
      };
    default:
      return {
        code: 'CONTRACT_NOT_RUNNING',
        ja: `ファイルが届いた日（日本時間 ${landedDay}）に会社の契約が有効ではなかったため、受け付けずに削除しました。`,
        en: `The company's contract was not running on the day the file arrived (${landedDay}, Japan time), so it was deleted unread.`,
      };
  }
}

/**
 * A file that arrived for a company that may not send data: its contract was not running on the Japanese
 * day the file landed, its purge has started (a ticket issued before the purge, a late delivery), or it
 * is unknown. The file is deleted whole (every version of its key) and never quarantined: a quarantine
 * record under quarantine/<tenant>/ would outlive the company's purge and make its certificate untrue.
 * While the company's records are still held (its purge has not started) the upload is marked REJECTED;
 * the ledger records the arrival by hash only: upload id, dataset, size, SHA-256, the reason's code.
 */
async function discardArrival(
  ports: IngestPorts,
  settings: PlatformSettings,
  log: IngestLogger,
  object: LandedObject,
  head: ObjectHead,
  address: LandingAddress,
  tenant: TenantRecord | undefined,
  refusal: KuraError,
  landedAt: Date,
): Promise<IngestResult> {
  const reason = discardReason(refusal, japanDay(landedAt));
  const sha256 = await objectSha256(ports, head, settings.limits.maxFileBytes);
  const refs = await versionsOf(ports, object.key);
  if (object.versionId && !refs.some((ref) => ref.versionId === object.versionId))
    refs.push({ key: object.key, versionId: object.versionId });
  const { failed } = await ports.objects.deleteMany(LANDING, refs);
  if (failed.length > 0)
    throw new Error(`Could not delete ${failed.length} version(s) of a discarded landing object`);
  if (tenant && !purgeStarted(tenant)) {
    const record = await readRecord(ports, address.tenantId, address.uploadId);
    if (record && !TERMINAL.includes(record.status) && record.status !== 'WITHDRAWN') {
      await transitionRecord(ports, record, {
        status: 'REJECTED',
        reason,
        processedObject: objectIdentity(object),
      });
    }
  }
  await appendLedger(
    { table: ports.table, clock: () => now(ports) },
    {
      action: 'upload.discarded',
      actor: { subject: 'kura:landing', roles: [] },
      // An unknown company has no chain of its own: the platform chain records it, naming the id.
      ...(tenant ? { tenantId: tenant.tenantId } : {}),
      details: {
        ...(tenant ? {} : { landingTenantId: address.tenantId }),
        uploadId: address.uploadId,
        dataset: address.dataset,
        sizeBytes: head.size,
        sha256: sha256 ?? null,
        reason: reason.code,
        tenantState: tenant?.state ?? null,
        landedAt: landedAt.toISOString(),
        versionsDeleted: refs.length,
      },
    },
  );
  log.warn('Landed file discarded', {
    code: reason.code,
    tenantId: address.tenantId,
    uploadId: address.uploadId,
    tenantState: tenant?.state,
  });
  return { kind: 'discarded', reason };
}

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
  if (!head) return { kind: 'ignored', why: 'object no longer exists' };
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
  if (record.status === 'WITHDRAWN') {
    return quarantine(ports, settings, log, object, head, address, record, {
      code: 'UPLOAD_WITHDRAWN',
      ja: 'このアップロードは取り下げられています。送り直す場合は新しいアップロードとして送ってください。',
      en: 'This upload was withdrawn. To send the file after all, send it as a new upload.',
    });
  }
  if (TERMINAL.includes(record.status)) {
    if (record.processedObject === identity) {
      // The outcome is recorded but the landing object is still here: an earlier delivery stopped
      // (or masking failed) before the end. Finish its last steps; the result stays the same.
      await handOn(ports, object, address, record.status);
      return { kind: 'duplicate', status: record.status };
    }
    return quarantine(ports, settings, log, object, head, address, record, {
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
  const maxBytes = Math.min(settings.limits.maxFileBytes, getDataset(address.dataset).maxFileBytes);
  if (head.size > maxBytes) {
    const limit = `${Math.floor(maxBytes / 1024 ** 2)} MiB`;
    return quarantine(ports, settings, log, object, head, address, record, {
      code: 'FILE_TOO_LARGE',
      ja: `ファイルが大きすぎます（上限 ${limit}）。分割してアップロードしてください。`,
      en: `The file is larger than the ${limit} limit. Split it and upload the parts.`,
    });
  }

  try {
    verifyAgainstRecord(address, head, record);
  } catch (error) {
    if (error instanceof UploadMismatchError) {
      return quarantine(ports, settings, log, object, head, address, record, error.reason);
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

  return processUpload(ports, settings, log, object, head, address, current, identity);
}

/** Rows, errors and outputs of a finished upload, as the record and the report hold them. */
const REPORT_ERRORS_ON_RECORD = 100;

/** YYYY-MM of an ISO timestamp. */
const monthOf = (iso: string) => iso.slice(0, 7);

/**
 * Decodes, validates and normalises a claimed upload, writes its outcome (raw Parquet per period,
 * the error report, the final record) and removes the landing object. Outputs are written before
 * the record names them, so a half-finished run is never visible; a retry overwrites the same keys.
 */
async function processUpload(
  ports: IngestPorts,
  settings: PlatformSettings,
  log: IngestLogger,
  object: LandedObject,
  head: ObjectHead,
  address: LandingAddress,
  claimed: UploadRecord,
  identity: string,
): Promise<IngestResult> {
  let current = claimed;
  if (current.status === 'RECEIVED')
    current = await transitionRecord(ports, current, { status: 'VALIDATING' });
  // The company's saved mapping (headers, and its usual profile and time format), then what the upload says.
  const saved = await readColumnMapping(ports.table, address.tenantId, address.dataset);
  const timeFormat = current.timeFormat ?? saved?.timeFormat;
  const dataset = withTimeFormat(getDataset(address.dataset), timeFormat);
  const profileName = current.profile ?? saved?.profile;
  const profile = profileName === undefined ? undefined : getProfile(profileName);
  const workDir = join(ports.workDir ?? tmpdir(), `kura-ingest-${address.uploadId}-${randomUUID()}`);
  try {
    const outcome = await validateFile(
      await ports.objects.getStream(LANDING, object.key),
      {
        dataset,
        limits: {
          ...settings.limits,
          maxFileBytes: Math.min(settings.limits.maxFileBytes, dataset.maxFileBytes),
        },
        workDir,
        fallbackPeriod: monthOf(current.requestedAt),
        timeFormatDeclared: timeFormat !== undefined,
        // Only an upload declared as .xlsx is read as a workbook; any other zip stays refused.
        ...(ports.openWorkbook && mediaType(current.contentType) === XLSX_CONTENT_TYPE
          ? { openWorkbook: ports.openWorkbook }
          : {}),
        ...(current.sheetDigest ? { sheetDigest: current.sheetDigest } : {}),
        vocabulary: {
          ...(saved ? { company: saved.columns } : {}),
          ...(profile ? { profile } : { candidates: profilesFor(address.dataset) }),
        },
        ...(ports.trace ? { trace: ports.trace } : {}),
      },
      async (file, writeValid) => {
        if (file.sha256 !== current.sha256) throw checksumMismatch();
        const { total, rejected } = file.rows;
        const decision = decide(total, rejected, dataset.maxInvalidRowRatio);
        const outputs: string[] = [];
        // A dry run stores nothing of the file: no Parquet, no report (the record keeps the counts).
        if (current.dryRun) return { file, decision, outputs };
        if (decision.status !== 'REJECTED') {
          for (const part of await writeValid()) {
            const key = rawKey(address.tenantId, address.dataset, part.period, address.uploadId);
            await ports.objects.put(RAW, key, createReadStream(part.path), {
              contentType: 'application/vnd.apache.parquet',
            });
            outputs.push(key);
          }
        }
        const report = {
          tenantId: address.tenantId,
          uploadId: address.uploadId,
          dataset: address.dataset,
          fileName: address.fileName,
          status: decision.status,
          encoding: file.encoding,
          compressed: file.compressed,
          rows: file.rows,
          errorCount: file.errorCount,
          errorCountsByCode: file.errorCountsByCode,
          errorsTruncated: file.errorCount > file.errors.length,
          errors: file.errors,
          warnings: file.warnings,
          outputs,
        };
        await ports.objects.put(RAW, reportKey(address.tenantId, address.uploadId), JSON.stringify(report), {
          contentType: 'application/json',
        });
        return { file, decision, outputs };
      },
    );
    ports.trace?.('upload');
    const { file, decision, outputs } = outcome;
    current = await finish(ports, current, {
      ...(current.dryRun
        ? { status: 'CHECKED' as const, checkedAs: decision.status, columnMapping: [...file.columnMapping] }
        : { status: decision.status }),
      rows: file.rows,
      errors: file.errors.slice(0, REPORT_ERRORS_ON_RECORD),
      errorsTruncated: file.errorCount > REPORT_ERRORS_ON_RECORD,
      encoding: file.encoding,
      outputs,
      ...(file.warnings.length > 0 ? { warnings: [...file.warnings] } : {}),
      ...(file.profile
        ? { importProfile: { name: file.profile.name, detected: file.profile.detected } }
        : {}),
      processedObject: identity,
      ...(decision.reason ? { reason: decision.reason } : {}),
    });
  } catch (error) {
    if (error instanceof UploadMismatchError) {
      return quarantine(ports, settings, log, object, head, address, current, error.reason);
    }
    if (!(error instanceof FileRejectedError)) throw error;
    const errors =
      error.line === undefined
        ? []
        : [
            {
              line: error.line,
              code: error.reason.code,
              message: { ja: error.reason.ja, en: error.reason.en },
            },
          ];
    if (!current.dryRun) {
      await ports.objects.put(
        RAW,
        reportKey(address.tenantId, address.uploadId),
        JSON.stringify({
          tenantId: address.tenantId,
          uploadId: address.uploadId,
          dataset: address.dataset,
          fileName: address.fileName,
          status: 'REJECTED',
          reason: error.reason,
          errors,
          outputs: [],
        }),
        { contentType: 'application/json' },
      );
    }
    current = await finish(ports, current, {
      ...(current.dryRun
        ? { status: 'CHECKED' as const, checkedAs: 'REJECTED' as const }
        : { status: 'REJECTED' }),
      reason: error.reason,
      processedObject: identity,
      outputs: [],
      errors,
    });
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
  log.info('Upload ingested', {
    tenantId: address.tenantId,
    uploadId: address.uploadId,
    status: current.status,
    rows: current.rows,
    reason: current.reason?.code,
  });
  await handOn(ports, object, address, current.status);
  ports.trace?.('record');
  return { kind: 'processed', status: current.status };
}

/**
 * The steps after the outcome is recorded: masking (for accepted rows), then removing the landing
 * object. Masking runs before the removal so that if it fails, the redelivered notification still
 * finds the object and runs it again; once the object is gone, later deliveries are ignored.
 */
async function handOn(
  ports: IngestPorts,
  object: LandedObject,
  address: LandingAddress,
  status: UploadStatus,
): Promise<void> {
  if (ports.afterAccepted && (status === 'ACCEPTED' || status === 'PARTIALLY_ACCEPTED')) {
    await ports.afterAccepted(address.tenantId, address.uploadId);
  }
  await ports.objects.deleteMany(LANDING, [
    { key: object.key, ...(object.versionId ? { versionId: object.versionId } : {}) },
  ]);
}

/** The dataset's policy: too many invalid rows (or none valid) rejects the file; some makes it partial. */
export function decide(
  total: number,
  rejected: number,
  maxInvalidRowRatio: number,
): { status: 'ACCEPTED' | 'PARTIALLY_ACCEPTED' | 'REJECTED'; reason?: RejectionReason } {
  if (total === 0) {
    return {
      status: 'REJECTED',
      reason: {
        code: 'NO_ROWS',
        ja: 'データ行がありません。見出し行の下にデータを入れてアップロードしてください。',
        en: 'The file has no data rows. Add rows under the header line and upload again.',
      },
    };
  }
  if (rejected === 0) return { status: 'ACCEPTED' };
  if (rejected / total > maxInvalidRowRatio || rejected === total) {
    const percent = Math.round(maxInvalidRowRatio * 1000) / 10;
    return {
      status: 'REJECTED',
      reason: {
        code: 'TOO_MANY_INVALID_ROWS',
        ja: `${total} 行中 ${rejected} 行に誤りがあり、許容範囲（${percent}%）を超えたため、ファイル全体を受け付けませんでした。エラー一覧を確認して修正してください。`,
        en: `${rejected} of ${total} rows are invalid, more than the ${percent}% allowed, so the whole file was rejected. Fix the rows listed and upload again.`,
      },
    };
  }
  return { status: 'PARTIALLY_ACCEPTED' };
}

/** Writes the outcome; if another delivery finished first with this object, keeps its result. */
async function finish(
  ports: IngestPorts,
  current: UploadRecord,
  patch: Partial<UploadRecord>,
): Promise<UploadRecord> {
  try {
    return await transitionRecord(ports, current, patch);
  } catch (error) {
    if (!(error instanceof ConditionFailedError)) throw error;
    const latest = await readRecord(ports, current.tenantId, current.uploadId);
    if (latest && TERMINAL.includes(latest.status) && latest.processedObject === patch.processedObject)
      return latest;
    throw new IngestBusyError(`Upload ${current.uploadId} changed while it was being ingested; retry later`);
  }
}
