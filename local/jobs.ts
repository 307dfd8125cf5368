import type { Context } from 'aws-lambda';
import { JOB_KINDS, type JobKind, type JobStarter } from '../functions/domain/ports/index.ts';
import { lambdaContext } from './dispatch.ts';
import { type DeadLetter, DurableQueue } from './durable-queue.ts';

/** A function handler as the local platform invokes it. */
export type LocalHandler = (event: unknown, context: Context) => Promise<unknown>;

/** Lambda runs an asynchronous invocation once and retries a failure twice. */
export const ASYNC_ATTEMPTS = 3;

/** Where the local job queue keeps its invocations: `<dataDir>/queue/jobs`. */
export const JOB_QUEUE_DIR = ['queue', 'jobs'] as const;

/**
 * Jobs on this machine: the same handlers as deployed, started in the background of this process like an
 * asynchronous Lambda invocation (the caller gets control back first; a failed run is retried twice).
 * The invocation waits in a queue on disk (durable-queue.ts) as it does in Lambda's own queue, so a job
 * cut short by a crash or a stop runs again at the next start (the jobs resume or redo their work
 * idempotently: a purge from its checkpoint, a release from the start, unpublished until it completes).
 * Handlers are registered after the runtime is built, since they are composed from it.
 */
export class LocalJobStarter implements JobStarter {
  readonly #handlers = new Map<JobKind, LocalHandler>();
  readonly #queue: DurableQueue;

  private constructor(queue: DurableQueue, handlers: Map<JobKind, LocalHandler>) {
    this.#queue = queue;
    this.#handlers = handlers;
  }

  static async open(options: {
    readonly dir: string;
    readonly onError: (kind: JobKind, error: unknown) => void;
    readonly backoffMs?: (attempts: number) => number;
  }): Promise<LocalJobStarter> {
    const handlers = new Map<JobKind, LocalHandler>();
    const queue = await DurableQueue.open({
      dir: options.dir,
      maxReceiveCount: ASYNC_ATTEMPTS,
      backoffMs: options.backoffMs ?? ((attempts) => Math.min(1000 * 2 ** (attempts - 1), 10_000)),
      consume: async (message) => {
        const { kind, event } = JSON.parse(message.body) as { kind: JobKind; event: unknown };
        const handler = handlers.get(kind);
        if (!handler) throw new Error(`No local function runs ${kind} jobs`);
        await handler(event, lambdaContext(`kura-${kind}-local`));
        return 'done';
      },
      onDeadLetter: (letter) => {
        const kind = jobKindOf(letter) ?? 'release';
        options.onError(kind, new Error(`gave up after ${letter.attempts} attempts: ${letter.lastError}`));
      },
    });
    return new LocalJobStarter(queue, handlers);
  }

  register(kind: JobKind, handler: LocalHandler): void {
    this.#handlers.set(kind, handler);
  }

  /** Starts running queued jobs (those an earlier run left first); call after registering the handlers. */
  run(): void {
    this.#queue.start();
  }

  async start(kind: JobKind, event: Readonly<Record<string, unknown>>): Promise<void> {
    if (!this.#handlers.has(kind)) throw new Error(`No local function runs ${kind} jobs`);
    // What crosses Lambda is JSON; once on disk, the job survives a crash.
    await this.#queue.send(JSON.stringify({ kind, event }));
  }

  /** The invocation bodies waiting (for the startup reconciliation). */
  pendingJobIds(): Promise<string[]> {
    return this.#queue.pendingBodies().then((bodies) =>
      bodies.flatMap((body) => {
        const jobId = (JSON.parse(body) as { event?: { jobId?: unknown } }).event?.jobId;
        return typeof jobId === 'string' ? [jobId] : [];
      }),
    );
  }

  deadLetters(): Promise<DeadLetter[]> {
    return this.#queue.deadLetters();
  }

  /** Resolves when every job started so far (and every job they started) has ended. */
  settled(): Promise<void> {
    return this.#queue.settled();
  }

  /** Lets the running job finish; queued jobs wait for the next start. */
  stop(): Promise<void> {
    return this.#queue.stop();
  }
}

/** The job kind of a queued invocation. */
export function jobKindOf(message: { readonly body: string }): JobKind | undefined {
  try {
    const kind = (JSON.parse(message.body) as { kind?: unknown }).kind;
    return JOB_KINDS.find((k) => k === kind);
  } catch {
    return undefined;
  }
}
