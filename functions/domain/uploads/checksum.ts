/**
 * Clients declare the file's SHA-256 as S3 wants it (base64 of the 32-byte digest, 44 characters) or
 * as `sha256sum` prints it (64 hex digits). Both are accepted; Kura stores and pins the base64 form.
 * Returns undefined for anything else.
 */
export function normaliseSha256(value: string): string | undefined {
  const trimmed = value.trim();
  if (/^[0-9a-fA-F]{64}$/.test(trimmed)) return Buffer.from(trimmed, 'hex').toString('base64');
  if (/^[A-Za-z0-9+/]{43}=$/.test(trimmed)) {
    const bytes = Buffer.from(trimmed, 'base64');
    if (bytes.length === 32 && bytes.toString('base64') === trimmed) return trimmed;
  }
  return undefined;
}
