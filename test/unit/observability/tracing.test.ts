import { describe, expect, it } from 'vitest';
import { withObservability } from '../../../functions/observability/observability.ts';
import { stdoutOf } from './output.ts';

const context = {
  functionName: 'kura-api',
  awsRequestId: 'req-1',
  invokedFunctionArn: 'arn:aws:lambda:ap-northeast-1:123456789012:function:kura-api',
} as never;

describe('the handler segment loaded on first invocation', () => {
  it('answers every invocation with the handler’s own result, the first included', async () => {
    // Prepare
    let calls = 0;
    const handler = withObservability('kura-api', async (event: { n: number }) => {
      calls += 1;
      return { doubled: event.n * 2 };
    });

    // Act
    const results: unknown[] = [];
    await stdoutOf(async () => {
      results.push(await handler({ n: 2 }, context));
      results.push(await handler({ n: 5 }, context));
    });

    // Assess
    expect(results).toEqual([{ doubled: 4 }, { doubled: 10 }]);
    expect(calls).toBe(2);
  });

  it('rejects with the handler’s own error, on the first invocation and after', async () => {
    // Prepare
    class Refused extends Error {}
    const handler = withObservability('kura-purge', async (): Promise<never> => {
      throw new Refused('refused');
    });

    // Act
    const outcomes: unknown[] = [];
    await stdoutOf(async () => {
      for (let i = 0; i < 2; i += 1) outcomes.push(await handler({}, context).catch((error) => error));
    });

    // Assess
    expect(outcomes).toHaveLength(2);
    for (const outcome of outcomes) expect(outcome).toBeInstanceOf(Refused);
  });
});
