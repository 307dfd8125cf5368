/**
 * The workbook archive port (domain/ingest/workbook.ts) over yauzl: the zip's central directory is read
 * first (names and declared sizes, nothing inflated), and each entry is then inflated on demand as a
 * stream with yauzl's size validation, which stops with an error as soon as an entry inflates to more
 * bytes than it declared. Reads a file under the ingest's work directory (/tmp in Lambda).
 */
import yauzl from 'yauzl';
import {
  type ArchiveEntry,
  ArchiveSizeError,
  type OpenWorkbook,
  type WorkbookArchive,
} from '../domain/ingest/workbook.ts';

export const openZipWorkbook: OpenWorkbook = async (path) => {
  const zip = await yauzl.openPromise(path, {
    lazyEntries: true,
    autoClose: false,
    validateEntrySizes: true,
  });
  const found = new Map<string, yauzl.Entry>();
  try {
    for await (const entry of zip.eachEntry()) found.set(entry.fileName, entry);
  } catch (error) {
    zip.close();
    throw new ArchiveSizeError(error instanceof Error ? error.message.slice(0, 80) : 'directory', true);
  }
  const entries: ArchiveEntry[] = [...found.values()].map((e) => ({
    name: e.fileName,
    compressedSize: e.compressedSize,
    uncompressedSize: e.uncompressedSize,
  }));
  const archive: WorkbookArchive = {
    entries,
    async *open(name) {
      const entry = found.get(name);
      if (!entry) throw new ArchiveSizeError(name, true);
      let stream: AsyncIterable<unknown>;
      try {
        stream = await zip.openReadStreamPromise(entry);
      } catch {
        throw new ArchiveSizeError(name, true);
      }
      try {
        for await (const chunk of stream) yield chunk as Uint8Array;
      } catch (error) {
        const message = error instanceof Error ? error.message : '';
        throw new ArchiveSizeError(name, !/bytes in the stream/i.test(message));
      }
    },
    async close() {
      zip.close();
    },
  };
  return archive;
};
