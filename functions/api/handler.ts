import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { type Runtime, runtime } from '../adapters/runtime.ts';
import { routeHttpEvent } from './routes.ts';

const logger = new Logger({ serviceName: 'kura-api' });

/** The API over the given ports: the deployed function below, or the local platform's own. */
export function createApiHandler(ports: () => Runtime) {
  return middy(async (event: unknown) => routeHttpEvent(event, ports(), logger)).use(
    injectLambdaContext(logger, { resetKeys: true }),
  );
}

/**
 * The HTTP API (API Gateway HTTP API v2 with a JWT authorizer). Routes are in routes.ts; rules live
 * in functions/domain. Ports are built from the environment on the first invocation.
 */
export const handler = createApiHandler(runtime);
