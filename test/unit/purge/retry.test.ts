import { describe, expect, it } from 'vitest';
import { isRetryable, withBackoff } from '../../../functions/domain/purge/index.ts';

const named = (name: string) => Object.assign(new Error(name), { name });

describe('isRetryable', () => {
  it('recognises throttling by name and by the SDK $retryable mark', () => {
    // Prepare
    const errors = [
      named('SlowDown'),
      named('ThrottlingException'),
      named('TooManyRequestsException'),
      Object.assign(new Error('socket hang up'), { $retryable: { throttling: false } }),
    ];

    // Act
    const verdicts = errors.map(isRetryable);

    // Assess
    expect(verdicts).toEqual([true, true, true, true]);
  });

  it('does not retry access errors or non-errors', () => {
    // Prepare
    const errors: unknown[] = [named('AccessDenied'), 'SlowDown', null];

    // Act
    const verdicts = errors.map(isRetryable);

    // Assess
    expect(verdicts).toEqual([false, false, false]);
  });
});

describe('withBackoff', () => {
  it('retries throttling with exponentially growing, capped, jittered waits until it succeeds', async () => {
    // Prepare
    const waits: number[] = [];
    let calls = 0;
    const operation = async () => {
      calls++;
      if (calls < 5) throw named('SlowDown');
      return 'deleted';
    };

    // Act
    const result = await withBackoff(operation, {
      baseMilliseconds: 100,
      capMilliseconds: 500,
      sleep: async (milliseconds) => {
        waits.push(milliseconds);
      },
      random: () => 0.5,
    });

    // Assess
    expect(result).toBe('deleted');
    expect(waits).toEqual([50, 100, 200, 250]);
  });

  it('gives up after the last attempt with the service error', async () => {
    // Prepare
    let calls = 0;
    const operation = async () => {
      calls++;
      throw named('SlowDown');
    };

    // Act
    const attempt = withBackoff(operation, { maxAttempts: 3, sleep: async () => {}, random: () => 0 });

    // Assess
    await expect(attempt).rejects.toThrow('SlowDown');
    expect(calls).toBe(3);
  });

  it('throws other errors at once', async () => {
    // Prepare
    let calls = 0;
    const operation = async () => {
      calls++;
      throw named('AccessDenied');
    };

    // Act
    const attempt = withBackoff(operation, { sleep: async () => {}, random: () => 0 });

    // Assess
    await expect(attempt).rejects.toThrow('AccessDenied');
    expect(calls).toBe(1);
  });
});
