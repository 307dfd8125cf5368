import type { Context } from 'aws-lambda';
import type { JobKind, JobStarter } from '../functions/adapters/ports.ts';
import { lambdaContext } from './dispatch.ts';

/** A function handler as the local platform invokes it. */
export type LocalHandler = (event: unknown, context: Context) => Promise<unknown>;

/** Lambda runs an asynchronous invocation once and retries a failure twice. */
const ASYNC_ATTEMPTS = 3;

/**
 * Jobs on this machine: the same handlers as deployed, started in the background of this process like an
 * asynchronous Lambda invocation (the caller gets control back first; a failed run is retried twice).
 * Handlers are registered after the runtime is built, since they are composed from it.
 */
export class LocalJobStarter implements JobStarter {
  readonly #handlers = new Map<JobKind, LocalHandler>();
  readonly #running = new Set<Promise<void>>();
  readonly #onError: (kind: JobKind, error: unknown) => void;

  constructor(onError: (kind: JobKind, error: unknown) => void) {
    this.#onError = onError;
  }

  register(kind: JobKind, handler: LocalHandler): void {
    this.#handlers.set(kind, handler);
  }

  async start(kind: JobKind, event: Readonly<Record<string, unknown>>): Promise<void> {
    const handler = this.#handlers.get(kind);
    if (!handler) throw new Error(`No local function runs ${kind} jobs`);
    const payload = JSON.parse(JSON.stringify(event)) as unknown; // what crosses Lambda is JSON
    const run = new Promise<void>((resolve) => setImmediate(resolve))
      .then(() => this.#attempt(kind, handler, payload))
      .finally(() => this.#running.delete(run));
    this.#running.add(run);
  }

  async #attempt(kind: JobKind, handler: LocalHandler, payload: unknown): Promise<void> {
    for (let attempt = 1; attempt <= ASYNC_ATTEMPTS; attempt++) {
      try {
        await handler(payload, lambdaContext(`kura-${kind}-local`));
        return;
      } catch (error) {
        if (attempt === ASYNC_ATTEMPTS) this.#onError(kind, error);
      }
    }
  }

  /** Resolves when every job started so far (and every job they started) has ended. */
  async settled(): Promise<void> {
    while (this.#running.size > 0) await Promise.allSettled([...this.#running]);
  }
}
