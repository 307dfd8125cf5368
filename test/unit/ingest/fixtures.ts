import { createHash } from 'node:crypto';
import { openZipWorkbook } from '../../../functions/adapters/xlsx-archive.ts';
import type { DatasetName } from '../../../functions/domain/catalog/schema.ts';
import type { LandedObject } from '../../../functions/domain/ingest/notification.ts';
import type { IngestPorts } from '../../../functions/domain/ingest/ports.ts';
import type { UploadRecord } from '../../../functions/domain/uploads/model.ts';
import { landingKey } from '../../../functions/domain/zones.ts';
import { MemoryObjectStore, MemoryTable } from './memory-ports.ts';

export interface TestPorts extends IngestPorts {
  readonly objects: MemoryObjectStore;
  readonly table: MemoryTable;
}

export function memoryPorts(options: { checksums?: boolean } = {}): TestPorts {
  let tick = Date.parse('2026-04-01T00:00:00.000Z');
  return {
    objects: new MemoryObjectStore(options.checksums ?? false),
    table: new MemoryTable(),
    openWorkbook: openZipWorkbook,
    now: () => {
      tick += 1000;
      return new Date(tick);
    },
  };
}

/** A tenants-table item of a company whose contract runs (no end date). */
export const runningTenant = (tenantId: string, changes: Record<string, unknown> = {}) => ({
  tenantId,
  name: `Company ${tenantId}`,
  profile: { industry: 'E', prefecture: '13', sizeBand: '20-49' },
  contract: { start: '2025-04-01' },
  state: 'ACTIVE',
  legalHold: false,
  createdAt: '2025-04-01T00:00:00.000Z',
  updatedAt: '2025-04-01T00:00:00.000Z',
  ...changes,
});

export const sha256Base64 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('base64');

export interface StagedUpload {
  readonly record: UploadRecord;
  readonly object: LandedObject;
}

/**
 * Requests an upload (writes its REQUESTED record) and lands the file, as the API and S3 would.
 * `record` overrides what the record declares, to stage mismatches.
 */
export async function stageUpload(
  ports: TestPorts,
  body: Uint8Array | string,
  options: {
    dataset?: DatasetName;
    tenantId?: string;
    uploadId?: string;
    fileName?: string;
    contentType?: string;
    record?: Partial<UploadRecord>;
    writeRecord?: boolean;
  } = {},
): Promise<StagedUpload> {
  const bytes = typeof body === 'string' ? new TextEncoder().encode(body) : body;
  const tenantId = options.tenantId ?? 't-0001';
  const uploadId = options.uploadId ?? crypto.randomUUID();
  const dataset = options.dataset ?? 'attendance';
  const fileName = options.fileName ?? 'kintai.csv';
  const contentType = options.contentType ?? 'text/csv';
  const key = landingKey(tenantId, dataset, uploadId, fileName);
  const record: UploadRecord = {
    tenantId,
    uploadId,
    dataset,
    fileName,
    key,
    contentType,
    sizeBytes: bytes.length,
    sha256: sha256Base64(bytes),
    status: 'REQUESTED',
    requestedBy: 'user-1',
    requestedAt: '2026-04-01T00:00:00.000Z',
    expiresAt: '2026-04-01T00:05:00.000Z',
    updatedAt: '2026-04-01T00:00:00.000Z',
    ...options.record,
  };
  // The API gives tickets only to a company whose contract runs: register it, unless the test did.
  if (!(await ports.table.get('tenants', { tenantId })))
    await ports.table.put('tenants', runningTenant(tenantId));
  if (options.writeRecord !== false) await ports.table.put('uploads', record);
  await ports.objects.put('landing', key, bytes, { contentType });
  return {
    record,
    object: { bucket: 'kura-dev-landing', key, size: bytes.length, sequencer: '0055AED6DCD90281E5' },
  };
}

/** An SQS message whose body is the S3 notification for `object`, as S3 → SQS delivers it. */
export function sqsMessageFor(object: LandedObject, messageId: string = crypto.randomUUID()) {
  return {
    messageId,
    receiptHandle: 'rh',
    body: JSON.stringify({
      Records: [
        {
          eventVersion: '2.1',
          eventSource: 'aws:s3',
          awsRegion: 'ap-northeast-1',
          eventTime: '2026-04-01T00:00:00.000Z',
          eventName: 'ObjectCreated:Post',
          s3: {
            s3SchemaVersion: '1.0',
            bucket: { name: object.bucket, arn: `arn:aws:s3:::${object.bucket}` },
            object: {
              key: encodeURIComponent(object.key).replace(/%2F/g, '/').replace(/%20/g, '+'),
              size: object.size,
              sequencer: object.sequencer,
            },
          },
        },
      ],
    }),
    attributes: {},
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:ap-northeast-1:123456789012:kura-ingest',
    awsRegion: 'ap-northeast-1',
  };
}

export async function readRecord(ports: TestPorts, record: UploadRecord) {
  return (await ports.table.get('uploads', { tenantId: record.tenantId, uploadId: record.uploadId })) as
    | UploadRecord
    | undefined;
}
