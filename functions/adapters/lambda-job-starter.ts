import type { LambdaClient } from '@aws-sdk/client-lambda';
import type { JobKind, JobStarter } from '../domain/ports/index.ts';
import type { NameResolver } from './env.ts';

type LambdaSdk = typeof import('@aws-sdk/client-lambda');
let lambdaSdkModule: Promise<LambdaSdk> | undefined;
/**
 * The Lambda client module, loaded on first use. A literal import specifier inside a function keeps the
 * `import()` of an external package dynamic, so a Lambda that never starts a job never loads it.
 */
const lambdaSdk = (): Promise<LambdaSdk> => (lambdaSdkModule ??= import('@aws-sdk/client-lambda'));

/** Raised when Lambda did not accept an asynchronous invocation. */
export class JobInvocationError extends Error {
  override readonly name = 'JobInvocationError';
}

/**
 * Starts jobs by invoking the function that runs them asynchronously (InvocationType `Event`): Lambda
 * queues the event, retries a failed run twice, and answers 202 at once. The function's name comes from
 * `KURA_FUNCTION_<KIND>` (set by the stack's grantInvoke together with the permission).
 */
export class LambdaJobStarter implements JobStarter {
  readonly #client: LambdaClient;
  readonly #functionName: NameResolver;

  constructor(options: { readonly client: LambdaClient; readonly resolveFunction: NameResolver }) {
    this.#client = options.client;
    this.#functionName = options.resolveFunction;
  }

  async start(kind: JobKind, event: Readonly<Record<string, unknown>>): Promise<void> {
    const { InvokeCommand } = await lambdaSdk();
    const response = await this.#client.send(
      new InvokeCommand({
        FunctionName: this.#functionName(kind),
        InvocationType: 'Event',
        Payload: new TextEncoder().encode(JSON.stringify(event)),
      }),
    );
    if (response.StatusCode !== 202) {
      throw new JobInvocationError(`Lambda answered ${response.StatusCode} to the ${kind} job's invocation`);
    }
  }
}
