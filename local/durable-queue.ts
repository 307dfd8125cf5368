import { randomUUID } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as z from '../functions/domain/zod.ts';

/**
 * A queue on disk for the local platform, standing in for SQS (object-created events to ingest) and for
 * Lambda's asynchronous invocation queue (release and purge jobs). Each message is one JSON file in
 * `<dir>/pending/`, written to a temporary name and renamed, so a message is either whole or absent; it
 * is removed only after its consumer succeeded. A process killed at any point therefore loses nothing: on
 * the next start the messages still pending are delivered again.
 *
 * Delivery follows the deployed queue's rules: every receipt counts (`attempts`, like SQS's
 * ApproximateReceiveCount, is written before the consumer runs, so a message that kills the process
 * counts too); a failed message waits (exponential backoff) and is delivered again; after
 * `maxReceiveCount` receipts it moves to `<dir>/dead/`, the dead-letter list `kura status --stuck` shows.
 * One message at a time, in the order sent.
 */
export interface QueueMessage {
  readonly id: string;
  readonly body: string;
  /** Receipts so far, this one included (1 on the first delivery). */
  readonly attempts: number;
  readonly sentAt: string;
}

/** What a consumer says of a message: done (delete it) or retry (deliver it again later). */
export type Consumed = 'done' | 'retry';

/** A message that reached the dead-letter list. */
export interface DeadLetter extends QueueMessage {
  readonly deadAt: string;
  /** The last failure: an error name or code, never a value from the message. */
  readonly lastError?: string;
}

const storedSchema = z.object({
  id: z.string(),
  body: z.string(),
  attempts: z.int().check(z.nonnegative()),
  sentAt: z.string(),
  /** Not delivered before this time (ms since the epoch): the backoff after a failure. */
  notBefore: z.number(),
  lastError: z.optional(z.string()),
  deadAt: z.optional(z.string()),
});
type Stored = z.infer<typeof storedSchema>;

export interface DurableQueueOptions {
  /** The queue's folder (created if missing). */
  readonly dir: string;
  /** Receipts before a message is dead-lettered (the deployed queue's maxReceiveCount). */
  readonly maxReceiveCount: number;
  readonly consume: (message: QueueMessage) => Promise<Consumed>;
  /** Wait before receipt n + 1 after n failed. @default 500 ms · 2^(n−1), at most 30 s */
  readonly backoffMs?: (attempts: number) => number;
  /** A consumer failure (thrown) or a message moved to the dead-letter list. */
  readonly onError?: (error: unknown, message: QueueMessage) => void;
  readonly onDeadLetter?: (message: DeadLetter) => void;
}

/** How often an idle queue looks for messages put there by another process. */
const IDLE_POLL_MS = 1_000;

const defaultBackoff = (attempts: number) => Math.min(500 * 2 ** (attempts - 1), 30_000);

/** A short description of a failure for the dead-letter list: its name and code only. */
export function describeFailure(error: unknown): string {
  if (!(error instanceof Error)) return 'non-error thrown';
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? `${error.name} (${code})` : error.name;
}

export class DurableQueue {
  readonly #options: DurableQueueOptions;
  readonly #pending: string;
  readonly #dead: string;
  /** Sends not yet on disk. */
  readonly #sending = new Set<Promise<unknown>>();
  #sequence = 0;
  #running: Promise<void> | undefined;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;
  #started = false;

  private constructor(options: DurableQueueOptions) {
    this.#options = options;
    this.#pending = join(options.dir, 'pending');
    this.#dead = join(options.dir, 'dead');
  }

  /** Opens (and creates) the queue's folder; nothing is delivered before `start()`. */
  static async open(options: DurableQueueOptions): Promise<DurableQueue> {
    const queue = new DurableQueue(options);
    await mkdir(queue.#pending, { recursive: true, mode: 0o700 });
    await mkdir(queue.#dead, { recursive: true, mode: 0o700 });
    // A temporary file is a send the process did not finish: the caller never heard it was sent.
    for (const name of await readdir(queue.#pending)) {
      if (name.endsWith('.tmp')) await rm(join(queue.#pending, name), { force: true });
    }
    return queue;
  }

  /** Writes a message to disk; resolves once it is there (it survives a crash from then on). */
  send(body: string): Promise<string> {
    const id = randomUUID();
    const name = `${String(Date.now()).padStart(15, '0')}-${String(this.#sequence++).padStart(9, '0')}-${id}.json`;
    const stored: Stored = { id, body, attempts: 0, sentAt: new Date().toISOString(), notBefore: 0 };
    const write = this.#write(join(this.#pending, name), stored).then(() => {
      this.#kick();
      return id;
    });
    this.#sending.add(write);
    void write.finally(() => this.#sending.delete(write)).catch(() => undefined);
    return write;
  }

  /** Starts delivering, pending messages of an earlier run first. */
  start(): void {
    this.#started = true;
    this.#kick();
  }

  /** The bodies of the messages waiting (for the startup reconciliation: what is already queued). */
  async pendingBodies(): Promise<string[]> {
    const bodies: string[] = [];
    for (const name of await this.#names(this.#pending)) {
      const stored = await this.#read(join(this.#pending, name));
      if (stored) bodies.push(stored.body);
    }
    return bodies;
  }

  /** Messages waiting to be delivered (including those waiting out a backoff). */
  async pendingCount(): Promise<number> {
    return (await this.#names(this.#pending)).length;
  }

  /** The dead-letter list, oldest first. */
  async deadLetters(): Promise<DeadLetter[]> {
    return readDeadLetters(this.#options.dir);
  }

  /** Resolves when nothing is left to deliver: every message done or dead-lettered. */
  async settled(): Promise<void> {
    for (;;) {
      if (this.#sending.size > 0) await Promise.allSettled([...this.#sending]);
      if (this.#running) await this.#running;
      if (this.#sending.size > 0 || this.#running) continue;
      if (this.#stopped || (await this.pendingCount()) === 0) return;
      // Waiting out a backoff: let the timer fire.
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /**
   * Stops delivering: the message being consumed finishes, the rest stay on disk for the next start.
   */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    await Promise.allSettled([...this.#sending]);
    if (this.#running) await this.#running;
  }

  #kick(): void {
    if (!this.#started || this.#stopped || this.#running) return;
    if (this.#timer) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    this.#running = this.#drain().finally(() => {
      this.#running = undefined;
    });
  }

  async #drain(): Promise<void> {
    while (!this.#stopped) {
      const now = Date.now();
      let wait = Number.POSITIVE_INFINITY;
      let next: { path: string; stored: Stored } | undefined;
      for (const name of await this.#names(this.#pending)) {
        const path = join(this.#pending, name);
        const stored = await this.#read(path);
        if (!stored) continue;
        if (stored.notBefore <= now) {
          next = { path, stored };
          break;
        }
        wait = Math.min(wait, stored.notBefore - now);
      }
      if (!next) {
        // Wake for the next backoff to end, or look again in a while: messages can also arrive from
        // outside this process (`kura status --stuck --redrive` moves dead letters back).
        this.#timer = setTimeout(
          () => {
            this.#timer = undefined;
            this.#kick();
          },
          Math.min(wait, IDLE_POLL_MS),
        );
        this.#timer.unref();
        return;
      }
      await this.#deliver(next.path, next.stored);
    }
  }

  async #deliver(path: string, stored: Stored): Promise<void> {
    // The receipt counts before the consumer runs, so a message that kills the process counts too.
    const received: Stored = { ...stored, attempts: stored.attempts + 1 };
    if (received.attempts > this.#options.maxReceiveCount) {
      await this.#deadLetter(path, received);
      return;
    }
    await this.#write(path, received);
    const message: QueueMessage = {
      id: received.id,
      body: received.body,
      attempts: received.attempts,
      sentAt: received.sentAt,
    };
    let outcome: Consumed;
    let failure: string | undefined;
    try {
      outcome = await this.#options.consume(message);
      if (outcome === 'retry') failure = 'reported as failed';
    } catch (error) {
      outcome = 'retry';
      failure = describeFailure(error);
      this.#options.onError?.(error, message);
    }
    if (outcome === 'done') {
      await rm(path, { force: true });
      return;
    }
    const failed: Stored = { ...received, ...(failure ? { lastError: failure } : {}) };
    if (failed.attempts >= this.#options.maxReceiveCount) {
      await this.#deadLetter(path, failed);
      return;
    }
    const backoff = (this.#options.backoffMs ?? defaultBackoff)(failed.attempts);
    await this.#write(path, { ...failed, notBefore: Date.now() + backoff });
  }

  async #deadLetter(path: string, stored: Stored): Promise<void> {
    const dead: Stored = { ...stored, deadAt: new Date().toISOString() };
    const target = join(this.#dead, path.slice(this.#pending.length + 1));
    await this.#write(target, dead);
    await rm(path, { force: true });
    this.#options.onDeadLetter?.(toDeadLetter(dead));
  }

  async #names(dir: string): Promise<string[]> {
    return (await readdir(dir)).filter((name) => name.endsWith('.json')).sort();
  }

  async #read(path: string): Promise<Stored | undefined> {
    try {
      return storedSchema.parse(JSON.parse(await readFile(path, 'utf8')));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }

  /** Whole or not at all: a temporary file renamed over the target. */
  async #write(path: string, stored: Stored): Promise<void> {
    const temporary = `${path}.${randomUUID()}.tmp`;
    await writeFile(temporary, JSON.stringify(stored), { mode: 0o600 });
    await rename(temporary, path);
  }
}

const toDeadLetter = (stored: Stored): DeadLetter => ({
  id: stored.id,
  body: stored.body,
  attempts: stored.attempts,
  sentAt: stored.sentAt,
  deadAt: stored.deadAt ?? stored.sentAt,
  ...(stored.lastError ? { lastError: stored.lastError } : {}),
});

/** The dead-letter list of a queue folder, read without opening the queue (the CLI does this). */
export async function readDeadLetters(dir: string): Promise<DeadLetter[]> {
  const deadDir = join(dir, 'dead');
  let names: string[];
  try {
    names = (await readdir(deadDir)).filter((name) => name.endsWith('.json')).sort();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const letters: DeadLetter[] = [];
  for (const name of names) {
    const parsed = storedSchema.safeParse(JSON.parse(await readFile(join(deadDir, name), 'utf8')));
    if (parsed.success) letters.push(toDeadLetter(parsed.data));
  }
  return letters;
}

/**
 * Moves dead letters back to the queue (`kura status --stuck --redrive`, like SQS's redrive): their
 * receipts start again from zero. Returns how many moved.
 */
export async function redriveDeadLetters(dir: string): Promise<number> {
  const deadDir = join(dir, 'dead');
  const pendingDir = join(dir, 'pending');
  let moved = 0;
  for (const name of (await readdir(deadDir).catch(() => [] as string[])).filter((n) =>
    n.endsWith('.json'),
  )) {
    const stored = storedSchema.parse(JSON.parse(await readFile(join(deadDir, name), 'utf8')));
    const { deadAt: _d, lastError: _e, ...rest } = stored;
    const temporary = join(pendingDir, `${name}.${randomUUID()}.tmp`);
    await mkdir(pendingDir, { recursive: true, mode: 0o700 });
    await writeFile(temporary, JSON.stringify({ ...rest, attempts: 0, notBefore: 0 }), { mode: 0o600 });
    await rename(temporary, join(pendingDir, name));
    await rm(join(deadDir, name), { force: true });
    moved++;
  }
  return moved;
}
