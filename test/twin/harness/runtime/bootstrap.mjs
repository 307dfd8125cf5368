/**
 * One Lambda execution environment of the twin: loads the function's bundle exactly as the Node.js
 * runtime does (`<code>/index.mjs`, export `handler`), then serves invocations the parent sends over IPC
 * with a Lambda context whose remaining time counts down from the configured timeout.
 */
import { randomUUID } from 'node:crypto';
import { register } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const config = JSON.parse(process.env.KURA_TWIN_RUNTIME ?? '{}');
delete process.env.KURA_TWIN_RUNTIME;
register(pathToFileURL(join(config.harness, 'hooks.mjs')).href, {
  data: {
    codeDirectory: config.codeDirectory,
    runtimeNodeModules: config.runtimeNodeModules,
    layerDirectories: config.layerDirectories,
  },
});

const [moduleName, exportName] = config.handler.split('.');
let handler;
let initError;
try {
  const module = await import(pathToFileURL(join(config.codeDirectory, `${moduleName}.mjs`)).href);
  handler = module[exportName];
  if (typeof handler !== 'function') throw new Error(`${config.handler} is undefined or not exported`);
} catch (error) {
  initError = error;
}

const serialise = (error) => ({
  errorType: error?.name ?? 'Error',
  errorMessage: String(error?.message ?? error),
  stack: String(error?.stack ?? '')
    .split('\n')
    .slice(0, 12),
});

process.send({ type: 'ready', ...(initError ? { initError: serialise(initError) } : {}) });

process.on('message', async (message) => {
  if (message.type !== 'invoke') return;
  if (initError) {
    process.send({ type: 'error', id: message.id, error: serialise(initError), init: true });
    return;
  }
  // The invocation's own time when the twin gave it one (TwinLambda.leaveTime), else the timeout.
  const deadline = Date.now() + (message.timeoutMs ?? config.timeoutMs);
  process.env._X_AMZN_TRACE_ID = `Root=1-${Math.floor(Date.now() / 1000).toString(16)}-${randomUUID().replaceAll('-', '').slice(0, 24)};Parent=${randomUUID().replaceAll('-', '').slice(0, 16)};Sampled=0`;
  const context = {
    callbackWaitsForEmptyEventLoop: true,
    functionName: config.functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: config.functionArn,
    memoryLimitInMB: String(config.memoryMiB),
    awsRequestId: message.id,
    logGroupName: `/aws/lambda/${config.functionName}`,
    logStreamName: 'twin',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
  try {
    const result = await handler(message.event, context);
    process.send({ type: 'result', id: message.id, payload: JSON.stringify(result ?? null) });
  } catch (error) {
    process.send({ type: 'error', id: message.id, error: serialise(error) });
  }
});
