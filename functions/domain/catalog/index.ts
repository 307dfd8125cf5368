import { distance as levenshtein } from 'fastest-levenshtein';
import { DATASETS } from './datasets.ts';
import { IDENTIFICATION_CODE_HEADERS, MY_NUMBER_HEADER_WORDS } from './identification-codes.ts';
import type { ColumnDef, DatasetDef, DatasetName, PrivacyClass, TimeFormat } from './schema.ts';
import { DATASET_NAMES } from './schema.ts';

export * from './datasets.ts';
export * from './identification-codes.ts';
export * from './schema.ts';

/** Whether a string names a dataset in the catalogue. */
export function isDatasetName(name: string): name is DatasetName {
  return (DATASET_NAMES as readonly string[]).includes(name);
}

/** The dataset's definition. */
export function getDataset(name: DatasetName): DatasetDef {
  return DATASETS[name];
}

/** Columns of a dataset in one privacy class. */
export function columnsOfClass(dataset: DatasetDef, privacy: PrivacyClass): ColumnDef[] {
  return dataset.columns.filter((c) => c.privacy === privacy);
}

/** Normalises a header for matching: NFKC, trimmed, case-folded, inner spaces removed. */
export function normaliseHeader(header: string): string {
  return header
    .normalize('NFKC')
    .trim()
    .toLowerCase()
    .replace(/[\s_\-・]+/g, '');
}

/** Finds the column a CSV header names (canonical, Japanese or alias), if any. */
export function columnForHeader(dataset: DatasetDef, header: string): ColumnDef | undefined {
  const wanted = normaliseHeader(header);
  return dataset.columns.find((c) => [c.name, c.ja, ...c.aliases].some((h) => normaliseHeader(h) === wanted));
}

/** The dataset as one upload reads it: its duration columns in the time format the upload declared. */
export function withTimeFormat(dataset: DatasetDef, timeFormat: TimeFormat | undefined): DatasetDef {
  if (timeFormat === undefined || timeFormat === 'decimal') return dataset;
  return {
    ...dataset,
    columns: dataset.columns.map((c) => (c.duration ? { ...c, timeFormat } : c)),
  };
}

/**
 * The catalogue column a header that matches none most likely meant ("did you mean"): the column one of
 * whose names (Japanese, English, aliases) is nearest by edit distance, when it is near enough (at most a
 * third of the longer name's characters differ, and at least one is shared), and the nearest is not tied.
 */
export function closestColumn(dataset: DatasetDef, header: string): ColumnDef | undefined {
  const wanted = normaliseHeader(header);
  if (wanted === '') return undefined;
  let best: { column: ColumnDef; distance: number } | undefined;
  let tied = false;
  for (const column of dataset.columns) {
    const distance = Math.min(
      ...[column.name, column.ja, ...column.aliases].map((name) => {
        const candidate = normaliseHeader(name);
        const d = levenshtein(wanted, candidate);
        return d <= Math.floor(Math.max(wanted.length, candidate.length) / 3) && d < candidate.length
          ? d
          : Number.POSITIVE_INFINITY;
      }),
    );
    if (!Number.isFinite(distance)) continue;
    if (!best || distance < best.distance) {
      best = { column, distance };
      tied = false;
    } else if (distance === best.distance && column !== best.column) {
      tied = true;
    }
  }
  return best && !tied ? best.column : undefined;
}

/** A note in brackets, as headers carry them: （マイナンバー）, (12桁), 【必須】, ［任意］ (after NFKC). */
const BRACKETED_NOTE = /[([<{【「『〔]([^)\]>}】」』〕]*)[)\]>}】」』〕]/g;

/**
 * The identification-code kind a header names (e.g. "My Number"), if it names one: the header, the
 * header without its bracketed notes or any one note names a code (full- or half-width brackets and
 * digits alike), or a word for My Number appears anywhere in it.
 */
export function identificationCodeKind(header: string): string | undefined {
  const wanted = normaliseHeader(header);
  const notes = [...wanted.matchAll(BRACKETED_NOTE)].map((m) => m[1] ?? '');
  const parts = new Set([wanted, wanted.replace(BRACKETED_NOTE, ''), ...notes].filter((p) => p !== ''));
  const named = IDENTIFICATION_CODE_HEADERS.find((h) => parts.has(normaliseHeader(h.header)));
  if (named) return named.kind;
  return MY_NUMBER_HEADER_WORDS.some((word) => wanted.includes(normaliseHeader(word)))
    ? 'My Number'
    : undefined;
}

/** A CSV template for the dataset: a header line in Japanese or English, CRLF as Excel writes it. */
export function csvTemplate(dataset: DatasetDef, lang: 'ja' | 'en'): string {
  return `${dataset.columns.map((c) => (lang === 'ja' ? c.ja : c.name)).join(',')}\r\n`;
}
