/**
 * Reading upload records from a tenant's partition of the uploads table. The partition also holds
 * other tenant-scoped items (support and supporter grants, sort keys `grant#…`, which sort after
 * every upload id); these readers keep to upload records, so the upload list and support's list of a
 * tenant's uploads page through the partition the same way.
 */

import { NotFoundError } from '../errors.ts';
import { msg } from '../i18n.ts';
import type { Table } from '../ports/index.ts';
import { readTenantItem, type TenantItemKind } from '../tenant-items/tenant-items.ts';
import { type UploadRecord, uploadRecordSchema } from './model.ts';

export const UPLOADS_TABLE = 'uploads';

/** Upload ids are UUIDs; other items of the uploads table have prefixed sort keys. */
export const UPLOAD_ID = /^[0-9a-f-]{36}$/;

const UPLOAD_ITEMS: TenantItemKind<UploadRecord> = {
  table: UPLOADS_TABLE,
  sortKeyName: 'uploadId',
  schema: uploadRecordSchema,
};

/** The answer for an upload that is not the caller's to see (or does not exist): never a 403. */
export const uploadNotFound = (uploadId: string) =>
  new NotFoundError(
    msg(
      `アップロード ${uploadId.slice(0, 64)} は見つかりません。`,
      `Upload ${uploadId.slice(0, 64)} was not found.`,
    ),
    'uploadId',
  );

/** One upload of a tenant; NotFoundError when the id is no upload id or the tenant has no such upload. */
export async function readTenantUpload(
  table: Table,
  tenantId: string,
  uploadId: string,
): Promise<UploadRecord> {
  if (!UPLOAD_ID.test(uploadId)) throw uploadNotFound(uploadId);
  const record = await readTenantItem(table, UPLOAD_ITEMS, tenantId, uploadId);
  if (!record) throw uploadNotFound(uploadId);
  return record;
}

/**
 * A page of a tenant's uploads, in upload-id order from just after `cursor` (an upload id, already
 * validated by the caller). Pages of the partition are read until `limit` uploads are found, skipping
 * every item that is not an upload, so the cursor handed back is always an upload id; it is absent
 * when the partition has no more items.
 */
export async function pageTenantUploads(
  table: Table,
  tenantId: string,
  options: { readonly limit: number; readonly cursor?: string | undefined },
): Promise<{ readonly records: UploadRecord[]; readonly cursor?: string }> {
  const records: UploadRecord[] = [];
  let lastUploadId: string | undefined;
  // Rebuilt from the tenant, so a cursor can never point into another tenant's partition.
  let cursor: Record<string, unknown> | undefined = options.cursor
    ? { tenantId, uploadId: options.cursor }
    : undefined;
  do {
    const page = await table.query({
      table: UPLOADS_TABLE,
      partition: { name: 'tenantId', value: tenantId },
      limit: options.limit - records.length,
      cursor,
    });
    for (const item of page.items) {
      const parsed = uploadRecordSchema.safeParse(item);
      if (parsed.success && parsed.data.tenantId === tenantId && UPLOAD_ID.test(parsed.data.uploadId)) {
        records.push(parsed.data);
        lastUploadId = parsed.data.uploadId;
      }
    }
    cursor = page.cursor;
  } while (cursor && records.length < options.limit);
  return { records, ...(cursor && lastUploadId !== undefined ? { cursor: lastUploadId } : {}) };
}
