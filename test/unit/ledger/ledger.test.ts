import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MemoryTable } from '../../../functions/adapters/memory/index.ts';
import {
  appendLedger,
  backoffDelay,
  canonicalJson,
  chainOf,
  entryHash,
  GLOBAL_CHAIN,
  LedgerContentionError,
  type LedgerEntry,
  listChains,
  PLATFORM_CHAIN,
  readLedger,
  verifyLedger,
} from '../../../functions/domain/ledger/ledger.ts';
import { ConditionFailedError, type Item } from '../../../functions/domain/ports/index.ts';

const clock = () => new Date('2026-05-01T09:00:00.000Z');
const actor = { subject: 'sub-1', roles: ['tenant'] };

async function ledgerOf(
  count: number,
  tenants = ['tenant-a'],
): Promise<{ table: MemoryTable; entries: LedgerEntry[] }> {
  const table = new MemoryTable();
  for (let i = 0; i < count; i++) {
    await appendLedger(
      { table, clock },
      { action: 'upload.requested', actor, tenantId: tenants[i % tenants.length], details: { n: i } },
    );
  }
  return { table, entries: await readLedger(table) };
}

describe('ledger chains', () => {
  it('chains each entry to the one before with zero-padded sequence numbers, one chain per tenant', async () => {
    // Act
    const { entries } = await ledgerOf(5, ['tenant-a', 'tenant-b']);

    // Assess
    const a = entries.filter((e) => e.chain === chainOf('tenant-a'));
    const b = entries.filter((e) => e.chain === chainOf('tenant-b'));
    expect(a.map((e) => [e.seq, e.details.n])).toEqual([
      ['000000000001', 0],
      ['000000000002', 2],
      ['000000000003', 4],
    ]);
    expect(b.map((e) => e.seq)).toEqual(['000000000001', '000000000002']);
    expect(a[1]?.prevHash).toBe(a[0]?.hash);
    expect(verifyLedger(entries)).toEqual({
      ok: true,
      count: 5,
      heads: {
        'tenant#tenant-a': { seq: '000000000003', hash: a[2]?.hash },
        'tenant#tenant-b': { seq: '000000000002', hash: b[1]?.hash },
      },
    });
  });

  it('puts entries about no tenant in the platform chain and registers every chain', async () => {
    // Prepare
    const table = new MemoryTable();

    // Act
    await appendLedger({ table, clock }, { action: 'stats.release_published', actor, details: {} });
    await appendLedger({ table, clock }, { action: 'tenant.updated', actor, tenantId: 't-9', details: {} });

    // Assess
    expect(await listChains(table)).toEqual([GLOBAL_CHAIN, PLATFORM_CHAIN, 'tenant#t-9']);
    expect((await readLedger(table, { chain: PLATFORM_CHAIN })).map((e) => e.action)).toEqual([
      'stats.release_published',
    ]);
  });

  it('hashes the canonical JSON of the entry without its hash', async () => {
    // Prepare
    const { entries } = await ledgerOf(1);
    const entry = entries[0] as LedgerEntry;

    // Act
    const { hash: _h, ...rest } = entry;
    const recomputed = entryHash(rest);

    // Assess
    expect(recomputed).toBe(entry.hash);
    expect(canonicalJson({ b: 1, a: { d: [2, 1], c: 'x' } })).toBe('{"a":{"c":"x","d":[2,1]},"b":1}');
  });

  it('reports the first changed entry with its chain', async () => {
    // Prepare
    const { entries } = await ledgerOf(4);
    const tampered = entries.map((e) => (e.seq === '000000000002' ? { ...e, details: { n: 99 } } : e));

    // Act
    const result = verifyLedger(tampered);

    // Assess
    expect(result).toEqual({
      ok: false,
      chain: 'tenant#tenant-a',
      firstBadSeq: '000000000002',
      reason: 'hash_mismatch',
    });
  });

  it('reports a removed entry at the missing sequence number', async () => {
    // Prepare
    const { entries } = await ledgerOf(4);

    // Act
    const result = verifyLedger(entries.filter((e) => e.seq !== '000000000003'));

    // Assess
    expect(result).toMatchObject({ ok: false, firstBadSeq: '000000000003', reason: 'sequence_gap' });
  });

  it('detects reordered entries even when their sequence numbers are renumbered', async () => {
    // Prepare
    const { entries } = await ledgerOf(4);
    const [a, b, c, d] = entries as [LedgerEntry, LedgerEntry, LedgerEntry, LedgerEntry];
    const swapped = [a, { ...c, seq: b.seq }, { ...b, seq: c.seq }, d];

    // Act
    const asStored = verifyLedger([a, c, b, d]);
    const renumbered = verifyLedger(swapped);

    // Assess
    expect(asStored).toMatchObject({ ok: false, firstBadSeq: '000000000002' });
    expect(renumbered).toMatchObject({ ok: false, firstBadSeq: '000000000002' });
  });

  it('keeps one unbroken chain when 50 writers of one tenant append at once', async () => {
    // Prepare
    const table = new MemoryTable();

    // Act
    await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        appendLedger(
          { table, clock },
          { action: 'upload.requested', actor, tenantId: 'busy', details: { n: i } },
        ),
      ),
    );
    const entries = await readLedger(table);

    // Assess
    expect(entries).toHaveLength(50);
    expect(verifyLedger(entries).ok).toBe(true);
    expect(new Set(entries.map((e) => e.details.n)).size).toBe(50);
  });

  it('backs off with full jitter below a ceiling that doubles per attempt, then gives up with a 503 error', async () => {
    // Prepare: a table where every conditional put loses the race
    class LosingTable extends MemoryTable {
      override async put(
        name: string,
        item: Item,
        condition?: { readonly ifAbsent?: string },
      ): Promise<void> {
        if (condition?.ifAbsent) throw new ConditionFailedError('taken');
        await super.put(name, item);
      }
    }
    const losing = new LosingTable();
    const waits: number[] = [];

    // Act
    const attempt = appendLedger(
      { table: losing, clock },
      { action: 'upload.requested', actor, tenantId: 't-1' },
      {
        maxAttempts: 6,
        baseDelayMs: 10,
        maxDelayMs: 50,
        random: () => 0.999,
        sleep: async (ms) => void waits.push(ms),
      },
    );

    // Assess
    await expect(attempt).rejects.toBeInstanceOf(LedgerContentionError);
    await expect(attempt).rejects.toMatchObject({ code: 'LEDGER_BUSY' });
    expect(waits).toEqual([19, 39, 49, 49, 49]);
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 40 }),
        fc.double({ min: 0, max: 0.9999, noNaN: true }),
        (n, r) => {
          const delay = backoffDelay(n, { baseDelayMs: 8, maxDelayMs: 400, random: () => r });
          return delay >= 0 && delay < Math.min(400, 8 * 2 ** n);
        },
      ),
    );
  });

  it('finds a tenant’s entries through the byTenant index', async () => {
    // Prepare
    const { table } = await ledgerOf(5, ['tenant-a', 'tenant-b']);

    // Act
    const forB = await readLedger(table, { tenantId: 'tenant-b' });

    // Assess
    expect(forB.map((e) => e.details.n)).toEqual([1, 3]);
  });

  it('detects any single changed detail value anywhere in a chain', async () => {
    // Prepare
    const { entries } = await ledgerOf(6);

    // Act + Assess
    fc.assert(
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
