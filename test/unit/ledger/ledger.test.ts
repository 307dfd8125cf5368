import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MemoryTable } from '../../../functions/adapters/memory/index.ts';
import {
  appendLedger,
  canonicalJson,
  entryHash,
  type LedgerEntry,
  readLedger,
  verifyLedger,
} from '../../../functions/domain/ledger/ledger.ts';

const clock = () => new Date('2026-05-01T09:00:00.000Z');
const actor = { subject: 'sub-1', roles: ['tenant'] };

async function chainOf(count: number): Promise<{ table: MemoryTable; entries: LedgerEntry[] }> {
  const table = new MemoryTable();
  for (let i = 0; i < count; i++) {
    await appendLedger(
      { table, clock },
      { action: 'upload.requested', actor, tenantId: i % 2 ? 'tenant-b' : 'tenant-a', details: { n: i } },
    );
  }
  return { table, entries: await readLedger(table) };
}

describe('ledger', () => {
  it('chains each entry to the one before with zero-padded sequence numbers', async () => {
    // Act
    const { entries } = await chainOf(3);

    // Assess
    expect(entries.map((e) => e.seq)).toEqual(['000000000001', '000000000002', '000000000003']);
    expect(entries[1]?.prevHash).toBe(entries[0]?.hash);
    expect(entries[2]?.prevHash).toBe(entries[1]?.hash);
    expect(verifyLedger(entries)).toEqual({ ok: true, count: 3, headHash: entries[2]?.hash });
  });

  it('hashes the canonical JSON of the entry without its hash', async () => {
    // Prepare
    const { entries } = await chainOf(1);
    const entry = entries[0] as LedgerEntry;

    // Act
    const { hash: _h, ...rest } = entry;
    const recomputed = entryHash(rest);

    // Assess
    expect(recomputed).toBe(entry.hash);
    expect(canonicalJson({ b: 1, a: { d: [2, 1], c: 'x' } })).toBe('{"a":{"c":"x","d":[2,1]},"b":1}');
  });

  it('reports the first changed entry', async () => {
    // Prepare
    const { entries } = await chainOf(4);
    const tampered = entries.map((e) => (e.seq === '000000000002' ? { ...e, details: { n: 99 } } : e));

    // Act
    const result = verifyLedger(tampered);

    // Assess
    expect(result).toEqual({ ok: false, firstBadSeq: '000000000002', reason: 'hash_mismatch' });
  });

  it('reports a removed entry at the missing sequence number', async () => {
    // Prepare
    const { entries } = await chainOf(4);

    // Act
    const result = verifyLedger(entries.filter((e) => e.seq !== '000000000003'));

    // Assess
    expect(result).toEqual({ ok: false, firstBadSeq: '000000000003', reason: 'sequence_gap' });
  });

  it('detects reordered entries even when their sequence numbers are renumbered', async () => {
    // Prepare
    const { entries } = await chainOf(4);
    const [a, b, c, d] = entries as [LedgerEntry, LedgerEntry, LedgerEntry, LedgerEntry];
    const swapped = [a, { ...c, seq: b.seq }, { ...b, seq: c.seq }, d];

    // Act
    const asStored = verifyLedger([a, c, b, d]);
    const renumbered = verifyLedger(swapped);

    // Assess
    expect(asStored).toMatchObject({ ok: false, firstBadSeq: '000000000002' });
    expect(renumbered).toMatchObject({ ok: false, firstBadSeq: '000000000002' });
  });

  it('keeps one unbroken chain when many writers append at once', async () => {
    // Prepare
    const table = new MemoryTable();

    // Act
    await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        appendLedger({ table, clock }, { action: 'upload.requested', actor, details: { n: i } }),
      ),
    );
    const entries = await readLedger(table);

    // Assess
    expect(entries).toHaveLength(12);
    expect(verifyLedger(entries).ok).toBe(true);
    expect(new Set(entries.map((e) => e.details.n)).size).toBe(12);
  });

  it('finds a tenant’s entries through the byTenant index', async () => {
    // Prepare
    const { table } = await chainOf(5);

    // Act
    const forB = await readLedger(table, { tenantId: 'tenant-b' });

    // Assess
    expect(forB.map((e) => e.details.n)).toEqual([1, 3]);
  });

  it('detects any single changed detail value anywhere in the chain', async () => {
    // Prepare
    const { entries } = await chainOf(6);

    // Act + Assess
    await fc.assert(
      fc.property(fc.integer({ min: 0, max: 5 }), fc.string(), (index, value) => {
        const tampered = entries.map((e, i) =>
          i === index ? { ...e, details: { ...e.details, n: value } } : e,
        );
        const result = verifyLedger(tampered);
        return !result.ok && result.firstBadSeq === entries[index]?.seq;
      }),
    );
  });
});
