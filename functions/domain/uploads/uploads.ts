import { actorOf, type Principal, tenantOf } from '../auth/principal.ts';
import { DATASET_NAMES, type DatasetDef, getDataset, isDatasetName } from '../catalog/index.ts';
import { getProfile, PROFILE_NAMES, profilesFor } from '../catalog/profiles.ts';
import { TIME_FORMATS } from '../catalog/schema.ts';
import {
  BODY_NOT_OBJECT,
  type FieldMessages,
  MalformedRequestError,
  PayloadTooLargeError,
  ValidationError,
  validationErrorFrom,
} from '../errors.ts';
import { msg } from '../i18n.ts';
import { sheetDigest } from '../ingest/sheet-digest.ts';
import { appendLedger, entryRef, type LedgerEntry, type LedgerRetry } from '../ledger/ledger.ts';
import type { ObjectStore, Table } from '../ports/index.ts';
import type { PlatformSettings } from '../settings.ts';
import { confirmTenantWrite, requireTenantWrite } from '../tenants/rules.ts';
import * as z from '../zod.ts';
import { landingKey, landingPrefix } from '../zones.ts';
import { normaliseSha256 } from './checksum.ts';
import { CONSENT_PURPOSE, consentDigest, requiredConsent } from './consent.ts';
import { acceptedContentType } from './content-type.ts';
import { SAFE_FILE_NAME, safeFileName } from './file-name.ts';
import { withBookkeeping } from './in-flight.ts';
import { type UploadRecord, uploadRecordSchema } from './model.ts';
import { pageTenantUploads, readTenantUpload, UPLOAD_ID, UPLOADS_TABLE } from './records.ts';
import {
  maskingComplete,
  planSupersession,
  readTenantPlanRecords,
  type SupersessionPlan,
} from './supersession.ts';

export { UPLOADS_TABLE } from './records.ts';
/** S3 refuses presigned POSTs valid for longer than Kura allows. */
export const MAX_UPLOAD_URL_SECONDS = 900;

/** What the upload functions need from the outside world. */
export interface UploadPorts {
  readonly table: Table;
  readonly objects: ObjectStore;
  readonly settings: PlatformSettings;
  readonly clock: () => Date;
  readonly newId: () => string;
  /** KMS key uploads must be encrypted with (deployed); absent locally. */
  readonly dataKeyId?: string | undefined;
  /** How ledger appends back off under contention (tests make the waits instant). */
  readonly ledgerRetry?: LedgerRetry;
}

const FIELDS = {
  dataset: msg(
    `dataset にデータセット名（${DATASET_NAMES.join(', ')} のいずれか）を指定してください。`,
    `dataset must name a dataset (one of ${DATASET_NAMES.join(', ')}).`,
  ),
  fileName: msg(
    'fileName にファイル名（1〜10,000 文字）を指定してください。',
    'fileName must be the file name (1 to 10,000 characters).',
  ),
  contentType: msg(
    'contentType にファイル形式（text/csv など）を指定してください。',
    'contentType must be the file’s media type, e.g. text/csv.',
  ),
  sizeBytes: msg(
    'sizeBytes にファイルサイズ（バイト数、1 以上の整数）を指定してください。',
    'sizeBytes must be the file size in bytes: a whole number of at least 1.',
  ),
  sha256: msg(
    'sha256 にファイルの SHA-256 を base64（44 文字）または 16 進数（64 文字）で指定してください。',
    'sha256 must be the file’s SHA-256, base64 (44 characters) or hex (64 digits).',
  ),
  timeFormat: msg(
    `timeFormat は ${TIME_FORMATS.join(', ')} のいずれかです（decimal: 1.5 時間、hours-minutes: 60 進数で 1.30 = 1 時間 30 分、minutes: 90 分）。`,
    `timeFormat must be one of ${TIME_FORMATS.join(', ')} (decimal: 1.5 hours; hours-minutes: 60-base, 1.30 is 1 h 30 min; minutes: 90).`,
  ),
  dryRun: msg('dryRun は true か false です。', 'dryRun must be true or false.'),
  sheet: msg(
    'sheet は Excel のシート名（1〜31 文字）です。',
    'sheet must be the name of an Excel sheet (1 to 31 characters).',
  ),
  profile: msg(
    `profile は取り込み形式の名前（${PROFILE_NAMES.join(', ')} のいずれか）です。`,
    `profile must name an import profile (one of ${PROFILE_NAMES.join(', ')}).`,
  ),
} as const satisfies FieldMessages;

/** The body of POST /uploads. Strict: a tenantId, key or bucket in the body is refused, never used. */
export const uploadRequestSchema = z.strictObject({
  dataset: z.string().check(z.minLength(1), z.maxLength(64)),
  fileName: z.string().check(z.minLength(1), z.maxLength(10_000)),
  contentType: z.string().check(z.minLength(1), z.maxLength(200)),
  sizeBytes: z.number(),
  sha256: z.string().check(z.minLength(1), z.maxLength(200)),
  consent: z.optional(z.unknown()),
  /** Validate only: the file is checked as an upload would be and deleted; nothing is stored. */
  dryRun: z.optional(z.boolean()),
  /** How the file writes hours: decimal (1.5), hours-minutes (60進数, 1.30), minutes (90). */
  timeFormat: z.optional(z.enum(TIME_FORMATS)),
  /** The sheet of an Excel workbook to read (default: the first). */
  sheet: z.optional(z.string().check(z.minLength(1), z.maxLength(31))),
  /** The system the file was exported from (an import profile, catalog/profiles.ts): its header names. */
  profile: z.optional(z.enum(PROFILE_NAMES as [string, ...string[]])),
});
export type UploadRequest = z.infer<typeof uploadRequestSchema>;

export interface UploadTicket {
  readonly uploadId: string;
  /** Where the file will land (under the caller's tenant prefix). */
  readonly key: string;
  /** POST the file here as multipart/form-data: every field, then `file` last. */
  readonly url: string;
  readonly fields: Readonly<Record<string, string>>;
  readonly expiresAt: string;
  readonly maxBytes: number;
}

/** Datasets a principal may upload: companies upload their own data, supporters the supporter datasets. */
export function uploadableDatasets(principal: Principal): DatasetDef[] {
  return DATASET_NAMES.map(getDataset).filter((d) =>
    d.uploadedBy === 'supporter' ? principal.roles.includes('supporter') : principal.roles.includes('tenant'),
  );
}

function checkSize(sizeBytes: number, dataset: DatasetDef, settings: PlatformSettings): number {
  const limit = Math.min(dataset.maxFileBytes, settings.limits.maxFileBytes);
  if (sizeBytes > limit) {
    const mib = (limit / 1024 ** 2).toLocaleString('en');
    throw new PayloadTooLargeError(
      msg(
        `ファイルが大きすぎます。データセット「${dataset.ja}」は 1 ファイル ${mib} MiB（${limit} バイト）までです。ファイルを分割してください。`,
        `The file is too large: dataset ${dataset.name} accepts at most ${mib} MiB (${limit} bytes) per file. Split the file and upload the parts.`,
      ),
      'sizeBytes',
    );
  }
  if (!Number.isInteger(sizeBytes) || sizeBytes < 1) throw new ValidationError(FIELDS.sizeBytes, 'sizeBytes');
  return sizeBytes;
}

/**
 * Validates an upload request and returns a presigned POST whose key Kura chose: the caller's tenant
 * prefix, the dataset, a fresh upload id and a sanitised file name. Nothing is written unless every
 * check passes; then the upload record is written as REQUESTED and the request (with the digest of the
 * consent attestation, if the dataset needs one) goes to the tenant's ledger chain, whose sequence
 * number the record then carries. A request that cannot be ledgered leaves no record.
 */
export async function requestUpload(
  ports: UploadPorts,
  principal: Principal,
  body: unknown,
): Promise<UploadTicket> {
  const tenantId = tenantOf(principal);
  // Only a company whose contract runs today (Japan's day) may send data: after it ends, the company's
  // data is on its way to being purged and nothing new may arrive.
  await requireTenantWrite(ports, tenantId, 'running-contract', ports.clock());
  const { request, dataset, sizeBytes, sha256, contentType, now, consent } = checkUploadRequest(
    ports,
    principal,
    body,
  );
  const uploadId = ports.newId();
  const { fileName, key } = landingKeyFor(tenantId, dataset, uploadId, request.fileName);
  const expiresSeconds = Math.min(ports.settings.limits.uploadUrlExpirySeconds, MAX_UPLOAD_URL_SECONDS);
  const post = await ports.objects.presignPost({
    bucket: 'landing',
    key,
    contentType,
    maxBytes: sizeBytes,
    checksumSha256: sha256,
    kmsKeyId: ports.dataKeyId,
    expiresSeconds,
  });
  const expiresAt = new Date(now.getTime() + expiresSeconds * 1000).toISOString();
  const record: UploadRecord = {
    tenantId,
    uploadId,
    dataset: dataset.name,
    fileName,
    key,
    contentType,
    sizeBytes,
    sha256,
    status: 'REQUESTED',
    requestedBy: principal.subject,
    requestedAt: now.toISOString(),
    expiresAt,
    updatedAt: now.toISOString(),
    ...(consent ? { consent } : {}),
    ...(request.dryRun ? { dryRun: true as const } : {}),
    ...(request.timeFormat ? { timeFormat: request.timeFormat } : {}),
    ...(request.profile ? { profile: request.profile } : {}),
    ...(request.sheet ? { sheetDigest: sheetDigest(request.sheet) } : {}),
  };
  await recordUploadRequest(ports, principal, record, request.dryRun === true);
  return { uploadId, key, url: post.url, fields: post.fields, expiresAt, maxBytes: sizeBytes };
}

/**
 * The upload request as Kura takes it, or the ValidationError that says which field is wrong: a dataset
 * the caller may upload, a profile with a layout for it, a size within its limits, a SHA-256, an accepted
 * content type and, for employee data, the consent attestation.
 */
function checkUploadRequest(ports: UploadPorts, principal: Principal, body: unknown) {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new MalformedRequestError(BODY_NOT_OBJECT);
  }
  const parsed = uploadRequestSchema.safeParse(body);
  if (!parsed.success) throw validationErrorFrom(parsed.error.issues, FIELDS);
  const request = parsed.data;

  const allowed = uploadableDatasets(principal);
  const dataset = isDatasetName(request.dataset)
    ? allowed.find((d) => d.name === request.dataset)
    : undefined;
  if (!dataset) {
    const names = allowed.map((d) => d.name).join(', ');
    throw new ValidationError(
      msg(
        `データセット「${request.dataset.slice(0, 64)}」はアップロードできません。指定できるのは ${names} です。`,
        `Dataset "${request.dataset.slice(0, 64)}" cannot be uploaded; allowed datasets: ${names}.`,
      ),
      'dataset',
    );
  }
  if (request.profile !== undefined && !getProfile(request.profile)?.datasets[dataset.name]) {
    const fitting = profilesFor(dataset.name).map((p) => p.name);
    throw new ValidationError(
      msg(
        `取り込み形式「${request.profile}」にはデータセット「${dataset.ja}」の形式がありません。${fitting.length > 0 ? `指定できるのは ${fitting.join(', ')} です。` : 'このデータセットには profile を付けずにアップロードしてください。'}`,
        `Import profile ${request.profile} has no layout for dataset ${dataset.name}. ${fitting.length > 0 ? `Profiles for it: ${fitting.join(', ')}.` : 'Upload it without a profile.'}`,
      ),
      'profile',
    );
  }
  const sizeBytes = checkSize(request.sizeBytes, dataset, ports.settings);
  const sha256 = normaliseSha256(request.sha256);
  if (!sha256) throw new ValidationError(FIELDS.sha256, 'sha256');
  const contentType = acceptedContentType(request.contentType);
  const now = ports.clock();
  const consent = requiredConsent(dataset, request.consent, now);
  return { request, dataset, sizeBytes, sha256, contentType, now, consent };
}

/** The landing key of an upload, its file name made safe; ValidationError should anything still escape the prefix. */
function landingKeyFor(tenantId: string, dataset: DatasetDef, uploadId: string, requestedName: string) {
  const fileName = safeFileName(requestedName);
  const key = landingKey(tenantId, dataset.name, uploadId, fileName);
  // Belt and braces: whatever the sanitiser missed must not move the key out of the tenant's prefix.
  if (
    !key.startsWith(landingPrefix(tenantId)) ||
    !SAFE_FILE_NAME.test(fileName) ||
    key.split('/').length !== 5
  ) {
    throw new ValidationError(FIELDS.fileName, 'fileName');
  }
  return { fileName, key };
}

/**
 * Stores the upload's record and its `upload.requested` ledger entry, or neither; the record then takes
 * the entry's place in the tenant's chain as its sequence. A purge that started meanwhile undoes it.
 */
async function recordUploadRequest(
  ports: UploadPorts,
  principal: Principal,
  record: UploadRecord,
  dryRun: boolean,
): Promise<void> {
  const { tenantId, uploadId, sizeBytes, contentType, consent } = record;
  const actor = actorOf(principal);
  // The record first, then its ledger entry; if the entry cannot be appended the record is deleted
  // again, so a failure leaves neither (and the caller gets no ticket). The entry's place in the
  // tenant's chain is the upload's sequence: the order corrections supersede one another in.
  await ports.table.put(UPLOADS_TABLE, withBookkeeping(uploadRecordSchema.parse(record)), {
    ifAbsent: 'uploadId',
  });
  let requested: LedgerEntry;
  try {
    requested = await appendLedger(ports, {
      action: 'upload.requested',
      actor,
      tenantId,
      purpose: CONSENT_PURPOSE,
      details: {
        uploadId,
        dataset: record.dataset,
        sizeBytes,
        contentType,
        ...(dryRun ? { dryRun: true } : {}),
        // The attestation itself names a person: it stays on the record; the ledger holds its digest.
        ...(consent
          ? {
              consentMethod: consent.method,
              consentObtainedAt: consent.obtainedAt,
              attestationSha256: consentDigest(consent),
            }
          : {}),
      },
    });
  } catch (error) {
    await ports.table.delete(UPLOADS_TABLE, { tenantId, uploadId });
    throw error;
  }
  await ports.table.put(
    UPLOADS_TABLE,
    withBookkeeping(
      uploadRecordSchema.parse({
        ...record,
        sequence: requested.seq,
        ...(consent ? { consentRef: entryRef(requested) } : {}),
      }),
    ),
    { ifMatch: { status: 'REQUESTED', updatedAt: record.updatedAt } },
  );
  // A purge that started meanwhile would never see this record: it is deleted again, and no ticket given.
  await confirmTenantWrite(ports, tenantId, () => ports.table.delete(UPLOADS_TABLE, { tenantId, uploadId }));
}

/**
 * What callers see of an upload (internal bookkeeping stays out), and whether its rows are in force:
 * masked, not withdrawn, and not replaced by later uploads for every period (`supersededBy` says which).
 */
export type UploadView = Omit<
  UploadRecord,
  'processedObject' | 'consent' | 'maskedOutputs' | 'inFlight' | 'expiresAtEpoch'
> & {
  readonly inForce: boolean;
};

/**
 * The view of a record, in force and superseded as the tenant's records plan it (supersession.ts): what
 * the facts follow once rebuilt. The records' own `supersededBy` is brought in line only after a later
 * upload's masking commits, and reading it then showed the replaced upload in force a moment longer.
 */
const toView = (record: UploadRecord, plan: SupersessionPlan): UploadView => {
  const {
    processedObject: _p,
    consent: _c,
    maskedOutputs: _m,
    inFlight: _i,
    expiresAtEpoch: _e,
    supersededBy: _s,
    ...view
  } = record;
  const supersededBy = plan.supersededBy.get(record.uploadId);
  return {
    ...view,
    ...(supersededBy ? { supersededBy: { ...supersededBy } } : {}),
    inForce: plan.inForce.some((object) => object.uploadId === record.uploadId),
  };
};

/**
 * The plan of every upload of the tenant, which decides what each of them has in force. Read only when
 * one of `records` completed masking (nothing else can be in force or superseded), so polling an upload
 * still being processed reads its record alone; the plan's read is a projection of every record.
 */
const planFor = async (table: Table, tenantId: string, records: readonly UploadRecord[]) =>
  planSupersession(records.some(maskingComplete) ? await readTenantPlanRecords(table, tenantId) : []);

/**
 * One of the caller's uploads. The key is always the caller's tenant, so another tenant's upload
 * is simply not there: NotFoundError, never a Forbidden that would confirm it exists.
 */
export async function getUpload(
  ports: Pick<UploadPorts, 'table'>,
  principal: Principal,
  uploadId: string,
): Promise<UploadView> {
  const tenantId = tenantOf(principal);
  const record = await readTenantUpload(ports.table, tenantId, uploadId);
  return toView(record, await planFor(ports.table, tenantId, [record]));
}

export const LIST_LIMIT_MAX = 100;

/** The caller's uploads, a page at a time; the cursor is the last upload id of the previous page. */
export async function listUploads(
  ports: Pick<UploadPorts, 'table'>,
  principal: Principal,
  options: { readonly limit?: number | undefined; readonly cursor?: string | undefined } = {},
): Promise<{ readonly uploads: UploadView[]; readonly cursor?: string }> {
  const tenantId = tenantOf(principal);
  const limit = Math.max(1, Math.min(options.limit ?? 50, LIST_LIMIT_MAX));
  if (options.cursor !== undefined && !UPLOAD_ID.test(options.cursor)) {
    throw new ValidationError(
      msg(
        'cursor が正しくありません。前のページの cursor をそのまま指定してください。',
        'cursor is not valid: pass the cursor of the previous page unchanged.',
      ),
      'cursor',
    );
  }
  // Supporter and support grants share the partition; pageTenantUploads skips them.
  const page = await pageTenantUploads(ports.table, tenantId, { limit, cursor: options.cursor });
  const plan = await planFor(ports.table, tenantId, page.records);
  return {
    uploads: page.records.map((record) => toView(record, plan)),
    ...(page.cursor !== undefined ? { cursor: page.cursor } : {}),
  };
}
