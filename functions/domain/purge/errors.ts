import { ConflictError, KuraError, NotFoundError } from '../errors.ts';
import { msg } from '../i18n.ts';

/*
 * Purge errors extend the shared KuraError classes, so the API maps them to statuses in one place
 * (NotFoundError → 404, ConflictError → 409). The base classes fix `name` and `code`; `reason` tells
 * the purge's cases apart.
 */

/** No tenant with this id exists (API: 404). */
export class TenantNotFoundError extends NotFoundError {
  readonly reason = 'TENANT_NOT_FOUND';
  constructor(tenantId: string) {
    super(msg(`テナント ${tenantId} は存在しません。`, `Tenant ${tenantId} does not exist.`));
  }
}

/** A legal hold is set on the tenant: nothing of it may be deleted (API: 409). */
export class LegalHoldError extends ConflictError {
  readonly reason = 'LEGAL_HOLD';
  readonly tenantId: string;
  constructor(tenantId: string) {
    super(
      msg(
        `テナント ${tenantId} には訴訟ホールド（法的保全）が設定されているため、データを削除できません。削除するには、法務担当者が保全を解除してから再実行してください。この拒否は台帳に記録されました。`,
        `Tenant ${tenantId} is under legal hold, so none of its data can be deleted. Ask legal to release the hold, then run the purge again. This refusal has been recorded in the ledger.`,
      ),
    );
    this.tenantId = tenantId;
  }
}

/** The tenant's contract is still running: it must be terminated before its data is purged (API: 409). */
export class TenantNotTerminatedError extends ConflictError {
  readonly reason = 'TENANT_NOT_TERMINATED';
  constructor(tenantId: string) {
    super(
      msg(
        `テナント ${tenantId} は契約中（ACTIVE）です。削除する前に契約終了日を設定して解約（TERMINATED）してください。`,
        `Tenant ${tenantId} is ACTIVE (its contract runs). Set its contract end and terminate it before purging its data.`,
      ),
    );
  }
}

/** Another purge of the same tenant wrote its checkpoint first; this run stops so they never interleave (API: 409). */
export class ConcurrentPurgeError extends ConflictError {
  readonly reason = 'PURGE_IN_PROGRESS';
  constructor(tenantId: string) {
    super(
      msg(
        `テナント ${tenantId} の削除は別の処理が実行中です。しばらく待ってから再実行してください。`,
        `Another purge of tenant ${tenantId} is running. Wait for it, then run the purge again if it has not finished.`,
      ),
    );
  }
}

/** Some objects could not be deleted even after retries; the purge stays PURGING and can be re-run. */
export class PurgeDeleteFailedError extends KuraError {
  override readonly name = 'PurgeDeleteFailedError';
  readonly code = 'PURGE_DELETE_FAILED';
  readonly failedCount: number;
  constructor(tenantId: string, bucket: string, failedCount: number) {
    super(
      msg(
        `テナント ${tenantId} の削除中、バケット ${bucket} の ${failedCount} 件を再試行後も削除できませんでした。削除は途中から再開できます。原因（権限、Object Lock など）を確認して再実行してください。`,
        `While purging tenant ${tenantId}, ${failedCount} object version(s) in bucket ${bucket} could not be deleted after retries. The purge resumes where it stopped: check permissions or Object Lock, then run it again.`,
      ),
    );
    this.failedCount = failedCount;
  }
}

/** No deletion certificate exists for the tenant (API: 404). */
export class CertificateNotFoundError extends NotFoundError {
  readonly reason = 'CERTIFICATE_NOT_FOUND';
  constructor(tenantId: string) {
    super(
      msg(
        `テナント ${tenantId} の削除証明書はありません（削除が完了していないか、テナントが存在しません）。`,
        `There is no deletion certificate for tenant ${tenantId} (its purge has not finished, or the tenant does not exist).`,
      ),
    );
  }
}
