import { describe, expect, it } from 'vitest';
import { FaultPlan } from '../../../functions/adapters/faults/plan.ts';
import { faultyTable } from '../../../functions/adapters/faults/ports.ts';
import { MemoryObjectStore, MemoryTable } from '../../../functions/adapters/memory/index.ts';
import {
  exportLedger,
  LEDGER_EXPORT_CHECKPOINT_KEY,
  LedgerExportChainError,
  parseLedgerExport,
  readLedgerExportCheckpoint,
  sha256Hex,
} from '../../../functions/domain/ledger/export.ts';
import {
  appendLedger,
  appendToChain,
  GENESIS_HASH,
  GLOBAL_CHAIN,
  type LedgerEntry,
  readLedger,
  verifyLedger,
} from '../../../functions/domain/ledger/ledger.ts';
import { createLedgerExportHandler } from '../../../functions/ledger-export/handler.ts';

const actor = { subject: 'sub-1', roles: ['admin'] };
// 2026-11-22 16:00 UTC is already 2026-11-23 in Japan: exports are filed by the Japanese date.
const clock = () => new Date('2026-11-22T16:00:00.000Z');
const T1 = 'tenant#t-1';

function world() {
  const table = new MemoryTable();
  const objects = new MemoryObjectStore();
  const append = async (count: number, tenantId = 't-1') => {
    for (let i = 0; i < count; i++) {
      await appendLedger({ table, clock }, { action: 'tenant.updated', actor, tenantId, details: { i } });
    }
  };
  return { table, objects, append, ports: { table, objects, clock } };
}

async function readExport(objects: MemoryObjectStore, key: string) {
  return parseLedgerExport(new TextDecoder().decode(await objects.get('audit', key)));
}

const chain = (entries: readonly LedgerEntry[], name: string) => entries.filter((e) => e.chain === name);

describe('ledger export', () => {
  it('exports every chain with every head under the Japanese date, reading the table only', async () => {
    // Prepare
    const { objects, append, ports, table } = world();
    await append(3);
    await append(2, 't-2');
    const before = await readLedger(table);
    const plan = new FaultPlan();

    // Act
    const result = await exportLedger({ ...ports, table: faultyTable(table, plan) });

    // Assess
    if (result.outcome !== 'exported') throw new Error('expected an export');
    expect(result.key).toBe('ledger-exports/2026-11-23/000000000001.jsonl');
    expect(plan.calls.filter((c) => c.method !== 'query' && c.method !== 'get')).toEqual([]);
    const exported = await readExport(objects, result.key);
    expect(exported.entries).toEqual(before);
    const a = chain(before, T1);
    const b = chain(before, 'tenant#t-2');
    expect(exported.header.chains).toEqual([
      {
        chain: T1,
        fromSeq: '000000000001',
        toSeq: '000000000003',
        count: 3,
        prevHash: GENESIS_HASH,
        headHash: a[2]?.hash,
      },
      expect.objectContaining({ chain: 'tenant#t-2', count: 2, headHash: b[1]?.hash }),
    ]);
    expect(exported.header).toMatchObject({
      heads: {
        [T1]: { seq: '000000000003', hash: a[2]?.hash },
        'tenant#t-2': { seq: '000000000002', hash: b[1]?.hash },
      },
      previous: null,
    });
    expect(verifyLedger(exported.entries).ok).toBe(true);
  });

  it('chains each export to the one before by its SHA-256, and anchors chains with nothing new too', async () => {
    // Prepare
    const { objects, append, ports } = world();
    await append(2);
    await append(1, 't-2');
    const first = await exportLedger(ports);
    await append(1);

    // Act
    const second = await exportLedger(ports);

    // Assess
    if (first.outcome !== 'exported' || second.outcome !== 'exported')
      throw new Error('expected two exports');
    const firstBytes = await objects.get('audit', first.key);
    expect(second.header.previous).toEqual({ key: first.key, sha256: sha256Hex(firstBytes) });
    expect(second.header.chains.map((s) => s.chain)).toEqual([T1]);
    expect(Object.keys(second.header.heads).sort()).toEqual([T1, 'tenant#t-2']);
  });

  it('continues from its checkpoint, each chain linking to its exported head', async () => {
    // Prepare
    const { objects, append, ports } = world();
    await append(2);
    const first = await exportLedger(ports);
    await append(2);

    // Act
    const second = await exportLedger(ports);

    // Assess
    if (first.outcome !== 'exported' || second.outcome !== 'exported')
      throw new Error('expected two exports');
    const firstSpan = first.header.chains.find((s) => s.chain === T1);
    const secondSpan = second.header.chains.find((s) => s.chain === T1);
    expect(secondSpan).toMatchObject({
      fromSeq: '000000000003',
      toSeq: '000000000004',
      prevHash: firstSpan?.headHash,
    });
    const { entries } = await readExport(objects, second.key);
    expect(chain(entries, T1)[0]?.prevHash).toBe(firstSpan?.headHash);
    expect((await readLedgerExportCheckpoint(objects))?.heads[T1]).toEqual({
      toSeq: '000000000004',
      headHash: secondSpan?.headHash,
    });
  });

  it('writes nothing when no entry was appended since the last export', async () => {
    // Prepare
    const { objects, append, ports, table } = world();
    await append(1);
    await exportLedger(ports);
    const before = [];
    for await (const o of objects.list('audit', 'ledger-exports/')) before.push(o.key);
    const entries = (await readLedger(table)).length;

    // Act
    const result = await exportLedger(ports);

    // Assess
    expect(result).toMatchObject({ outcome: 'up-to-date', heads: { [T1]: { toSeq: '000000000001' } } });
    const after = [];
    for await (const o of objects.list('audit', 'ledger-exports/')) after.push(o.key);
    expect(after).toEqual(before);
    expect(await readLedger(table)).toHaveLength(entries);
  });

  it('splits a long ledger into files of at most maxEntries, with no gap between them', async () => {
    // Prepare
    const { objects, append, ports } = world();
    await append(5);

    // Act
    const runs = [await exportLedger(ports, { maxEntries: 2 }), await exportLedger(ports, { maxEntries: 2 })];
    runs.push(await exportLedger(ports, { maxEntries: 2 }));

    // Assess
    const exported: LedgerEntry[] = [];
    for (const run of runs) {
      if (run.outcome !== 'exported') throw new Error('expected an export');
      exported.push(...(await readExport(objects, run.key)).entries);
    }
    expect(chain(exported, T1).map((e) => e.seq)).toEqual(
      ['1', '2', '3', '4', '5'].map((n) => n.padStart(12, '0')),
    );
    expect(verifyLedger(exported).ok).toBe(true);
    expect(runs[0]?.outcome === 'exported' && runs[0].more).toBe(true);
  });

  it('continues from a checkpoint of the single-chain version, whose chain it leaves as it is', async () => {
    // Prepare: a ledger of the earlier version (one global chain), exported in the earlier format
    const { objects, ports, table } = world();
    const old = [];
    for (let i = 0; i < 2; i++)
      old.push(
        await appendToChain(ports, GLOBAL_CHAIN, { action: 'tenant.updated', actor, tenantId: 't-1' }),
      );
    await objects.put(
      'audit',
      LEDGER_EXPORT_CHECKPOINT_KEY,
      JSON.stringify({
        toSeq: old[1]?.seq,
        headHash: old[1]?.hash,
        key: 'k',
        exportedAt: clock().toISOString(),
      }),
    );
    await appendLedger(ports, { action: 'tenant.updated', actor, tenantId: 't-1' });

    // Act
    const result = await exportLedger(ports);

    // Assess: only the new chain's entry; the old chain's head is anchored as it was
    if (result.outcome !== 'exported') throw new Error('expected an export');
    expect(result.header.chains.map((s) => [s.chain, s.count])).toEqual([[T1, 1]]);
    expect(result.header.heads[GLOBAL_CHAIN]).toEqual({ seq: old[1]?.seq, hash: old[1]?.hash });
    expect(verifyLedger(await readLedger(table)).ok).toBe(true);
  });

  it('refuses to export an entry changed after the last export, and keeps the checkpoint', async () => {
    // Prepare
    const { objects, append, ports, table } = world();
    await append(2);
    await exportLedger(ports);
    await append(1);
    const third = chain(await readLedger(table), T1)[2];
    await table.put('ledger', { ...third, details: { i: 99 } });
    const checkpoint = await readLedgerExportCheckpoint(objects);

    // Act
    const attempt = exportLedger(ports);

    // Assess
    await expect(attempt).rejects.toBeInstanceOf(LedgerExportChainError);
    await expect(exportLedger(ports)).rejects.toThrow(/tenant#t-1 entry 000000000003 .*hash_mismatch/);
    expect(await readLedgerExportCheckpoint(objects)).toEqual(checkpoint);
  });

  it('refuses an entry that does not link to the exported head', async () => {
    // Prepare
    const { objects, append, ports, table } = world();
    await append(1);
    await exportLedger(ports);
    await append(1);
    const second = chain(await readLedger(table), T1)[1];
    const checkpoint = await readLedgerExportCheckpoint(objects);
    await objects.put(
      'audit',
      LEDGER_EXPORT_CHECKPOINT_KEY,
      JSON.stringify({
        ...checkpoint,
        heads: { ...checkpoint?.heads, [T1]: { toSeq: '000000000001', headHash: 'f'.repeat(64) } },
      }),
    );

    // Act
    const attempt = exportLedger(ports);

    // Assess
    await expect(attempt).rejects.toThrow(new RegExp(`${second?.seq}.*broken_link`));
  });

  it('is run by the handler over the injected ports', async () => {
    // Prepare
    const { append, ports } = world();
    await append(2);
    const handler = createLedgerExportHandler(() => ports);

    // Act
    const result = await handler({}, { functionName: 'kura-ledger-export', awsRequestId: 'r-1' } as never);

    // Assess
    expect(result).toMatchObject({ outcome: 'exported', header: { count: 2 } });
  });
});
