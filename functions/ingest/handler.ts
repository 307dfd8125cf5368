import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { type BatchResponse, ingestNotificationBatch, sqsBatchSchema } from '../domain/ingest/batch.ts';
import type { IngestPorts } from '../domain/ingest/ports.ts';
import type { PlatformSettings } from '../domain/settings.ts';
import { loadIngestRuntime } from './runtime.ts';

const logger = new Logger({ serviceName: 'kura-ingest' });

/** What the ingest handler runs with; the local platform can build its own and call createIngestHandler. */
export interface IngestRuntime {
  readonly ports: Omit<IngestPorts, 'logger'>;
  readonly settings: PlatformSettings;
}

/** An SQS (S3 notification) handler over the given runtime, built lazily on the first event. */
export function createIngestHandler(runtime: () => Promise<IngestRuntime>) {
  let ready: Promise<IngestRuntime> | undefined;
  return middy(async (event: unknown): Promise<BatchResponse> => {
    ready ??= runtime();
    const { ports, settings } = await ready;
    return ingestNotificationBatch({ ...ports, logger }, settings, sqsBatchSchema.parse(event));
  }).use(injectLambdaContext(logger));
}

/** The deployed ingest function: SQS event of S3 notifications → `{ batchItemFailures }`. */
export const handler = createIngestHandler(loadIngestRuntime);
