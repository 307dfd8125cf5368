/**
 * The only part of an upload key the client influences is the file name, so it is reduced to a
 * plain basename of letters, digits, `.`, `-` and `_`: no path separators, no `..`, no control or
 * bidi characters, no percent-encodings (decoded first, then neutralised), no `${filename}`.
 */
export const MAX_FILE_NAME_CHARS = 120;
export const FALLBACK_FILE_NAME = 'upload.csv';
/** Longest extension kept when a long name is shortened. */
const MAX_EXTENSION_CHARS = 10;

/** Decodes percent-encodings (also double-encoded ones such as %252e) and full-width forms until stable. */
function unwrap(input: string): string {
  let name = input;
  for (let round = 0; round < 5; round++) {
    let next = name.normalize('NFKC');
    try {
      next = decodeURIComponent(next);
    } catch {
      // A lone `%` is not an encoding; it is neutralised below.
    }
    if (next === name) break;
    name = next;
  }
  return name;
}

/** A safe file name for the upload key; {@link FALLBACK_FILE_NAME} when nothing usable is left. */
export function safeFileName(input: string): string {
  const unwrapped = unwrap(input);
  const base = unwrapped.split(/[/\\]/).pop() ?? '';
  let name = base
    .replace(/[\p{Cc}\p{Cf}\p{Co}\p{Cs}\p{Zl}\p{Zp}]/gu, '')
    .replace(/\s+/gu, '_')
    .replace(/[^\p{L}\p{M}\p{N}._-]/gu, '_')
    .replace(/\.{2,}/g, '.')
    .replace(/^[._-]+/, '')
    .replace(/[.]+$/, '');
  const chars = [...name];
  if (chars.length > MAX_FILE_NAME_CHARS) {
    const dot = name.lastIndexOf('.');
    const extension = dot > 0 ? name.slice(dot) : '';
    const keep = [...extension].length <= MAX_EXTENSION_CHARS ? extension : '';
    name = chars.slice(0, MAX_FILE_NAME_CHARS - [...keep].length).join('') + keep;
    name = name.replace(/\.{2,}/g, '.');
  }
  if (!/[\p{L}\p{N}]/u.test(name)) return FALLBACK_FILE_NAME;
  return name;
}

/** What every safe name looks like (used by tests and as a last guard before a key is built). */
export const SAFE_FILE_NAME = /^[\p{L}\p{N}\p{M}][\p{L}\p{M}\p{N}._-]*$/u;
