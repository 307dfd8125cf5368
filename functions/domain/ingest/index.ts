/**
 * Ingestion: an uploaded CSV (S3 object under landing/) becomes validated, normalised Parquet in
 * the raw zone, with row-level errors and nothing lost.
 *
 * 1. `ingestNotificationBatch` (SQS batch of S3 notifications) → `ingestObject` per created object.
 * 2. `ingestObject` verifies the object against its upload record (tenant, dataset, key, size,
 *    content type, SHA-256), quarantines mismatches, claims the upload idempotently (RECEIVED) and
 *    moves it through VALIDATING to ACCEPTED, PARTIALLY_ACCEPTED or REJECTED.
 * 3. `validateFile` streams the object once: gunzip, encoding detection and decoding to UTF-8
 *    (japanese/encoding.ts), a structural CSV scan that remembers where each record starts
 *    (scan.ts), into a clean CSV on local disk; DuckDB then applies the catalogue's rules compiled
 *    to SQL (sql.ts; rules.ts is the TypeScript twin a property test holds it to) and writes one
 *    Parquet file per period.
 * 4. Outputs are put before the record names them; then masking (`afterAccepted`) and the removal
 *    of the landing object.
 */
export { type BatchResponse, ingestNotificationBatch, type SqsBatch, sqsBatchSchema } from './batch.ts';
export { FileRejectedError, IngestBusyError, type RejectionReason, UploadMismatchError } from './errors.ts';
export { ingestObject } from './ingest.ts';
export type { IngestResult } from './ingest-result.ts';
export { type LandingAddress, parseLandingKey } from './landing.ts';
export { type LandedObject, NotificationFormatError, parseS3Notification } from './notification.ts';
export type { IngestLogger, IngestPorts } from './ports.ts';
export { validateFile } from './process.ts';
export { decide } from './process-upload.ts';
export { type CellResult, normaliseCell } from './rules.ts';
export { objectIdentity } from './upload-steps.ts';
export type { PeriodFile, ValidatedFile } from './validated-file.ts';
