import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createDispatcher } from '../../../local/dispatch.ts';
import {
  DurableQueue,
  type QueueMessage,
  readDeadLetters,
  redriveDeadLetters,
} from '../../../local/durable-queue.ts';

const folders: string[] = [];
const folder = async () => {
  const dir = await mkdtemp(join(tmpdir(), 'kura-queue-'));
  folders.push(dir);
  return dir;
};
afterAll(async () => {
  for (const dir of folders) await rm(dir, { recursive: true, force: true });
});

const fast = () => 5;

describe('the local durable queue', () => {
  it('keeps messages on disk until consumed: a queue opened again delivers them, in order', async () => {
    // Prepare
    const dir = await folder();
    const first = await DurableQueue.open({ dir, maxReceiveCount: 3, consume: async () => 'done' });
    for (const body of ['a', 'b', 'c']) await first.send(body); // never started: as if killed
    const seen: string[] = [];

    // Act
    const second = await DurableQueue.open({
      dir,
      maxReceiveCount: 3,
      consume: async (message) => {
        seen.push(message.body);
        return 'done';
      },
    });
    second.start();
    await second.settled();

    // Assess
    expect(seen).toEqual(['a', 'b', 'c']);
    expect(await second.pendingCount()).toBe(0);
  });

  it('delivers a failed message again after a backoff, counting every receipt', async () => {
    // Prepare
    const dir = await folder();
    const receipts: number[] = [];
    const queue = await DurableQueue.open({
      dir,
      maxReceiveCount: 5,
      backoffMs: fast,
      consume: async (message) => {
        receipts.push(message.attempts);
        if (message.attempts === 1) throw new Error('transient');
        return message.attempts < 3 ? 'retry' : 'done';
      },
    });

    // Act
    queue.start();
    await queue.send('x');
    await queue.settled();

    // Assess
    expect(receipts).toEqual([1, 2, 3]);
    expect(await queue.deadLetters()).toEqual([]);
  });

  it('moves a message that fails every receipt to the dead-letter list, naming the error but not its text', async () => {
    // Prepare
    const dir = await folder();
    const queue = await DurableQueue.open({
      dir,
      maxReceiveCount: 3,
      backoffMs: fast,
      consume: async () => {
        throw Object.assign(new RangeError('value 山田 太郎 out of range'), { code: 'E_RANGE' });
      },
    });

    // Act
    queue.start();
    await queue.send('poison');
    await queue.settled();
    const dead = await readDeadLetters(dir);

    // Assess
    expect(dead).toHaveLength(1);
    expect(dead[0]).toMatchObject({ body: 'poison', attempts: 3, lastError: 'RangeError (E_RANGE)' });
    expect(JSON.stringify(dead)).not.toContain('山田');
    expect(await queue.pendingCount()).toBe(0);
  });

  it('counts a receipt whose consumer never returned (a killed process), and dead-letters at the limit', async () => {
    // Prepare: two "processes" die while consuming the message.
    const dir = await folder();
    for (let run = 0; run < 2; run++) {
      const dying = await DurableQueue.open({
        dir,
        maxReceiveCount: 2,
        consume: () => new Promise<never>(() => undefined),
      });
      dying.start();
      if (run === 0) await dying.send('kills the consumer');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const delivered: QueueMessage[] = [];

    // Act
    const third = await DurableQueue.open({
      dir,
      maxReceiveCount: 2,
      consume: async (message) => {
        delivered.push(message);
        return 'done';
      },
    });
    third.start();
    await third.settled();

    // Assess
    expect(delivered).toEqual([]);
    expect((await readDeadLetters(dir)).map((d) => d.attempts)).toEqual([3]);
  });

  it('redrives dead letters back to the queue with their receipts reset', async () => {
    // Prepare
    const dir = await folder();
    let healthy = false;
    const queue = await DurableQueue.open({
      dir,
      maxReceiveCount: 1,
      backoffMs: fast,
      consume: async () => (healthy ? 'done' : 'retry'),
    });
    queue.start();
    await queue.send('later');
    await queue.settled();
    expect(await readDeadLetters(dir)).toHaveLength(1);

    // Act
    healthy = true;
    const moved = await redriveDeadLetters(dir);
    await queue.settled();

    // Assess
    expect(moved).toBe(1);
    expect(await readDeadLetters(dir)).toEqual([]);
    expect(await queue.pendingCount()).toBe(0);
  });

  it('drops a half-written message file (a send the caller never saw succeed)', async () => {
    // Prepare
    const dir = await folder();
    await DurableQueue.open({ dir, maxReceiveCount: 1, consume: async () => 'done' });
    await writeFile(join(dir, 'pending', '000-torn.json.1234.tmp'), '{"id":');

    // Act
    const queue = await DurableQueue.open({ dir, maxReceiveCount: 1, consume: async () => 'done' });

    // Assess
    expect(await readdir(join(dir, 'pending'))).toEqual([]);
    expect(await queue.pendingCount()).toBe(0);
  });
});

describe('the local ingest dispatcher', () => {
  it("delivers a message named in the handler's batchItemFailures again, as SQS does", async () => {
    // Prepare
    const dir = await folder();
    const receiveCounts: string[] = [];
    const dispatcher = await createDispatcher({
      landingBucket: 'landing',
      dir,
      backoffMs: fast,
      onError: () => undefined,
      consume: async (event) => {
        const record = event.Records[0];
        receiveCounts.push(record?.attributes.ApproximateReceiveCount ?? '');
        return receiveCounts.length < 2 ? { batchItemFailures: [{ itemIdentifier: record?.messageId }] } : {};
      },
    });
    dispatcher.start();

    // Act
    dispatcher.accept({
      Records: [
        {
          eventName: 'ObjectCreated:Post',
          eventTime: '2026-12-01T00:00:00.000Z',
          s3: { bucket: { name: 'landing' }, object: { key: 'landing/t/sales/u/a b.csv', size: 1 } },
        },
      ],
    });
    await dispatcher.settled();

    // Assess
    expect(receiveCounts).toEqual(['1', '2']);
    expect(await dispatcher.deadLetters()).toEqual([]);
  });
});
