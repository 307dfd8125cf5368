import { Readable } from 'node:stream';
import type { Body } from '../../domain/ports/index.ts';

/** Reads any port `Body` into bytes (strings are UTF-8). */
export async function bodyToBytes(body: Body): Promise<Uint8Array> {
  if (typeof body === 'string') return new TextEncoder().encode(body);
  if (body instanceof Uint8Array) return new Uint8Array(body);
  const chunks: Uint8Array[] = [];
  for await (const chunk of body as Readable) {
    chunks.push(typeof chunk === 'string' ? new TextEncoder().encode(chunk) : new Uint8Array(chunk));
  }
  return new Uint8Array(Buffer.concat(chunks));
}

export function bytesToStream(bytes: Uint8Array): Readable {
  return Readable.from([Buffer.from(bytes)]);
}
