/**
 * Module resolution as Lambda's Node.js runtime does it for a function bundle: the AWS SDK comes with
 * the runtime, anything else must be in the bundle or in an attached layer's `nodejs/node_modules`. A
 * bare import from the function's code that is neither fails with ERR_MODULE_NOT_FOUND, as in Lambda.
 */
import { pathToFileURL } from 'node:url';

let codeUrl = '';
let runtimeParent = '';
let layerParents = [];

export function initialize(data) {
  codeUrl = pathToFileURL(data.codeDirectory).href;
  runtimeParent = pathToFileURL(`${data.runtimeNodeModules}/package.json`).href;
  layerParents = data.layerDirectories.map((dir) => pathToFileURL(`${dir}/nodejs/node_modules/.layer`).href);
}

const isBare = (specifier) =>
  !specifier.startsWith('.') &&
  !specifier.startsWith('/') &&
  !specifier.startsWith('node:') &&
  !/^[a-z]+:/.test(specifier);

export async function resolve(specifier, context, nextResolve) {
  if (!isBare(specifier) || !context.parentURL?.startsWith(codeUrl)) return nextResolve(specifier, context);
  if (specifier.startsWith('@aws-sdk/') || specifier.startsWith('@smithy/')) {
    return nextResolve(specifier, { ...context, parentURL: runtimeParent });
  }
  for (const parentURL of layerParents) {
    try {
      return await nextResolve(specifier, { ...context, parentURL });
    } catch {
      // not in this layer
    }
  }
  const error = new Error(
    `Cannot find package '${specifier}' imported from ${context.parentURL}: it is not in the bundle, the Lambda runtime or an attached layer`,
  );
  error.code = 'ERR_MODULE_NOT_FOUND';
  throw error;
}
