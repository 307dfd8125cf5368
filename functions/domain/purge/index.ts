/** Retention and purge: resumable verified deletion, chained deletion certificates (the tenant lifecycle is in tenants/rules.ts). */
export {
  CERTIFICATE_CHAIN_HEAD_ID,
  canonicalJson,
  certificateHash,
  type DeletionCertificate,
  deletionCertificateSchema,
  getCertificate,
  verifyCertificateChain,
} from './certificate.ts';
export { findTenantsDue } from './due.ts';
export {
  CertificateNotFoundError,
  ConcurrentPurgeError,
  LegalHoldError,
  PurgeDeleteFailedError,
  TenantNotFoundError,
  TenantNotTerminatedError,
} from './errors.ts';
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
