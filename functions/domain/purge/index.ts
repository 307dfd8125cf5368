/** Retention and purge: tenant lifecycle, resumable verified deletion, chained deletion certificates. */
export {
  CERTIFICATE_CHAIN_HEAD_ID,
  canonicalJson,
  certificateHash,
  type DeletionCertificate,
  deletionCertificateSchema,
  getCertificate,
  verifyCertificateChain,
} from './certificate.ts';
export {
  CertificateNotFoundError,
  ConcurrentPurgeError,
  LegalHoldError,
  PurgeDeleteFailedError,
  TableScanUnsupportedError,
  TenantNotFoundError,
  TenantNotTerminatedError,
} from './errors.ts';
export {
  canTransition,
  effectiveState,
  findTenantsDue,
  isPurgeDue,
  listTenants,
  purgeDueAt,
  purgeDueDate,
} from './lifecycle.ts';
export { DELETE_BATCH_LIMIT, TENANT_DATA_TABLES } from './locations.ts';
export type { PurgeLedger, PurgeLedgerEntry, PurgePorts, RequestRelease } from './ports.ts';
export {
  type PurgeBudget,
  type PurgePlan,
  type PurgeRequest,
  type PurgeResult,
  purgeTenant,
} from './purge.ts';
export { retainedAfterPurge } from './retained.ts';
export { isRetryable, withBackoff } from './retry.ts';
export { purgeExpiredTenants, type ScheduledPurgeSummary } from './scheduled.ts';
