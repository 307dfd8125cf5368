/**
 * Which uploads are in force. One rule, used by the facts, the records and `kura status` alike:
 *
 * - An upload counts once its masking completed (`maskedAt`, with the pseudonymised objects it
 *   committed in `maskedOutputs`), and not after it was withdrawn.
 * - Its objects are one per period. For each dataset and period, the counting upload latest in the
 *   tenant's order is in force; the earlier ones are superseded for that period (`supersededBy`).
 * - The order is the server's, not the clock's or the arrival's: `sequence`, the upload's place in the
 *   tenant's ledger chain, given when the upload is requested (so a correction sent after a file
 *   replaces it whichever of the two finishes processing first). Records of earlier versions have no
 *   sequence and order before every sequenced one, by request time, then id.
 */
import { ConditionFailedError, type ObjectStore, type Table } from '../ports/index.ts';
import * as z from '../zod.ts';
import { periodOfKey, pseudonymisedKey } from '../zones.ts';
import { withBookkeeping } from './in-flight.ts';
import { type UploadRecord, uploadRecordSchema } from './model.ts';
import { UPLOADS_TABLE } from './records.ts';

/** The record, keeping attributes this version of the schema does not name (others may add some). */
export const storedUploadSchema = z.looseObject(uploadRecordSchema.shape);

/** Statuses whose rows may count (once masked). */
const COUNTING = new Set(['ACCEPTED', 'PARTIALLY_ACCEPTED']);

/** Negative when `a` comes before `b` in the tenant's order. */
export function compareUploadOrder(
  a: Pick<UploadRecord, 'sequence' | 'requestedAt' | 'uploadId'>,
  b: Pick<UploadRecord, 'sequence' | 'requestedAt' | 'uploadId'>,
): number {
  if ((a.sequence === undefined) !== (b.sequence === undefined)) return a.sequence === undefined ? -1 : 1;
  const keys: Array<[string, string]> = [
    [a.sequence ?? '', b.sequence ?? ''],
    [a.requestedAt, b.requestedAt],
    [a.uploadId, b.uploadId],
  ];
  for (const [x, y] of keys) if (x !== y) return x < y ? -1 : 1;
  return 0;
}

/** What the plan reads of an upload record. */
export type PlanRecord = Pick<
  UploadRecord,
  'uploadId' | 'dataset' | 'status' | 'maskedAt' | 'maskedOutputs' | 'sequence' | 'requestedAt'
>;

/** Whether an upload's masking completed: its pseudonymised objects are committed and may be read. */
export const maskingComplete = (record: PlanRecord): boolean =>
  COUNTING.has(record.status) && record.maskedAt !== undefined && (record.maskedOutputs?.length ?? 0) > 0;

/** One pseudonymised object in force: the upload, dataset and period it holds. */
export interface InForceObject {
  readonly uploadId: string;
  readonly dataset: string;
  readonly period: string;
  readonly key: string;
  /** Rank of the upload in the tenant's order (0 first), for deterministic tie-breaks in SQL. */
  readonly rank: number;
}

export interface SupersessionPlan {
  /** The objects the facts read: one per dataset and period, of the upload in force for it. */
  readonly inForce: readonly InForceObject[];
  /** Per upload id, the periods it lost and to which upload (absent when it lost none). */
  readonly supersededBy: ReadonlyMap<string, Readonly<Record<string, string>>>;
}

/** Plans which upload is in force for every dataset and period (pure). */
export function planSupersession(records: readonly PlanRecord[]): SupersessionPlan {
  const counting = records.filter(maskingComplete).sort(compareUploadOrder);
  const latest = new Map<string, InForceObject>();
  const contributions = counting.flatMap((record, rank) =>
    (record.maskedOutputs ?? []).map((key) => ({
      uploadId: record.uploadId,
      dataset: record.dataset,
      period: periodOfKey(key) ?? '',
      key,
      rank,
    })),
  );
  for (const object of contributions) latest.set(`${object.dataset}|${object.period}`, object);
  const supersededBy = new Map<string, Record<string, string>>();
  for (const object of contributions) {
    const winner = latest.get(`${object.dataset}|${object.period}`);
    if (!winner || winner.uploadId === object.uploadId) continue;
    supersededBy.set(object.uploadId, {
      ...supersededBy.get(object.uploadId),
      [object.period]: winner.uploadId,
    });
  }
  const inForce = [...latest.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return { inForce, supersededBy };
}

/** The attributes the plan reads, and the tenant's (loose: an adapter may return more attributes). */
const planRecordSchema = z.looseObject(
  z.pick(uploadRecordSchema, {
    tenantId: true,
    uploadId: true,
    dataset: true,
    status: true,
    maskedAt: true,
    maskedOutputs: true,
    sequence: true,
    requestedAt: true,
  }).shape,
);

/**
 * What the plan needs of every upload record of a tenant, read with a projection: a few hundred bytes an
 * upload, where whole records carry row errors and mappings (what callers see of one upload computes
 * what is in force from these).
 */
export function readTenantPlanRecords(table: Table, tenantId: string): Promise<PlanRecord[]> {
  return readTenantRecords(table, tenantId, planRecordSchema, Object.keys(planRecordSchema.shape));
}

/** Every upload record of a tenant (grants and other items of the partition left out). */
export function readTenantUploadRecords(table: Table, tenantId: string): Promise<UploadRecord[]> {
  return readTenantRecords(table, tenantId, storedUploadSchema);
}

/** The tenant's upload records as `schema` reads them (optionally only `attributes` of each). */
async function readTenantRecords<T extends { readonly tenantId: string }>(
  table: Table,
  tenantId: string,
  schema: { safeParse(item: unknown): { success: true; data: T } | { success: false } },
  attributes?: readonly string[],
): Promise<T[]> {
  const records: T[] = [];
  let cursor: Record<string, unknown> | undefined;
  do {
    const page = await table.query({
      table: UPLOADS_TABLE,
      partition: { name: 'tenantId', value: tenantId },
      cursor,
      ...(attributes ? { attributes } : {}),
    });
    for (const item of page.items) {
      if (String(item.uploadId).includes('#')) continue;
      const parsed = schema.safeParse(item);
      if (parsed.success && parsed.data.tenantId === tenantId) records.push(parsed.data);
    }
    cursor = page.cursor;
  } while (cursor);
  return records;
}

/**
 * Writes the next version of an upload record, only if nobody changed it since `previous` was read
 * (status and updatedAt act as the version). A patch value `undefined` removes the attribute.
 * @throws ConditionFailedError when the record changed meanwhile
 */
export async function updateUploadRecord(
  table: Table,
  now: Date,
  previous: UploadRecord,
  patch: Partial<UploadRecord>,
): Promise<UploadRecord> {
  let updatedAt = now.toISOString();
  // Two writes within one millisecond would otherwise carry the same version.
  if (updatedAt <= previous.updatedAt) updatedAt = new Date(Date.parse(previous.updatedAt) + 1).toISOString();
  const merged: Record<string, unknown> = { ...previous, ...patch, updatedAt };
  for (const [name, value] of Object.entries(merged)) if (value === undefined) delete merged[name];
  const next = withBookkeeping(storedUploadSchema.parse(merged));
  await table.put(UPLOADS_TABLE, next, {
    ifMatch: { status: previous.status, updatedAt: previous.updatedAt },
  });
  return next;
}

const sameSupersession = (
  a: Readonly<Record<string, string>> | undefined,
  b: Readonly<Record<string, string>> | undefined,
) => JSON.stringify(Object.entries(a ?? {}).sort()) === JSON.stringify(Object.entries(b ?? {}).sort());

/**
 * Records written before masking recorded its completion have neither `maskedAt` nor `sequence`. Such
 * an upload counts as complete when every raw object it produced has its pseudonymised object (the
 * earlier masking wrote exactly one per raw object, each put whole): the record is completed with those
 * keys. One that lacks any (a masking cut short) stays incomplete, and the next masking of it commits it.
 */
export async function adoptEarlierMaskings(
  ports: { readonly table: Table; readonly objects: ObjectStore; readonly clock?: () => Date },
  records: readonly UploadRecord[],
): Promise<boolean> {
  let adopted = false;
  for (const record of records) {
    if (!COUNTING.has(record.status) || record.maskedAt !== undefined || record.sequence !== undefined)
      continue;
    const expected = (record.outputs ?? []).map((raw) => {
      const period = periodOfKey(raw);
      return period === undefined
        ? undefined
        : pseudonymisedKey(record.tenantId, record.dataset, period, record.uploadId);
    });
    if (expected.length === 0 || expected.includes(undefined)) continue;
    const keys = expected.filter((key): key is string => key !== undefined);
    let whole = true;
    for (const key of keys) whole &&= (await ports.objects.head('curated', key)) !== undefined;
    if (!whole) continue;
    const at = (ports.clock ?? (() => new Date()))();
    try {
      await updateUploadRecord(ports.table, at, record, { maskedAt: at.toISOString(), maskedOutputs: keys });
      adopted = true;
    } catch (error) {
      if (!(error instanceof ConditionFailedError)) throw error;
    }
  }
  return adopted;
}

/**
 * Brings every record of a tenant in line with the plan: sets `supersededBy` on uploads that lost a
 * period, clears it on uploads that are in force again (the later one was withdrawn). Re-plans when a
 * record changed under it. Returns the plan the records now follow.
 */
export async function applySupersession(
  ports: { readonly table: Table; readonly objects: ObjectStore; readonly clock?: () => Date },
  tenantId: string,
): Promise<SupersessionPlan> {
  const clock = ports.clock ?? (() => new Date());
  for (let attempt = 1; ; attempt++) {
    let records = await readTenantUploadRecords(ports.table, tenantId);
    if (await adoptEarlierMaskings(ports, records))
      records = await readTenantUploadRecords(ports.table, tenantId);
    const plan = planSupersession(records);
    try {
      for (const record of records) {
        const wanted = plan.supersededBy.get(record.uploadId);
        if (sameSupersession(record.supersededBy, wanted)) continue;
        await updateUploadRecord(ports.table, clock(), record, { supersededBy: wanted });
      }
      return plan;
    } catch (error) {
      if (!(error instanceof ConditionFailedError) || attempt >= 5) throw error;
    }
  }
}
