/**
 * A purge's checkpoint (where it stands, what it counted) and the counting of a batch: saved before each
 * batch is deleted, so an interrupted purge resumes without deleting or counting anything twice.
 */
import { createHash } from 'node:crypto';
import type { ObjectRef, ObjectVersion } from '../ports/index.ts';
import * as z from '../zod.ts';
import { bucketCountsSchema, deletionCertificateSchema } from './certificate.ts';
import { countsKey, DELETE_BATCH_LIMIT, type PurgeLocation, storeOf, toRef } from './locations.ts';
import type { PurgePorts } from './ports.ts';

/** Zero counts of one bucket. */
export const countsDelta = () => ({ objects: 0, versions: 0, deleteMarkers: 0 });

/**
 * Where a purge stands, saved in the tenant record before each batch is deleted so an interrupted purge
 * resumes where it stopped and never counts a batch twice.
 */
export const checkpointSchema = z.object({
  // Checkpoints of earlier versions may say `release` (the release used to come before the certificate).
  phase: z.pipe(
    z.transform((phase: unknown) => (phase === 'release' ? 'certify' : phase)),
    z.enum(['users', 'objects', 'tables', 'key', 'verify', 'certify']),
  ),
  prefixIndex: z.int().check(z.nonnegative()),
  tableIndex: z.int().check(z.nonnegative()),
  buckets: z.record(z.string(), bucketCountsSchema),
  tables: z.record(z.string(), z.object({ rows: z.int().check(z.nonnegative()) })),
  keys: z.int().check(z.nonnegative()),
  /**
   * Hashes (never the names) of the refs and keys of the last batch. Counts are written before a batch
   * is deleted, so a run interrupted mid-batch must not count again what it meets again on resume.
   */
  lastBatch: z.object({ refs: z.array(z.string()), keys: z.array(z.string()) }),
  batches: z.int().check(z.nonnegative()),
  verificationRounds: z.int().check(z.nonnegative()),
  verification: z.optional(
    z.object({
      checkedAt: z.string(),
      prefixesListed: z.int(),
      tablesQueried: z.array(z.string()),
      /** The company's user accounts found disabled (none could still sign in). */
      usersDisabled: z.optional(z.int().check(z.nonnegative())),
    }),
  ),
  certificate: z.optional(deletionCertificateSchema),
  /**
   * The certificate whose `purge.certified` ledger entry a run set out to append. Saved before the
   * append, so a run that resumes after a crash looks in the ledger first instead of appending again.
   */
  ledgerAppendFor: z.optional(z.string()),
});
export type PurgeCheckpoint = z.infer<typeof checkpointSchema>;
export type PurgePhase = PurgeCheckpoint['phase'];

/** The checkpoint of a purge that has not deleted anything yet. */
export const initialCheckpoint = (): PurgeCheckpoint => ({
  phase: 'users',
  prefixIndex: 0,
  tableIndex: 0,
  buckets: {},
  tables: {},
  keys: 0,
  lastBatch: { refs: [], keys: [] },
  batches: 0,
  verificationRounds: 0,
});

/** Short hash of a ref or key for the checkpoint: names of objects may be personal, their hashes are not. */
export const digest = (...parts: string[]) =>
  createHash('sha256').update(parts.join('\u0000')).digest('base64url').slice(0, 22);

const versionLabel = (version: ObjectVersion) => version.versionId || 'null';

/** The next refs under a prefix, from a fresh listing; counts only what no earlier batch counted. */
export async function nextObjectBatch(
  ports: PurgePorts,
  location: PurgeLocation,
  lastBatch: PurgeCheckpoint['lastBatch'],
  requestedBatchSize: number | undefined,
) {
  const { prefix } = location;
  const bucket = countsKey(location);
  const batchSize = Math.min(requestedBatchSize ?? DELETE_BATCH_LIMIT, DELETE_BATCH_LIMIT);
  const countedRefs = new Set(lastBatch.refs);
  const countedKeys = new Set(lastBatch.keys);
  const refs: ObjectRef[] = [];
  const refHashes: string[] = [];
  const keyHashes = new Set<string>();
  const counts = countsDelta();
  for await (const version of storeOf(ports, location).listVersions(location.bucket, prefix)) {
    const refHash = digest(bucket, version.key, versionLabel(version));
    const keyHash = digest(bucket, version.key);
    if (!countedRefs.has(refHash)) {
      if (version.isDeleteMarker) counts.deleteMarkers++;
      else counts.versions++;
    }
    if (!countedKeys.has(keyHash) && !keyHashes.has(keyHash)) counts.objects++;
    keyHashes.add(keyHash);
    refHashes.push(refHash);
    refs.push(toRef(version));
    if (refs.length >= batchSize) break;
  }
  return { refs, counts, hashes: { refs: refHashes, keys: [...keyHashes] } };
}
