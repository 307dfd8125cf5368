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
    const logger = new Logger({ serviceName: service, jsonReplacerFn: redactLogValue });
    found = {
      logger,
      metrics: new Metrics({
        namespace: KURA_NAMESPACE,
        serviceName: service,
        logger: metricsLogger(logger),
      }),
      tracer: new Tracer({ serviceName: service }),
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
  const { logger, metrics, tracer } = observability(service);
  return middy(handler)
    .use(captureLambdaHandler(tracer, { captureResponse: false }))
    .use(logMetrics(metrics, { captureColdStartMetric: true, throwOnEmptyMetrics: false }))
    .use(injectLambdaContext(logger, { resetKeys: true }));
}
