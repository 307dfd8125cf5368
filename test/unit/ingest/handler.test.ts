import { describe, expect, it } from 'vitest';
import { defaultSettings } from '../../../functions/domain/settings.ts';
import { createIngestHandler } from '../../../functions/ingest/handler.ts';
import { memoryPorts, readRecord, sqsMessageFor, stageUpload } from './fixtures.ts';
import { MemoryTable } from './memory-ports.ts';

const csv = '社員番号,勤務日,実労働時間\r\n0001,2026-04-01,8\r\n';
const context = {
  functionName: 'kura-ingest',
  awsRequestId: 'req-1',
  invokedFunctionArn: 'arn:aws:lambda:ap-northeast-1:123456789012:function:kura-ingest',
} as never;

describe('ingest handler', () => {
  it('processes an S3 notification delivered through SQS and reports no failures', async () => {
    // Prepare
    const ports = memoryPorts();
    const staged = await stageUpload(ports, csv);
    const handler = createIngestHandler(async () => ({ ports, settings: defaultSettings }));

    // Act
    const response = await handler({ Records: [sqsMessageFor(staged.object)] }, context);

    // Assess
    expect(response).toEqual({ batchItemFailures: [] });
    expect((await readRecord(ports, staged.record))?.status).not.toBe('REQUESTED');
  });

  it('tolerates the S3 test event', async () => {
    // Prepare
    const ports = memoryPorts();
    const handler = createIngestHandler(async () => ({ ports, settings: defaultSettings }));
    const testEvent = {
      messageId: 'm-1',
      body: JSON.stringify({ Service: 'Amazon S3', Event: 's3:TestEvent' }),
    };

    // Act
    const response = await handler({ Records: [testEvent] }, context);

    // Assess
    expect(response).toEqual({ batchItemFailures: [] });
  });

  it('reports the message for redelivery when processing fails', async () => {
    // Prepare
    const ports = memoryPorts();
    const staged = await stageUpload(ports, csv);
    const table = new MemoryTable();
    table.get = async () => Promise.reject(new Error('table unavailable'));
    const failing = { ...ports, table };
    const handler = createIngestHandler(async () => ({ ports: failing, settings: defaultSettings }));

    // Act
    const response = await handler({ Records: [sqsMessageFor(staged.object, 'm-2')] }, context);

    // Assess
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'm-2' }] });
  });
});
