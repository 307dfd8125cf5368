import { isAscii, isUtf8 } from 'node:buffer';

/** Encodings Kura reads. `ascii` means no byte above 0x7F was seen, which both others agree on. */
export type TextEncoding = 'utf-8' | 'utf-8-bom' | 'cp932' | 'ascii';

/** Why the bytes cannot be text in the detected encoding. */
export type EncodingFailure = 'INVALID_BYTES' | 'UTF16' | 'GAIJI';

/**
 * Raised by CsvTextDecoder at the first byte sequence the detected encoding cannot represent.
 * `validPrefix` is the UTF-8 text decoded before it, so a line counter can name the line.
 */
export class InvalidEncodingError extends Error {
  override readonly name = 'InvalidEncodingError';
  constructor(
    readonly encoding: TextEncoding,
    readonly failure: EncodingFailure,
    readonly validPrefix: Uint8Array,
  ) {
    super(`bytes invalid in ${encoding} (${failure})`);
  }
}

const BOM_UTF8 = [0xef, 0xbb, 0xbf];
/** Longest run without a line feed that the CP932 decoder holds back to decode whole lines. */
const CP932_MAX_LINE_BYTES = 16 * 1024 ** 2;
/** Bytes to look at after the first non-ASCII byte when deciding between UTF-8 and CP932. */
const DETECTION_WINDOW = 4096;
/**
 * Decoded CP932 characters that are not text: U+FFFD (bytes the decoder could not map), C1 control
 * U+0080 (byte 0x80), NUL, and the private use area (外字, user-defined characters that have no
 * meaning outside the PC that made them).
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
const CP932_NOT_TEXT = /[\u0000\u0080\uFFFD\uE000-\uF8FF]/;

/** Length of the UTF-8 sequence a lead byte starts (0 for a continuation or invalid byte). */
function utf8SequenceLength(byte: number): number {
  if (byte < 0x80) return 1;
  if (byte >= 0xc2 && byte <= 0xdf) return 2;
  if (byte >= 0xe0 && byte <= 0xef) return 3;
  if (byte >= 0xf0 && byte <= 0xf4) return 4;
  return 0;
}

/** Where a trailing incomplete UTF-8 sequence starts (bytes.length when the end is complete). */
function completeUtf8Length(bytes: Uint8Array): number {
  for (let back = 1; back <= 3 && back <= bytes.length; back++) {
    const byte = bytes[bytes.length - back] ?? 0;
    if ((byte & 0xc0) === 0x80) continue; // continuation: keep looking for the lead byte
    const needed = utf8SequenceLength(byte);
    return needed > back ? bytes.length - back : bytes.length;
  }
  return bytes.length;
}

/** Offset of the first invalid UTF-8 sequence (error path only: isUtf8 answers the common case). */
function firstInvalidUtf8(bytes: Uint8Array): number {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let low = 0;
  let high = bytes.length;
  // The longest valid prefix, by bisection on whole-prefix validity (prefix cut at a sequence end).
  while (low < high) {
    const mid = Math.ceil((low + high) / 2);
    const cut = completeUtf8Length(bytes.subarray(0, mid));
    try {
      decoder.decode(bytes.subarray(0, cut));
      if (cut === low) break;
      low = cut;
    } catch {
      high = mid - 1;
    }
  }
  return low;
}

/**
 * Whether bytes after the first non-ASCII one are UTF-8: all valid, or several valid multi-byte
 * characters before an invalid byte (Shift_JIS text fails UTF-8 within a character or two, since its
 * lead bytes are mostly UTF-8 continuation bytes). An invalid byte in UTF-8 text is then reported
 * as such, with its line, instead of the file being misread as Shift_JIS.
 */
function looksLikeUtf8(window: Uint8Array): boolean {
  if (isUtf8(window)) return true;
  const valid = window.subarray(0, firstInvalidUtf8(window));
  let multiByte = 0;
  for (const byte of valid) if (byte >= 0xc2 && byte <= 0xf4) multiByte++;
  return multiByte >= 4;
}

/** ICU's shift_jis (WHATWG: CP932 with the NEC and IBM extensions) swaps these control characters. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: these control characters are the point
const ICU_CONTROL_SWAP = /[\u001a\u001c\u007f]/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: these control characters are the point
const ICU_CONTROL_SWAP_ALL = /[\u001a\u001c\u007f]/g;
const ICU_CONTROL_FIX: Record<string, string> = {
  '\u001c': '\u001a',
  '\u007f': '\u001c',
  '\u001a': '\u007f',
};

/** The runtime has no Shift_JIS decoder (Node built without full ICU); Lambda's Node has one. */
export class Cp932UnsupportedError extends Error {
  override readonly name = 'Cp932UnsupportedError';
  constructor() {
    super(
      'This Node.js runtime cannot decode Shift_JIS (TextDecoder("shift_jis") is missing): run Kura on a Node.js build with full ICU, as AWS Lambda and the official builds are.',
    );
  }
}

function shiftJisDecoder() {
  try {
    return new TextDecoder('shift_jis');
  } catch {
    throw new Cp932UnsupportedError();
  }
}

/**
 * A streaming CP932 decoder: Node's built-in (ICU, WHATWG shift_jis = CP932 with the NEC and IBM
 * extensions). It agrees with iconv-lite's cp932 on every character Kura accepts (checked over every
 * byte pair by the unit tests), so iconv-lite (480 KiB) stays out of the Lambda bundles. Invalid
 * bytes become U+FFFD, which the caller refuses.
 */
function cp932Decoder(): {
  write(bytes: Uint8Array): string;
  end(): string;
  whole(bytes: Uint8Array): string;
} {
  const decoder = shiftJisDecoder();
  const fix = (text: string) =>
    ICU_CONTROL_SWAP.test(text)
      ? text.replace(ICU_CONTROL_SWAP_ALL, (ch) => ICU_CONTROL_FIX[ch] ?? ch)
      : text;
  return {
    write: (bytes) => fix(decoder.decode(bytes, { stream: true })),
    end: () => fix(decoder.decode()),
    whole: (bytes) => fix(shiftJisDecoder().decode(bytes)),
  };
}

/**
 * Offset of the first byte above 0x7F, or -1. An ASCII file stays undecided to its end, so this runs
 * over every byte of it: isAscii (SIMD in Node) answers the common case, and a plain loop finds the
 * byte otherwise (a findIndex callback per byte took about 0.4 s of a 35 MB file's 1M rows).
 */
function firstNonAscii(bytes: Uint8Array): number {
  if (isAscii(bytes)) return -1;
  for (let i = 0; i < bytes.length; i++) if ((bytes[i] as number) >= 0x80) return i;
  return -1;
}

const concat = (a: Uint8Array, b: Uint8Array) => (a.length === 0 ? b : Buffer.concat([a, b]));

/**
 * Streaming decoder from the bytes of an uploaded CSV to UTF-8: detects UTF-8 (with or without BOM)
 * or Shift_JIS/CP932 (with the NEC and IBM extensions: ①, ㈱, 髙), and throws InvalidEncodingError at
 * the first invalid byte instead of producing mojibake. UTF-16 (Excel's "Unicode text") is refused.
 */
export class CsvTextDecoder {
  private mode: TextEncoding | 'undecided' = 'undecided';
  private pending: Uint8Array = new Uint8Array(0);
  private started = false;
  private readonly cp932 = cp932Decoder();
  private cp932Carry: Uint8Array = new Uint8Array(0);
  private cp932Streaming = false;

  /** @param maxLineBytes longest run without a line feed held back to decode whole CP932 lines */
  constructor(private readonly maxLineBytes = CP932_MAX_LINE_BYTES) {}

  /** The encoding detected so far (`ascii` until a non-ASCII byte decides). */
  get encoding(): TextEncoding {
    return this.mode === 'undecided' ? 'ascii' : this.mode;
  }

  /** Decodes the next chunk; returns UTF-8 bytes (possibly empty while more input is needed). */
  push(chunk: Uint8Array): Uint8Array {
    let bytes = concat(this.pending, chunk);
    this.pending = new Uint8Array(0);
    if (!this.started) {
      if (bytes.length < 3 && bytes.every((b, i) => b === BOM_UTF8[i])) {
        this.pending = bytes;
        return new Uint8Array(0);
      }
      this.started = true;
      if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) {
        this.mode = 'utf-8-bom';
        bytes = bytes.subarray(3);
      } else if ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff)) {
        throw new InvalidEncodingError('ascii', 'UTF16', new Uint8Array(0));
      }
    }
    return this.decode(bytes, false);
  }

  /** Flushes the end of the input. */
  end(): Uint8Array {
    const rest = this.pending;
    this.pending = new Uint8Array(0);
    if (!this.started && rest.length > 0) {
      this.started = true;
      return this.decode(rest, true);
    }
    return this.decode(rest, true);
  }

  private decode(bytes: Uint8Array, final: boolean): Uint8Array {
    if (this.mode === 'undecided') {
      const firstHigh = firstNonAscii(bytes);
      if (firstHigh < 0) {
        if (bytes.indexOf(0) >= 0)
          throw new InvalidEncodingError('ascii', 'INVALID_BYTES', bytes.subarray(0, bytes.indexOf(0)));
        return bytes;
      }
      if (!final && bytes.length - firstHigh < DETECTION_WINDOW && bytes.length < 1 << 20) {
        // Too little to decide on: wait for more (bounded, so memory stays small).
        this.pending = bytes;
        return new Uint8Array(0);
      }
      const window = bytes.subarray(firstHigh, Math.min(bytes.length, firstHigh + DETECTION_WINDOW));
      const whole =
        final && firstHigh + DETECTION_WINDOW >= bytes.length
          ? window
          : window.subarray(0, completeUtf8Length(window));
      this.mode = looksLikeUtf8(whole) ? 'utf-8' : 'cp932';
    }
    return this.mode === 'cp932' ? this.decodeCp932(bytes, final) : this.decodeUtf8(bytes, final);
  }

  private decodeUtf8(bytes: Uint8Array, final: boolean): Uint8Array {
    const cut = final ? bytes.length : completeUtf8Length(bytes);
    const body = bytes.subarray(0, cut);
    this.pending = bytes.subarray(cut);
    if (!isUtf8(body)) {
      throw new InvalidEncodingError(
        this.encoding,
        'INVALID_BYTES',
        body.subarray(0, firstInvalidUtf8(body)),
      );
    }
    const nul = body.indexOf(0);
    if (nul >= 0) throw new InvalidEncodingError(this.encoding, 'INVALID_BYTES', body.subarray(0, nul));
    return body;
  }

  private decodeCp932(bytes: Uint8Array, final: boolean): Uint8Array {
    if (this.cp932Streaming)
      return this.checkCp932(this.cp932.write(bytes) + (final ? this.cp932.end() : ''));
    // Decode whole lines: a line feed is never part of a CP932 character, so each run of lines
    // decodes on its own, and a run of plain ASCII (most numeric rows) is already its own UTF-8.
    const data = concat(this.cp932Carry, bytes);
    const cut = final ? data.length : data.lastIndexOf(0x0a) + 1;
    if (cut === 0) {
      this.cp932Carry = data;
      if (data.length <= this.maxLineBytes) return new Uint8Array(0);
      // A line this long is refused later anyway; decode it statefully rather than hold it.
      this.cp932Streaming = true;
      this.cp932Carry = new Uint8Array(0);
      return this.checkCp932(this.cp932.write(data));
    }
    this.cp932Carry = data.slice(cut);
    const lines = data.subarray(0, cut);
    if (isAscii(lines)) {
      const nul = lines.indexOf(0);
      if (nul >= 0) throw new InvalidEncodingError('cp932', 'INVALID_BYTES', lines.subarray(0, nul));
      return lines;
    }
    return this.checkCp932(this.cp932.whole(lines));
  }

  /** Refuses decoded text holding a character that is not text (see CP932_NOT_TEXT). */
  private checkCp932(text: string): Uint8Array {
    const bad = text.search(CP932_NOT_TEXT);
    if (bad >= 0) {
      const code = text.charCodeAt(bad);
      const failure: EncodingFailure = code >= 0xe000 && code <= 0xf8ff ? 'GAIJI' : 'INVALID_BYTES';
      throw new InvalidEncodingError('cp932', failure, Buffer.from(text.slice(0, bad), 'utf8'));
    }
    return Buffer.from(text, 'utf8');
  }
}
