/** Logging, metrics and tracing for every function; see observability.ts and catalog.ts. */
export {
  KURA_METRICS,
  KURA_NAMESPACE,
  KURA_SERVICES,
  type KuraMetricName,
  type KuraService,
} from './catalog.ts';
export { meteredIngestLogger } from './ingest-metrics.ts';
export { type Observability, observability, withObservability } from './observability.ts';
export { type DomainOutcome, type MetricSink, outcomeMetrics, recordOutcome } from './outcomes.ts';
export { REDACTED, redactErrorText, redactLogValue, redactSecrets, safe, safeError } from './redact.ts';
