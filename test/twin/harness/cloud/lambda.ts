/**
 * The twin's Lambda: each function of the templates runs its staged bundle in execution environments
 * (child processes started as the Node.js runtime starts them), with the template's environment plus
 * what Lambda adds (region, credentials of the function's role, the endpoint of the twin's AWS), a
 * writable TMPDIR of its own, its timeout enforced and its limits checked: 4 KB of environment, 6 MB of
 * synchronous response, 256 KB of asynchronous event. Also the Invoke API (other functions starting
 * jobs) and the asynchronous queue with Lambda's two retries.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  environmentBytes,
  LAMBDA_ASYNC_PAYLOAD_LIMIT_BYTES,
  LAMBDA_ENVIRONMENT_LIMIT_BYTES,
  LAMBDA_SYNC_RESPONSE_LIMIT_BYTES,
  type TwinFunction,
} from '../functions.ts';
import type { TwinIam } from '../iam.ts';
import { TwinAccessDeniedError } from '../iam.ts';
import type { CallerIdentity, Reply } from './s3.ts';

const HARNESS = fileURLToPath(new URL('../runtime/', import.meta.url));
const REPO_NODE_MODULES = fileURLToPath(new URL('../../../../node_modules', import.meta.url));

/** Credentials the twin issued to a principal (a function's role, the BI role, a test). */
export interface IssuedCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken: string;
}

/** What the twin's Lambda needs from the rest of the twin. */
export interface LambdaHooks {
  readonly endpoint: () => string;
  credentialsFor(principal: string): IssuedCredentials;
}

/** A function error as Lambda reports it (`FunctionError` Unhandled). */
export class FunctionError extends Error {
  override readonly name = 'FunctionError';
  constructor(
    readonly functionName: string,
    readonly errorType: string,
    readonly errorMessage: string,
    readonly trace: readonly string[] = [],
  ) {
    super(`${functionName}: ${errorType}: ${errorMessage}`);
  }
}

/** One invocation's record, for assertions and for reading a failure. */
export interface InvocationRecord {
  readonly functionName: string;
  readonly kind: 'sync' | 'async' | 'sqs' | 'schedule';
  readonly ok: boolean;
  readonly error?: string;
  readonly ms: number;
}

class Environment {
  readonly child: ChildProcess;
  readonly ready: Promise<void>;
  busy = false;
  readonly tmp: string;
  readonly #pending = new Map<string, { resolve: (value: string) => void; reject: (error: Error) => void }>();

  constructor(
    readonly fn: TwinFunction,
    root: string,
    env: Record<string, string>,
    readonly output: string[],
  ) {
    this.tmp = join(root, `${fn.name}-${randomUUID().slice(0, 8)}`);
    mkdirSync(this.tmp, { recursive: true });
    this.child = fork(join(HARNESS, 'bootstrap.mjs'), [], {
      cwd: fn.codeDirectory,
      env: {
        ...env,
        TMPDIR: this.tmp,
        KURA_TWIN_RUNTIME: JSON.stringify({
          harness: HARNESS,
          codeDirectory: fn.codeDirectory,
          handler: fn.handler,
          functionName: fn.name,
          functionArn: fn.arn,
          memoryMiB: fn.memoryMiB,
          timeoutMs: fn.timeoutSeconds * 1000,
          runtimeNodeModules: REPO_NODE_MODULES,
          layerDirectories: fn.layerDirectories,
        }),
      },
      execArgv: ['--import', join(HARNESS, 'guard.mjs')],
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    const collect = (chunk: Buffer) => {
      output.push(chunk.toString());
      if (output.length > 2000) output.splice(0, output.length - 2000);
    };
    this.child.stdout?.on('data', collect);
    this.child.stderr?.on('data', collect);
    this.ready = new Promise((resolve, reject) => {
      const onMessage = (message: { type: string; initError?: { errorMessage: string } }) => {
        if (message.type !== 'ready') return;
        this.child.off('message', onMessage);
        resolve();
      };
      this.child.on('message', onMessage);
      this.child.once('exit', (code) =>
        reject(new Error(`${fn.name} exited at start (${code}): ${output.join('').slice(-2000)}`)),
      );
    });
    this.child.on(
      'message',
      (message: {
        type: string;
        id: string;
        payload?: string;
        error?: { errorType: string; errorMessage: string; stack: string[] };
      }) => {
        const pending = this.#pending.get(message.id);
        if (!pending) return;
        this.#pending.delete(message.id);
        if (message.type === 'result') pending.resolve(message.payload ?? 'null');
        else if (message.error) {
          pending.reject(
            new FunctionError(
              fn.name,
              message.error.errorType,
              message.error.errorMessage,
              message.error.stack,
            ),
          );
        }
      },
    );
    this.child.on('exit', () => {
      for (const [, pending] of this.#pending)
        pending.reject(new FunctionError(fn.name, 'Runtime.ExitError', 'The execution environment exited'));
      this.#pending.clear();
    });
  }

  invoke(event: unknown, timeoutMs: number): Promise<string> {
    const id = randomUUID();
    return new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        this.child.kill('SIGKILL');
        reject(
          new FunctionError(
            this.fn.name,
            'Sandbox.Timedout',
            `Task timed out after ${timeoutMs / 1000} seconds`,
          ),
        );
      }, timeoutMs + 1000);
      this.#pending.set(id, {
        resolve: (value) => {
          clearTimeout(timer);
          resolve(value);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      });
      this.child.send({ type: 'invoke', id, event, timeoutMs });
    });
  }

  /** Lambda keeps nothing the function wrote outside /tmp; the twin also empties /tmp after each run. */
  wipeTmp(): void {
    for (const entry of readdirSync(this.tmp))
      rmSync(join(this.tmp, entry), { recursive: true, force: true });
  }

  stop(): void {
    this.child.kill('SIGKILL');
    rmSync(this.tmp, { recursive: true, force: true });
  }
}

export class TwinLambda {
  readonly invocations: InvocationRecord[] = [];
  /** Output (logs) of every environment, newest last, per function. */
  readonly logs = new Map<string, string[]>();
  /** Problems found: an oversized environment, a file written in the task root, an oversized payload. */
  readonly violations: string[] = [];
  readonly #byName = new Map<string, TwinFunction>();
  readonly #environments = new Map<string, Environment[]>();
  readonly #async = new Set<Promise<void>>();
  readonly #overrides = new Map<string, Record<string, string | undefined>>();
  /** Time left at the start of the next invocations of a function, when a test shortened it. */
  readonly #timeLeft = new Map<string, number[]>();

  constructor(
    readonly functions: readonly TwinFunction[],
    private readonly iam: TwinIam,
    private readonly hooks: LambdaHooks,
    private readonly root: string,
  ) {
    for (const fn of functions) {
      this.#byName.set(fn.name, fn);
      this.#byName.set(fn.arn, fn);
    }
  }

  byName(nameOrArn: string): TwinFunction {
    const fn = this.#byName.get(nameOrArn.replace(/:\$LATEST$/, ''));
    if (!fn) throw new Error(`No function ${nameOrArn}`);
    return fn;
  }

  /**
   * Changes a function's configured environment for environments started from now on (a test that
   * proves a missing or malformed variable fails at cold start); `undefined` removes a variable.
   */
  overrideEnvironment(functionName: string, changes: Record<string, string | undefined>): void {
    const fn = this.byName(functionName);
    this.#overrides.set(fn.name, { ...this.#overrides.get(fn.name), ...changes });
    for (const environment of this.#environments.get(fn.name) ?? []) environment.stop();
    this.#environments.delete(fn.name);
  }

  /**
   * The next invocation of a function starts with only `ms` of its timeout left, as one that has used
   * the rest (a step of a job that took most of it): its context says so and the twin ends it then.
   */
  leaveTime(functionName: string, ms: number): void {
    const fn = this.byName(functionName);
    this.#timeLeft.set(fn.name, [...(this.#timeLeft.get(fn.name) ?? []), ms]);
  }

  #configured(fn: TwinFunction): Record<string, string> {
    const merged: Record<string, string | undefined> = { ...fn.environment, ...this.#overrides.get(fn.name) };
    return Object.fromEntries(
      Object.entries(merged).filter((entry): entry is [string, string] => entry[1] !== undefined),
    );
  }

  #runtimeEnvironment(fn: TwinFunction): Record<string, string> {
    const credentials = this.hooks.credentialsFor(fn.roleArn);
    return {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      LANG: 'en_US.UTF-8',
      TZ: ':UTC',
      ...this.#configured(fn),
      AWS_REGION: fn.region,
      AWS_DEFAULT_REGION: fn.region,
      AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x',
      AWS_LAMBDA_FUNCTION_NAME: fn.name,
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(fn.memoryMiB),
      AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
      AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${fn.name}`,
      AWS_LAMBDA_LOG_STREAM_NAME: 'twin',
      LAMBDA_TASK_ROOT: fn.codeDirectory,
      _HANDLER: fn.handler,
      AWS_ACCESS_KEY_ID: credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
      AWS_SESSION_TOKEN: credentials.sessionToken,
      // Every AWS call of the function goes to the twin's AWS (the SDK reads this standard variable).
      AWS_ENDPOINT_URL: this.hooks.endpoint(),
    };
  }

  async #environment(fn: TwinFunction): Promise<Environment> {
    const bytes = environmentBytes(this.#configured(fn));
    if (bytes > LAMBDA_ENVIRONMENT_LIMIT_BYTES) {
      const message = `Lambda refuses ${fn.name}: its environment variables take ${bytes} bytes, above the 4 KB limit`;
      this.violations.push(message);
      throw new FunctionError(fn.name, 'InvalidParameterValueException', message);
    }
    const pool = this.#environments.get(fn.name) ?? [];
    this.#environments.set(fn.name, pool);
    const idle = pool.find(
      (environment) => !environment.busy && environment.child.exitCode === null && !environment.child.killed,
    );
    if (idle) return idle;
    const output = this.logs.get(fn.name) ?? [];
    this.logs.set(fn.name, output);
    const environment = new Environment(fn, this.root, this.#runtimeEnvironment(fn), output);
    pool.push(environment);
    await environment.ready;
    return environment;
  }

  #taskRootEntries(fn: TwinFunction): string {
    return readdirSync(fn.codeDirectory).sort().join(',');
  }

  /** Runs one invocation in an environment of the function; resolves to its JSON response. */
  async run(fn: TwinFunction, event: unknown, kind: InvocationRecord['kind']): Promise<string> {
    const started = Date.now();
    const environment = await this.#environment(fn);
    environment.busy = true;
    const before = this.#taskRootEntries(fn);
    try {
      const payload = await environment.invoke(
        event,
        this.#timeLeft.get(fn.name)?.shift() ?? fn.timeoutSeconds * 1000,
      );
      if (Buffer.byteLength(payload) > LAMBDA_SYNC_RESPONSE_LIMIT_BYTES && kind === 'sync') {
        const message = `${fn.name} answered ${Buffer.byteLength(payload)} bytes, above Lambda's 6 MB response limit`;
        this.violations.push(message);
        throw new FunctionError(fn.name, 'Function.ResponseSizeTooLarge', message);
      }
      this.invocations.push({ functionName: fn.name, kind, ok: true, ms: Date.now() - started });
      return payload;
    } catch (error) {
      this.invocations.push({
        functionName: fn.name,
        kind,
        ok: false,
        error: String(error),
        ms: Date.now() - started,
      });
      throw error;
    } finally {
      environment.busy = false;
      if (this.#taskRootEntries(fn) !== before) {
        this.violations.push(`${fn.name} wrote into its task root ${fn.codeDirectory} (read-only on Lambda)`);
      }
      if (environment.child.exitCode === null && !environment.child.killed) environment.wipeTmp();
    }
  }

  /** Invokes a function synchronously (the API Gateway integration, a test). */
  async invoke(functionName: string, event: unknown): Promise<unknown> {
    return JSON.parse(await this.run(this.byName(functionName), event, 'sync'));
  }

  /**
   * An asynchronous invocation: queued at once, run in the background, retried twice on error (Lambda's
   * default for asynchronous invocations).
   */
  enqueue(fn: TwinFunction, event: unknown, kind: InvocationRecord['kind'] = 'async'): void {
    const size = Buffer.byteLength(JSON.stringify(event));
    if (size > LAMBDA_ASYNC_PAYLOAD_LIMIT_BYTES) {
      this.violations.push(
        `An asynchronous event of ${size} bytes for ${fn.name} is above Lambda's 256 KB limit`,
      );
      throw new FunctionError(
        fn.name,
        'RequestEntityTooLargeException',
        'Request must be smaller than 262144 bytes',
      );
    }
    const run = (async () => {
      await new Promise((resolve) => setImmediate(resolve));
      for (let attempt = 1; attempt <= 3; attempt++) {
        try {
          await this.run(fn, event, kind);
          return;
        } catch {
          // retried; the third failure is recorded in `invocations`
        }
      }
    })().finally(() => this.#async.delete(run));
    this.#async.add(run);
  }

  /** No asynchronous invocation is queued or running. */
  get idle(): boolean {
    return this.#async.size === 0;
  }

  /** Resolves when every asynchronous invocation so far (and those they started) has ended. */
  async settled(): Promise<void> {
    while (this.#async.size > 0) await Promise.allSettled([...this.#async]);
  }

  /** The Invoke API: `POST /2015-03-31/functions/{name}/invocations`, authorised for the caller. */
  async handle(
    path: string,
    headers: Readonly<Record<string, string | undefined>>,
    body: Buffer,
    caller: CallerIdentity,
  ): Promise<Reply> {
    const match = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/.exec(path);
    if (!match) return { status: 404, body: JSON.stringify({ Type: 'User', message: `No route ${path}` }) };
    const name = decodeURIComponent(match[1] ?? '');
    let fn: TwinFunction;
    try {
      fn = this.byName(name);
    } catch {
      return {
        status: 404,
        headers: { 'x-amzn-errortype': 'ResourceNotFoundException' },
        body: JSON.stringify({ Type: 'User', message: `Function not found: ${name}` }),
      };
    }
    try {
      await this.iam.require({
        principal: caller.principal,
        action: 'lambda:InvokeFunction',
        resource: fn.arn,
      });
    } catch (error) {
      if (!(error instanceof TwinAccessDeniedError)) throw error;
      return {
        status: 403,
        headers: { 'x-amzn-errortype': 'AccessDeniedException' },
        body: JSON.stringify({ Type: 'User', Message: error.message }),
      };
    }
    const event = JSON.parse(body.toString() || '{}');
    if ((headers['x-amz-invocation-type'] ?? 'RequestResponse') === 'Event') {
      try {
        this.enqueue(fn, event);
      } catch (error) {
        return {
          status: 413,
          headers: { 'x-amzn-errortype': 'RequestEntityTooLargeException' },
          body: JSON.stringify({ Type: 'User', message: String(error) }),
        };
      }
      return { status: 202 };
    }
    try {
      return { status: 200, body: await this.run(fn, event, 'sync') };
    } catch (error) {
      const failure =
        error instanceof FunctionError ? error : new FunctionError(fn.name, 'Error', String(error));
      return {
        status: 200,
        headers: { 'x-amz-function-error': 'Unhandled' },
        body: JSON.stringify({ errorType: failure.errorType, errorMessage: failure.errorMessage }),
      };
    }
  }

  stop(): void {
    for (const pool of this.#environments.values()) for (const environment of pool) environment.stop();
    this.#environments.clear();
  }
}
