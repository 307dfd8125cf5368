import { deployedRuntime, type Runtime } from '../adapters/runtime.ts';
import { observability, withObservability } from '../observability/index.ts';
import { routeHttpEvent } from './routes.ts';
import { API_NEEDS, composeApi } from './runtime.ts';

// Kura's Logger redacts key material: the API reads tenant keys for support's token view.
const { logger } = observability('kura-api');

/** The API over the given ports: the deployed function below, or the local platform's own. */
export function createApiHandler(ports: () => Runtime) {
  return withObservability('kura-api', async (event: unknown) => routeHttpEvent(event, ports(), logger));
}

/**
 * The HTTP API (API Gateway HTTP API v2 with a JWT authorizer). Routes are in routes.ts; rules live
 * in functions/domain. Ports are built from the environment on the first invocation.
 */
export const handler = createApiHandler(() => composeApi(deployedRuntime(API_NEEDS)));
