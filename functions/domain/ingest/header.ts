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

/** Column positions (1-based) as a short list: 3 列目、5 列目 / columns 3, 5 (at most ten named). */
function positions(indexes: readonly number[], lang: 'ja' | 'en'): string {
  const shown = indexes.slice(0, 10).map((i) => i + 1);
  const more = indexes.length - shown.length;
  if (lang === 'ja')
    return `${shown.map((p) => `${p} 列目`).join('、')}${more > 0 ? ` ほか ${more} 列` : ''}`;
  return `column${shown.length > 1 ? 's' : ''} ${shown.join(', ')}${more > 0 ? ` and ${more} more` : ''}`;
}

/**
 * Maps a header line through the catalogue (Japanese, English and alias names). Refuses the file
 * when a column names an individual identification code, is unknown, repeats, or when a required
 * column is missing. Header cells the catalogue does not know are described by position and count,
 * never echoed: a "header" may be a data row (a file without a header line, or with CR-only line
 * ends read as one line), and its cells then hold names and birth dates.
 */
export function mapHeader(dataset: DatasetDef, header: readonly string[], line: number): HeaderMapping {
  const trimmed = header.map((h) => h.trim());
  const codes = trimmed.flatMap((h, index) => {
    const kind = identificationCodeKind(h);
    return kind ? [{ index, kind }] : [];
  });
  if (codes.length > 0) {
    const kinds = [...new Set(codes.map((c) => c.kind))].join(', ');
    throw new FileRejectedError(
      {
        code: 'IDENTIFICATION_CODE_COLUMN',
        ja: `見出し行の ${positions(
          codes.map((c) => c.index),
          'ja',
        )}は個人識別符号（${kinds}）の列です。この列を削除してからアップロードしてください。Kura は個人識別符号（マイナンバー等）を保存しません。`,
        en: `Remove ${positions(
          codes.map((c) => c.index),
          'en',
        )} of the header line (${kinds}) and upload again: Kura never stores individual identification codes.`,
      },
      line,
    );
  }
  const columns = trimmed.map((h) => (h === '' ? undefined : columnForHeader(dataset, h)));
  const unknown = trimmed.flatMap((h, i) => (h !== '' && columns[i] === undefined ? [i] : []));
  if (unknown.length > 0 && columns.every((c) => c === undefined)) {
    throw new FileRejectedError(
      {
        code: 'NO_HEADER_LINE',
        ja: `${line} 行目がデータセット「${dataset.ja}」の見出し行になっていません（列名が 1 つも一致しません）。先頭に見出し行（例: ${dataset.columns
          .slice(0, 3)
          .map((c) => c.ja)
          .join(',')}…）を入れてください。`,
        en: `Line ${line} is not a header line of dataset "${dataset.name}" (none of its ${trimmed.length} cells is a column name). Put a header line first (e.g. ${dataset.columns
          .slice(0, 3)
          .map((c) => c.name)
          .join(',')}…).`,
      },
      line,
    );
  }
  if (unknown.length > 0) {
    const known = dataset.columns.map((c) => `${c.ja}/${c.name}`).join(', ');
    throw new FileRejectedError(
      {
        code: 'UNKNOWN_COLUMNS',
        ja: `見出し行（${line} 行目）の ${positions(unknown, 'ja')}（計 ${unknown.length} 列）はデータセット「${dataset.ja}」の列名ではありません。使える列: ${known}`,
        en: `${positions(unknown, 'en')} of the header line (line ${line}), ${unknown.length} in all, are not columns of dataset "${dataset.name}". Accepted columns: ${known}`,
      },
      line,
    );
  }
  const headers = new Map<string, string>();
  const repeated: string[] = [];
  columns.forEach((column, i) => {
    if (!column) return;
    if (headers.has(column.name)) repeated.push(column.name);
    else headers.set(column.name, trimmed[i] ?? column.name);
  });
  if (repeated.length > 0) {
    const names = [...new Set(repeated)].map((name) => dataset.columns.find((c) => c.name === name));
    throw new FileRejectedError(
      {
        code: 'DUPLICATE_COLUMNS',
        ja: `同じ項目の列が複数あります: ${list(
          names.map((c) => c?.ja ?? ''),
          'ja',
        )}。1 つにしてください。`,
        en: `These columns appear more than once: ${list(
          names.map((c) => c?.name ?? ''),
          'en',
        )}. Keep one of each.`,
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
