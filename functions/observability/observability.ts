/**
 * Powertools on every function: one Logger, Metrics (EMF, namespace `Kura`) and Tracer per service,
 * module-level singletons, and ONE middy stack that every handler uses.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy, { type MiddlewareObj } from '@middy/core';
import type { Context } from 'aws-lambda';
import { KURA_NAMESPACE, type KuraService } from './catalog.ts';
import { redactLogValue } from './redact.ts';

/** The Powertools Logger and Metrics of one service (its Tracer is loaded on first invocation). */
export interface Observability {
  readonly logger: Logger;
  readonly metrics: Metrics;
}

const byService = new Map<KuraService, Observability>();

/**
 * The service's Logger (with Kura's redaction) and Metrics, built once per process. One map
 * rather than one constant because the local platform runs every handler in one process.
 */
export function observability(service: KuraService): Observability {
  let found = byService.get(service);
  if (!found) {
    const logger = new Logger({ serviceName: service, jsonReplacerFn: redactLogValue });
    found = {
      logger,
      metrics: new Metrics({
        namespace: KURA_NAMESPACE,
        serviceName: service,
        logger: metricsLogger(logger),
      }),
    };
    byService.set(service, found);
  }
  return found;
}

/**
 * Metrics' own warnings (e.g. "no application metrics to publish") go through the service's Logger as
 * JSON, not bare console lines; with metrics switched off (the local platform) there is nothing to warn about.
 */
function metricsLogger(logger: Logger) {
  const disabled = () => process.env.POWERTOOLS_METRICS_DISABLED === 'true';
  return {
    debug: (...args: unknown[]) => logger.debug(String(args[0] ?? '')),
    info: (...args: unknown[]) => logger.info(String(args[0] ?? '')),
    warn: (...args: unknown[]) => (disabled() ? undefined : logger.warn(String(args[0] ?? ''))),
    error: (...args: unknown[]) => logger.error(String(args[0] ?? '')),
  };
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
  const { logger, metrics } = observability(service);
  return middy(handler)
    .use(handlerSegment(service))
    .use(logMetrics(metrics, { captureColdStartMetric: true, throwOnEmptyMetrics: false }))
    .use(injectLambdaContext(logger, { resetKeys: true }));
}

/**
 * The tracer's handler segment (Powertools `captureLambdaHandler`), with the Tracer and the X-Ray SDK
 * under it loaded on the first invocation, as the AWS SDK clients and DuckDB are: about 70 KiB of every
 * bundle that module import (the cold start's init phase) does not need. Each phase delegates to the
 * Powertools middleware unchanged, so a segment opens, closes and records an error as before.
 */
function handlerSegment(service: KuraService): MiddlewareObj {
  let loaded: Promise<MiddlewareObj> | undefined;
  const segment = () => {
    loaded ??= Promise.all([
      import('@aws-lambda-powertools/tracer'),
      import('@aws-lambda-powertools/tracer/middleware'),
    ]).then(([{ Tracer }, { captureLambdaHandler }]) =>
      captureLambdaHandler(new Tracer({ serviceName: service }), { captureResponse: false }),
    );
    return loaded;
  };
  return {
    before: async (request) => (await segment()).before?.(request),
    after: async (request) => (await segment()).after?.(request),
    onError: async (request) => (await segment()).onError?.(request),
  };
}
