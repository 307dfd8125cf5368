import type { Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { hmacBlocksHex, keyHex, tokenOf } from '../../../functions/domain/masking/hmac.ts';
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
    expect('outputs' in result && result.outputs).toEqual([
      pseudonymisedKey('tenant-h', 'sales', '2024-04', 'up-1'),
    ]);
    expect(
      await ports.objects.head('curated', pseudonymisedKey('tenant-h', 'sales', '2024-04', 'up-1')),
    ).toBeDefined();
  });

  it('logs ids and counts only: no key material and no personal value', async () => {
    // Prepare
    const ports = testPorts();
    await seedTenant(ports, 'tenant-l', { industry: 'G', prefecture: '27', sizeBand: '5-19' });
    await seedUpload(ports, 'tenant-l', 'up-2', 'employees', {
      '2024-04': [
        {
          employee_id: 'E-LOG-1',
          name: '秘密 花子',
          phone: '090-9999-8888',
          birth_date: '1990-01-01',
          gender: 'female',
          hire_date: '2020-04-01',
          employment_type: 'regular',
        },
      ],
    });
    const key = await ports.keys.get('tenant-l');
    const { ipadHex, opadHex } = hmacBlocksHex(key);
    const written: string[] = [];
    const original = { out: process.stdout.write, err: process.stderr.write };
    const capture = (chunk: unknown) => {
      written.push(String(chunk));
      return true;
    };
    process.stdout.write = capture as typeof process.stdout.write;
    process.stderr.write = capture as typeof process.stderr.write;

    // Act
    try {
      await createMaskHandler(() => ports)({ tenantId: 'tenant-l', uploadId: 'up-2' }, context);
    } finally {
      process.stdout.write = original.out;
      process.stderr.write = original.err;
    }

    // Assess
    const logs = written.join('');
    expect(logs).toContain('pseudonymised upload');
    for (const secret of [
      keyHex(key),
      ipadHex,
      opadHex,
      tokenOf(key, 'E-LOG-1'),
      'E-LOG-1',
      '秘密',
      '090-9999-8888',
    ]) {
      expect(logs).not.toContain(secret);
    }
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
