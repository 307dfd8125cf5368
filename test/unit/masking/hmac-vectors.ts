/**
 * HMAC test vectors shared by the engines. Keys are fixed, test-only byte patterns (never real tenant
 * keys); expected tokens are computed by node:crypto at test time, then DuckDB's compiled SQL must
 * reproduce them, and the Athena text must have the structure Trino's hmac_sha256 needs.
 */
import { createHmac } from 'node:crypto';

export interface HmacVector {
  readonly label: string;
  readonly key: Uint8Array;
  readonly value: string;
  readonly token: string;
}

const pattern = (length: number, seed: number) =>
  Uint8Array.from({ length }, (_, i) => (seed * 31 + i * 7) % 256);

/** Test-only keys: a tenant-sized 32-byte key, a short one, a block-sized one and one longer than a block. */
export const TEST_KEYS: ReadonlyArray<{ readonly label: string; readonly key: Uint8Array }> = [
  { label: '32-byte', key: pattern(32, 1) },
  { label: '32-byte other tenant', key: pattern(32, 2) },
  { label: '4-byte', key: new TextEncoder().encode('Jefe') },
  { label: '64-byte', key: pattern(64, 3) },
  { label: '131-byte', key: pattern(131, 4) },
];

export const TEST_VALUES: readonly string[] = [
  'E0001',
  '',
  'what do ya want for nothing?',
  '社員-０１２３',
  '山田 太郎',
  "O'Brien",
  'x'.repeat(300),
  '😀🍣',
];

/** Every key × value, with node:crypto's token. */
export function hmacVectors(): HmacVector[] {
  return TEST_KEYS.flatMap(({ label, key }) =>
    TEST_VALUES.map((value) => ({
      label: `${label} / ${JSON.stringify(value.slice(0, 20))}`,
      key,
      value,
      token: createHmac('sha256', key).update(value, 'utf8').digest('hex'),
    })),
  );
}
