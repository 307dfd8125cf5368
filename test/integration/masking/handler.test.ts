import type { Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { pseudonymisedKey } from '../../../functions/domain/zones.ts';
import { createMaskHandler } from '../../../functions/mask/handler.ts';
import { seedTenant, seedUpload, testPorts } from './fixtures.ts';

const context: Context = {
  callbackWaitsForEmptyEventLoop: false,
  functionName: 'kura-mask',
  functionVersion: '1',
  invokedFunctionArn: 'arn:aws:lambda:ap-northeast-1:000000000000:function:kura-mask',
  memoryLimitInMB: '1024',
  awsRequestId: 'req-1',
  logGroupName: 'g',
  logStreamName: 's',
  getRemainingTimeInMillis: () => 60_000,
  done: () => undefined,
  fail: () => undefined,
  succeed: () => undefined,
};

describe('mask handler', () => {
  it('pseudonymises an upload named by the event', async () => {
    // Prepare
    const ports = testPorts();
    await seedTenant(ports, 'tenant-h', { industry: 'G', prefecture: '27', sizeBand: '5-19' });
    await seedUpload(ports, 'tenant-h', 'up-1', 'sales', {
      '2024-04': [{ period_month: '2024-04', sales_amount: 1_000_000 }],
    });
    const handler = createMaskHandler(() => ports);

    // Act
    const result = await handler({ tenantId: 'tenant-h', uploadId: 'up-1' }, context);

    // Assess
    expect(result.outputs).toEqual([pseudonymisedKey('tenant-h', 'sales', '2024-04', 'up-1')]);
    expect(
      await ports.objects.head('curated', pseudonymisedKey('tenant-h', 'sales', '2024-04', 'up-1')),
    ).toBeDefined();
  });

  it('rejects an event without an upload id', async () => {
    // Prepare
    const handler = createMaskHandler(() => testPorts());

    // Act
    const outcome = handler({ tenantId: 'tenant-h' }, context);

    // Assess
    await expect(outcome).rejects.toThrow(/uploadId/);
  });
});
