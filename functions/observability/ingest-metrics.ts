/**
 * Ingest outcomes as metrics without touching the ingest domain: ingestion already logs each outcome
 * (`Upload ingested` with status and row counts; `Upload quarantined` with `alarm: 'IngestQuarantine'`),
 * so the handler gives it a logger that also records those entries as metrics. The log stays the single
 * place ingestion reports to; the metric names stay in the catalogue.
 */
import type { IngestLogger } from '../domain/ingest/ports.ts';
import { type UploadStatus, uploadStatusSchema } from '../domain/uploads/model.ts';
import type { KuraMetricName } from './catalog.ts';
import { type MetricSink, recordOutcome } from './outcomes.ts';

const FINAL: ReadonlySet<UploadStatus> = new Set(['ACCEPTED', 'PARTIALLY_ACCEPTED', 'REJECTED']);

function record(metrics: MetricSink, extra: Record<string, unknown>): void {
  const alarm = extra.alarm;
  if (alarm === ('IngestQuarantine' satisfies KuraMetricName)) {
    recordOutcome(metrics, { kind: 'quarantine' });
    return;
  }
  const status = uploadStatusSchema.safeParse(extra.status);
  if (!status.success || !FINAL.has(status.data) || typeof extra.uploadId !== 'string') return;
  const rows = extra.rows as { accepted?: unknown; rejected?: unknown } | undefined;
  recordOutcome(metrics, {
    kind: 'upload',
    status: status.data,
    rows:
      typeof rows?.accepted === 'number' && typeof rows.rejected === 'number'
        ? { accepted: rows.accepted, rejected: rows.rejected }
        : undefined,
  });
}

/** A logger for ingestion that forwards every entry and turns outcome entries into metrics. */
export function meteredIngestLogger(logger: IngestLogger, metrics: MetricSink): IngestLogger {
  const tee =
    (level: keyof IngestLogger) =>
    (message: string, ...extra: Record<string, unknown>[]) => {
      logger[level](message, ...extra);
      for (const attributes of extra) record(metrics, attributes);
    };
  return { info: tee('info'), warn: tee('warn'), error: tee('error') };
}
