import { columnForHeader, identificationCodeKind } from '../catalog/index.ts';
import type { ColumnDef, DatasetDef } from '../catalog/schema.ts';
import { FileRejectedError } from './errors.ts';

/** How a file's header maps onto the dataset: one entry per file column, in file order. */
export interface HeaderMapping {
  /** Catalogue column for each file column; undefined for an unnamed (empty) header cell, which is ignored. */
  readonly columns: ReadonlyArray<ColumnDef | undefined>;
  /** Catalogue column name → the header as the file spells it (for messages). */
  readonly headers: ReadonlyMap<string, string>;
}

const list = (items: string[], lang: 'ja' | 'en') =>
  items.map((h) => (lang === 'ja' ? `「${h}」` : `"${h}"`)).join(lang === 'ja' ? '、' : ', ');

/**
 * Maps a header line through the catalogue (Japanese, English and alias names). Refuses the file
 * when a column names an individual identification code, is unknown, repeats, or when a required
 * column is missing, naming the columns in each case.
 */
export function mapHeader(dataset: DatasetDef, header: readonly string[], line: number): HeaderMapping {
  const trimmed = header.map((h) => h.trim());
  const codes = trimmed.flatMap((h) => {
    const kind = identificationCodeKind(h);
    return kind ? [{ header: h, kind }] : [];
  });
  if (codes.length > 0) {
    throw new FileRejectedError(
      {
        code: 'IDENTIFICATION_CODE_COLUMN',
        ja: `${list(
          codes.map((c) => c.header),
          'ja',
        )}の列を削除してからアップロードしてください。Kura は個人識別符号（マイナンバー等）を保存しません。`,
        en: `Remove the column ${list(
          codes.map((c) => `${c.header}`),
          'en',
        )} (${codes.map((c) => c.kind).join(', ')}) and upload again: Kura never stores individual identification codes.`,
      },
      line,
    );
  }
  const columns = trimmed.map((h) => (h === '' ? undefined : columnForHeader(dataset, h)));
  const unknown = trimmed.filter((h, i) => h !== '' && columns[i] === undefined);
  if (unknown.length > 0) {
    const known = dataset.columns.map((c) => `${c.ja}/${c.name}`).join(', ');
    throw new FileRejectedError(
      {
        code: 'UNKNOWN_COLUMNS',
        ja: `データセット「${dataset.ja}」にない列があります: ${list(unknown, 'ja')}。使える列: ${known}`,
        en: `Columns not in dataset "${dataset.name}": ${list(unknown, 'en')}. Accepted columns: ${known}`,
      },
      line,
    );
  }
  const headers = new Map<string, string>();
  const repeated: string[] = [];
  columns.forEach((column, i) => {
    if (!column) return;
    if (headers.has(column.name)) repeated.push(trimmed[i] ?? column.name);
    else headers.set(column.name, trimmed[i] ?? column.name);
  });
  if (repeated.length > 0) {
    throw new FileRejectedError(
      {
        code: 'DUPLICATE_COLUMNS',
        ja: `同じ項目の列が複数あります: ${list(repeated, 'ja')}。1 つにしてください。`,
        en: `These columns repeat another column: ${list(repeated, 'en')}. Keep one of each.`,
      },
      line,
    );
  }
  const missing = dataset.columns.filter((c) => c.required && !headers.has(c.name));
  if (missing.length > 0) {
    throw new FileRejectedError(
      {
        code: 'MISSING_COLUMNS',
        ja: `必須の列がありません: ${list(
          missing.map((c) => c.ja),
          'ja',
        )}。`,
        en: `Required columns are missing: ${list(
          missing.map((c) => c.name),
          'en',
        )}.`,
      },
      line,
    );
  }
  return { columns, headers };
}
