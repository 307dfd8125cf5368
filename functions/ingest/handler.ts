import { deployedRuntime } from '../adapters/runtime.ts';
import { type BatchResponse, ingestNotificationBatch, sqsBatchSchema } from '../domain/ingest/batch.ts';
import { meteredIngestLogger } from '../observability/ingest-metrics.ts';
import { observability, withObservability } from '../observability/observability.ts';
import { recordOutcome } from '../observability/outcomes.ts';
import { composeIngest, INGEST_NEEDS, type IngestRuntime } from './runtime.ts';

const { logger, metrics } = observability('kura-ingest');

/** An SQS (S3 notification) handler over the given runtime, built lazily on the first event. */
export function createIngestHandler(runtime: () => Promise<IngestRuntime>) {
  let ready: Promise<IngestRuntime> | undefined;
  return withObservability('kura-ingest', async (event: unknown): Promise<BatchResponse> => {
    ready ??= runtime();
    const { ports, settings } = await ready;
    const log = meteredIngestLogger(logger, metrics);
    const response = await ingestNotificationBatch(
      { ...ports, logger: log },
      settings,
      sqsBatchSchema.parse(event),
    );
    recordOutcome(metrics, { kind: 'ingest-retry', messages: response.batchItemFailures.length });
    return response;
  });
}

/** The deployed ingest function: SQS event of S3 notifications → `{ batchItemFailures }`. */
export const handler = createIngestHandler(async () => composeIngest(deployedRuntime(INGEST_NEEDS)));
