/**
 * A streaming reader of the XML in a workbook's parts: tags, their attributes and the text between
 * them, pushed to handlers chunk by chunk in bounded memory.
 *
 * Why not saxes (which read the parts before): a sheet of a million rows is about 260 MB of XML, and
 * saxes reads it character by character through a state machine. Reporting only the tags and text of
 * the bench's 1M-row sheet (bench machine, 2026-12-07, alternating runs) took saxes 4.2–5.9 s and this
 * reader 2.5–4.0 s; htmlparser2 (4.1–4.8 s) and ltx (4.1–5.5 s) were no faster than saxes, sax-wasm
 * took 21 s. This reader jumps from one `<` to the next with `indexOf`.
 *
 * It reads a strict subset of XML 1.0, which every part Excel and other spreadsheet programs write falls
 * within, and refuses everything else as malformed (XmlSyntaxError):
 * - no document type declaration (a DTD could define entities: refusing it also refuses "billion laughs"
 *   and external entities);
 * - element and attribute names in ASCII (as OOXML's schemas name them), at most one namespace prefix;
 * - the five predefined entities and character references only;
 * - one root element, tags balanced, no duplicate attribute, no text but white space outside the root.
 * Text and attribute values come out as an XML parser gives them: line ends normalised, white space in
 * attribute values made spaces, references decoded. A differential property test holds it to saxes
 * (test/unit/ingest/xml-reader.property.test.ts): whatever this reader accepts, saxes accepts, with the
 * same tags, attributes and text.
 */

/** A tag's attributes by name (prefixed names as written). */
export type XmlAttributes = Readonly<Record<string, string>>;

export interface XmlHandlers {
  /** A start tag, or an empty-element tag (`isSelfClosing`, and onClose follows). */
  readonly onTag?: (name: string, attributes: XmlAttributes, isSelfClosing: boolean) => void;
  readonly onText?: (text: string) => void;
  /** An element ends (after its start tag's onTag, also for an empty-element tag). */
  readonly onClose?: (name: string) => void;
}

/** The part is not XML this reader reads. The reason names the construct, never the part's content. */
export class XmlSyntaxError extends Error {
  constructor(readonly reason: string) {
    super(`malformed XML: ${reason}`);
    this.name = 'XmlSyntaxError';
  }
}

/** A single token (a tag, comment, CDATA section or processing instruction) may be at most this long. */
export const MAX_XML_TOKEN = 8 * 1024 ** 2;
/** The longest reference this reader reads, `&` and `;` included (`&#` and ten digits). */
const LONGEST_REFERENCE = 13;

const NAME = /^[A-Za-z_][A-Za-z0-9_.-]*(?::[A-Za-z_][A-Za-z0-9_.-]*)?$/;
/** ASCII characters by their place in a name: 1 may start one, 2 may only follow (a `:` is read apart). */
const NAME_CHARS = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  const ch = String.fromCharCode(c);
  NAME_CHARS[c] = /[A-Za-z_]/.test(ch) ? 1 : /[0-9.-]/.test(ch) ? 2 : 0;
}
const startsName = (c: number) => c < 128 && NAME_CHARS[c] === 1;

/**
 * The end of the name (as NAME reads it) starting at `from`: the index of the first character after it,
 * or -1 when the string ends first. Throws when no name starts there.
 */
function nameEnd(s: string, from: number): number {
  const n = s.length;
  if (from >= n) return -1;
  if (!startsName(s.charCodeAt(from))) throw new XmlSyntaxError('a name this reader does not read');
  let prefixed = false;
  for (let i = from + 1; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c < 128 && NAME_CHARS[c] !== 0) continue;
    if (c !== 58 /* : */ || prefixed) return i;
    prefixed = true;
    if (i + 1 >= n) return -1;
    if (!startsName(s.charCodeAt(i + 1))) throw new XmlSyntaxError('a name this reader does not read');
  }
  return -1;
}
/** Characters XML 1.0 does not allow anywhere (control characters other than tab and line ends, U+FFFE/F). */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding these control characters is the point
const DISALLOWED = /[\0-\x08\x0B\x0C\x0E-\x1F\uFFFE\uFFFF]/;
const XML_DECLARATION =
  /^<\?xml[ \t\r\n]+version[ \t\r\n]*=[ \t\r\n]*(["'])1\.0\1(?:[ \t\r\n]+encoding[ \t\r\n]*=[ \t\r\n]*(["'])[A-Za-z][A-Za-z0-9._-]*\2)?(?:[ \t\r\n]+standalone[ \t\r\n]*=[ \t\r\n]*(["'])(?:yes|no)\3)?[ \t\r\n]*\?>$/;
const PREDEFINED: Readonly<Record<string, string>> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };
const NO_ATTRIBUTES: XmlAttributes = Object.freeze({});
const isSpace = (c: number) => c === 32 || c === 9 || c === 10 || c === 13;

/** A character reference's or entity's text; anything else is malformed. */
function entity(ref: string): string {
  const named = PREDEFINED[ref];
  if (named !== undefined) return named;
  const code = /^#[0-9]{1,10}$/.test(ref)
    ? Number(ref.slice(1))
    : /^#x[0-9A-Fa-f]{1,8}$/.test(ref)
      ? Number.parseInt(ref.slice(2), 16)
      : -1;
  const allowed =
    code === 9 ||
    code === 10 ||
    code === 13 ||
    (code >= 0x20 && code <= 0xd7ff) ||
    (code >= 0xe000 && code <= 0xfffd) ||
    (code >= 0x10000 && code <= 0x10ffff);
  if (!allowed) throw new XmlSyntaxError('an unknown entity or a character XML does not allow');
  return String.fromCodePoint(code);
}

/** Decodes the references of text or an attribute value (already normalised). */
function decode(raw: string): string {
  let amp = raw.indexOf('&');
  if (amp < 0) return raw;
  let out = '';
  let at = 0;
  while (amp >= 0) {
    const semi = raw.indexOf(';', amp + 1);
    if (semi < 0) throw new XmlSyntaxError('an & that starts no reference');
    out += raw.slice(at, amp) + entity(raw.slice(amp + 1, semi));
    at = semi + 1;
    amp = raw.indexOf('&', at);
  }
  return out + raw.slice(at);
}

/** Text (`s` from `from` to `to`) as a parser gives it: CR LF and CR read as LF, references decoded. */
function textOf(s: string, from: number, to: number): string {
  let plain = true;
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i);
    if (c === 38 /* & */ || c === 13 || c === 93 /* ] */) {
      plain = false;
      break;
    }
  }
  const raw = s.slice(from, to);
  if (plain) return raw;
  if (raw.includes(']]>')) throw new XmlSyntaxError(']]> in text');
  return decode(raw.includes('\r') ? raw.replace(/\r\n?/g, '\n') : raw);
}

/** An attribute value (`s` from `from` to `to`) as a parser gives it: each white-space character (CR LF as one) a space. */
function attributeValue(s: string, from: number, to: number): string {
  let plain = true;
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i);
    if (c === 60 /* < */) throw new XmlSyntaxError('< in an attribute value');
    if (c === 38 /* & */ || c === 9 || c === 10 || c === 13) plain = false;
  }
  const raw = s.slice(from, to);
  return plain ? raw : decode(raw.replace(/\r\n|[\t\n\r]/g, ' '));
}

export class XmlReader {
  /** The chunks since a token was found unfinished, and their length. */
  private waiting: string[] = [];
  private waitingLength = 0;
  /** How long `waiting` must grow before the unfinished token is read again. */
  private retryAt = 0;
  private readonly open: string[] = [];
  private rootSeen = false;
  private atStart = true;
  /** Characters handed to the scanner so far: linear in the part's length, whatever the cuts. */
  scanned = 0;

  constructor(private readonly handlers: XmlHandlers) {}

  /**
   * Reads the next piece of the part (any cut: inside a tag or a reference). A token left unfinished
   * is read again only once what waits has doubled, so a long token costs linear time, not quadratic.
   */
  write(chunk: string): void {
    if (DISALLOWED.test(chunk)) throw new XmlSyntaxError('a character XML does not allow');
    let s = chunk;
    if (this.waitingLength > 0) {
      this.waiting.push(chunk);
      this.waitingLength += chunk.length;
      if (this.waitingLength < this.retryAt) return;
      s = this.waiting.join('');
    }
    const consumed = this.scan(s, false);
    const rest = consumed === s.length ? '' : s.slice(consumed);
    if (rest.length > MAX_XML_TOKEN) throw new XmlSyntaxError('a token longer than the reader holds');
    this.waiting = rest.length > 0 ? [rest] : [];
    this.waitingLength = rest.length;
    this.retryAt = Math.min(2 * rest.length, MAX_XML_TOKEN + 1);
  }

  /** The part has ended: anything left open is malformed. */
  close(): void {
    const s = this.waiting.join('');
    this.waiting = [];
    this.waitingLength = 0;
    if (this.scan(s, true) !== s.length) throw new XmlSyntaxError('the part ends inside a token');
    if (!this.rootSeen) throw new XmlSyntaxError('no root element');
    if (this.open.length > 0) throw new XmlSyntaxError('an element is not closed');
  }

  /** The text of `s` from `from` to `to`. */
  private text(s: string, from: number, to: number): void {
    if (from >= to) return;
    if (this.open.length === 0) {
      for (let i = from; i < to; i++) {
        if (!isSpace(s.charCodeAt(i))) throw new XmlSyntaxError('text outside the root element');
      }
      return;
    }
    this.handlers.onText?.(textOf(s, from, to));
  }

  /** Reads whole tokens of `s` from its start; returns how far it got (the rest waits for more). */
  private scan(s: string, final: boolean): number {
    const n = s.length;
    this.scanned += n;
    let i = 0;
    while (i < n) {
      const lt = s.indexOf('<', i);
      if (lt < 0) {
        // Text to the end: keep back only what a following chunk may complete (a reference, CR LF,
        // "]]>"), at most a reference's length, so a long run of any text is read as it comes.
        let cut = n;
        if (!final) {
          const amp = s.lastIndexOf('&');
          if (amp >= i && s.indexOf(';', amp) < 0) {
            if (n - amp > LONGEST_REFERENCE) throw new XmlSyntaxError('an & that starts no reference');
            cut = amp;
          }
          if (cut === n && s.charCodeAt(n - 1) === 13) cut = n - 1;
          else if (cut === n) {
            while (cut > i && cut > n - 2 && s.charCodeAt(cut - 1) === 93) cut--;
          }
        }
        this.text(s, i, cut);
        this.atStart = false;
        return cut;
      }
      if (lt > i) {
        this.text(s, i, lt);
        this.atStart = false;
      }
      const next = this.token(s, lt);
      if (next < 0) return lt;
      this.atStart = false;
      i = next;
    }
    return i;
  }

  /** Reads the token at `lt` (a `<`); returns the index after it, or -1 when it is not all there yet. */
  private token(s: string, lt: number): number {
    const c = s.charCodeAt(lt + 1);
    if (Number.isNaN(c)) return -1;
    if (c === 47 /* / */) {
      const gt = s.indexOf('>', lt + 2);
      if (gt < 0) return -1;
      let end = gt;
      while (end > lt + 2 && isSpace(s.charCodeAt(end - 1))) end--;
      // Compared in place: no string made for each of a sheet's millions of closing tags.
      const name = this.open.pop();
      if (name === undefined || end - (lt + 2) !== name.length || !s.startsWith(name, lt + 2)) {
        throw new XmlSyntaxError('a closing tag that matches no open element');
      }
      this.handlers.onClose?.(name);
      return gt + 1;
    }
    if (c === 33 /* ! */) return this.markup(s, lt);
    if (c === 63 /* ? */) {
      const end = s.indexOf('?>', lt + 2);
      if (end < 0) return -1;
      const instruction = s.slice(lt, end + 2);
      const target = /^<\?([^ \t\r\n?]+)/.exec(instruction)?.[1] ?? '';
      if (target.toLowerCase() === 'xml') {
        if (!(this.atStart && lt === 0) || !XML_DECLARATION.test(instruction)) {
          throw new XmlSyntaxError('an XML declaration out of place or malformed');
        }
      } else if (!NAME.test(target)) {
        throw new XmlSyntaxError('a name this reader does not read');
      }
      return end + 2;
    }
    return this.startTag(s, lt);
  }

  /** `<!--…-->` and `<![CDATA[…]]>`; a document type declaration or anything else is refused. */
  private markup(s: string, lt: number): number {
    const opening = s.slice(lt, lt + 9);
    if (opening.startsWith('<!--')) {
      const end = s.indexOf('-->', lt + 4);
      if (end < 0) return -1;
      const body = s.slice(lt + 4, end);
      if (body.includes('--') || body.endsWith('-')) throw new XmlSyntaxError('-- inside a comment');
      return end + 3;
    }
    if (opening === '<![CDATA[') {
      const end = s.indexOf(']]>', lt + 9);
      if (end < 0) return -1;
      if (this.open.length === 0) throw new XmlSyntaxError('CDATA outside the root element');
      const body = s.slice(lt + 9, end);
      if (body.length > 0) this.handlers.onText?.(body.includes('\r') ? body.replace(/\r\n?/g, '\n') : body);
      return end + 3;
    }
    // Still possibly the start of a comment or a CDATA section: wait for more.
    if (opening.length < 9 && ('<![CDATA['.startsWith(opening) || '<!--'.startsWith(opening))) return -1;
    throw new XmlSyntaxError('a document type declaration or other markup this reader does not read');
  }

  /** A start tag or an empty-element tag, its attributes read one by one. */
  private startTag(s: string, lt: number): number {
    const n = s.length;
    let i = nameEnd(s, lt + 1);
    if (i < 0) return -1;
    const name = s.slice(lt + 1, i);
    // Most tags have none (a sheet's `<v>`): they share one empty object.
    let attributes: Record<string, string> | undefined;
    for (;;) {
      const before = i;
      while (i < n && isSpace(s.charCodeAt(i))) i++;
      if (i >= n) return -1;
      const c = s.charCodeAt(i);
      if (c === 62 /* > */ || c === 47 /* / */) {
        const selfClosing = c === 47;
        if (selfClosing) {
          if (i + 1 >= n) return -1;
          if (s.charCodeAt(i + 1) !== 62) throw new XmlSyntaxError('/ inside a tag');
        }
        if (this.open.length === 0) {
          if (this.rootSeen) throw new XmlSyntaxError('a second root element');
          this.rootSeen = true;
        }
        this.handlers.onTag?.(name, attributes ?? NO_ATTRIBUTES, selfClosing);
        if (selfClosing) this.handlers.onClose?.(name);
        else this.open.push(name);
        return i + (selfClosing ? 2 : 1);
      }
      if (i === before) throw new XmlSyntaxError('attributes not separated by white space');
      const end = nameEnd(s, i);
      if (end < 0) return -1;
      const attribute = s.slice(i, end);
      i = end;
      while (i < n && isSpace(s.charCodeAt(i))) i++;
      if (i >= n) return -1;
      if (s.charCodeAt(i) !== 61 /* = */) throw new XmlSyntaxError('an attribute without a value');
      i++;
      while (i < n && isSpace(s.charCodeAt(i))) i++;
      if (i >= n) return -1;
      const quote = s.charCodeAt(i);
      if (quote !== 34 && quote !== 39) throw new XmlSyntaxError('an attribute value without quotes');
      const close = s.indexOf(quote === 34 ? '"' : "'", i + 1);
      if (close < 0) return -1;
      // An own property only: `__proto__` would set the object's prototype instead.
      attributes ??= {};
      if (Object.hasOwn(attributes, attribute) || attribute === '__proto__') {
        throw new XmlSyntaxError('an attribute given twice, or one this reader does not read');
      }
      attributes[attribute] = attributeValue(s, i + 1, close);
      i = close + 1;
    }
  }
}
