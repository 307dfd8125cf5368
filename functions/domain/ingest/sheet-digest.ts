import { createHash } from 'node:crypto';

/**
 * How an upload record names a sheet: the SHA-256 (hex) of its NFC name. Sheet names are the
 * company's own text and may name people; records and messages never hold them. Apart from the
 * workbook reader so that what names a sheet (the API) does not load an XML parser.
 */
export function sheetDigest(name: string): string {
  return createHash('sha256').update(name.normalize('NFC'), 'utf8').digest('hex');
}
