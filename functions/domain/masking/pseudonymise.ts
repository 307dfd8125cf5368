/**
 * The pseudonymised zone (仮名加工情報): one tenant's data with direct identifiers, identification
 * codes and financial-harm values removed and linking codes replaced by HMAC tokens under the
 * tenant's own key. Derived facts are built here too, joined by token inside that one tenant.
 */

import { type DatasetDef, getDataset, isDatasetName } from '../catalog/index.ts';
import { ConditionFailedError } from '../ports/index.ts';
import type { UploadRecord } from '../uploads/model.ts';
import { maskingComplete, storedUploadSchema, updateUploadRecord } from '../uploads/supersession.ts';
import { pseudonymisedKey, pseudonymisedPrefix, rawPrefix } from '../zones.ts';
import { compileDuckdbPseudonymise, quoteLiteral } from './compile.ts';
import { fitThreads, plainQuery, withDuckDb } from './duckdb-engine.ts';
import {
  ForeignObjectError,
  UploadNotFoundError,
  UploadNotMaskableError,
  UploadWithdrawnError,
  WithdrawnObjectsLeftError,
} from './errors.ts';
import { buildTenantFacts, type TenantFactsResult } from './facts.ts';
import { download, hivePart, outputPath, upload, withWorkDir } from './local-files.ts';
import type { MaskingPorts } from './ports.ts';

export interface PseudonymiseRequest {
  readonly tenantId: string;
  readonly uploadId: string;
  /**
   * Curated keys ingestion already wrote pseudonymised in its own pass, from the same accepted rows under
   * the same key (compileDuckdbPseudonymiseInPass). When they are every object this upload's raw outputs
   * map to, they are committed as they are and nothing is read back; otherwise each is written here.
   */
  readonly maskedInPass?: readonly string[];
}

export interface PseudonymiseResult {
  readonly tenantId: string;
  readonly uploadId: string;
  readonly dataset: string;
  /** Keys written in the curated bucket. */
  readonly outputs: readonly string[];
  /** Rows written. */
  readonly rows: number;
  readonly facts: TenantFactsResult;
}

const MASKABLE = new Set(['ACCEPTED', 'PARTIALLY_ACCEPTED']);

/**
 * Pseudonymises an accepted upload: each raw Parquet object it produced becomes one pseudonymised
 * object (same dataset and period); then the record commits them (`maskedAt`, `maskedOutputs`), and
 * only then do they count: the tenant's facts are rebuilt from the uploads in force. A run cut short
 * before the commit leaves objects nothing reads (and the next run writes them again); running it again
 * after the commit (a redelivery, a re-mask on demand) writes the same objects (the tokens are
 * deterministic) and commits them again. If the upload was withdrawn meanwhile, its objects are deleted.
 */
export async function pseudonymise(
  ports: MaskingPorts,
  request: PseudonymiseRequest,
): Promise<PseudonymiseResult> {
  const { tenantId, uploadId } = request;
  const clock = ports.clock ?? (() => new Date());
  const item = await ports.table.get('uploads', { tenantId, uploadId });
  if (!item) throw new UploadNotFoundError(tenantId, uploadId);
  const record = storedUploadSchema.parse(item);
  if (record.status === 'WITHDRAWN') {
    // Withdrawn after ingestion recorded the outcome, perhaps before it put the objects it pseudonymised
    // in its pass (the withdrawal then found none of them): they are this upload's, and go now.
    return withdrawnMeanwhile(ports, record, request.maskedInPass ?? [], 'it was withdrawn');
  }
  if (!MASKABLE.has(record.status))
    throw new UploadNotMaskableError(uploadId, `its status is ${record.status}`);
  const rawKeys = record.outputs ?? [];
  if (rawKeys.length === 0) throw new UploadNotMaskableError(uploadId, 'it lists no raw outputs');
  for (const key of rawKeys) {
    if (!key.startsWith(rawPrefix(tenantId)) || hivePart(key, 'dataset') !== record.dataset) {
      throw new ForeignObjectError(uploadId, key);
    }
  }

  const datasetName = record.dataset;
  if (!isDatasetName(datasetName)) {
    throw new UploadNotMaskableError(uploadId, `unknown dataset ${datasetName}`);
  }
  const dataset = getDataset(datasetName);

  const targets = rawKeys.map((rawKey) => {
    const period = hivePart(rawKey, 'period');
    if (!period) throw new ForeignObjectError(uploadId, rawKey);
    return pseudonymisedKey(tenantId, dataset.name, period, uploadId);
  });
  const inPass = new Set(request.maskedInPass ?? []);
  const written = targets.every((t) => inPass.has(t))
    ? { outputs: targets, rows: record.rows?.accepted ?? 0 }
    : await maskRawObjects(ports, record, dataset, rawKeys).catch(async (error: unknown) => {
        // A withdrawal meanwhile deletes the raw objects being read, and may have listed the
        // pseudonymised ones before those already masked here were put: those go now.
        const now = await latestRecord(ports, record);
        if (!now || now.status === 'WITHDRAWN')
          return withdrawnMeanwhile(ports, record, [], 'it was withdrawn while it was being masked');
        throw error;
      });

  await commitMasking(ports, clock, record, written.outputs);
  const facts = await buildTenantFacts(ports, tenantId);
  return { tenantId, uploadId, dataset: dataset.name, ...written, facts };
}

/**
 * Masking as ingestion runs it for an upload it has just accepted. An upload withdrawn meanwhile is
 * finished with (what ingestion put is deleted, the withdrawal owns the rest), so the delivery is not
 * retried for it: undefined then.
 */
export async function pseudonymiseAccepted(
  ports: MaskingPorts,
  request: PseudonymiseRequest,
): Promise<PseudonymiseResult | undefined> {
  try {
    return await pseudonymise(ports, request);
  } catch (error) {
    if (error instanceof UploadWithdrawnError) return undefined;
    throw error;
  }
}

/** Reads each raw object back and writes it pseudonymised (the path of a re-mask, or of ingestion without maskInPass). */
async function maskRawObjects(
  ports: MaskingPorts,
  record: UploadRecord,
  dataset: DatasetDef,
  rawKeys: readonly string[],
): Promise<{ outputs: string[]; rows: number }> {
  const { tenantId, uploadId } = record;
  // Uploads are at most limits.maxFileBytes (refused up front above it), which DuckDB masks inside one
  // Lambda invocation (docs/LIMITS.md: sizing of the ingest and mask functions).
  const key = await ports.keys.get(tenantId);
  return withWorkDir((dir) =>
    withDuckDb(async (db) => {
      const outputs: string[] = [];
      let rows = 0;
      for (const rawKey of rawKeys) {
        const period = hivePart(rawKey, 'period');
        if (!period) throw new ForeignObjectError(uploadId, rawKey);
        const input = await download(ports.objects, 'raw', rawKey, dir);
        const described = await db.run(
          plainQuery(`DESCRIBE SELECT * FROM read_parquet(${quoteLiteral(input)})`, 'describe raw input'),
        );
        const sourceColumns = new Set(described.map((r) => String(r.column_name)));
        const [size] = await db.run(
          plainQuery(`SELECT count(*) AS n FROM read_parquet(${quoteLiteral(input)})`, 'count raw input'),
        );
        await fitThreads(db, Number(size?.n ?? 0));
        const targetKey = pseudonymisedKey(tenantId, dataset.name, period, uploadId);
        const output = await outputPath(dir, targetKey);
        const copied = await db.run(
          compileDuckdbPseudonymise({ dataset, key, inputs: [input], output, sourceColumns }),
        );
        rows += Number(copied[0]?.Count ?? 0);
        await upload(ports.objects, 'curated', targetKey, output);
        outputs.push(targetKey);
      }
      return { outputs, rows };
    }),
  );
}

/**
 * The commit point: the record names the objects masking wrote. If the record changed since it was
 * read, a concurrent run may have committed (fine) or the upload been withdrawn (the objects just
 * written are deleted again, every version, and nothing is committed).
 */
async function commitMasking(
  ports: MaskingPorts,
  clock: () => Date,
  record: UploadRecord,
  outputs: readonly string[],
): Promise<void> {
  try {
    await updateUploadRecord(ports.table, clock(), record, {
      maskedAt: clock().toISOString(),
      maskedOutputs: [...outputs],
    });
  } catch (error) {
    if (!(error instanceof ConditionFailedError)) throw error;
    const now = await latestRecord(ports, record);
    if (now && maskingComplete(now)) return;
    if (!now || now.status === 'WITHDRAWN')
      return withdrawnMeanwhile(ports, record, outputs, 'it was withdrawn while it was being masked');
    throw error;
  }
}

/**
 * What a withdrawn upload may still have in the pseudonymised zone after the withdrawal looked (objects
 * a masking or ingestion's pass put later), deleted: ingestion calls it when a notification of the
 * upload comes again. Nothing for an upload that is not withdrawn.
 */
export async function cleanUpWithdrawn(
  ports: MaskingPorts,
  tenantId: string,
  uploadId: string,
): Promise<void> {
  const item = await ports.table.get('uploads', { tenantId, uploadId });
  const record = item ? storedUploadSchema.parse(item) : undefined;
  if (record?.status === 'WITHDRAWN')
    await deleteEveryVersion(ports, uploadId, ownPseudonymisedKeys(record, []));
}

async function latestRecord(ports: MaskingPorts, record: UploadRecord): Promise<UploadRecord | undefined> {
  const item = await ports.table.get('uploads', { tenantId: record.tenantId, uploadId: record.uploadId });
  return item ? storedUploadSchema.parse(item) : undefined;
}

/**
 * This upload's pseudonymised keys: one per period of its raw outputs, and those of `written` (what
 * ingestion's pass or this masking put) that are its own; never another upload's.
 */
function ownPseudonymisedKeys(record: UploadRecord, written: readonly string[]): string[] {
  const { tenantId, uploadId, dataset } = record;
  const own = (key: string) =>
    key.startsWith(pseudonymisedPrefix(tenantId)) && key.endsWith(`/${uploadId}.parquet`);
  const byPeriod = (record.outputs ?? []).flatMap((rawKey) => {
    const period = hivePart(rawKey, 'period');
    return period && isDatasetName(dataset) ? [pseudonymisedKey(tenantId, dataset, period, uploadId)] : [];
  });
  return [...new Set([...byPeriod, ...written])].filter(own);
}

/**
 * The upload was withdrawn before or while it was masked: every version of its pseudonymised objects
 * that masking or ingestion's pass may have put after the withdrawal looked is deleted, then
 * UploadWithdrawnError (WithdrawnObjectsLeftError if some could not be).
 */
async function withdrawnMeanwhile(
  ports: MaskingPorts,
  record: UploadRecord,
  written: readonly string[],
  reason: string,
): Promise<never> {
  await deleteEveryVersion(ports, record.uploadId, ownPseudonymisedKeys(record, written));
  throw new UploadWithdrawnError(record.uploadId, reason);
}

/**
 * Deletes every version of curated `keys`, here and in the DR copy (S3 replicates versions, never their
 * deletion), and checks none is left: WithdrawnObjectsLeftError otherwise.
 */
async function deleteEveryVersion(
  ports: MaskingPorts,
  uploadId: string,
  keys: readonly string[],
): Promise<void> {
  const stores = [ports.objects, ...(ports.replica ? [ports.replica.objects] : [])];
  const versionsOf = async (store: MaskingPorts['objects'], key: string) => {
    const versions = [];
    for await (const version of store.listVersions('curated', key)) {
      if (version.key === key) versions.push({ key, versionId: version.versionId });
    }
    return versions;
  };
  let left = 0;
  for (const store of stores) {
    for (const key of keys) {
      const versions = await versionsOf(store, key);
      if (versions.length > 0) await store.deleteMany('curated', versions);
      left += (await versionsOf(store, key)).length;
    }
  }
  if (left > 0) throw new WithdrawnObjectsLeftError(uploadId, left);
}

export type { MaskingPorts } from './ports.ts';
