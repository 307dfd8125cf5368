/**
 * A company's saved column mapping: it maps its system's headers onto a dataset's columns once, and every
 * later upload of that dataset reads its header through the mapping (before any import profile). Kept in
 * the company's partition of the uploads table (sort key `mapping#<dataset>`), so a purge removes it with
 * the partition. It holds header names and column names only, never a value from a file: a header that
 * looks like a value (a date, a long number, an e-mail address) or names an identification code is refused.
 */

import type { Principal } from '../auth/principal.ts';
import { tenantOf } from '../auth/principal.ts';
import {
  DATASET_NAMES,
  type DatasetName,
  getDataset,
  identificationCodeKind,
  isDatasetName,
} from '../catalog/index.ts';
import { getProfile, PROFILE_NAMES } from '../catalog/profiles.ts';
import { TIME_FORMATS } from '../catalog/schema.ts';
import {
  BODY_NOT_OBJECT,
  type FieldMessages,
  MalformedRequestError,
  NotFoundError,
  ValidationError,
  validationErrorFrom,
} from '../errors.ts';
import { msg } from '../i18n.ts';
import type { Table } from '../ports/index.ts';
import { readTenantItem, type TenantItemKind } from '../tenant-items/tenant-items.ts';
import * as z from '../zod.ts';
import { UPLOADS_TABLE } from './records.ts';

export const MAPPING_SORT_PREFIX = 'mapping#';
export const mappingSortKey = (dataset: DatasetName) => `${MAPPING_SORT_PREFIX}${dataset}`;
/** Headers one mapping may name. */
export const MAX_MAPPED_HEADERS = 200;

export const columnMappingRecordSchema = z.strictObject({
  tenantId: z.string(),
  uploadId: z.string().check(z.startsWith(MAPPING_SORT_PREFIX)),
  kind: z.literal('kura.column-mapping'),
  dataset: z.enum(DATASET_NAMES),
  /** The company's header → the Kura column it holds. */
  columns: z.record(z.string(), z.string()),
  /** The profile the company's uploads of this dataset use unless an upload names another. */
  profile: z.optional(z.string()),
  /** The time format the company's exports write unless an upload declares another. */
  timeFormat: z.optional(z.enum(TIME_FORMATS)),
  updatedAt: z.string(),
  updatedBy: z.string(),
});
export type ColumnMappingRecord = z.infer<typeof columnMappingRecordSchema>;

const MAPPING_ITEMS: TenantItemKind<ColumnMappingRecord> = {
  table: UPLOADS_TABLE,
  sortKeyName: 'uploadId',
  schema: columnMappingRecordSchema,
};

const FIELDS = {
  columns: msg(
    `columns に「自社の列名: Kura の列名」の対応（1〜${MAX_MAPPED_HEADERS} 件、列名は 100 文字まで）を指定してください。`,
    `columns must map your header names to Kura column names (1 to ${MAX_MAPPED_HEADERS}, names up to 100 characters).`,
  ),
  profile: msg(
    `profile は ${PROFILE_NAMES.join(', ')} のいずれかです。`,
    `profile must be one of ${PROFILE_NAMES.join(', ')}.`,
  ),
  timeFormat: msg(
    `timeFormat は ${TIME_FORMATS.join(', ')} のいずれかです。`,
    `timeFormat must be one of ${TIME_FORMATS.join(', ')}.`,
  ),
} as const satisfies FieldMessages;

/** The body of PUT /mappings/{dataset}. */
export const mappingRequestSchema = z.strictObject({
  columns: z
    .record(
      z.string().check(z.minLength(1), z.maxLength(100)),
      z.string().check(z.minLength(1), z.maxLength(64)),
    )
    .check(z.refine((c) => Object.keys(c).length >= 1 && Object.keys(c).length <= MAX_MAPPED_HEADERS)),
  profile: z.optional(z.string().check(z.maxLength(40))),
  timeFormat: z.optional(z.enum(TIME_FORMATS)),
});

/** Text that is a value rather than a header: a date, a run of digits, an e-mail address, a phone number. */
const LOOKS_LIKE_A_VALUE = /^\d{4}[-/.年]\d{1,2}|\d{6,}|@|^\d{2,4}-\d{2,4}-\d{3,4}$/;

function datasetOf(name: string): DatasetName {
  if (!isDatasetName(name) || getDataset(name).uploadedBy !== 'tenant')
    throw new NotFoundError(
      msg(
        `データセット「${name.slice(0, 64)}」はありません。`,
        `There is no dataset "${name.slice(0, 64)}".`,
      ),
      'dataset',
    );
  return name;
}

/** The company's saved mapping for a dataset, if it saved one. */
export function readColumnMapping(
  table: Table,
  tenantId: string,
  dataset: DatasetName,
): Promise<ColumnMappingRecord | undefined> {
  return readTenantItem(table, MAPPING_ITEMS, tenantId, mappingSortKey(dataset));
}

/**
 * Saves (replaces) the caller's company's mapping for a dataset. Each target must be a column of the
 * dataset; a header may not look like a value or name an identification code (a mapping must never
 * carry personal data, and a My Number column is never taken whatever it is called).
 */
export async function saveColumnMapping(
  ports: { readonly table: Table; readonly clock: () => Date },
  principal: Principal,
  datasetName: string,
  body: unknown,
): Promise<ColumnMappingRecord> {
  const tenantId = tenantOf(principal);
  const dataset = getDataset(datasetOf(datasetName));
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw new MalformedRequestError(BODY_NOT_OBJECT);
  const parsed = mappingRequestSchema.safeParse(body);
  if (!parsed.success) throw validationErrorFrom(parsed.error.issues, FIELDS);
  const request = parsed.data;
  const columnNames = new Set(dataset.columns.map((c) => c.name));
  for (const [header, column] of Object.entries(request.columns)) {
    if (!columnNames.has(column))
      throw new ValidationError(
        msg(
          `「${column.slice(0, 64)}」はデータセット「${dataset.ja}」の列ではありません。指定できる列: ${[...columnNames].join(', ')}`,
          `"${column.slice(0, 64)}" is not a column of dataset ${dataset.name}; columns: ${[...columnNames].join(', ')}.`,
        ),
        'columns',
      );
    if (identificationCodeKind(header) || LOOKS_LIKE_A_VALUE.test(header.normalize('NFKC')))
      throw new ValidationError(
        msg(
          '列名に、値（日付・番号・メールアドレス）や個人識別符号の列名のように見えるものがあります。見出し行の列名だけを指定してください。',
          'A header name looks like a value (a date, a number, an e-mail address) or names an identification code. Give only the names in your header line.',
        ),
        'columns',
      );
  }
  if (request.profile !== undefined) {
    const profile = getProfile(request.profile);
    if (!profile?.datasets[dataset.name]) throw new ValidationError(FIELDS.profile, 'profile');
  }
  const record = columnMappingRecordSchema.parse({
    tenantId,
    uploadId: mappingSortKey(dataset.name),
    kind: 'kura.column-mapping',
    dataset: dataset.name,
    columns: request.columns,
    ...(request.profile ? { profile: request.profile } : {}),
    ...(request.timeFormat ? { timeFormat: request.timeFormat } : {}),
    updatedAt: ports.clock().toISOString(),
    updatedBy: principal.subject,
  });
  await ports.table.put(UPLOADS_TABLE, record);
  return record;
}

/** The caller's company's mapping for a dataset; NotFoundError when it saved none. */
export async function getColumnMapping(
  table: Table,
  principal: Principal,
  datasetName: string,
): Promise<ColumnMappingRecord> {
  const dataset = datasetOf(datasetName);
  const record = await readColumnMapping(table, tenantOf(principal), dataset);
  if (!record)
    throw new NotFoundError(
      msg(
        `データセット「${dataset}」の列の対応付けは保存されていません。`,
        `No column mapping is saved for dataset ${dataset}.`,
      ),
      'dataset',
    );
  return record;
}

/** Deletes the caller's company's mapping for a dataset (later uploads read headers without it). */
export async function deleteColumnMapping(
  table: Table,
  principal: Principal,
  datasetName: string,
): Promise<{ readonly deleted: boolean }> {
  const dataset = datasetOf(datasetName);
  const tenantId = tenantOf(principal);
  const existing = await readColumnMapping(table, tenantId, dataset);
  if (existing) await table.delete(UPLOADS_TABLE, { tenantId, uploadId: mappingSortKey(dataset) });
  return { deleted: existing !== undefined };
}
