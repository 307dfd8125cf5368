import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { Readable, Transform } from 'node:stream';
import type { Lang, Message } from '../functions/domain/i18n.ts';

/** An API call that did not succeed: the status and the API's own bilingual message. */
export class KuraApiError extends Error {
  override readonly name = 'KuraApiError';
  readonly status: number;
  readonly body: unknown;
  readonly userMessage: Message;
  constructor(status: number, body: unknown, userMessage: Message) {
    super(`${status}: ${userMessage.en}`);
    this.status = status;
    this.body = body;
    this.userMessage = userMessage;
  }
}

/** The API's error body (`functions/api/errors.ts`): a bilingual message, maybe a field. */
function messageOf(status: number, body: unknown): Message {
  const error = (body as { error?: { message?: unknown; field?: unknown } } | undefined)?.error;
  const message = error?.message as Partial<Message> | string | undefined;
  const field = typeof error?.field === 'string' ? ` (${error.field})` : '';
  if (message && typeof message === 'object' && message.ja && message.en) {
    return { ja: `${message.ja}${field}`, en: `${message.en}${field}` };
  }
  const text = typeof message === 'string' ? message : JSON.stringify(body ?? '').slice(0, 300);
  return { ja: `API がエラー ${status} を返しました: ${text}`, en: `The API answered ${status}: ${text}` };
}

/** What the API's POST /uploads returns. */
export interface UploadTicket {
  readonly uploadId: string;
  readonly url: string;
  readonly fields: Readonly<Record<string, string>>;
  readonly expiresAt: string;
}

export interface ConsentAttestation {
  readonly obtained: true;
  readonly method: 'written' | 'electronic' | 'employment_rules' | 'other';
  readonly obtainedAt: string;
  readonly attestedBy: string;
}

/** A thin client of Kura's HTTP API (the same calls against the local platform or a deployed stack). */
export class KuraClient {
  readonly endpoint: string;
  readonly #token: string;
  readonly #lang: Lang;
  constructor(options: { readonly endpoint: string; readonly token: string; readonly lang?: Lang }) {
    this.endpoint = options.endpoint.replace(/\/+$/, '');
    this.#token = options.token;
    this.#lang = options.lang ?? 'en';
  }

  /** One JSON request; KuraApiError for any status outside 2xx. Resolves to the status and body. */
  async call<T = unknown>(
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; body: T }> {
    const response = await fetch(`${this.endpoint}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${this.#token}`,
        'accept-language': this.#lang,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // Not JSON (a proxy's HTML page): keep the text for the message.
    }
    if (!response.ok) throw new KuraApiError(response.status, parsed, messageOf(response.status, parsed));
    return { status: response.status, body: parsed as T };
  }

  async get<T = unknown>(path: string): Promise<T> {
    return (await this.call<T>('GET', path)).body;
  }
}

/** A job as `GET /admin/jobs/{jobId}` returns it (functions/domain/jobs). */
export interface JobView {
  readonly jobId: string;
  readonly kind: string;
  readonly state: 'QUEUED' | 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'JOINED';
  readonly result?: Readonly<Record<string, unknown>>;
  readonly error?: { readonly code: string; readonly message: Message };
  readonly joinedJobId?: string;
  readonly attempts: number;
}

/** Raised when a job ended FAILED. */
export class JobFailedError extends Error {
  override readonly name = 'JobFailedError';
  constructor(readonly job: JobView) {
    super(`${job.kind} job ${job.jobId} failed: ${job.error?.code ?? 'unknown'}`);
  }
}

/**
 * Starts a job through the admin API (a route answering 202 with a job id) and follows it until it ends,
 * reporting each state change; a job that joined a running one is followed to that one's end.
 * @throws JobFailedError when the job failed
 */
export async function runJob(
  client: KuraClient,
  start: { readonly path: string; readonly body?: unknown },
  options: {
    readonly onState?: (job: JobView) => void;
    readonly pollMs?: number;
    readonly timeoutMs?: number;
    /** Awaited between polls (the local platform: its queue of background work). */
    readonly between?: () => Promise<void>;
  } = {},
): Promise<JobView> {
  const { body } = await client.call<{ jobId: string }>('POST', start.path, start.body ?? {});
  let jobId = body.jobId;
  const deadline = Date.now() + (options.timeoutMs ?? 30 * 60_000);
  let lastState = '';
  for (;;) {
    await options.between?.();
    const job = await client.get<JobView>(`/admin/jobs/${encodeURIComponent(jobId)}`);
    if (`${job.jobId}:${job.state}` !== lastState) options.onState?.(job);
    lastState = `${job.jobId}:${job.state}`;
    if (job.state === 'JOINED' && job.joinedJobId) jobId = job.joinedJobId;
    else if (job.state === 'SUCCEEDED') return job;
    else if (job.state === 'FAILED') throw new JobFailedError(job);
    if (Date.now() > deadline) throw new Error(`The ${job.kind} job ${job.jobId} did not end in time`);
    await new Promise((resolveWait) => setTimeout(resolveWait, options.pollMs ?? 500));
  }
}

/** Size and SHA-256 (hex) of a file, streamed. */
export async function fileDigest(path: string): Promise<{ sizeBytes: number; sha256: string }> {
  const hash = createHash('sha256');
  let sizeBytes = 0;
  for await (const chunk of createReadStream(path)) {
    hash.update(chunk as Buffer);
    sizeBytes += (chunk as Buffer).length;
  }
  return { sizeBytes, sha256: hash.digest('hex') };
}

/** Size and SHA-256 (hex) of bytes in memory. */
export const bytesDigest = (bytes: Uint8Array) => ({
  sizeBytes: bytes.length,
  sha256: createHash('sha256').update(bytes).digest('hex'),
});

/** Counts bytes as they pass (for a progress bar) without holding them. */
export function countingTransform(onBytes: (total: number) => void): Transform {
  let total = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      total += chunk.length;
      onBytes(total);
      done(null, chunk);
    },
  });
}

const CRLF = '\r\n';

/**
 * Posts a file to a presigned POST URL as multipart/form-data (every policy field, then `file` last,
 * as S3 requires), streaming the file body through `body` so a progress bar can count it. Resolves
 * when the store has answered 2xx.
 */
export async function postToPresignedUrl(
  ticket: Pick<UploadTicket, 'url' | 'fields'>,
  file: { readonly fileName: string; readonly contentType: string; readonly sizeBytes: number },
  body: Readable,
): Promise<void> {
  const boundary = `----kura${Math.random().toString(16).slice(2)}${Date.now().toString(16)}`;
  const parts = Object.entries(ticket.fields).map(
    ([name, value]) =>
      `--${boundary}${CRLF}Content-Disposition: form-data; name="${name}"${CRLF}${CRLF}${value}${CRLF}`,
  );
  const safeName = file.fileName.replace(/["\r\n]/g, '_');
  const head = Buffer.from(
    `${parts.join('')}--${boundary}${CRLF}Content-Disposition: form-data; name="file"; filename="${encodeURIComponent(safeName)}"${CRLF}Content-Type: ${file.contentType}${CRLF}${CRLF}`,
    'utf8',
  );
  const tail = Buffer.from(`${CRLF}--${boundary}--${CRLF}`, 'utf8');
  async function* multipart() {
    yield head;
    for await (const chunk of body) yield chunk as Buffer;
    yield tail;
  }
  const response = await fetch(ticket.url, {
    method: 'POST',
    headers: {
      'content-type': `multipart/form-data; boundary=${boundary}`,
      'content-length': String(head.length + file.sizeBytes + tail.length),
    },
    body: Readable.toWeb(Readable.from(multipart())) as ReadableStream<Uint8Array>,
    duplex: 'half',
  } as RequestInit);
  if (!response.ok) {
    const text = (await response.text()).slice(0, 500);
    throw new KuraApiError(response.status, text, {
      ja: `ファイルの送信が拒否されました（${response.status}）: ${text}`,
      en: `The storage refused the file (${response.status}): ${text}`,
    });
  }
}
