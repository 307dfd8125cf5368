/**
 * Names of Kura's CloudWatch metrics (EMF, namespace `Kura`) and of the services that emit them. Pure:
 * infra imports it to build alarms and dashboards on exactly the metrics the functions write.
 *
 * Powertools adds the dimension `service` to every metric, so an alarm must name it:
 * `new Metric({ namespace: KURA_NAMESPACE, metricName: 'PurgeOverdue', dimensionsMap: { service: 'kura-purge' } })`.
 */
export const KURA_NAMESPACE = 'Kura';

/** One service name per function (the Logger's `service`, the metrics' `service` dimension). */
export const KURA_SERVICES = {
  api: 'kura-api',
  ingest: 'kura-ingest',
  mask: 'kura-mask',
  statsRelease: 'kura-stats-release',
  purge: 'kura-purge',
  ledgerExport: 'kura-ledger-export',
  supportSweep: 'kura-support-sweep',
  uploadWatch: 'kura-upload-watch',
} as const;
export type KuraService = (typeof KURA_SERVICES)[keyof typeof KURA_SERVICES];

/** Every domain metric, the service that emits it, its unit and what it counts. */
export const KURA_METRICS = {
  UploadsAccepted: { service: KURA_SERVICES.ingest, unit: 'Count', doc: 'Uploads ending ACCEPTED.' },
  UploadsPartiallyAccepted: {
    service: KURA_SERVICES.ingest,
    unit: 'Count',
    doc: 'Uploads ending PARTIALLY_ACCEPTED (some rows rejected).',
  },
  UploadsRejected: {
    service: KURA_SERVICES.ingest,
    unit: 'Count',
    doc: 'Uploads ending REJECTED (file-level reason or too many invalid rows).',
  },
  RowsAccepted: { service: KURA_SERVICES.ingest, unit: 'Count', doc: 'Rows written to the raw zone.' },
  RowsRejected: { service: KURA_SERVICES.ingest, unit: 'Count', doc: 'Rows refused by validation.' },
  IngestQuarantine: {
    service: KURA_SERVICES.ingest,
    unit: 'Count',
    doc: 'Objects quarantined: deleted, with their size, SHA-256 and reason recorded (no upload record, mismatch, bad key). Alarm: any.',
  },
  IngestRetried: {
    service: KURA_SERVICES.ingest,
    unit: 'Count',
    doc: 'Messages handed back to SQS for redelivery.',
  },
  UploadsStuck: {
    service: KURA_SERVICES.uploadWatch,
    unit: 'Count',
    doc: 'Unfinished uploads that have not moved for 15 minutes (RECEIVED, VALIDATING, MASKING, or REQUESTED with its file landed), every 5 minutes. Alarm: any.',
  },
  UploadsPseudonymised: { service: KURA_SERVICES.mask, unit: 'Count', doc: 'Uploads masked.' },
  RowsPseudonymised: { service: KURA_SERVICES.mask, unit: 'Count', doc: 'Rows written to the curated zone.' },
  PurgeCompleted: { service: KURA_SERVICES.purge, unit: 'Count', doc: 'Tenants purged and certified.' },
  PurgeOverdue: {
    service: KURA_SERVICES.purge,
    unit: 'Count',
    doc: 'Tenants due for purge that a run did not finish (failed or still in progress). Alarm: any.',
  },
  PurgeFailed: { service: KURA_SERVICES.purge, unit: 'Count', doc: 'Tenants whose purge failed in a run.' },
  PurgeBlocked: {
    service: KURA_SERVICES.purge,
    unit: 'Count',
    doc: 'Tenants due but held (legal hold); expected, not an alarm.',
  },
  StatsReleasePublished: {
    service: KURA_SERVICES.statsRelease,
    unit: 'Count',
    doc: 'Statistics releases published.',
  },
  StatsReleaseFailed: {
    service: KURA_SERVICES.statsRelease,
    unit: 'Count',
    doc: 'Statistics release invocations that failed. Alarm: any.',
  },
  StatsReleaseAuditFailed: {
    service: KURA_SERVICES.statsRelease,
    unit: 'Count',
    doc: 'Statistics releases the disclosure audit refused (nothing published; findings in stats-admin/release=<id>/audit.json). Alarm: any.',
  },
  StatsCompaniesFactsOutdated: {
    service: KURA_SERVICES.statsRelease,
    unit: 'Count',
    doc: 'Companies a published release left out because their facts were not of the generation in force (a facts rebuild died before its re-check, or a withdrawal finished while the release read them); their tenant ids are in the warning logged with it. Alarm: any.',
  },
  StatsCellsSuppressed: {
    service: KURA_SERVICES.statsRelease,
    unit: 'Count',
    doc: 'Cells suppressed (primary and secondary) in a published release.',
  },
} as const;
export type KuraMetricName = keyof typeof KURA_METRICS;
