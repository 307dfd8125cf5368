import { describe, expect, it } from 'vitest';
import { MemoryObjectStore, MemoryTable } from '../../../functions/adapters/memory/index.ts';
import {
  exportLedger,
  LEDGER_EXPORT_CHECKPOINT_KEY,
  LedgerExportChainError,
  ledgerExportHeaderSchema,
  readLedgerExportCheckpoint,
} from '../../../functions/domain/ledger/export.ts';
import {
  appendLedger,
  GENESIS_HASH,
  type LedgerEntry,
  ledgerEntrySchema,
  readLedger,
  verifyLedger,
} from '../../../functions/domain/ledger/ledger.ts';
import { createLedgerExportHandler } from '../../../functions/ledger-export/handler.ts';

const actor = { subject: 'sub-1', roles: ['admin'] };
// 2026-11-22 16:00 UTC is already 2026-11-23 in Japan: exports are filed by the Japanese date.
const clock = () => new Date('2026-11-22T16:00:00.000Z');

function world() {
  const table = new MemoryTable();
  const objects = new MemoryObjectStore();
  const append = async (count: number) => {
    for (let i = 0; i < count; i++) {
      await appendLedger(
        { table, clock },
        { action: 'tenant.updated', actor, tenantId: 't-1', details: { i } },
      );
    }
  };
  return { table, objects, append, ports: { table, objects, clock } };
}

async function readExport(objects: MemoryObjectStore, key: string) {
  const lines = new TextDecoder()
    .decode(await objects.get('audit', key))
    .trimEnd()
    .split('\n');
  const [header, ...entries] = lines.map((line) => JSON.parse(line));
  return {
    header: ledgerExportHeaderSchema.parse(header),
    entries: entries.map((entry) => ledgerEntrySchema.parse(entry)),
  };
}

describe('ledger export', () => {
  it('writes every entry with the chain head hash to the audit bucket under the Japanese date', async () => {
    // Prepare
    const { objects, append, ports, table } = world();
    await append(3);
    const ledger = await readLedger(table);

    // Act
    const result = await exportLedger(ports);

    // Assess
    expect(result.outcome).toBe('exported');
    if (result.outcome !== 'exported') return;
    expect(result.key).toBe('ledger-exports/2026-11-23/000000000001-000000000003.jsonl');
    const exported = await readExport(objects, result.key);
    expect(exported.entries).toEqual(ledger);
    expect(exported.header).toMatchObject({
      fromSeq: '000000000001',
      toSeq: '000000000003',
      count: 3,
      prevHash: GENESIS_HASH,
      headHash: ledger[2]?.hash,
    });
    expect(verifyLedger(exported.entries)).toEqual({ ok: true, count: 3, headHash: ledger[2]?.hash });
  });

  it('continues from its checkpoint, and the next file links to the previous head', async () => {
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
    expect(second.header.fromSeq).toBe('000000000003');
    expect(second.header.toSeq).toBe('000000000004');
    expect(second.header.prevHash).toBe(first.header.headHash);
    const { entries } = await readExport(objects, second.key);
    expect(entries[0]?.prevHash).toBe(first.header.headHash);
    expect(await readLedgerExportCheckpoint(objects)).toMatchObject({
      toSeq: '000000000004',
      headHash: second.header.headHash,
      key: second.key,
    });
  });

  it('writes nothing when no entry was appended since the last export', async () => {
    // Prepare
    const { objects, append, ports } = world();
    await append(1);
    await exportLedger(ports);
    const before = [];
    for await (const o of objects.list('audit', 'ledger-exports/')) before.push(o.key);

    // Act
    const result = await exportLedger(ports);

    // Assess
    expect(result).toEqual({ outcome: 'up-to-date', toSeq: '000000000001' });
    const after = [];
    for await (const o of objects.list('audit', 'ledger-exports/')) after.push(o.key);
    expect(after).toEqual(before);
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
    expect(exported.map((e) => e.seq)).toEqual(['1', '2', '3', '4', '5'].map((n) => n.padStart(12, '0')));
    expect(verifyLedger(exported).ok).toBe(true);
    expect(runs[0]?.outcome === 'exported' && runs[0].more).toBe(true);
  });

  it('refuses to export an entry changed after the last export, and keeps the checkpoint', async () => {
    // Prepare
    const { objects, append, ports, table } = world();
    await append(2);
    await exportLedger(ports);
    await append(1);
    const [, , third] = await readLedger(table);
    await table.put('ledger', { ...third, details: { i: 99 } });
    const checkpoint = await readLedgerExportCheckpoint(objects);

    // Act
    const attempt = exportLedger(ports);

    // Assess
    await expect(attempt).rejects.toBeInstanceOf(LedgerExportChainError);
    await expect(exportLedger(ports)).rejects.toThrow(/000000000003 .*hash_mismatch/);
    expect(await readLedgerExportCheckpoint(objects)).toEqual(checkpoint);
  });

  it('refuses an entry that does not link to the exported head', async () => {
    // Prepare
    const { objects, append, ports, table } = world();
    await append(1);
    await exportLedger(ports);
    await append(1);
    const [, second] = await readLedger(table);
    await objects.put(
      'audit',
      LEDGER_EXPORT_CHECKPOINT_KEY,
      JSON.stringify({ ...(await readLedgerExportCheckpoint(objects)), headHash: 'f'.repeat(64) }),
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
