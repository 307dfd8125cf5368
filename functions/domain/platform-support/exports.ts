/**
 * Exports under a grant: a CSV of an upload's failing rows (its row-error report) or of its stored
 * rows, unmasked within the grant's scope, written under the grant's own prefix in the raw bucket
 * (`supportExportPrefix`) and returned in the response body. The object is the evidence of what was
 * handed over; it is deleted when the grant ends (revocation: at once; expiry: by the sweep), and the
 * ledger lists what was exported and what was deleted. Nothing else under a grant is written.
 */

import { actorOf, type Principal } from '../auth/principal.ts';
import { toCsv } from '../csv.ts';
import { type FieldMessages, ForbiddenError, parseRequestBody, ValidationError } from '../errors.ts';
import { msg } from '../i18n.ts';
import { appendLedger } from '../ledger/ledger.ts';
import { confirmTenantWrite } from '../tenants/rules.ts';
import { readRowErrors } from '../uploads/error-report.ts';
import type { UploadRecord } from '../uploads/model.ts';
import * as z from '../zod.ts';
import { supportExportPrefix } from '../zones.ts';
import { covers, type SupportPorts } from './grant-records.ts';
import { deleteGrantExports } from './grant-sweep.ts';
import { ownActiveGrant, recordExport, requireSupport } from './grants.ts';
import { readRawRows, readSupportUpload } from './inspect.ts';

export const EXPORT_KINDS = ['row_errors', 'rows'] as const;
/** The most rows one export may hold. */
export const MAX_EXPORT_ROWS = 100_000;

export const exportRequestSchema = z.strictObject({
  uploadId: z.string().check(z.regex(/^[0-9a-f-]{36}$/)),
  /** `row_errors`: the failing rows as the row-error report holds them; `rows`: the stored rows. */
  kind: z._default(z.enum(EXPORT_KINDS), 'row_errors'),
});

const FIELDS = {
  uploadId: msg('uploadId にアップロード ID を指定してください。', 'uploadId must name an upload.'),
  kind: msg('kind は row_errors または rows にしてください。', 'kind must be row_errors or rows.'),
} as const satisfies FieldMessages;

export interface SupportExport {
  readonly grantId: string;
  readonly exportId: string;
  readonly uploadId: string;
  readonly kind: (typeof EXPORT_KINDS)[number];
  /** Where the export is kept until the grant ends (raw bucket). */
  readonly key: string;
  readonly fileName: string;
  readonly contentType: 'text/csv; charset=utf-8';
  readonly rows: number;
  /** The CSV itself. */
  readonly csv: string;
}

/** The export's CSV and its row count: the upload's row errors, or its rows (at most MAX_EXPORT_ROWS). */
async function exportCsv(
  ports: SupportPorts,
  record: UploadRecord,
  kind: (typeof EXPORT_KINDS)[number],
): Promise<{ readonly csv: string; readonly rows: number }> {
  if (kind === 'row_errors') {
    const errors = await readRowErrors(ports.objects, record);
    return {
      rows: errors.length,
      csv: toCsv(
        ['line', 'column', 'code', 'message_ja', 'message_en', 'value'],
        errors.map((e) => [e.line, e.column, e.code, e.message.ja, e.message.en, e.value]),
      ),
    };
  }
  const read = await readRawRows(ports, record, { offset: 0, limit: MAX_EXPORT_ROWS + 1 });
  if (read.total > MAX_EXPORT_ROWS) {
    throw new ValidationError(
      msg(
        `行数が多すぎます（${read.total} 行）。1 回のエクスポートは ${MAX_EXPORT_ROWS} 行までです。`,
        `Too many rows (${read.total}): one export holds at most ${MAX_EXPORT_ROWS} rows.`,
      ),
      'uploadId',
    );
  }
  return {
    rows: read.rows.length,
    csv: toCsv(
      read.columns,
      read.rows.map((r) => read.columns.map((c) => r[c] ?? null)),
    ),
  };
}

/** Exports one upload under the caller's grant in force. */
export async function exportUnderGrant(
  ports: SupportPorts,
  principal: Principal,
  grantId: string,
  body: unknown,
): Promise<SupportExport> {
  await requireSupport(ports, principal, 'POST /support/grants/{grantId}/exports');
  const { uploadId, kind } = parseRequestBody(exportRequestSchema, body, FIELDS);
  const { grant, now } = await ownActiveGrant(ports, principal, grantId);
  const record = await readSupportUpload(ports, grant.tenantId, uploadId);
  if (!covers(grant, record)) {
    throw new ForbiddenError(
      msg(
        `アップロード ${uploadId} はサポートアクセス ${grantId} の対象外です。`,
        `Upload ${uploadId} is outside the scope of grant ${grantId}.`,
      ),
    );
  }

  const { csv, rows } = await exportCsv(ports, record, kind);

  const exportId = ports.newId();
  const fileName = `${kind}-${uploadId}-${exportId.slice(0, 8)}.csv`;
  const key = `${supportExportPrefix(grant.tenantId, grantId)}${fileName}`;
  await ports.objects.put('raw', key, csv, { contentType: 'text/csv; charset=utf-8' });
  const saved = await recordExport(ports, grant, {
    exportId,
    key,
    uploadId,
    kind,
    rows,
    createdAt: now.toISOString(),
  });
  if (!saved) {
    // The grant ended while the export was written: take it back before anyone sees it.
    await deleteGrantExports(ports, grant);
    throw new ForbiddenError(
      msg(
        `サポートアクセス ${grantId} は終了しました。`,
        `Grant ${grantId} ended while the export was written.`,
      ),
    );
  }
  // An export is unmasked data under the company's prefix: if its purge started meanwhile, take it back.
  await confirmTenantWrite(ports, grant.tenantId, async () => {
    await deleteGrantExports(ports, grant);
  });
  await appendLedger(ports, {
    action: 'support.exported',
    actor: actorOf(principal),
    tenantId: grant.tenantId,
    purpose: grant.purpose,
    details: { grantId, exportId, uploadId, dataset: record.dataset, kind, key, rows },
  });
  return {
    grantId,
    exportId,
    uploadId,
    kind,
    key,
    fileName,
    contentType: 'text/csv; charset=utf-8',
    rows,
    csv,
  };
}
