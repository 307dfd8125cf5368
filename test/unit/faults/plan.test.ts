import { describe, expect, it } from 'vitest';
import { InjectedTimeoutError, SimulatedCrash } from '../../../functions/adapters/faults/errors.ts';
import { FaultPlan, fault } from '../../../functions/adapters/faults/plan.ts';
import {
  faultyObjectStore,
  faultyQueryRunner,
  faultyTable,
} from '../../../functions/adapters/faults/ports.ts';
import { MemoryObjectStore, MemoryTable } from '../../../functions/adapters/memory/index.ts';

const settle = (promise: Promise<unknown>) =>
  promise.then(
    () => 'ok' as const,
    (error: Error) => error.name,
  );

describe('fault plan', () => {
  it('fails only the nth matching call, as many times as asked', async () => {
    // Prepare
    const plan = new FaultPlan([
      {
        port: 'objects',
        method: 'put',
        when: (bucket) => bucket === 'raw',
        nth: 2,
        times: 2,
        fault: fault.throttle(),
      },
    ]);
    const objects = faultyObjectStore(new MemoryObjectStore(), plan);

    // Act
    const outcomes = [];
    for (const bucket of ['raw', 'curated', 'raw', 'raw', 'raw'])
      outcomes.push(await settle(objects.put(bucket, 'k', 'v')));

    // Assess
    expect(outcomes).toEqual(['ok', 'ok', 'SlowDown', 'SlowDown', 'ok']);
  });

  it('names DynamoDB throttling as DynamoDB does', async () => {
    // Prepare
    const plan = new FaultPlan([{ port: 'table', method: 'put', fault: fault.throttle() }]);
    const table = faultyTable(new MemoryTable(), plan);

    // Act
    const outcome = await settle(table.put('tenants', { tenantId: 't-1' }));

    // Assess
    expect(outcome).toBe('ProvisionedThroughputExceededException');
  });

  it('keeps the process dead after a crash: every later call fails too', async () => {
    // Prepare
    const plan = new FaultPlan([{ port: 'objects', method: 'put', fault: fault.crash() }]);
    const store = new MemoryObjectStore();
    const objects = faultyObjectStore(store, plan);

    // Act
    const first = await objects.put('raw', 'a', 'x').catch((e: unknown) => e);
    const later = await objects.put('raw', 'b', 'y').catch((e: unknown) => e);

    // Assess
    expect(first).toBeInstanceOf(SimulatedCrash);
    expect(later).toBeInstanceOf(SimulatedCrash);
    expect(await store.head('raw', 'a')).toBeUndefined();
    expect(await store.head('raw', 'b')).toBeUndefined();
  });

  it('fails a listing when it is first read', async () => {
    // Prepare
    const store = new MemoryObjectStore();
    await store.put('raw', 'p/a', 'x');
    const plan = new FaultPlan([{ port: 'objects', method: 'list', fault: fault.serverError() }]);
    const objects = faultyObjectStore(store, plan);

    // Act
    const read = async () => {
      for await (const _ of objects.list('raw', 'p/')) {
        /* drain */
      }
    };

    // Assess
    expect(await settle(read())).toBe('InternalError');
    expect(await settle(read())).toBe('ok');
  });

  it('holds a timed-out query until the caller gives up', async () => {
    // Prepare
    const giveUp = new AbortController();
    const plan = new FaultPlan([{ port: 'query', method: 'run', fault: fault.timeout(giveUp.signal) }]);
    const runner = faultyQueryRunner({ engine: 'athena', run: async () => [{ n: 1 }] }, plan);

    // Act
    const pending = runner.run('SELECT 1').catch((e: unknown) => e);
    let settled = false;
    void pending.then(() => {
      settled = true;
    });
    await new Promise((resolve) => setImmediate(resolve));
    const beforeAbort = settled;
    giveUp.abort();

    // Assess
    expect(beforeAbort).toBe(false);
    expect(await pending).toBeInstanceOf(InjectedTimeoutError);
    expect(runner.engine).toBe('athena');
  });
});
