/**
 * An uploaded Excel workbook as ingestion sees it: the zip archive it opens through a port
 * (functions/adapters/xlsx-archive.ts), the limits that refuse a zip bomb, and what reading it found.
 */
import type { FileWarning } from './header.ts';

/** One entry of a zip archive, as its central directory declares it. */
export interface ArchiveEntry {
  readonly name: string;
  readonly compressedSize: number;
  readonly uncompressedSize: number;
}

/** The port: a zip archive whose entries can be inflated one at a time. */
export interface WorkbookArchive {
  readonly entries: readonly ArchiveEntry[];
  /**
   * The inflated bytes of one entry. Throws ArchiveSizeError when the entry inflates to more bytes than
   * it declares (or its data is corrupt), without reading on.
   */
  open(name: string): AsyncIterable<Uint8Array>;
  close(): Promise<void>;
}

/** Opens a workbook saved at `path` (a scratch file under the ingest's work directory). */
export type OpenWorkbook = (path: string) => Promise<WorkbookArchive>;

/** An entry inflated to more than it declared, or could not be inflated: the adapter's typed error. */
export class ArchiveSizeError extends Error {
  constructor(
    readonly entry: string,
    readonly corrupt = false,
  ) {
    super(`zip entry ${entry} ${corrupt ? 'is corrupt' : 'inflates to more bytes than it declares'}`);
    this.name = 'ArchiveSizeError';
  }
}

/** Limits on a workbook's container, checked before anything is inflated. */
export const XLSX_LIMITS = {
  maxEntries: 10_000,
  /** An entry may inflate to at most this many times its compressed size (when it is larger than 1 MiB). */
  maxCompressionRatio: 200,
  ratioAppliesAbove: 1024 ** 2,
  /** Shared strings are held in memory while the sheet is read: their part may inflate to at most this. */
  maxSharedStringsBytes: 64 * 1024 ** 2,
  /** Excel's own limit on rows in a sheet. */
  maxRow: 1_048_576,
} as const;

/** A merged range of the sheet read, for the check against the header line. */
export interface MergedRange {
  readonly ref: string;
  readonly firstRow: number;
  readonly lastRow: number;
}

/** What reading the workbook found besides its rows. */
export interface WorkbookFindings {
  readonly warnings: FileWarning[];
  readonly merges: MergedRange[];
}
