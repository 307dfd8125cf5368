import { closestColumn, columnForHeader, identificationCodeKind, normaliseHeader } from '../catalog/index.ts';
import type { ImportProfile } from '../catalog/profiles.ts';
import type { ColumnDef, DatasetDef, TimeFormat } from '../catalog/schema.ts';
import { FileRejectedError } from './errors.ts';

/** A remark on a file that was accepted anyway (its rows are stored), in both languages. */
export interface FileWarning {
  readonly code: string;
  readonly ja: string;
  readonly en: string;
}

/** How a file's header maps onto the dataset: one entry per file column, in file order. */
export interface HeaderMapping {
  /**
   * Catalogue column for each file column; undefined for an unnamed (empty) header cell or a column the
   * catalogue does not know: both are dropped before anything is stored.
   */
  readonly columns: ReadonlyArray<ColumnDef | undefined>;
  /** Catalogue column name → the header as the file spells it (for messages). */
  readonly headers: ReadonlyMap<string, string>;
  /** Positions (0-based) of columns dropped because the catalogue does not know them. */
  readonly dropped: readonly number[];
  /** The warning naming them (by position, with a suggestion). */
  readonly warnings: readonly FileWarning[];
  /** The import profile the header was read with, named by the upload or detected from the header. */
  readonly profile?: AppliedProfile;
}

/** An import profile as one upload applied it. */
export interface AppliedProfile {
  readonly name: string;
  readonly detected: boolean;
  /** The time format the profile fixes (its export writes no other), if any. */
  readonly timeFormat?: TimeFormat;
}

/**
 * Header names beyond the catalogue's: a company's saved mapping and an import profile's aliases. The
 * saved mapping wins over the profile, the profile over the catalogue's own names.
 */
export interface HeaderVocabulary {
  /** The company's saved mapping for the dataset: its header → Kura column. */
  readonly company?: Readonly<Record<string, string>>;
  /** The profile the upload named; when absent, the best of `candidates` is detected from the header. */
  readonly profile?: ImportProfile;
  /** Presets to detect from the header when the upload named none. */
  readonly candidates?: readonly ImportProfile[];
}

type Aliases = ReadonlyMap<string, string>;

function aliasesOf(...sources: ReadonlyArray<Readonly<Record<string, string>> | undefined>): Aliases {
  const aliases = new Map<string, string>();
  // Later sources are weaker: the first to name a header keeps it.
  for (const source of sources)
    for (const [header, column] of Object.entries(source ?? {})) {
      const key = normaliseHeader(header);
      if (!aliases.has(key)) aliases.set(key, column);
    }
  return aliases;
}

/** The catalogue column a header names under `aliases`, else under the catalogue's own names. */
function columnFor(dataset: DatasetDef, aliases: Aliases, header: string): ColumnDef | undefined {
  const alias = aliases.get(normaliseHeader(header));
  const column = alias === undefined ? undefined : dataset.columns.find((c) => c.name === alias);
  return column ?? columnForHeader(dataset, header);
}

/** Rows (not counting blank ones) searched for the header before the file is refused. */
export const HEADER_SEARCH_ROWS = 10;

/**
 * Whether a row is the header: more than half of its non-empty cells name a column of the dataset, or at
 * least two do. A title line (「勤怠データ」) names none; a metadata line such as 「部署,営業部」 names only
 * half of its cells; a header with a few columns Kura does not know still names two or more.
 */
export function isHeaderRow(
  dataset: DatasetDef,
  cells: readonly string[],
  aliases: Aliases = new Map(),
): boolean {
  const filled = cells.map((c) => c.trim()).filter((c) => c !== '');
  const named = filled.filter((c) => columnFor(dataset, aliases, c) !== undefined).length;
  return named >= 2 || (named >= 1 && named * 2 > filled.length);
}

/**
 * Finds the header among the first rows of a file: rows above it (a title, an output date; blank rows
 * are not offered) are skipped and never stored, and the mapping then carries a notice naming the header's
 * line. After HEADER_SEARCH_ROWS rows without a header the file is refused, naming the lines searched and
 * never their cells (they may be data rows). A row that is one cell holding tabs is a tab-separated file.
 */
export class HeaderFinder {
  private searched = 0;
  private firstLine: number | undefined;
  private lastLine = 0;

  /** Every name a header cell may have here (company, the named profile or every candidate). */
  private readonly anyName: Aliases;

  constructor(
    private readonly dataset: DatasetDef,
    private readonly vocabulary: HeaderVocabulary = {},
  ) {
    const profiles = vocabulary.profile ? [vocabulary.profile] : (vocabulary.candidates ?? []);
    this.anyName = aliasesOf(vocabulary.company, ...profiles.map((p) => p.datasets[dataset.name]));
  }

  /**
   * The profile to read the header with: the one the upload named, else the candidate under which most
   * cells name a column that neither the company's mapping nor the catalogue names, when one is ahead.
   */
  private profileFor(
    cells: readonly string[],
  ): { profile: ImportProfile; detected: boolean; alike: readonly ImportProfile[] } | undefined {
    const { profile, candidates = [], company } = this.vocabulary;
    if (profile) return { profile, detected: false, alike: [] };
    const base = aliasesOf(company);
    const scores = candidates.map((candidate) => {
      const aliases = aliasesOf(company, candidate.datasets[this.dataset.name]);
      const own = cells.filter(
        (c) => c.trim() !== '' && !columnFor(this.dataset, base, c) && columnFor(this.dataset, aliases, c),
      ).length;
      // How this candidate reads the header: presets that read it alike are the same layout here.
      const reading = `${cells.map((c) => columnFor(this.dataset, aliases, c)?.name ?? '').join('|')}#${candidate.timeFormat ?? ''}`;
      return { candidate, own, reading };
    });
    const best = Math.max(0, ...scores.map((s) => s.own));
    const leaders = scores.filter((s) => s.own === best);
    const leader = leaders[0];
    if (best === 0 || !leader || leaders.some((s) => s.reading !== leader.reading)) return undefined;
    return { profile: leader.candidate, detected: true, alike: leaders.slice(1).map((s) => s.candidate) };
  }

  /** The mapping when `cells` (on `line`) is the header; undefined when it is a row above the header. */
  consider(cells: readonly string[], line: number): HeaderMapping | undefined {
    this.searched++;
    this.firstLine ??= line;
    this.lastLine = line;
    if (cells.length === 1 && (cells[0] ?? '').includes('\t')) {
      if (isHeaderRow(this.dataset, (cells[0] ?? '').split('\t'), this.anyName)) throw tabSeparated(line);
    }
    if (isHeaderRow(this.dataset, cells, this.anyName)) {
      const chosen = this.profileFor(cells);
      const mapping = mapHeader(this.dataset, cells, line, {
        ...(this.vocabulary.company ? { company: this.vocabulary.company } : {}),
        ...(chosen ? { profile: chosen.profile } : {}),
      });
      const notices: FileWarning[] = [];
      if (line > 1)
        notices.push({
          code: 'HEADER_ROW_FOUND',
          ja: `見出し行は ${line} 行目でした。その上の ${line - 1} 行（表題・空行など）は読み飛ばし、保存していません。`,
          en: `The header is on line ${line}; the ${line - 1} line(s) above it (a title, blank rows) were skipped and not stored.`,
        });
      if (chosen?.detected) {
        const systems = [chosen.profile, ...chosen.alike];
        notices.push({
          code: 'PROFILE_DETECTED',
          ja: `見出しから「${systems.map((p) => p.ja).join('」または「')}」の書き出し形式と判断し、その列名で読みました（--profile ${chosen.profile.name}）。違う場合は --profile で形式を指定してください。`,
          en: `The header looks like an export from ${systems.map((p) => p.en).join(' or ')} and was read with its column names (--profile ${chosen.profile.name}). If it is not, name the format with --profile.`,
        });
      }
      return {
        ...mapping,
        warnings: [...notices, ...mapping.warnings],
        ...(chosen
          ? {
              profile: {
                name: chosen.profile.name,
                detected: chosen.detected,
                ...(chosen.profile.timeFormat ? { timeFormat: chosen.profile.timeFormat } : {}),
              },
            }
          : {}),
      };
    }
    if (this.searched >= HEADER_SEARCH_ROWS) throw this.notFound();
    return undefined;
  }

  /** At the end of a file: refuses it when rows were searched and none was the header. */
  finish(found: boolean): void {
    if (!found && this.searched > 0) throw this.notFound();
  }

  private notFound(): FileRejectedError {
    const from = 1;
    const to = this.lastLine;
    const example = this.dataset.columns.filter((c) => c.required);
    return new FileRejectedError(
      {
        code: 'NO_HEADER_LINE',
        ja: `${from}〜${to} 行目に、データセット「${this.dataset.ja}」の見出し行（列名の行）が見つかりません。データの上に見出し行（例: ${example
          .map((c) => c.ja)
          .join(
            ',',
          )}）を入れてください。列名が違う場合は、その列名を Kura の列に対応付けてください（kura mapping set）。`,
        en: `No header line of dataset "${this.dataset.name}" was found in lines ${from} to ${to}. Put a header line above the data (e.g. ${example
          .map((c) => c.name)
          .join(
            ',',
          )}); if your system names the columns differently, map them to Kura's columns (kura mapping set).`,
      },
      this.firstLine,
    );
  }
}

function tabSeparated(line: number): FileRejectedError {
  return new FileRejectedError(
    {
      code: 'TAB_SEPARATED',
      ja: `タブ区切りのファイルです（${line} 行目の見出しがタブで区切られています）。カンマ区切りの CSV で保存し直してください（Excel では「CSV UTF-8（コンマ区切り）」）。`,
      en: `The file is tab-separated (the header on line ${line} is split by tabs). Save it as a comma-separated CSV (in Excel: "CSV UTF-8 (Comma delimited)") and upload again.`,
    },
    line,
  );
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
 * when a column names an individual identification code, repeats, when a required column is missing, or
 * when no cell is a column name at all (no header line). A column the catalogue does not know (a code
 * beside a name, a notes column) is dropped before anything is stored and named in a warning by position,
 * with the catalogue column it most likely meant: its header is never echoed, since a "header" may be a
 * data row (a file without a header line, or with CR-only line ends read as one line) whose cells hold
 * names and birth dates.
 */
export function mapHeader(
  dataset: DatasetDef,
  header: readonly string[],
  line: number,
  vocabulary: Pick<HeaderVocabulary, 'company' | 'profile'> = {},
): HeaderMapping {
  const { profile } = vocabulary;
  const aliases = aliasesOf(vocabulary.company, profile?.datasets[dataset.name]);
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
  const columns = trimmed.map((h) => (h === '' ? undefined : columnFor(dataset, aliases, h)));
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
  const warnings =
    unknown.length > 0 ? [unknownColumnsWarning(dataset, trimmed, unknown, columns, line)] : [];
  const headers = new Map<string, string>();
  const seen = new Map<string, number[]>();
  columns.forEach((column, i) => {
    if (!column) return;
    seen.set(column.name, [...(seen.get(column.name) ?? []), i]);
    if (!headers.has(column.name)) headers.set(column.name, trimmed[i] ?? column.name);
  });
  const repeated = [...seen.entries()].filter(([, at]) => at.length > 1);
  if (repeated.length > 0) {
    // These headers name catalogue columns (or the company's own mapping), so they are safe to echo.
    const describe = (lang: 'ja' | 'en') =>
      repeated
        .map(([name, at]) => {
          const column = dataset.columns.find((c) => c.name === name);
          const cells = at.map((i) =>
            lang === 'ja' ? `${i + 1} 列目「${trimmed[i]}」` : `column ${i + 1} "${trimmed[i]}"`,
          );
          return lang === 'ja'
            ? `${cells.join('と')}がどちらも「${column?.ja ?? name}」（${name}）に対応しています`
            : `${cells.join(' and ')} both map to ${name} (「${column?.ja ?? name}」)`;
        })
        .join(lang === 'ja' ? '。' : '; ');
    throw new FileRejectedError(
      {
        code: 'DUPLICATE_COLUMNS',
        ja: `${describe('ja')}。どちらか一方の列を削除するか、列名を直してください。`,
        en: `${describe('en')}. Delete one of them or rename it, and upload again.`,
      },
      line,
    );
  }
  const missing = dataset.columns.filter((c) => c.required && !headers.has(c.name));
  if (missing.length > 0) {
    // Under a profile, say what the vendor calls each missing column, so the company knows what to export.
    const vendorNames = (c: ColumnDef) =>
      Object.entries(profile?.datasets[dataset.name] ?? {})
        .filter(([, column]) => column === c.name)
        .map(([header]) => header);
    const spelled = (c: ColumnDef, lang: 'ja' | 'en') => {
      const names = vendorNames(c);
      if (names.length === 0) return lang === 'ja' ? c.ja : c.name;
      return lang === 'ja' ? `${c.ja}（${names.join('・')}）` : `${c.name} (${names.join(' / ')})`;
    };
    throw new FileRejectedError(
      {
        code: 'MISSING_COLUMNS',
        ja: `${profile ? `取り込み形式「${profile.ja}」では、` : ''}必須の列がありません: ${list(
          missing.map((c) => spelled(c, 'ja')),
          'ja',
        )}。${profile ? '書き出しの項目にこの列を加えるか、形式（--profile）が合っているか確かめてください。' : ''}`,
        en: `${profile ? `Under import profile ${profile.name} (${profile.en}), r` : 'R'}equired columns are missing: ${list(
          missing.map((c) => spelled(c, 'en')),
          'en',
        )}.${profile ? ' Add them to the export layout, or check that --profile names the right format.' : ''}`,
      },
      line,
    );
  }
  return { columns, headers, dropped: unknown, warnings };
}

/**
 * The warning for columns dropped as unknown: their positions, and for each the catalogue column it most
 * likely meant when one is near and not in the file already ("did you mean"), or that it can be deleted.
 */
function unknownColumnsWarning(
  dataset: DatasetDef,
  header: readonly string[],
  unknown: readonly number[],
  columns: ReadonlyArray<ColumnDef | undefined>,
  line: number,
): FileWarning {
  const present = new Set(columns.flatMap((c) => (c ? [c.name] : [])));
  const shown = unknown.slice(0, 10).map((index) => {
    const guess = closestColumn(dataset, header[index] ?? '');
    return { position: index + 1, guess: guess && !present.has(guess.name) ? guess : undefined };
  });
  const more = unknown.length - shown.length;
  const ja = shown
    .map(
      (s) =>
        `${s.position} 列目${s.guess ? `（「${s.guess.ja}」のことであれば列名をそう直してください）` : ''}`,
    )
    .join('、');
  const en = shown
    .map(
      (s) =>
        `column ${s.position}${s.guess ? ` (if it is "${s.guess.name}" / 「${s.guess.ja}」, rename it so)` : ''}`,
    )
    .join(', ');
  return {
    code: 'UNKNOWN_COLUMNS_DROPPED',
    ja: `見出し行（${line} 行目）の ${ja}${more > 0 ? ` ほか ${more} 列` : ''}はデータセット「${dataset.ja}」の列ではないため、保存せずに取り除きました。不要な列なら削除してかまいません。`,
    en: `${en}${more > 0 ? ` and ${more} more` : ''} of the header line (line ${line}) are not columns of dataset "${dataset.name}" and were dropped before anything was stored. If they are not needed, delete them.`,
  };
}
