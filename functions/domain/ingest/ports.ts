import type { DatasetDef } from '../catalog/schema.ts';
import type { CompiledQuery } from '../masking/compile.ts';
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
  /**
   * Runs after an upload ends ACCEPTED or PARTIALLY_ACCEPTED (the masking step), given the curated keys
   * ingestion already wrote pseudonymised in its own pass (maskInPass), if any.
   */
  readonly afterAccepted?: (
    tenantId: string,
    uploadId: string,
    maskedInPass?: readonly string[],
  ) => Promise<void>;
  /**
   * Runs when a notification comes again for an upload withdrawn since (its landing object is gone):
   * deletes what an earlier delivery put of it after the withdrawal looked (the masking step's clean-up).
   */
  readonly afterWithdrawn?: (tenantId: string, uploadId: string) => Promise<void>;
  /**
   * Masking in ingestion's pass (single-pass ingest): the statement that writes a relation's rows
   * pseudonymised under the tenant's key (ProcessOptions.maskInPass). Without it, masking reads the
   * raw Parquet back after the record is written.
   */
  readonly maskInPass?: (
    tenantId: string,
    dataset: DatasetDef,
    relation: string,
    outDir: string,
  ) => Promise<CompiledQuery>;
  /** Opens an uploaded Excel workbook's zip container (adapters/xlsx-archive.ts); without it .xlsx is refused. */
  readonly openWorkbook?: OpenWorkbook;
  /** Called as each processing phase ends (benchmarks). */
  readonly trace?: (phase: string) => void;
}

export const silentLogger: IngestLogger = { info() {}, warn() {}, error() {} };
