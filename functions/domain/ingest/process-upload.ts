/**
 * Processing a claimed upload: validate and normalise the file, write its outcome (raw Parquet per period,
 * the error report, the final record), then hand it on to masking and remove the landing object.
 */
import { randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type DatasetDef, getDataset, withTimeFormat } from '../catalog/index.ts';
import { getProfile, profilesFor } from '../catalog/profiles.ts';
import type { ObjectHead } from '../ports/index.ts';
import type { PlatformSettings } from '../settings.ts';
import { mediaType, XLSX_CONTENT_TYPE } from '../uploads/content-type.ts';
import { readColumnMapping } from '../uploads/mappings.ts';
import type { UploadRecord, UploadStatus } from '../uploads/model.ts';
import { pseudonymisedKey, rawKey, reportKey } from '../zones.ts';
import { FileRejectedError, type RejectionReason, UploadMismatchError } from './errors.ts';
import type { IngestResult } from './ingest-result.ts';
import type { LandingAddress } from './landing.ts';
import type { LandedObject } from './notification.ts';
import type { IngestLogger, IngestPorts } from './ports.ts';
import { validateFile } from './process.ts';
import { quarantine } from './quarantine.ts';
import { CURATED, finish, LANDING, RAW, transitionRecord } from './upload-steps.ts';
import type { PeriodFile, ProcessOptions, ValidatedFile } from './validated-file.ts';
import { checksumMismatch } from './verify.ts';

const PARQUET = 'application/vnd.apache.parquet';

/** Rows, errors and outputs of a finished upload, as the record and the report hold them. */
const REPORT_ERRORS_ON_RECORD = 100;

/** YYYY-MM of an ISO timestamp. */
const monthOf = (iso: string) => iso.slice(0, 7);

/** What the upload's file and its stored outcome came to. */
interface StoredOutcome {
  readonly file: ValidatedFile;
  readonly decision: ReturnType<typeof decide>;
  readonly outputs: string[];
  /** The same rows pseudonymised in the same pass: local files and their curated keys, put once recorded. */
  readonly maskedInPass: ReadonlyArray<{ readonly key: string; readonly path: string }>;
}

/**
 * Decodes, validates and normalises a claimed upload, writes its outcome (raw Parquet per period,
 * the error report, the final record) and removes the landing object. Outputs are written before
 * the record names them, so a half-finished run is never visible; a retry overwrites the same keys.
 */
export async function processUpload(
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
  const workDir = join(ports.workDir ?? tmpdir(), `kura-ingest-${address.uploadId}-${randomUUID()}`);
  const validation = await validationOptions(ports, settings, address, current, workDir);
  const { dataset } = validation;
  const options: ProcessOptions = {
    ...validation.options,
    warn: (message, extra) => log.warn(message, extra),
  };
  let maskedInPass: readonly string[] = [];
  try {
    const upload = current;
    const outcome = await validateFile(
      await ports.objects.getStream(LANDING, object.key),
      options,
      (file, writeValid) => storeOutcome(ports, address, upload, dataset, file, writeValid),
    );
    ports.trace?.('upload');
    current = await recordOutcome(ports, current, outcome, identity);
    maskedInPass = await putMaskedInPass(ports, current, outcome.maskedInPass);
  } catch (error) {
    if (error instanceof UploadMismatchError) {
      return quarantine(ports, settings, log, object, head, address, current, error.reason);
    }
    if (!(error instanceof FileRejectedError)) throw error;
    current = await recordRejection(ports, address, current, error, identity);
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
  await handOn(ports, object, address, current.status, maskedInPass);
  ports.trace?.('record');
  return { kind: 'processed', status: current.status };
}

/**
 * How the upload's file is read: the company's saved mapping (headers, and its usual profile and time
 * format), then what the upload itself says.
 */
async function validationOptions(
  ports: IngestPorts,
  settings: PlatformSettings,
  address: LandingAddress,
  current: UploadRecord,
  workDir: string,
): Promise<{ readonly dataset: DatasetDef; readonly options: ProcessOptions }> {
  const saved = await readColumnMapping(ports.table, address.tenantId, address.dataset);
  const timeFormat = current.timeFormat ?? saved?.timeFormat;
  const dataset = withTimeFormat(getDataset(address.dataset), timeFormat);
  const profileName = current.profile ?? saved?.profile;
  const profile = profileName === undefined ? undefined : getProfile(profileName);
  // A dry run writes nothing, so it masks nothing either.
  const inPass = current.dryRun ? undefined : ports.maskInPass;
  const maskInPass =
    inPass && ((relation: string, outDir: string) => inPass(address.tenantId, dataset, relation, outDir));
  const options: ProcessOptions = {
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
    ...(maskInPass ? { maskInPass } : {}),
  };
  return { dataset, options };
}

/**
 * Decides on the validated file and stores its outcome: the valid rows as raw Parquet per period (unless
 * the file is rejected) and the error report. A dry run stores nothing of the file.
 */
async function storeOutcome(
  ports: IngestPorts,
  address: LandingAddress,
  current: UploadRecord,
  dataset: DatasetDef,
  file: ValidatedFile,
  writeValid: () => Promise<readonly PeriodFile[]>,
): Promise<StoredOutcome> {
  if (file.sha256 !== current.sha256) throw checksumMismatch();
  const { total, rejected } = file.rows;
  const decision = decide(total, rejected, dataset.maxInvalidRowRatio);
  const outputs: string[] = [];
  const maskedInPass: Array<{ key: string; path: string }> = [];
  // A dry run stores nothing of the file: no Parquet, no report (the record keeps the counts).
  if (current.dryRun) return { file, decision, outputs, maskedInPass };
  if (decision.status !== 'REJECTED') {
    for (const part of await writeValid()) {
      const key = rawKey(address.tenantId, address.dataset, part.period, address.uploadId);
      await ports.objects.put(RAW, key, createReadStream(part.path), { contentType: PARQUET });
      outputs.push(key);
      if (part.masked) {
        const key = pseudonymisedKey(address.tenantId, address.dataset, part.period, address.uploadId);
        maskedInPass.push({ key, path: part.masked });
      }
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
  return { file, decision, outputs, maskedInPass };
}

/**
 * Puts the objects pseudonymised in the pass, once the record says the upload was accepted: a crash
 * before the record must leave nothing pseudonymised behind, since the outcome that follows may never
 * commit it (a withdrawal meanwhile, a mapping changed before the retry). Masking commits them next
 * (pseudonymise); a crash between leaves them as any masking cut short does (docs/LIMITS.md).
 */
async function putMaskedInPass(
  ports: IngestPorts,
  record: UploadRecord,
  files: StoredOutcome['maskedInPass'],
): Promise<string[]> {
  if (record.status !== 'ACCEPTED' && record.status !== 'PARTIALLY_ACCEPTED') return [];
  for (const { key, path } of files) {
    await ports.objects.put(CURATED, key, createReadStream(path), { contentType: PARQUET });
  }
  return files.map((f) => f.key);
}

/** The record of a file that was read: its status (or, for a dry run, what it would be), counts and first errors. */
function recordOutcome(
  ports: IngestPorts,
  current: UploadRecord,
  { file, decision, outputs }: StoredOutcome,
  identity: string,
): Promise<UploadRecord> {
  return finish(ports, current, {
    ...(current.dryRun
      ? { status: 'CHECKED' as const, checkedAs: decision.status, columnMapping: [...file.columnMapping] }
      : { status: decision.status }),
    rows: file.rows,
    errors: file.errors.slice(0, REPORT_ERRORS_ON_RECORD),
    errorsTruncated: file.errorCount > REPORT_ERRORS_ON_RECORD,
    encoding: file.encoding,
    outputs,
    ...(file.warnings.length > 0 ? { warnings: [...file.warnings] } : {}),
    ...(file.profile ? { importProfile: { name: file.profile.name, detected: file.profile.detected } } : {}),
    processedObject: identity,
    ...(decision.reason ? { reason: decision.reason } : {}),
  });
}

/** A file refused whole: its report (unless a dry run) and the REJECTED record, with the line when known. */
async function recordRejection(
  ports: IngestPorts,
  address: LandingAddress,
  current: UploadRecord,
  error: FileRejectedError,
  identity: string,
): Promise<UploadRecord> {
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
  return finish(ports, current, {
    ...(current.dryRun
      ? { status: 'CHECKED' as const, checkedAs: 'REJECTED' as const }
      : { status: 'REJECTED' }),
    reason: error.reason,
    processedObject: identity,
    outputs: [],
    errors,
  });
}

/**
 * The steps after the outcome is recorded: masking (for accepted rows), then removing the landing
 * object. Masking runs before the removal so that if it fails, the redelivered notification still
 * finds the object and runs it again; once the object is gone, later deliveries are ignored.
 */
export async function handOn(
  ports: IngestPorts,
  object: LandedObject,
  address: LandingAddress,
  status: UploadStatus,
  maskedInPass: readonly string[] = [],
): Promise<void> {
  if (ports.afterAccepted && (status === 'ACCEPTED' || status === 'PARTIALLY_ACCEPTED')) {
    await ports.afterAccepted(address.tenantId, address.uploadId, maskedInPass);
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
