/**
 * The Lambda functions of a resolved deployment as Lambda would configure them: code folder (the
 * staged asset), handler, environment (every token resolved), role, timeout, memory, layers.
 */
import { join } from 'node:path';
import type { Json, ResolvedDeployment, ResourceRef } from './assembly.ts';

/** Lambda refuses a function whose environment variables take more than 4 KB (names + values, UTF-8). */
export const LAMBDA_ENVIRONMENT_LIMIT_BYTES = 4 * 1024;
/** Largest synchronous (RequestResponse) invocation response. */
export const LAMBDA_SYNC_RESPONSE_LIMIT_BYTES = 6 * 1024 * 1024;
/** Largest asynchronous (Event) invocation payload. */
export const LAMBDA_ASYNC_PAYLOAD_LIMIT_BYTES = 256 * 1024;

export interface TwinFunction {
  readonly resource: ResourceRef;
  /** Physical function name. */
  readonly name: string;
  readonly arn: string;
  readonly region: string;
  /** The staged asset folder holding the bundle (`index.mjs`). */
  readonly codeDirectory: string;
  /** `index.handler` → module `index`, export `handler`. */
  readonly handler: string;
  /** Every variable the template sets, tokens resolved. */
  readonly environment: Readonly<Record<string, string>>;
  readonly roleArn: string;
  readonly timeoutSeconds: number;
  readonly memoryMiB: number;
  readonly ephemeralMiB: number;
  /** Staged asset folders of attached layers (each holds `nodejs/node_modules`). */
  readonly layerDirectories: readonly string[];
  /** Whether this is one of Kura's functions (built by KuraFunction), not a CDK helper. */
  readonly kura: boolean;
}

/** Bytes Lambda counts against the 4 KB limit: every name and value, UTF-8. */
export const environmentBytes = (environment: Readonly<Record<string, string>>): number =>
  Object.entries(environment).reduce(
    (sum, [name, value]) => sum + Buffer.byteLength(name, 'utf8') + Buffer.byteLength(value, 'utf8'),
    0,
  );

function assetDirectory(deployment: ResolvedDeployment, resource: ResourceRef): string {
  const path = resource.metadata['aws:asset:path'];
  if (typeof path !== 'string') {
    throw new Error(
      `${resource.logicalId} has no aws:asset:path metadata: synthesize with aws:cdk:enable-asset-metadata`,
    );
  }
  return join(deployment.assembly.directory, path);
}

/** Every Lambda function of the deployment. */
export function twinFunctions(deployment: ResolvedDeployment): TwinFunction[] {
  return deployment.ofType('AWS::Lambda::Function').map((resource) => {
    const { stack, properties } = resource;
    const environment = deployment.resolve(stack, properties.Environment?.Variables ?? {}) as Json;
    const layers = (deployment.resolve(stack, properties.Layers ?? []) as string[]).map((arn) => {
      const layer = deployment
        .ofType('AWS::Lambda::LayerVersion')
        .find((candidate) => deployment.ref(candidate) === arn);
      if (!layer) throw new Error(`${resource.logicalId} names layer ${arn}, which no stack defines`);
      return assetDirectory(deployment, layer);
    });
    return {
      resource,
      name: deployment.ref(resource),
      arn: deployment.arn(resource),
      region: stack.region,
      codeDirectory: properties.Code?.ZipFile ? '' : assetDirectory(deployment, resource),
      handler: properties.Handler,
      environment: Object.fromEntries(
        Object.entries<Json>(environment).map(([name, value]) => [name, String(value)]),
      ),
      roleArn: deployment.resolve(stack, properties.Role),
      timeoutSeconds: properties.Timeout ?? 3,
      memoryMiB: properties.MemorySize ?? 128,
      ephemeralMiB: properties.EphemeralStorage?.Size ?? 512,
      layerDirectories: layers,
      kura: environment.KURA_STAGE !== undefined,
    };
  });
}

/** A Kura function by its Powertools service name (`kura-ingest`, `kura-api`, …). */
export function functionByService(functions: readonly TwinFunction[], service: string): TwinFunction {
  const found = functions.filter((fn) => fn.environment.POWERTOOLS_SERVICE_NAME === service);
  if (found.length !== 1) throw new Error(`Expected one function for ${service}, found ${found.length}`);
  return found[0] as TwinFunction;
}
