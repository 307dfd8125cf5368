import type { Principal } from '../auth/principal.ts';
import { tenantOf } from '../auth/principal.ts';
import { toCsv } from '../csv.ts';
import { type Lang, msg, pick } from '../i18n.ts';
import { type ObjectStore, NotFoundError as PortNotFoundError, type Table } from '../ports/index.ts';
import * as z from '../zod.ts';
import { reportKey } from '../zones.ts';
import { type RowError, rowErrorSchema, type UploadRecord } from './model.ts';
import { readTenantUpload } from './records.ts';

/**
 * An upload's row errors as its report in the raw zone holds them (up to MAX_REPORTED_ERRORS, values of
 * personal columns masked), or the first ones the record keeps when there is no report (a dry run).
 */
export async function readRowErrors(
  objects: Pick<ObjectStore, 'get'>,
  record: Pick<UploadRecord, 'tenantId' | 'uploadId' | 'errors'>,
): Promise<RowError[]> {
  const fallback = record.errors ?? [];
  try {
    const report = JSON.parse(
      Buffer.from(await objects.get('raw', reportKey(record.tenantId, record.uploadId))).toString('utf8'),
    );
    const parsed = z.object({ errors: z.array(rowErrorSchema) }).safeParse(report);
    return parsed.success ? parsed.data.errors : fallback;
  } catch (error) {
    if (error instanceof PortNotFoundError) return fallback;
    throw error;
  }
}

/** A CSV file to hand to the caller: its name, type and text. */
export interface CsvDownload {
  readonly fileName: string;
  readonly csv: string;
}

const HEADERS = {
  ja: ['行', '列', 'コード', '内容', '値'],
  en: ['line', 'column', 'code', 'message', 'value'],
} as const;

/**
 * `GET /uploads/{uploadId}/row-errors`: every row error of one of the caller's uploads, for Excel (BOM,
 * CRLF, formulas neutralised), in the caller's language. Values of personal columns stay masked as in the
 * report; when the report was cut at its limit, a last line says how many more errors there were.
 */
export async function rowErrorsCsv(
  ports: { readonly table: Table; readonly objects: Pick<ObjectStore, 'get'> },
  principal: Principal,
  uploadId: string,
  lang: Lang,
): Promise<CsvDownload> {
  const record = await readTenantUpload(ports.table, tenantOf(principal), uploadId);
  const errors = await readRowErrors(ports.objects, record);
  const rows: Array<Array<string | number | undefined>> = errors.map((e) => [
    e.line,
    e.column,
    e.code,
    pick(e.message, lang),
    e.value,
  ]);
  const total = record.rows?.rejected;
  if (record.errorsTruncated && total !== undefined && total > errors.length) {
    rows.push([
      undefined,
      undefined,
      'MORE_ERRORS',
      pick(
        msg(
          `ほかにエラー行が ${total - errors.length} 行あります（エラー一覧は先頭 ${errors.length} 件まで）。`,
          `${total - errors.length} more rows in error (the list holds the first ${errors.length}).`,
        ),
        lang,
      ),
      undefined,
    ]);
  }
  return { fileName: `row-errors-${record.uploadId}.csv`, csv: toCsv(HEADERS[lang], rows) };
}
