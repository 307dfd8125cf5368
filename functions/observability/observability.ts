/**
 * Powertools on every function: one Logger, Metrics (EMF, namespace `Kura`) and Tracer per service,
 * module-level singletons, and ONE middy stack that every handler uses.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { Tracer } from '@aws-lambda-powertools/tracer';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { KURA_NAMESPACE, type KuraService } from './catalog.ts';
import { redactLogValue } from './redact.ts';

/** The three Powertools utilities of one service. */
export interface Observability {
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly tracer: Tracer;
}

const byService = new Map<KuraService, Observability>();

/**
 * The service's Logger (with Kura's redaction), Metrics and Tracer, built once per process. One map
 * rather than one constant because the local platform runs every handler in one process.
 */
export function observability(service: KuraService): Observability {
  let found = byService.get(service);
  if (!found) {
    found = {
      logger: new Logger({ serviceName: service, jsonReplacerFn: redactLogValue }),
      metrics: new Metrics({ namespace: KURA_NAMESPACE, serviceName: service }),
      tracer: new Tracer({ serviceName: service }),
    };
    byService.set(service, found);
  }
  return found;
}

/**
 * Wraps a handler in Kura's middleware stack: the tracer's handler segment (X-Ray; inactive outside
 * Lambda), metrics flushed as EMF after each invocation with a ColdStart metric, and the Lambda context
 * in every log line (keys reset between invocations so one tenant's ids never leak into the next log).
 */
export function withObservability<TEvent, TResult>(
  service: KuraService,
  handler: (event: TEvent, context: Context) => Promise<TResult>,
) {
  const { logger, metrics, tracer } = observability(service);
  return middy(handler)
    .use(captureLambdaHandler(tracer, { captureResponse: false }))
    .use(logMetrics(metrics, { captureColdStartMetric: true, throwOnEmptyMetrics: false }))
    .use(injectLambdaContext(logger, { resetKeys: true }));
}
