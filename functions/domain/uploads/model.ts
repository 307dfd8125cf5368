import * as z from 'zod';
import { datasetNameSchema } from '../catalog/schema.ts';

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

export const consentSchema = z
  .object({
    obtained: z.literal(true, { error: 'consent.obtained must be true: employees must have consented' }),
    method: z.enum(['written', 'electronic', 'employment_rules', 'other'], {
      error: 'consent.method must be one of written, electronic, employment_rules, other',
    }),
    obtainedAt: z.iso.date({ error: 'consent.obtainedAt must be a date like 2026-04-01' }),
    attestedBy: z
      .string()
      .trim()
      .min(1, 'consent.attestedBy must name who attests (e.g. 人事部長 山田)')
      .max(200),
  })
  .strict();
export type Consent = z.infer<typeof consentSchema>;

/** One row-level error. `value` is masked when the column is personal. */
export const rowErrorSchema = z.object({
  line: z.number().int().positive(),
  column: z.string().optional(),
  code: z.string(),
  message: z.object({ ja: z.string(), en: z.string() }),
  value: z.string().optional(),
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
  sizeBytes: z.number().int().nonnegative(),
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
  sequence: z
    .string()
    .regex(/^\d{12}$/)
    .optional(),
  /** Ledger entry (`<chain>/<seq>`) that records the consent attestation covering this upload. */
  consentRef: z.string().optional(),
  /** The attestation itself (it names a person, so it stays with the tenant's data, not in the ledger). */
  consent: consentSchema.optional(),
  /** Why the upload was rejected, when it was. */
  reason: z.object({ code: z.string(), ja: z.string(), en: z.string() }).optional(),
  rows: z
    .object({
      total: z.number().int().nonnegative(),
      accepted: z.number().int().nonnegative(),
      rejected: z.number().int().nonnegative(),
    })
    .optional(),
  /** First row errors (the full report is in the raw bucket under reports/). */
  errors: z.array(rowErrorSchema).optional(),
  errorsTruncated: z.boolean().optional(),
  /** Remarks on a file accepted anyway: e.g. columns the dataset does not know, dropped before storing. */
  warnings: z.array(z.object({ code: z.string(), ja: z.string(), en: z.string() })).optional(),
  /** Idempotency: the S3 object (key + version or sequencer) whose processing produced the outcome. */
  processedObject: z.string().optional(),
  encoding: z.string().optional(),
  outputs: z.array(z.string()).optional(),
  /**
   * When masking completed: its pseudonymised objects (`maskedOutputs`) are written and committed. Only
   * uploads with masking complete count in facts and releases (supersession.ts).
   */
  maskedAt: z.string().optional(),
  /** The pseudonymised objects masking committed, one per period; the facts read exactly these. */
  maskedOutputs: z.array(z.string()).optional(),
  /** Periods of this upload replaced by a later upload of the same dataset: period → that upload's id. */
  supersededBy: z.record(z.string(), z.string()).optional(),
  withdrawnAt: z.string().optional(),
  /** Who withdrew it (identity provider subject id). */
  withdrawnBy: z.string().optional(),
  /** The ledger entry recording the withdrawal (`<chain>/<seq>`): set last, once everything is deleted. */
  withdrawalRef: z.string().optional(),
  /** Object versions the withdrawal deleted, per store (what the ledger entry records). */
  withdrawalDeleted: z.record(z.string(), z.number().int().nonnegative()).optional(),
  /** When a run began finishing the withdrawal (one at a time; a run older than 15 minutes is taken over). */
  withdrawalClaimedAt: z.string().optional(),
  /** How the file writes hours, as the company declared it (catalog/schema.ts TIME_FORMATS). */
  timeFormat: z.enum(['decimal', 'hours-minutes', 'minutes']).optional(),
  /**
   * The sheet of an Excel workbook to read (default: the first), as the SHA-256 of its name
   * (`sheetDigest`): sheet names are the company's own text and may name people, so the record keeps
   * only what identifies the sheet within its workbook.
   */
  sheetDigest: z
    .string()
    .regex(/^[0-9a-f]{64}$/)
    .optional(),
  /** The import profile the upload named (catalog/profiles.ts), e.g. `kingoftime`. */
  profile: z.string().optional(),
  /** The profile the file was read with: the one named, or the one detected from its header. */
  importProfile: z.object({ name: z.string(), detected: z.boolean() }).optional(),
  /** A dry run: validate only, store nothing (status CHECKED when done). */
  dryRun: z.literal(true).optional(),
  /** What a real upload of the checked file would have ended as. */
  checkedAs: z.enum(['ACCEPTED', 'PARTIALLY_ACCEPTED', 'REJECTED']).optional(),
  /** How the file's columns map onto the dataset, by position (1-based): a catalogue column, or dropped. */
  columnMapping: z
    .array(z.object({ position: z.number().int().positive(), column: z.string().nullable() }))
    .optional(),
  /** The phase of an unfinished upload, key of the sparse index `byInFlight` (in-flight.ts). */
  inFlight: z.enum(['REQUESTED', 'RECEIVED', 'VALIDATING', 'MASKING', 'WITHDRAWING']).optional(),
  /** TTL (epoch seconds) of a request whose file never came (in-flight.ts). */
  expiresAtEpoch: z.number().int().optional(),
});
export type UploadRecord = z.infer<typeof uploadRecordSchema>;
