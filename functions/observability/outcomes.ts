/**
 * Domain outcomes as metrics: one call per outcome, names from the catalogue, so alarms and dashboards
 * (infra) and the code agree. Counts only; no id, name or value goes into a metric.
 */
import type { UploadStatus } from '../domain/uploads/model.ts';
import { KURA_METRICS, type KuraMetricName } from './catalog.ts';

/** The part of Powertools' Metrics the helpers use (tests pass a recorder). */
export interface MetricSink {
  addMetric(name: string, unit: 'Count', value: number): unknown;
}

export type DomainOutcome =
  | {
      readonly kind: 'upload';
      readonly status: UploadStatus;
      readonly rows?: { readonly accepted: number; readonly rejected: number } | undefined;
    }
  | { readonly kind: 'quarantine' }
  | { readonly kind: 'ingest-retry'; readonly messages: number }
  | { readonly kind: 'masked'; readonly rows: number }
  | {
      readonly kind: 'purge';
      readonly purged: number;
      readonly overdue: number;
      readonly failed: number;
      readonly blocked: number;
    }
  | {
      readonly kind: 'stats-release';
      readonly ok: true;
      readonly suppressedCells: number;
      /** Companies left out for outdated facts. */
      readonly factsOutdated: number;
    }
  | { readonly kind: 'stats-release'; readonly ok: false }
  | { readonly kind: 'stats-release-audit-failed' }
  | { readonly kind: 'uploads-stuck'; readonly count: number };

const UPLOAD_METRIC: Partial<Record<UploadStatus, KuraMetricName>> = {
  ACCEPTED: 'UploadsAccepted',
  PARTIALLY_ACCEPTED: 'UploadsPartiallyAccepted',
  REJECTED: 'UploadsRejected',
};

/** The metrics one outcome adds. Zero counts are written too, so alarms see data, not gaps. */
export function outcomeMetrics(outcome: DomainOutcome): Array<[KuraMetricName, number]> {
  switch (outcome.kind) {
    case 'upload': {
      const metric = UPLOAD_METRIC[outcome.status];
      if (!metric) return [];
      return [
        [metric, 1],
        ...(outcome.rows
          ? ([
              ['RowsAccepted', outcome.rows.accepted],
              ['RowsRejected', outcome.rows.rejected],
            ] as Array<[KuraMetricName, number]>)
          : []),
      ];
    }
    case 'quarantine':
      return [['IngestQuarantine', 1]];
    case 'ingest-retry':
      return outcome.messages > 0 ? [['IngestRetried', outcome.messages]] : [];
    case 'masked':
      return [
        ['UploadsPseudonymised', 1],
        ['RowsPseudonymised', outcome.rows],
      ];
    case 'purge':
      return [
        ['PurgeCompleted', outcome.purged],
        ['PurgeOverdue', outcome.overdue],
        ['PurgeFailed', outcome.failed],
        ['PurgeBlocked', outcome.blocked],
      ];
    case 'stats-release':
      return outcome.ok
        ? [
            ['StatsReleasePublished', 1],
            ['StatsReleaseFailed', 0],
            ['StatsCellsSuppressed', outcome.suppressedCells],
            ['StatsCompaniesFactsOutdated', outcome.factsOutdated],
          ]
        : [['StatsReleaseFailed', 1]];
    case 'stats-release-audit-failed':
      return [
        ['StatsReleaseAuditFailed', 1],
        ['StatsReleaseFailed', 1],
      ];
    case 'uploads-stuck':
      return [['UploadsStuck', outcome.count]];
  }
}

/** Adds the outcome's metrics; they are flushed as EMF when the handler returns (logMetrics). */
export function recordOutcome(metrics: MetricSink, outcome: DomainOutcome): void {
  for (const [name, value] of outcomeMetrics(outcome))
    metrics.addMetric(name, KURA_METRICS[name].unit, value);
}
