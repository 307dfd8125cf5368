/**
 * The upload record's steps during ingestion, and the landing bucket it reads: reading and moving the
 * record conditionally, writing the outcome once, and listing a landed object's versions.
 */
import { ConditionFailedError, type ObjectRef } from '../ports/index.ts';
import type { UploadRecord, UploadStatus } from '../uploads/model.ts';
import { storedUploadSchema, updateUploadRecord } from '../uploads/supersession.ts';
import { IngestBusyError } from './errors.ts';
import type { LandedObject } from './notification.ts';
import type { IngestPorts } from './ports.ts';

export const LANDING = 'landing';
export const RAW = 'raw';
export const CURATED = 'curated';
const UPLOADS = 'uploads';
export const TERMINAL: readonly UploadStatus[] = ['ACCEPTED', 'PARTIALLY_ACCEPTED', 'REJECTED', 'CHECKED'];

/** Reads and validates the upload record; undefined when there is none. */
export async function readRecord(ports: IngestPorts, tenantId: string, uploadId: string) {
  const item = await ports.table.get(UPLOADS, { tenantId, uploadId });
  return item ? storedUploadSchema.parse(item) : undefined;
}

/**
 * Writes the next version of an upload record, only if nobody changed it since `previous` was read
 * (status and updatedAt act as the version). Returns the record written.
 */
export function transitionRecord(
  ports: IngestPorts,
  previous: UploadRecord,
  patch: Partial<UploadRecord>,
): Promise<UploadRecord> {
  return updateUploadRecord(ports.table, (ports.now ?? (() => new Date()))(), previous, patch);
}

export const now = (ports: IngestPorts) => (ports.now ?? (() => new Date()))();

/** Every version of exactly this key (not of keys it is a prefix of). */
export async function versionsOf(ports: IngestPorts, key: string): Promise<ObjectRef[]> {
  const refs: ObjectRef[] = [];
  for await (const version of ports.objects.listVersions(LANDING, key)) {
    if (version.key !== key) continue;
    refs.push(
      version.versionId && version.versionId !== 'null' ? { key, versionId: version.versionId } : { key },
    );
  }
  return refs;
}

/** Writes the outcome; if another delivery finished first with this object, keeps its result. */
export async function finish(
  ports: IngestPorts,
  current: UploadRecord,
  patch: Partial<UploadRecord>,
): Promise<UploadRecord> {
  try {
    return await transitionRecord(ports, current, patch);
  } catch (error) {
    if (!(error instanceof ConditionFailedError)) throw error;
    const latest = await readRecord(ports, current.tenantId, current.uploadId);
    if (latest && TERMINAL.includes(latest.status) && latest.processedObject === patch.processedObject)
      return latest;
    throw new IngestBusyError(`Upload ${current.uploadId} changed while it was being ingested; retry later`);
  }
}

/** Identity of one S3 object version, for idempotency: bucket + key + version id (or sequencer). */
export function objectIdentity(object: LandedObject): string {
  const version = object.versionId
    ? `v:${object.versionId}`
    : object.sequencer
      ? `s:${object.sequencer}`
      : '-';
  return `s3://${object.bucket}/${object.key}#${version}`;
}
