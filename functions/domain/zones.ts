/**
 * Where each zone keeps its data. One place for every key layout, so ingestion, masking, statistics
 * and purge agree on what belongs to a tenant. Logical bucket names; adapters map them to real ones.
 *
 * | zone           | bucket        | prefix                                                          |
 * |----------------|---------------|-----------------------------------------------------------------|
 * | landing        | landing       | landing/<tenantId>/<dataset>/<uploadId>/<fileName>              |
 * | quarantine     | landing       | quarantine/<tenantId>/<uploadId>/quarantined.json (no bytes)    |
 * | raw            | raw           | raw/tenant=<tenantId>/dataset=<dataset>/period=<YYYY-MM>/<uploadId>.parquet |
 * | reports        | raw           | reports/<tenantId>/<uploadId>.json (row-error reports)          |
 * | pseudonymised  | curated       | pseudonymised/tenant=<tenantId>/dataset=<dataset>/period=<YYYY-MM>/<uploadId>.parquet |
 * | derived facts  | curated       | facts/tenant=<tenantId>/fact=<name>/<file>.parquet              |
 * | anonymised     | curated       | anonymised/release=<releaseId>/dataset=<name>/<file>.parquet    |
 * | stats          | stats         | stats/release=<releaseId>/statistic=<name>/<file>.parquet       |
 * | stats (admin)  | stats         | stats-admin/release=<releaseId>/... (suppression reasons)       |
 * | query results  | query-results | results/<workgroup>/... ; tenant-scoped: results/tenant=<tenantId>/... |
 * | support exports| raw           | support-exports/<tenantId>/<grantId>/<file>                     |
 * | audit          | audit         | certificates/<tenantId>/<certificateId>.json ; ledger-exports/...|
 */
export const BUCKETS = [
  'landing',
  'raw',
  'curated',
  'stats',
  'query-results',
  'audit',
  'access-logs',
] as const;
export type LogicalBucket = (typeof BUCKETS)[number];

/**
 * Buckets copied to the disaster-recovery region when a stage has one. S3 replicates new versions and
 * delete markers, never the deletion of a version, so a purge deletes a tenant's versions in these
 * copies itself.
 */
export const REPLICATED_BUCKETS = ['curated', 'audit'] as const satisfies readonly LogicalBucket[];
export type ReplicatedBucket = (typeof REPLICATED_BUCKETS)[number];

/** Tables: logical names; adapters map them to real ones. */
export const TABLES = ['tenants', 'uploads', 'ledger', 'jobs'] as const;
export type LogicalTable = (typeof TABLES)[number];

export const landingPrefix = (tenantId: string) => `landing/${tenantId}/`;
export const landingKey = (tenantId: string, dataset: string, uploadId: string, fileName: string) =>
  `landing/${tenantId}/${dataset}/${uploadId}/${fileName}`;
/**
 * What quarantine keeps of a file that did not match its request: a record of its size, SHA-256 and
 * why, never its bytes (they may hold an identification code). Expires with the landing zone.
 */
export const quarantineKey = (tenantId: string, uploadId: string) =>
  `quarantine/${tenantId}/${uploadId}/quarantined.json`;
export const rawPrefix = (tenantId: string) => `raw/tenant=${tenantId}/`;
export const rawKey = (tenantId: string, dataset: string, period: string, uploadId: string) =>
  `raw/tenant=${tenantId}/dataset=${dataset}/period=${period}/${uploadId}.parquet`;
export const reportKey = (tenantId: string, uploadId: string) => `reports/${tenantId}/${uploadId}.json`;
export const pseudonymisedPrefix = (tenantId: string) => `pseudonymised/tenant=${tenantId}/`;
export const pseudonymisedKey = (tenantId: string, dataset: string, period: string, uploadId: string) =>
  `pseudonymised/tenant=${tenantId}/dataset=${dataset}/period=${period}/${uploadId}.parquet`;
export const factsPrefix = (tenantId: string) => `facts/tenant=${tenantId}/`;
export const anonymisedPrefix = (releaseId: string) => `anonymised/release=${releaseId}/`;
export const statsPrefix = (releaseId: string) => `stats/release=${releaseId}/`;
/** Admin-only side of a stats release (suppression reasons, work tables); BI may never read it. */
export const statsAdminPrefix = (releaseId: string) => `stats-admin/release=${releaseId}/`;
export const tenantQueryResultsPrefix = (tenantId: string) => `results/tenant=${tenantId}/`;
/** Every support export of a tenant, under any grant. */
export const supportExportTenantPrefix = (tenantId: string) => `support-exports/${tenantId}/`;
export const supportExportPrefix = (tenantId: string, grantId: string) =>
  `support-exports/${tenantId}/${grantId}/`;

/** The replica locations of a tenant's data: its prefixes in buckets the stage replicates. */
export function tenantReplicaPrefixes(
  tenantId: string,
): ReadonlyArray<{ bucket: ReplicatedBucket; prefix: string }> {
  return tenantPrefixes(tenantId).filter(
    (location): location is { bucket: ReplicatedBucket; prefix: string } =>
      (REPLICATED_BUCKETS as readonly string[]).includes(location.bucket),
  );
}

/** The period (YYYY-MM) a raw or pseudonymised key is partitioned by (`period=<YYYY-MM>`), if any. */
export const periodOfKey = (key: string): string | undefined =>
  key
    .split('/')
    .find((segment) => segment.startsWith('period='))
    ?.slice('period='.length);

/** Where a tenant's deletion certificates live in the audit bucket (under Object Lock). */
export const certificatesPrefix = (tenantId: string) => `certificates/${tenantId}/`;
export const certificateKey = (tenantId: string, certificateId: string) =>
  `certificates/${tenantId}/${certificateId}.json`;

/** Every (bucket, prefix) that can hold a tenant's data; the purge and its verification walk all of them. */
export function tenantPrefixes(tenantId: string): ReadonlyArray<{ bucket: LogicalBucket; prefix: string }> {
  return [
    { bucket: 'landing', prefix: landingPrefix(tenantId) },
    { bucket: 'landing', prefix: `quarantine/${tenantId}/` },
    { bucket: 'raw', prefix: rawPrefix(tenantId) },
    { bucket: 'raw', prefix: `reports/${tenantId}/` },
    { bucket: 'raw', prefix: supportExportTenantPrefix(tenantId) },
    { bucket: 'curated', prefix: pseudonymisedPrefix(tenantId) },
    { bucket: 'curated', prefix: factsPrefix(tenantId) },
    { bucket: 'query-results', prefix: tenantQueryResultsPrefix(tenantId) },
  ];
}
