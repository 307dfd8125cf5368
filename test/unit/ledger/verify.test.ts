import { describe, expect, it } from 'vitest';
import { MemoryObjectStore, MemoryTable } from '../../../functions/adapters/memory/index.ts';
import { exportLedger } from '../../../functions/domain/ledger/export.ts';
import {
  appendLedger,
  entryHash,
  LEDGER_TABLE,
  type LedgerEntry,
  readLedger,
  verifyLedger,
} from '../../../functions/domain/ledger/ledger.ts';
import { auditLedger } from '../../../functions/domain/ledger/verify.ts';

const clock = () => new Date('2026-11-22T01:00:00.000Z');
const actor = { subject: 'sub-1', roles: ['tenant'] };
const T1 = 'tenant#t-1';

async function exportedWorld(entries = 5) {
  const table = new MemoryTable();
  const objects = new MemoryObjectStore();
  const ports = { table, objects, clock };
  for (let i = 0; i < entries; i++)
    await appendLedger(ports, { action: 'upload.requested', actor, tenantId: 't-1', details: { n: i } });
  await appendLedger(ports, { action: 'upload.requested', actor, tenantId: 't-2', details: { n: 0 } });
  await exportLedger(ports);
  const chain = (await readLedger(table)).filter((e) => e.chain === T1);
  return { table, objects, ports, chain };
}

/** The chain from `from` (0-based) on, changed and re-signed: every later hash recomputed, links intact. */
function rewrite(chain: readonly LedgerEntry[], from: number): LedgerEntry[] {
  const out: LedgerEntry[] = [];
  let prevHash = chain[from - 1]?.hash ?? '0'.repeat(64);
  for (const entry of chain.slice(from)) {
    const unsigned = { ...entry, prevHash, details: { ...entry.details, n: 'forged' } };
    const hash = entryHash(unsigned);
    out.push({ ...unsigned, hash });
    prevHash = hash;
  }
  return out;
}

describe('ledger verification against the audit exports', () => {
  it('verifies an untouched ledger and says what it compared it with', async () => {
    // Prepare
    const { ports } = await exportedWorld();

    // Act
    const result = await auditLedger(ports);

    // Assess: 5 + 1 tenant entries, all exported
    expect(result).toMatchObject({ ok: true, count: 6, chains: 2, exports: { files: 1, entries: 6 } });
  });

  it('detects the last entries of a chain removed, which the chain check alone cannot', async () => {
    // Prepare
    const { table, ports, chain } = await exportedWorld();
    for (const entry of chain.slice(3))
      await table.delete(LEDGER_TABLE, { chain: entry.chain, seq: entry.seq });

    // Act
    const alone = verifyLedger(await readLedger(table));
    const result = await auditLedger(ports);

    // Assess
    expect(alone.ok).toBe(true);
    expect(result).toMatchObject({ ok: false, chain: T1, firstBadSeq: '000000000004', reason: 'truncated' });
  });

  it('detects a rewrite that recomputes every later hash, which the chain check alone cannot', async () => {
    // Prepare
    const { table, ports, chain } = await exportedWorld();
    for (const entry of rewrite(chain, 1)) await table.put(LEDGER_TABLE, entry);

    // Act
    const alone = verifyLedger(await readLedger(table));
    const result = await auditLedger(ports);

    // Assess
    expect(alone.ok).toBe(true);
    expect(result).toMatchObject({
      ok: false,
      chain: T1,
      firstBadSeq: '000000000002',
      reason: 'differs_from_export',
      exportKey: expect.stringMatching(/^ledger-exports\//),
    });
  });

  it('detects a truncated chain that grew again after the export', async () => {
    // Prepare
    const { table, ports, chain } = await exportedWorld();
    for (const entry of chain.slice(2))
      await table.delete(LEDGER_TABLE, { chain: entry.chain, seq: entry.seq });
    await appendLedger(ports, { action: 'upload.requested', actor, tenantId: 't-1', details: { n: 'new' } });

    // Act
    const result = await auditLedger(ports);

    // Assess
    expect(result).toMatchObject({
      ok: false,
      chain: T1,
      firstBadSeq: '000000000003',
      reason: 'differs_from_export',
    });
  });

  it('still reports a broken chain first', async () => {
    // Prepare
    const { table, ports, chain } = await exportedWorld();
    await table.put(LEDGER_TABLE, { ...chain[1], purpose: 'changed' });

    // Act
    const result = await auditLedger(ports);

    // Assess
    expect(result).toMatchObject({
      ok: false,
      chain: T1,
      firstBadSeq: '000000000002',
      reason: 'hash_mismatch',
    });
  });

  it('checks the chains alone, and says so, before the first export', async () => {
    // Prepare
    const table = new MemoryTable();
    const objects = new MemoryObjectStore();
    await appendLedger({ table, clock }, { action: 'upload.requested', actor, tenantId: 't-1' });

    // Act
    const result = await auditLedger({ table, objects });

    // Assess
    expect(result).toMatchObject({ ok: true, count: 1, exports: { files: 0, entries: 0 } });
  });

  it('detects an export file replaced by another one, through the SHA-256 the next export names', async () => {
    // Prepare: two exports; then the first is overwritten with a forged copy (a new version)
    const { objects, ports } = await exportedWorld();
    await appendLedger(ports, {
      action: 'upload.requested',
      actor,
      tenantId: 't-1',
      details: { n: 'later' },
    });
    await exportLedger(ports);
    const first = 'ledger-exports/2026-11-22/000000000001.jsonl';
    const text = new TextDecoder().decode(await objects.get('audit', first));
    await objects.put('audit', first, text.replace('"upload.requested"', '"upload.received"'));

    // Act
    const result = await auditLedger(ports);

    // Assess
    expect(result).toMatchObject({ ok: false, reason: 'export_corrupt' });
  });

  it('detects a chain truncated to before a head an export anchored, even with nothing of it in that file', async () => {
    // Prepare: a second export holds nothing of tenant t-2 but anchors its head; then t-2 loses its entry
    const { table, ports } = await exportedWorld();
    await appendLedger(ports, {
      action: 'upload.requested',
      actor,
      tenantId: 't-1',
      details: { n: 'later' },
    });
    await exportLedger(ports);
    await table.delete(LEDGER_TABLE, { chain: 'tenant#t-2', seq: '000000000001' });

    // Act
    const result = await auditLedger(ports);

    // Assess
    expect(result).toMatchObject({
      ok: false,
      chain: 'tenant#t-2',
      firstBadSeq: '000000000001',
      reason: 'truncated',
    });
  });
});
