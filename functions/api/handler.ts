import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { runtime } from '../adapters/runtime.ts';
import { routeHttpEvent } from './routes.ts';

const logger = new Logger({ serviceName: 'kura-api' });

/**
 * The HTTP API (API Gateway HTTP API v2 with a JWT authorizer; locally the same events from
 * local/http-server.ts). Routes are in routes.ts; rules live in functions/domain.
 */
export const handler = middy(async (event: unknown) => routeHttpEvent(event, runtime(), logger)).use(
  injectLambdaContext(logger, { resetKeys: true }),
);
