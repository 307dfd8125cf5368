/** Typed errors of the masking engine. Messages name what and where, never values or key material. */

/** The upload record does not exist. */
export class UploadNotFoundError extends Error {
  override readonly name = 'UploadNotFoundError';
  constructor(tenantId: string, uploadId: string) {
    super(
      `upload ${uploadId} of tenant ${tenantId} does not exist; check the ids passed to the mask function`,
    );
  }
}

/** The upload is not in a state masking can start from (not yet accepted, or rejected). */
export class UploadNotMaskableError extends Error {
  override readonly name: string = 'UploadNotMaskableError';
  constructor(uploadId: string, reason: string) {
    super(`upload ${uploadId} cannot be masked: ${reason}`);
  }
}

/**
 * The upload was withdrawn before or while it was being masked: nothing of it is committed, and what this
 * masking put is deleted again. For ingestion the upload is finished with (the withdrawal owns the rest).
 */
export class UploadWithdrawnError extends UploadNotMaskableError {
  override readonly name = 'UploadWithdrawnError';
}

/**
 * Masking found its upload withdrawn, and some of the pseudonymised versions it must delete again are
 * still there (the store refused or failed to delete them): a failure, so the caller retries.
 */
export class WithdrawnObjectsLeftError extends Error {
  override readonly name = 'WithdrawnObjectsLeftError';
  constructor(uploadId: string, left: number) {
    super(
      `upload ${uploadId} was withdrawn, but ${left} pseudonymised object version(s) of it could not be deleted yet; the redelivered notification (or masking it again) deletes them`,
    );
  }
}

/**
 * A tenant's uploads kept changing (masked or withdrawn) while its facts were rebuilt, attempt after
 * attempt: the facts written last may not follow the records, so this is a failure and the caller's
 * delivery is retried (each change also brings its own rebuild).
 */
export class FactsKeptChangingError extends Error {
  override readonly name = 'FactsKeptChangingError';
  constructor(tenantId: string, attempts: number) {
    super(
      `the uploads of tenant ${tenantId} changed during each of ${attempts} rebuilds of its facts; the facts are rebuilt again when the delivery is retried`,
    );
  }
}

/** Former versions of a tenant's facts could not all be deleted (here, or in the DR copy). */
export class FactsVersionsLeftError extends Error {
  override readonly name = 'FactsVersionsLeftError';
  constructor(
    readonly store: string,
    readonly count: number,
  ) {
    super(
      `${count} former version(s) of the facts in ${store} could not be deleted; the next rebuild deletes them`,
    );
  }
}

/** A raw output on the upload record lies outside the tenant's raw prefix: refused, never read. */
export class ForeignObjectError extends Error {
  override readonly name = 'ForeignObjectError';
  constructor(uploadId: string, key: string) {
    super(`upload ${uploadId} lists ${key}, which is not in its tenant's raw zone; refusing to read it`);
  }
}

/** The tenant record does not exist or has no company profile. */
export class TenantNotFoundError extends Error {
  override readonly name = 'TenantNotFoundError';
  constructor(tenantId: string) {
    super(`tenant ${tenantId} does not exist; it cannot contribute to a release`);
  }
}
