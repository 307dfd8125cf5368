import type { ObjectStore, Table } from '../ports/index.ts';
import type { OpenWorkbook } from './workbook.ts';

/** The few logging calls ingestion makes; Powertools' Logger satisfies it. */
export interface IngestLogger {
  info(message: string, ...extra: Record<string, unknown>[]): void;
  warn(message: string, ...extra: Record<string, unknown>[]): void;
  error(message: string, ...extra: Record<string, unknown>[]): void;
}

/** What ingestion needs from the outside world, injected so Lambda, the local platform and tests share it. */
export interface IngestPorts {
  readonly objects: ObjectStore;
  readonly table: Table;
  readonly logger?: IngestLogger;
  /** Clock, for updatedAt; defaults to the system clock. */
  readonly now?: () => Date;
  /** Scratch directory for downloads, decoded CSV and Parquet (Lambda: /tmp); defaults to the OS temp dir. */
  readonly workDir?: string;
  /** Runs after an upload ends ACCEPTED or PARTIALLY_ACCEPTED (the masking step). */
  readonly afterAccepted?: (tenantId: string, uploadId: string) => Promise<void>;
  /** Opens an uploaded Excel workbook's zip container (adapters/xlsx-archive.ts); without it .xlsx is refused. */
  readonly openWorkbook?: OpenWorkbook;
  /** Called as each processing phase ends (benchmarks). */
  readonly trace?: (phase: string) => void;
}

export const silentLogger: IngestLogger = { info() {}, warn() {}, error() {} };
