import { createHash, createHmac } from 'node:crypto';

/** HMAC-SHA256 block size in bytes. */
const BLOCK_BYTES = 64;

/**
 * The token of a linking code under a tenant key: HMAC-SHA256 over the UTF-8 value, lowercase hex.
 * The reference implementation; the DuckDB and Athena compilations must agree with it bit for bit.
 */
export function tokenOf(key: Uint8Array, value: string): string {
  return createHmac('sha256', key).update(value, 'utf8').digest('hex');
}

/**
 * The inner and outer HMAC blocks of a key (RFC 2104: key padded to 64 bytes, XOR 0x36 / 0x5c), as
 * hex. DuckDB has no HMAC function but computes `sha256(opad || sha256(ipad || message))` exactly.
 * These strings are key material: never log them.
 */
export function hmacBlocksHex(key: Uint8Array): { readonly ipadHex: string; readonly opadHex: string } {
  if (key.length === 0) throw new RangeError('an HMAC key must not be empty');
  // Keys longer than a block are hashed first (RFC 2104); tenant keys are 32 bytes.
  const material = key.length > BLOCK_BYTES ? createHash('sha256').update(key).digest() : key;
  const block = new Uint8Array(BLOCK_BYTES);
  block.set(material);
  const xor = (pad: number) => Buffer.from(block.map((b) => b ^ pad)).toString('hex');
  return { ipadHex: xor(0x36), opadHex: xor(0x5c) };
}

/** Lowercase hex of a key, for Athena's `from_hex`. Key material: never log it. */
export function keyHex(key: Uint8Array): string {
  return Buffer.from(key).toString('hex');
}
