import { datasetNameSchema } from '../catalog/schema.ts';
import * as z from '../zod.ts';

export const UPLOAD_STATUSES = [
  'REQUESTED',
  'RECEIVED',
  'VALIDATING',
  'ACCEPTED',
  'PARTIALLY_ACCEPTED',
  'REJECTED',
  /** The company withdrew it: its data is deleted and nothing counts it (uploads/withdraw.ts). */
  'WITHDRAWN',
  /**
   * A dry run (`dryRun`): the file was validated like any upload and deleted; nothing of it was stored
   * but the counts, the first row errors (personal values masked) and the outcome it would have had
   * (`checkedAs`). Nothing counts it.
   */
  'CHECKED',
] as const;
export const uploadStatusSchema = z.enum(UPLOAD_STATUSES);
export type UploadStatus = z.infer<typeof uploadStatusSchema>;

export const consentSchema = z.strictObject({
  obtained: z.literal(true, { error: 'consent.obtained must be true: employees must have consented' }),
  method: z.enum(['written', 'electronic', 'employment_rules', 'other'], {
    error: 'consent.method must be one of written, electronic, employment_rules, other',
  }),
  obtainedAt: z.iso.date({ error: 'consent.obtainedAt must be a date like 2026-04-01' }),
  attestedBy: z
    .string()
    .check(
      z.trim(),
      z.minLength(1, 'consent.attestedBy must name who attests (e.g. 人事部長 山田)'),
      z.maxLength(200),
    ),
});
export type Consent = z.infer<typeof consentSchema>;

/** One row-level error. `value` is masked when the column is personal. */
export const rowErrorSchema = z.object({
  line: z.int().check(z.positive()),
  column: z.optional(z.string()),
  code: z.string(),
  message: z.object({ ja: z.string(), en: z.string() }),
  value: z.optional(z.string()),
});
export type RowError = z.infer<typeof rowErrorSchema>;

/** The uploads table item. Key: tenantId (partition), uploadId (sort). */
export const uploadRecordSchema = z.object({
  tenantId: z.string(),
  uploadId: z.string(),
  dataset: datasetNameSchema,
  fileName: z.string(),
  key: z.string(),
  contentType: z.string(),
  sizeBytes: z.int().check(z.nonnegative()),
  /** Base64 SHA-256 the client declared. */
  sha256: z.string(),
  status: uploadStatusSchema,
  requestedBy: z.string(),
  requestedAt: z.string(),
  expiresAt: z.string(),
  updatedAt: z.string(),
  /**
   * The upload's place in the tenant's order: the sequence number (12 digits) of its `upload.requested`
   * entry in the tenant's ledger chain, assigned by the server when the upload is requested. Of two
   * uploads of the same dataset and period, the later in this order is in force (supersession.ts).
   * Absent on records of earlier versions, which order before every sequenced one.
   */
  sequence: z.optional(z.string().check(z.regex(/^\d{12}$/))),
  /** Ledger entry (`<chain>/<seq>`) that records the consent attestation covering this upload. */
  consentRef: z.optional(z.string()),
  /** The attestation itself (it names a person, so it stays with the tenant's data, not in the ledger). */
  consent: z.optional(consentSchema),
  /** Why the upload was rejected, when it was. */
  reason: z.optional(z.object({ code: z.string(), ja: z.string(), en: z.string() })),
  rows: z.optional(
    z.object({
      total: z.int().check(z.nonnegative()),
      accepted: z.int().check(z.nonnegative()),
      rejected: z.int().check(z.nonnegative()),
    }),
  ),
  /** First row errors (the full report is in the raw bucket under reports/). */
  errors: z.optional(z.array(rowErrorSchema)),
  errorsTruncated: z.optional(z.boolean()),
  /** Remarks on a file accepted anyway: e.g. columns the dataset does not know, dropped before storing. */
  warnings: z.optional(z.array(z.object({ code: z.string(), ja: z.string(), en: z.string() }))),
  /** Idempotency: the S3 object (key + version or sequencer) whose processing produced the outcome. */
  processedObject: z.optional(z.string()),
  encoding: z.optional(z.string()),
  outputs: z.optional(z.array(z.string())),
  /**
   * When masking completed: its pseudonymised objects (`maskedOutputs`) are written and committed. Only
   * uploads with masking complete count in facts and releases (supersession.ts).
   */
  maskedAt: z.optional(z.string()),
  /** The pseudonymised objects masking committed, one per period; the facts read exactly these. */
  maskedOutputs: z.optional(z.array(z.string())),
  /** Periods of this upload replaced by a later upload of the same dataset: period → that upload's id. */
  supersededBy: z.optional(z.record(z.string(), z.string())),
  withdrawnAt: z.optional(z.string()),
  /** Who withdrew it (identity provider subject id). */
  withdrawnBy: z.optional(z.string()),
  /** The ledger entry recording the withdrawal (`<chain>/<seq>`): set last, once everything is deleted. */
  withdrawalRef: z.optional(z.string()),
  /** Object versions the withdrawal deleted, per store (what the ledger entry records). */
  withdrawalDeleted: z.optional(z.record(z.string(), z.int().check(z.nonnegative()))),
  /** When a run began finishing the withdrawal (one at a time; a run older than 15 minutes is taken over). */
  withdrawalClaimedAt: z.optional(z.string()),
  /** How the file writes hours, as the company declared it (catalog/schema.ts TIME_FORMATS). */
  timeFormat: z.optional(z.enum(['decimal', 'hours-minutes', 'minutes'])),
  /**
   * The sheet of an Excel workbook to read (default: the first), as the SHA-256 of its name
   * (`sheetDigest`): sheet names are the company's own text and may name people, so the record keeps
   * only what identifies the sheet within its workbook.
   */
  sheetDigest: z.optional(z.string().check(z.regex(/^[0-9a-f]{64}$/))),
  /** The import profile the upload named (catalog/profiles.ts), e.g. `kingoftime`. */
  profile: z.optional(z.string()),
  /** The profile the file was read with: the one named, or the one detected from its header. */
  importProfile: z.optional(z.object({ name: z.string(), detected: z.boolean() })),
  /** A dry run: validate only, store nothing (status CHECKED when done). */
  dryRun: z.optional(z.literal(true)),
  /** What a real upload of the checked file would have ended as. */
  checkedAs: z.optional(z.enum(['ACCEPTED', 'PARTIALLY_ACCEPTED', 'REJECTED'])),
  /** How the file's columns map onto the dataset, by position (1-based): a catalogue column, or dropped. */
  columnMapping: z.optional(
    z.array(z.object({ position: z.int().check(z.positive()), column: z.nullable(z.string()) })),
  ),
  /** The phase of an unfinished upload, key of the sparse index `byInFlight` (in-flight.ts). */
  inFlight: z.optional(z.enum(['REQUESTED', 'RECEIVED', 'VALIDATING', 'MASKING', 'WITHDRAWING'])),
  /** TTL (epoch seconds) of a request whose file never came (in-flight.ts). */
  expiresAtEpoch: z.optional(z.int()),
});
export type UploadRecord = z.infer<typeof uploadRecordSchema>;
