/** What validating an upload's file takes (ProcessOptions) and gives (ValidatedFile, PeriodFile). */
import type { DatasetDef } from '../catalog/schema.ts';
import type { TextEncoding } from '../japanese/encoding.ts';
import type { CompiledQuery } from '../masking/compile.ts';
import type { LimitSettings } from '../settings.ts';
import type { RowError } from '../uploads/model.ts';
import type { AppliedProfile, FileWarning, HeaderVocabulary } from './header.ts';
import type { OpenWorkbook } from './workbook.ts';

/** One Parquet file of valid rows for one period, on local disk. */
export interface PeriodFile {
  readonly period: string;
  readonly path: string;
  /** The same rows pseudonymised in the same pass (ProcessOptions.maskInPass), when it was given. */
  readonly masked?: string;
}

/** What validation of one file found. */
export interface ValidatedFile {
  readonly encoding: TextEncoding;
  readonly compressed: boolean;
  /** SHA-256 (base64) of the bytes as uploaded. */
  readonly sha256: string;
  readonly rows: { readonly total: number; readonly accepted: number; readonly rejected: number };
  /** Row errors in line order, at most MAX_REPORTED_ERRORS. */
  readonly errors: RowError[];
  readonly errorCount: number;
  readonly errorCountsByCode: Readonly<Record<string, number>>;
  /** Remarks on a file accepted anyway (e.g. unknown columns dropped), in both languages. */
  readonly warnings: readonly FileWarning[];
  /** The import profile the header was read with, if any. */
  readonly profile?: AppliedProfile;
  /** Each file column by position (1-based): the catalogue column it maps to, or null (dropped, unnamed). */
  readonly columnMapping: ReadonlyArray<{ readonly position: number; readonly column: string | null }>;
}

export interface ProcessOptions {
  readonly dataset: DatasetDef;
  readonly limits: LimitSettings;
  /** Private scratch directory for this file (created). */
  readonly workDir: string;
  /** YYYY-MM for datasets without a period column. */
  readonly fallbackPeriod: string;
  /** Memory DuckDB may use before spilling to workDir; default DUCKDB_MEMORY_LIMIT. */
  readonly memoryLimit?: string;
  /** Whether the upload declared its time format; if not, hours that read two ways refuse the file. */
  readonly timeFormatDeclared?: boolean;
  /** Header names beyond the catalogue's: the company's saved mapping, a named or detectable profile. */
  readonly vocabulary?: HeaderVocabulary;
  /** Opens an Excel workbook (the zip container): given only for uploads declared as .xlsx; other zips are refused. */
  readonly openWorkbook?: OpenWorkbook;
  /** The sheet of a workbook to read, as `sheetDigest` of its name (default: the first). */
  readonly sheetDigest?: string;
  /**
   * Masking in the same pass: the statement that writes a relation's rows pseudonymised, one directory
   * `period=…` per period (masking/compile.ts compileDuckdbPseudonymiseInPass under the tenant's key).
   * Called only once the file is accepted; without it masking reads the raw Parquet back afterwards.
   */
  readonly maskInPass?: (relation: string, outDir: string) => Promise<CompiledQuery>;
  /** Where a step that has a fallback reports that it failed (the ingest logger's warn). */
  readonly warn?: (message: string, extra: Record<string, unknown>) => void;
  /** Called as each phase ends (for benchmarks). */
  readonly trace?: (phase: string) => void;
  /**
   * Whether canonical rows take the fast path (plain casts) instead of the full rules. Only the
   * differential test turns it off, to hold the two paths to the same verdicts. @default true
   */
  readonly fastPath?: boolean;
}
