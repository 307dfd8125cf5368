/**
 * Redaction for logs: keys, secrets and row values never reach CloudWatch. Applied as the Logger's JSON
 * replacer, so it covers every attribute and every error any code logs, not only what a careful caller
 * remembered to clean.
 *
 * What is removed:
 * - binary values (Uint8Array, Buffer, ArrayBuffer): key material is binary;
 * - attributes whose name says secret (`secret`, `password`, `authorization`, `idToken`, `hmacKey`, …);
 * - runs of 32+ hex digits and 40+ base64 characters inside strings (a 32-byte key in hex, HMAC blocks
 *   in SQL, a key in base64);
 * - in error messages and stacks, quoted literals ('…', "…", 「…」): database and parser errors quote the
 *   cell value they failed on, and a cell may be a name or a salary.
 */

export const REDACTED = '[redacted]';

const SECRET_NAMES =
  /^(secret.*|.*secret|password|passphrase|authorization|cookie|set-cookie|id_?token|access_?token|refresh_?token|hmac_?key|key_?bytes|key_?hex|key_?material|private_?key|ipad|opad|row_?values?|cells?_?values?)$/i;
const HEX_RUN = /(?:\\x)?[0-9a-f]{32,}/gi;
const HEX_ESCAPES = /(?:\\x[0-9a-f]{2}){8,}/gi;
const BASE64_RUN = /[A-Za-z0-9+/]{40,}={0,2}/g;
/**
 * A base64 run is treated as key material when it is padded, has no `/` (a 40-character token is never a
 * word), or mixes cases and digits as random bytes do; what stays is a long path-like run of plain words.
 */
const looksLikeKey = (run: string) =>
  run.endsWith('=') || !run.includes('/') || (/[A-Z]/.test(run) && /[a-z]/.test(run) && /[0-9]/.test(run));
const QUOTED = /'(?:[^'\\]|\\.|'')*'|"(?:[^"\\]|\\.)*"|「[^」]*」/g;

/** A string with key-like runs (long hex, hex escapes, long base64) replaced. */
export function redactSecrets(text: string): string {
  return text
    .replace(HEX_ESCAPES, REDACTED)
    .replace(HEX_RUN, REDACTED)
    .replace(BASE64_RUN, (run) => (looksLikeKey(run) ? REDACTED : run));
}

/** Error text with key-like runs and every quoted literal (a value the error quoted) replaced. */
export function redactErrorText(text: string): string {
  return redactSecrets(text).replace(QUOTED, (quoted) => `${quoted[0]}…${quoted.at(-1)}`);
}

const isBufferJson = (value: unknown): boolean =>
  typeof value === 'object' &&
  value !== null &&
  (value as { type?: unknown }).type === 'Buffer' &&
  Array.isArray((value as { data?: unknown }).data);

/** What of an error may be logged: name, code, redacted message and stack, cause (same rules). */
export function safeError(error: Error, depth = 0): Record<string, unknown> {
  const code = (error as { code?: unknown }).code;
  const status = (error as { $metadata?: { httpStatusCode?: unknown } }).$metadata?.httpStatusCode;
  const cause = (error as { cause?: unknown }).cause;
  return {
    name: error.name,
    ...(typeof code === 'string' || typeof code === 'number' ? { code } : {}),
    ...(typeof status === 'number' ? { httpStatusCode: status } : {}),
    message: redactErrorText(error.message),
    ...(error.stack ? { stack: redactErrorText(error.stack) } : {}),
    ...(cause instanceof Error && depth < 3 ? { cause: safeError(cause, depth + 1) } : {}),
  };
}

/**
 * The Logger's JSON replacer (`jsonReplacerFn`): called for every key and value of every log line.
 * Errors become `safeError`s; binary, secret-named attributes and key-like strings are redacted.
 */
export function redactLogValue(key: string, value: unknown): unknown {
  if (value instanceof Error) return safeError(value);
  if (value instanceof Uint8Array || value instanceof ArrayBuffer || isBufferJson(value)) {
    return `${REDACTED} binary`;
  }
  if (key !== '' && SECRET_NAMES.test(key) && value !== undefined && value !== null) return REDACTED;
  if (typeof value === 'string') return key === 'stack' ? redactErrorText(value) : redactSecrets(value);
  return value;
}

/**
 * A deep copy of `value` with the log rules applied, for places that put data into something other than
 * a log line (an error response, a metric's metadata).
 */
export function safe(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value, redactLogValue) ?? 'null');
}
