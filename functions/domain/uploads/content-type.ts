import { ValidationError } from '../errors.ts';
import { msg } from '../i18n.ts';

/** The content type of an Excel workbook (.xlsx): the only zip Kura reads, and only when declared as one. */
export const XLSX_CONTENT_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

/** Media type without parameters, lower-cased: `text/csv; charset=Shift_JIS` → `text/csv`. */
export const mediaType = (contentType: string): string =>
  contentType.split(';')[0]?.trim().toLowerCase() ?? '';

/**
 * Content types Kura accepts, mapped to the one the presigned POST pins. Browsers on Windows label
 * .csv files application/vnd.ms-excel and some tools say text/plain: both are taken as CSV.
 */
const ACCEPTED: Readonly<Record<string, string>> = {
  'text/csv': 'text/csv',
  'application/csv': 'text/csv',
  'text/comma-separated-values': 'text/csv',
  'application/vnd.ms-excel': 'text/csv',
  'text/plain': 'text/csv',
  'application/gzip': 'application/gzip',
  'application/x-gzip': 'application/gzip',
  [XLSX_CONTENT_TYPE]: XLSX_CONTENT_TYPE,
};

const ZIP = new Set([
  'application/zip',
  'application/x-zip-compressed',
  'application/x-zip',
  'multipart/x-zip',
]);
const MACRO_WORKBOOK = 'application/vnd.ms-excel.sheet.macroenabled.12';
const WORKBOOK = new Set(['application/vnd.oasis.opendocument.spreadsheet']);

/** The content type to pin for a declared one; ValidationError (field `contentType`) when refused. */
export function acceptedContentType(declared: string): string {
  const media = mediaType(declared);
  const accepted = ACCEPTED[media];
  if (accepted) return accepted;
  if (ZIP.has(media)) {
    throw new ValidationError(
      msg(
        'ZIP ファイルは受け付けていません。CSV ファイルをそのまま（または gzip 圧縮して）アップロードしてください。',
        'ZIP archives are not accepted: upload the CSV file itself (optionally gzip-compressed).',
      ),
      'contentType',
    );
  }
  if (media === MACRO_WORKBOOK) {
    throw new ValidationError(
      msg(
        'マクロ付きのブック（.xlsm）は受け付けていません（Kura はマクロを開きません）。「Excel ブック（.xlsx）」または CSV で保存してアップロードしてください。',
        'Macro-enabled workbooks (.xlsm) are not accepted (Kura never opens macros): save as "Excel Workbook (.xlsx)" or CSV and upload that.',
      ),
      'contentType',
    );
  }
  if (WORKBOOK.has(media)) {
    throw new ValidationError(
      msg(
        'この表計算ファイルの形式は受け付けていません。「Excel ブック（.xlsx）」または「CSV（コンマ区切り）」で保存してからアップロードしてください。',
        'This spreadsheet format is not accepted: save it as "Excel Workbook (.xlsx)" or CSV (comma delimited) and upload that.',
      ),
      'contentType',
    );
  }
  throw new ValidationError(
    msg(
      `contentType「${declared.slice(0, 100)}」は受け付けていません。text/csv または application/gzip を指定してください。`,
      `contentType "${declared.slice(0, 100)}" is not accepted: use text/csv (or application/gzip for a gzip-compressed CSV).`,
    ),
    'contentType',
  );
}
