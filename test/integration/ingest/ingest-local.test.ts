import iconv from 'iconv-lite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Runtime } from '../../../functions/adapters/runtime.ts';
import { defaultSettings } from '../../../functions/domain/settings.ts';
import { type UploadRecord, uploadRecordSchema } from '../../../functions/domain/uploads/model.ts';
import { landingKey, rawKey, reportKey } from '../../../functions/domain/zones.ts';
import { createIngestHandler } from '../../../functions/ingest/handler.ts';
import { runningTenant, sha256Base64, sqsMessageFor } from '../../unit/ingest/fixtures.ts';
import { readParquet } from '../../unit/ingest/parquet.ts';
import { type LocalStorage, startLocalStorage } from '../local-storage.ts';

let storage: LocalStorage;
let ports: Runtime;

beforeAll(async () => {
  storage = await startLocalStorage('ingest-int');
  ports = storage.runtime;
});

afterAll(async () => {
  await storage?.stop();
});

const context = {
  functionName: 'kura-ingest',
  awsRequestId: 'req-int',
  invokedFunctionArn: 'arn:aws:lambda:ap-northeast-1:000000000000:function:kura-ingest',
} as never;

/** Requests an upload (REQUESTED record in dynalite) and lands the file in s3rver. */
async function land(body: Uint8Array, uploadId: string): Promise<{ key: string; record: UploadRecord }> {
  const key = landingKey('t-int', 'attendance', uploadId, 'kintai.csv');
  const now = new Date().toISOString();
  const record: UploadRecord = {
    tenantId: 't-int',
    uploadId,
    dataset: 'attendance',
    fileName: 'kintai.csv',
    key,
    contentType: 'text/csv',
    sizeBytes: body.length,
    sha256: sha256Base64(body),
    status: 'REQUESTED',
    requestedBy: 'user-int',
    requestedAt: now,
    expiresAt: now,
    updatedAt: now,
  };
  await ports.table.put('tenants', runningTenant('t-int'));
  await ports.table.put('uploads', record);
  await ports.objects.put('landing', key, body, { contentType: 'text/csv' });
  return { key, record };
}

const recordOf = async (uploadId: string) =>
  uploadRecordSchema.parse(await ports.table.get('uploads', { tenantId: 't-int', uploadId }));

describe('ingest on s3rver and dynalite', () => {
  it('ends a Shift_JIS attendance file with a few bad rows PARTIALLY_ACCEPTED, once, however often it is delivered', async () => {
    // Prepare: 45 rows, one impossible era date, one unreadable number (under the 5% allowed)
    const rows = Array.from(
      { length: 43 },
      (_, i) => `${String(i + 1).padStart(5, '0')},R5.4.${(i % 28) + 1},8,７.５,0`,
    );
    const text = `社員番号,勤務日,所定労働時間,実労働時間,残業時間\r\n${rows.join('\r\n')}\r\n00099,平成31年5月1日,8,8,0\r\n00100,2023/4/2,8,八,0\r\n`;
    const body = new Uint8Array(iconv.encode(text, 'cp932'));
    const { key } = await land(body, 'u-int-1');
    const handler = createIngestHandler(async () => ({
      ports: { objects: ports.objects, table: ports.table, now: ports.clock },
      settings: defaultSettings,
    }));
    const message = sqsMessageFor({
      bucket: 'kura-local-landing',
      key,
      size: body.length,
      sequencer: '0A1B',
    });

    // Act
    const first = await handler({ Records: [message] }, context);
    const afterFirst = await recordOf('u-int-1');
    const again = await handler({ Records: [message, { ...message, messageId: 'm-again' }] }, context);

    // Assess
    expect(first).toEqual({ batchItemFailures: [] });
    expect(again).toEqual({ batchItemFailures: [] });
    expect(afterFirst.status).toBe('PARTIALLY_ACCEPTED');
    expect(afterFirst.rows).toEqual({ total: 45, accepted: 43, rejected: 2 });
    expect(afterFirst.errors?.map((e) => [e.line, e.column, e.code])).toEqual([
      [45, '勤務日', 'ERA_MISMATCH'],
      [46, '実労働時間', 'INVALID_NUMBER'],
    ]);
    expect(await recordOf('u-int-1')).toEqual(afterFirst);
    const parquet = await readParquet(
      await ports.objects.get('raw', rawKey('t-int', 'attendance', '2023-04', 'u-int-1')),
    );
    expect(parquet).toHaveLength(43);
    expect(parquet.every((row) => row.actual_hours === 7.5)).toBe(true);
    expect(await ports.objects.head('landing', key)).toBeUndefined();
    expect(await ports.objects.head('raw', reportKey('t-int', 'u-int-1'))).toBeDefined();
  });
});
