/**
 * Masked inspection: what support staff see of a tenant's uploads — status, counts, row errors and
 * rows — with every value passed through the catalogue's support mask, unless the support user holds
 * a grant in force that covers the upload. Rows come from the raw zone Parquet of the upload,
 * downloaded through the ObjectStore port and read with DuckDB in a private temp dir.
 */

import { actorOf, type Principal } from '../auth/principal.ts';
import { type DatasetDef, getDataset, isDatasetName } from '../catalog/index.ts';
import { ValidationError } from '../errors.ts';
import { msg } from '../i18n.ts';
import { appendLedger } from '../ledger/ledger.ts';
import { plainQuery, withDuckDb } from '../masking/duckdb-engine.ts';
import { download, withWorkDir } from '../masking/local-files.ts';
import { FULLY_MASKED, isMaskedValue, supportMaskOf } from '../masking/policy.ts';
import { NotFoundError as PortNotFoundError } from '../ports/index.ts';
import { sqlIdentifier, sqlLiteral } from '../sql-text.ts';
import type { RowError, UploadRecord } from '../uploads/model.ts';
import { pageTenantUploads, readTenantUpload, UPLOAD_ID } from '../uploads/records.ts';
import { rawPrefix } from '../zones.ts';
import type { GrantRecord, SupportPorts } from './grant-records.ts';
import { sweepExpiredSupportGrants } from './grant-sweep.ts';
import { grantInForce, requireSupport, requireTenant } from './grants.ts';
import {
  applySupportMask,
  columnNamed,
  maskRow,
  type TextRow,
  type Tokeniser,
  tokeniserFor,
} from './mask.ts';

/** What support sees of an upload in a list. */
export interface SupportUploadSummary {
  readonly uploadId: string;
  readonly dataset: string;
  readonly fileName: string;
  readonly status: string;
  readonly requestedAt: string;
  readonly updatedAt: string;
  readonly rows?: UploadRecord['rows'];
  readonly reason?: UploadRecord['reason'];
  readonly errorCount: number;
}

const summaryOf = (record: UploadRecord): SupportUploadSummary => ({
  uploadId: record.uploadId,
  dataset: record.dataset,
  fileName: record.fileName,
  status: record.status,
  requestedAt: record.requestedAt,
  updatedAt: record.updatedAt,
  ...(record.rows ? { rows: record.rows } : {}),
  ...(record.reason ? { reason: record.reason } : {}),
  errorCount: record.errors?.length ?? 0,
});

/** One upload of the tenant; NotFoundError when the tenant has no such upload. */
const readUpload = (
  ports: Pick<SupportPorts, 'table'>,
  tenantId: string,
  uploadId: string,
): Promise<UploadRecord> => readTenantUpload(ports.table, tenantId, uploadId);

/** Common opening of every inspection: support role, known tenant, expired grants swept. */
async function openInspection(
  ports: SupportPorts,
  principal: Principal,
  tenantId: string,
  attempted: string,
) {
  await requireSupport(ports, principal, attempted);
  await requireTenant(ports, tenantId);
  const now = ports.clock();
  await sweepExpiredSupportGrants(ports, now, { tenantId });
  return now;
}

/** The tenant's token function; without a key (never created, or destroyed) tokens become ＊＊＊. */
async function tokeniserOf(ports: SupportPorts, tenantId: string): Promise<Tokeniser> {
  try {
    return tokeniserFor(await ports.keys.get(tenantId));
  } catch (error) {
    if (error instanceof PortNotFoundError) return () => FULLY_MASKED;
    throw error;
  }
}

/** A tenant's uploads, newest first within the page. */
export async function listTenantUploads(
  ports: SupportPorts,
  principal: Principal,
  tenantId: string,
  options: { readonly limit?: number | undefined; readonly cursor?: string | undefined } = {},
): Promise<{
  readonly tenantId: string;
  readonly uploads: SupportUploadSummary[];
  readonly cursor?: string;
}> {
  await openInspection(ports, principal, tenantId, 'GET /support/tenants/{tenantId}/uploads');
  const limit = Math.max(1, Math.min(options.limit ?? 50, 100));
  if (options.cursor !== undefined && !UPLOAD_ID.test(options.cursor)) {
    throw new ValidationError(
      msg('cursor が正しくありません。', 'cursor is not valid: pass the previous page’s cursor unchanged.'),
      'cursor',
    );
  }
  // The partition also holds grants; pageTenantUploads skips them, so the cursor is always an upload id.
  const page = await pageTenantUploads(ports.table, tenantId, { limit, cursor: options.cursor });
  const uploads = page.records.map(summaryOf);
  await appendLedger(ports, {
    action: 'support.inspected',
    actor: actorOf(principal),
    tenantId,
    details: { what: 'uploads', masked: true, count: uploads.length },
  });
  return { tenantId, uploads, ...(page.cursor !== undefined ? { cursor: page.cursor } : {}) };
}

/**
 * A row error as support sees it. Ingest already masked personal values (the policy's FULLY_MASKED); anything else is
 * passed through the column's support mask, and a value of a column the catalogue does not know is
 * masked whole.
 */
export function maskRowError(
  dataset: DatasetDef | undefined,
  error: RowError,
  tokenise: Tokeniser,
): RowError {
  if (error.value === undefined) return error;
  const column = dataset && error.column !== undefined ? columnNamed(dataset, error.column) : undefined;
  const value =
    isMaskedValue(error.value) || !column
      ? FULLY_MASKED
      : (applySupportMask(supportMaskOf(column), error.value, tokenise) ?? FULLY_MASKED);
  return { ...error, value };
}

const datasetOf = (name: string) => (isDatasetName(name) ? getDataset(name) : undefined);

/** One upload: status, counts and its first row errors, masked. */
export async function getTenantUpload(
  ports: SupportPorts,
  principal: Principal,
  tenantId: string,
  uploadId: string,
): Promise<SupportUploadSummary & { readonly errors: RowError[]; readonly errorsTruncated: boolean }> {
  await openInspection(ports, principal, tenantId, 'GET /support/tenants/{tenantId}/uploads/{uploadId}');
  const record = await readUpload(ports, tenantId, uploadId);
  const tokenise = await tokeniserOf(ports, tenantId);
  const dataset = datasetOf(record.dataset);
  await appendLedger(ports, {
    action: 'support.inspected',
    actor: actorOf(principal),
    tenantId,
    details: { what: 'upload', uploadId, dataset: record.dataset, masked: true },
  });
  return {
    ...summaryOf(record),
    errors: (record.errors ?? []).map((e) => maskRowError(dataset, e, tokenise)),
    errorsTruncated: record.errorsTruncated ?? false,
  };
}

/** Row reads are paged; a page holds at most this many rows. */
export const MAX_ROWS_PAGE = 100;

/** The raw Parquet keys of an upload, each checked to lie under the tenant's raw prefix. */
function rawKeysOf(record: UploadRecord): string[] {
  return (record.outputs ?? []).filter((key) => key.startsWith(rawPrefix(record.tenantId)));
}

/**
 * Rows of an upload's raw Parquet as text (DATE as YYYY-MM-DD, numbers as digits), in file order.
 * `limit` undefined reads them all. Values stay in this process; nothing is logged.
 */
export async function readRawRows(
  ports: Pick<SupportPorts, 'objects'>,
  record: UploadRecord,
  page: { readonly offset: number; readonly limit?: number },
): Promise<{ readonly total: number; readonly columns: string[]; readonly rows: TextRow[] }> {
  const keys = rawKeysOf(record);
  if (keys.length === 0) return { total: 0, columns: [], rows: [] };
  return withWorkDir(async (dir) => {
    const paths: string[] = [];
    for (const key of keys) paths.push(await download(ports.objects, 'raw', key, dir));
    const list = `[${paths.map(sqlLiteral).join(', ')}]`;
    const source = `read_parquet(${list}, filename = true, file_row_number = true, union_by_name = true)`;
    return withDuckDb(async (session) => {
      const [count] = await session.run(
        plainQuery(`SELECT count(*) AS n FROM ${source}`, 'count support rows'),
      );
      const described = await session.run(plainQuery(`DESCRIBE SELECT * FROM ${source}`, 'support columns'));
      const columns = described
        .map((r) => String(r.column_name))
        .filter((c) => c !== 'filename' && c !== 'file_row_number');
      const select = columns.map((c) => `CAST(${sqlIdentifier(c)} AS VARCHAR) AS ${sqlIdentifier(c)}`);
      const window = `${page.limit !== undefined ? ` LIMIT ${Math.trunc(page.limit)}` : ''} OFFSET ${Math.trunc(page.offset)}`;
      const rows =
        columns.length === 0
          ? []
          : await session.run(
              plainQuery(
                `SELECT ${select.join(', ')} FROM ${source} ORDER BY filename, file_row_number${window}`,
                'read support rows',
              ),
            );
      return {
        total: Number(count?.n ?? 0),
        columns,
        rows: rows.map((row) =>
          Object.fromEntries(
            columns.map((c) => [c, row[c] === null || row[c] === undefined ? null : String(row[c])]),
          ),
        ),
      };
    });
  });
}

export interface SupportRowsPage {
  readonly tenantId: string;
  readonly uploadId: string;
  readonly dataset: string;
  /** false only when a grant in force covers the upload; then `grantId` names it. */
  readonly masked: boolean;
  readonly grantId?: string;
  readonly offset: number;
  readonly limit: number;
  readonly total: number;
  readonly columns: string[];
  readonly rows: Array<Record<string, string | null>>;
}

const pageNumber = (raw: number | undefined, fallback: number, max: number, field: string) => {
  const value = raw ?? fallback;
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new ValidationError(
      msg(
        `${field} は 0〜${max} の整数にしてください。`,
        `${field} must be a whole number from 0 to ${max}.`,
      ),
      field,
    );
  }
  return value;
};

/**
 * A page of an upload's rows: masked by the catalogue's support masks, or as stored when the
 * caller's grant in force covers the upload — then the read is recorded in the ledger under the grant.
 */
export async function readTenantUploadRows(
  ports: SupportPorts,
  principal: Principal,
  tenantId: string,
  uploadId: string,
  options: { readonly offset?: number | undefined; readonly limit?: number | undefined } = {},
): Promise<SupportRowsPage> {
  const now = await openInspection(
    ports,
    principal,
    tenantId,
    'GET /support/tenants/{tenantId}/uploads/{uploadId}/rows',
  );
  const offset = pageNumber(options.offset, 0, 100_000_000, 'offset');
  const limit = Math.max(1, pageNumber(options.limit, 20, MAX_ROWS_PAGE, 'limit'));
  const record = await readUpload(ports, tenantId, uploadId);
  const grant: GrantRecord | undefined = await grantInForce(ports, principal, tenantId, record, now);
  const read = await readRawRows(ports, record, { offset, limit });
  const dataset = datasetOf(record.dataset);
  let rows: Array<Record<string, string | null>>;
  if (grant) {
    rows = read.rows.map((r) => ({ ...r }));
    await appendLedger(ports, {
      action: 'support.read_under_grant',
      actor: actorOf(principal),
      tenantId,
      purpose: grant.purpose,
      details: {
        grantId: grant.grantId,
        uploadId,
        dataset: record.dataset,
        offset,
        limit,
        rows: rows.length,
      },
    });
  } else {
    const tokenise = await tokeniserOf(ports, tenantId);
    rows = read.rows.map((r) =>
      dataset
        ? maskRow(dataset, r, tokenise)
        : Object.fromEntries(Object.keys(r).map((k) => [k, FULLY_MASKED])),
    );
    await appendLedger(ports, {
      action: 'support.inspected',
      actor: actorOf(principal),
      tenantId,
      details: { what: 'rows', uploadId, dataset: record.dataset, masked: true, offset, rows: rows.length },
    });
  }
  return {
    tenantId,
    uploadId,
    dataset: record.dataset,
    masked: grant === undefined,
    ...(grant ? { grantId: grant.grantId } : {}),
    offset,
    limit,
    total: read.total,
    columns: read.columns,
    rows,
  };
}

export { datasetOf as supportDatasetOf, readUpload as readSupportUpload };
