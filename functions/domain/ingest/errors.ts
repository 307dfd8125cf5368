/** A bilingual reason recorded on a rejected upload. */
export interface RejectionReason {
  readonly code: string;
  readonly ja: string;
  readonly en: string;
}

/**
 * The file as a whole cannot be ingested (bad encoding, bad header, limits, …). Carries the bilingual
 * reason the upload record and `GET /uploads/{id}` show, and the line when one is to blame.
 */
export class FileRejectedError extends Error {
  override readonly name = 'FileRejectedError';
  constructor(
    readonly reason: RejectionReason,
    readonly line?: number,
  ) {
    super(reason.en);
  }
}

/** The object does not match its upload record (or has none): it goes to quarantine. */
export class UploadMismatchError extends Error {
  override readonly name = 'UploadMismatchError';
  constructor(readonly reason: RejectionReason) {
    super(reason.en);
  }
}

/** Another delivery of a different object is being processed for the same upload; retry later. */
export class IngestBusyError extends Error {
  override readonly name = 'IngestBusyError';
}

/** A FileRejectedError from its code, Japanese and English messages and the line, when one is to blame. */
export const reject = (code: string, ja: string, en: string, line?: number) =>
  new FileRejectedError({ code, ja, en }, line);
