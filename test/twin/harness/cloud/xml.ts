/** The little XML the twin's S3 speaks: escaping, elements, and reading a request body's elements. */

export const escapeXml = (value: string) =>
  value.replace(
    /[<>&'"]/g,
    (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c] ?? c,
  );

const unescapeXml = (value: string) =>
  value.replace(
    /&(lt|gt|amp|apos|quot);/g,
    (_m, name: string) => ({ lt: '<', gt: '>', amp: '&', apos: "'", quot: '"' })[name] ?? '',
  );

/** `<name>value</name>`, value escaped; nested elements passed as already-built strings via `raw`. */
export const element = (name: string, value: string | number | boolean) =>
  `<${name}>${escapeXml(String(value))}</${name}>`;

export const raw = (name: string, inner: string) => `<${name}>${inner}</${name}>`;

export const document = (root: string, inner: string) =>
  `<?xml version="1.0" encoding="UTF-8"?>\n<${root} xmlns="http://s3.amazonaws.com/doc/2006-03-01/">${inner}</${root}>`;

/** Every `<name>…</name>` block's inner text in `xml` (no nesting of the same name). */
export function blocks(xml: string, name: string): string[] {
  const found: string[] = [];
  const pattern = new RegExp(`<${name}(?:\\s[^>]*)?>([\\s\\S]*?)</${name}>`, 'g');
  for (const match of xml.matchAll(pattern)) found.push(match[1] ?? '');
  return found;
}

/** The text of the first `<name>` element, unescaped. */
export const text = (xml: string, name: string): string | undefined => {
  const [first] = blocks(xml, name);
  return first === undefined ? undefined : unescapeXml(first);
};
