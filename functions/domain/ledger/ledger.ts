import { createHash } from 'node:crypto';
import { KuraError } from '../errors.ts';
import { msg } from '../i18n.ts';
import { ConditionFailedError, queryAll, type Table } from '../ports/index.ts';
import * as z from '../zod.ts';

/**
 * The ledger: an append-only, hash-chained record of who did what, when and why (upload requests,
 * consent attestations, refused authorisations, tenant changes, purges). Entries hold ids, roles,
 * dataset names, counts and purposes — never personal data.
 *
 * Chains (the partition key `chain` of the ledger table):
 * - `tenant#<tenantId>`: every entry about one tenant. Writers of different tenants never wait for
 *   each other, so the ledger scales with the number of companies; the writers of one company (50
 *   parallel uploads) take turns with jittered exponential backoff.
 * - `platform`: entries about no tenant (a release, a refusal without a tenant).
 * - `ledger` (GLOBAL_CHAIN): the single chain of earlier versions; nothing new is appended to it.
 * - The global chain the per-company chains are anchored to lives in the Object Lock audit bucket: each
 *   daily export (export.ts) holds the new entries of every chain and the head of every chain, and names
 *   the SHA-256 of the export before it, so it is a hash chain nobody can rewrite (and the export only
 *   reads the table).
 * - `#chains`: not a chain, the registry of chain names (one item per chain, written before its first
 *   entry), so the export and `kura ledger verify` find every chain without scanning the table.
 *
 * Within a chain, any change, removal or reordering of an entry breaks every hash after it; a
 * truncation or a rewrite that recomputes every later hash shows against the exported heads
 * (verify.ts).
 */
export const LEDGER_TABLE = 'ledger';
/** The single chain of earlier versions (read and verified; nothing new is appended). */
export const GLOBAL_CHAIN = 'ledger';
/** @deprecated the single chain of earlier versions; use GLOBAL_CHAIN or chainOf */
export const LEDGER_CHAIN = GLOBAL_CHAIN;
/** Entries about no tenant. */
export const PLATFORM_CHAIN = 'platform';
/** Partition of the chain registry (one item per chain name, sort key `seq` = the chain name). */
export const CHAIN_REGISTRY = '#chains';
/** `seq` is zero-padded so the string sort key orders like the number. */
export const SEQ_DIGITS = 12;
/** prevHash of the first entry of a chain. */
export const GENESIS_HASH = '0'.repeat(64);

/** The chain an entry about this tenant (or about none) belongs to. */
export const chainOf = (tenantId: string | undefined) =>
  tenantId === undefined ? PLATFORM_CHAIN : `tenant#${tenantId}`;

const detailValue = z.union([z.string(), z.number(), z.boolean(), z.null(), z.array(z.string())]);
const chainNameSchema = z.string().check(z.regex(/^(ledger|platform|tenant#\S{1,200})$/));

export const ledgerEntrySchema = z.strictObject({
  chain: chainNameSchema,
  seq: z.string().check(z.regex(/^\d{12}$/)),
  at: z.string(),
  action: z.string().check(z.regex(/^[a-z][a-z_]*(\.[a-z][a-z_]*)+$/, 'action is like "upload.requested"')),
  /** Who acted: the identity provider's subject id (never a name or email) and its roles. */
  actor: z.strictObject({ subject: z.string(), roles: z.array(z.string()) }),
  /** The tenant the entry is about, when there is one (the byTenant index). */
  tenantId: z.optional(z.string()),
  /** Why the data is processed, for entries that record a use of data. */
  purpose: z.optional(z.string()),
  /** Flat facts: ids, dataset names, counts, flags. */
  details: z.record(z.string(), detailValue),
  prevHash: z.string().check(z.regex(/^[0-9a-f]{64}$/)),
  hash: z.string().check(z.regex(/^[0-9a-f]{64}$/)),
});
export type LedgerEntry = z.infer<typeof ledgerEntrySchema>;

/** What a caller appends; the ledger adds chain, seq, time and hashes. */
export type LedgerAppend = Pick<LedgerEntry, 'action' | 'actor'> & {
  readonly tenantId?: string | undefined;
  readonly purpose?: string | undefined;
  readonly details?: LedgerEntry['details'];
};

/** JSON with object keys sorted at every level, no whitespace: one byte string per value. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

/** SHA-256 (hex) over the canonical JSON of the entry without its own hash. */
export function entryHash(entry: Omit<LedgerEntry, 'hash'> | LedgerEntry): string {
  const { hash: _ignored, ...rest } = entry as LedgerEntry;
  return createHash('sha256').update(canonicalJson(rest)).digest('hex');
}

export const formatSeq = (n: number) => String(n).padStart(SEQ_DIGITS, '0');

export interface LedgerPorts {
  readonly table: Table;
  readonly clock: () => Date;
  /** How appends back off under contention (tests make the waits instant). */
  readonly ledgerRetry?: LedgerRetry;
}

/** How appends wait after losing the race for a sequence number. */
export interface LedgerRetry {
  /** Attempts before giving up. @default 40 */
  readonly maxAttempts?: number;
  /** First backoff ceiling in ms, doubled per attempt. @default 8 */
  readonly baseDelayMs?: number;
  /** Largest backoff ceiling in ms. @default 400 */
  readonly maxDelayMs?: number;
  /** The wait (tests pass a fake). @default setTimeout */
  readonly sleep?: (ms: number) => Promise<void>;
  /** A number in [0, 1) (tests pass a seeded one). @default Math.random */
  readonly random?: () => number;
}

/**
 * Many writers kept winning the race for the next sequence number of one chain, even after backing
 * off: nothing was appended (and the caller undoes what the entry was to record). The caller may
 * retry shortly; the API answers 503.
 */
export class LedgerContentionError extends KuraError {
  override readonly name = 'LedgerContentionError';
  readonly code = 'LEDGER_BUSY';
  constructor(
    readonly chain: string,
    readonly attempts: number,
  ) {
    super(
      msg(
        '只今混み合っているため、記録できませんでした。何も保存されていません。少し待ってからもう一度お試しください。',
        'Kura is busy and could not record the request; nothing was saved. Please try again in a moment.',
      ),
    );
    this.message = `Could not append to ledger chain ${chain} after ${attempts} attempts`;
  }
}

/** Full jitter: a random wait up to a ceiling that doubles per attempt (AWS Architecture Blog). */
export function backoffDelay(attempt: number, retry: LedgerRetry = {}): number {
  const base = retry.baseDelayMs ?? 8;
  const cap = retry.maxDelayMs ?? 400;
  const ceiling = Math.min(cap, base * 2 ** Math.min(attempt, 20));
  return Math.floor((retry.random ?? Math.random)() * ceiling);
}

async function lastEntry(table: Table, chain: string): Promise<LedgerEntry | undefined> {
  const page = await table.query({
    table: LEDGER_TABLE,
    partition: { name: 'chain', value: chain },
    descending: true,
    limit: 1,
  });
  const item = page.items[0];
  return item ? ledgerEntrySchema.parse(item) : undefined;
}

/** Registers a chain name (idempotent), before its first entry, so readers find every chain. */
async function registerChain(ports: LedgerPorts, chain: string): Promise<void> {
  await ports.table.put(LEDGER_TABLE, {
    chain: CHAIN_REGISTRY,
    seq: chain,
    registeredAt: ports.clock().toISOString(),
  });
}

/**
 * Appends one entry to a chain. Optimistic concurrency: the next sequence number is claimed with a
 * conditional put; a writer that loses the race waits (full jitter, exponential) and re-reads the head.
 * @throws LedgerContentionError after `maxAttempts` lost races (nothing was appended)
 */
export async function appendToChain(
  ports: LedgerPorts,
  chain: string,
  input: LedgerAppend,
  options: LedgerRetry = {},
): Promise<LedgerEntry> {
  const retry = { ...ports.ledgerRetry, ...options };
  const maxAttempts = retry.maxAttempts ?? 40;
  const sleep = retry.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    const head = await lastEntry(ports.table, chain);
    if (!head) await registerChain(ports, chain);
    const unsigned: Omit<LedgerEntry, 'hash'> = {
      chain,
      seq: formatSeq(head ? Number(head.seq) + 1 : 1),
      at: ports.clock().toISOString(),
      action: input.action,
      actor: { subject: input.actor.subject, roles: [...input.actor.roles] },
      ...(input.tenantId !== undefined ? { tenantId: input.tenantId } : {}),
      ...(input.purpose !== undefined ? { purpose: input.purpose } : {}),
      details: { ...(input.details ?? {}) },
      prevHash: head?.hash ?? GENESIS_HASH,
    };
    const entry = ledgerEntrySchema.parse({ ...unsigned, hash: entryHash(unsigned) });
    try {
      await ports.table.put(LEDGER_TABLE, entry, { ifAbsent: 'seq' });
      return entry;
    } catch (error) {
      if (!(error instanceof ConditionFailedError)) throw error;
    }
    if (attempt < maxAttempts) await sleep(backoffDelay(attempt, retry));
  }
  throw new LedgerContentionError(chain, maxAttempts);
}

/** Appends one entry to the chain of its tenant (or the platform chain when it names none). */
export function appendLedger(
  ports: LedgerPorts,
  input: LedgerAppend,
  retry: LedgerRetry = {},
): Promise<LedgerEntry> {
  return appendToChain(ports, chainOf(input.tenantId), input, retry);
}

/** A reference to an entry that names its chain: `tenant#t-1/000000000042`. */
export const entryRef = (entry: Pick<LedgerEntry, 'chain' | 'seq'>) => `${entry.chain}/${entry.seq}`;

/** Every registered chain name, the global chain first. */
export async function listChains(table: Table): Promise<string[]> {
  const chains = new Set<string>([GLOBAL_CHAIN]);
  const registered = queryAll(table, {
    table: LEDGER_TABLE,
    partition: { name: 'chain', value: CHAIN_REGISTRY },
  });
  for await (const item of registered) if (typeof item.seq === 'string') chains.add(item.seq);
  return [...chains];
}

/** The entries of one chain in sequence order, from just after `afterSeq` (at most `limit`). */
export async function readChain(
  table: Table,
  chain: string,
  options: { readonly afterSeq?: string | undefined; readonly limit?: number } = {},
): Promise<{ readonly entries: LedgerEntry[]; readonly more: boolean }> {
  const entries: LedgerEntry[] = [];
  let cursor: Record<string, unknown> | undefined =
    options.afterSeq !== undefined ? { chain, seq: options.afterSeq } : undefined;
  const limit = options.limit ?? Number.POSITIVE_INFINITY;
  do {
    const page = await table.query({
      table: LEDGER_TABLE,
      partition: { name: 'chain', value: chain },
      cursor,
      ...(Number.isFinite(limit) ? { limit: Math.min(1_000, limit - entries.length) } : {}),
    });
    entries.push(...page.items.map((item) => ledgerEntrySchema.parse(item)));
    cursor = page.cursor;
  } while (cursor && entries.length < limit);
  return { entries, more: cursor !== undefined };
}

/**
 * Entries in sequence order: a tenant's (through the byTenant index, which also finds the entries of
 * earlier versions in the global chain), one chain's, or every chain's one after the other.
 */
export async function readLedger(
  table: Table,
  filter: { readonly tenantId?: string; readonly chain?: string } = {},
): Promise<LedgerEntry[]> {
  if (filter.chain !== undefined) return (await readChain(table, filter.chain)).entries;
  if (filter.tenantId === undefined) {
    const all: LedgerEntry[] = [];
    for (const chain of await listChains(table)) all.push(...(await readChain(table, chain)).entries);
    return all;
  }
  const entries: LedgerEntry[] = [];
  let cursor: Record<string, unknown> | undefined;
  do {
    const page = await table.query({
      table: LEDGER_TABLE,
      index: 'byTenant',
      partition: { name: 'tenantId', value: filter.tenantId },
      cursor,
    });
    entries.push(...page.items.map((item) => ledgerEntrySchema.parse(item)));
    cursor = page.cursor;
  } while (cursor);
  // The index orders by seq only; entries of two chains (old global, new tenant) sort by time.
  return entries.sort((a, b) => (a.at === b.at ? a.seq.localeCompare(b.seq) : a.at.localeCompare(b.at)));
}

/** Why an entry does not verify. */
export type LedgerFault = 'hash_mismatch' | 'broken_link' | 'sequence_gap';

export type LedgerVerification =
  | {
      readonly ok: true;
      readonly count: number;
      /** The head of each chain: seq and hash of its last entry. */
      readonly heads: Readonly<Record<string, { readonly seq: string; readonly hash: string }>>;
    }
  | {
      readonly ok: false;
      readonly chain: string;
      /** The first sequence number (as stored, or as expected when an entry is missing) that is wrong. */
      readonly firstBadSeq: string;
      readonly reason: LedgerFault;
    };

/**
 * Checks chains as read (each chain's entries in stored order, chains in any order): each entry's
 * hash matches its content, links to the one before, and the sequence runs 1, 2, 3… without gaps.
 * Reports the first entry that fails.
 */
export function verifyLedger(entries: readonly LedgerEntry[]): LedgerVerification {
  const chains = new Map<string, LedgerEntry[]>();
  for (const entry of entries) chains.set(entry.chain, [...(chains.get(entry.chain) ?? []), entry]);
  const heads: Record<string, { seq: string; hash: string }> = {};
  for (const [chain, chained] of chains) {
    let prevHash = GENESIS_HASH;
    for (const [index, entry] of chained.entries()) {
      const expectedSeq = formatSeq(index + 1);
      if (entry.seq !== expectedSeq)
        return { ok: false, chain, firstBadSeq: expectedSeq, reason: 'sequence_gap' };
      if (entryHash(entry) !== entry.hash)
        return { ok: false, chain, firstBadSeq: entry.seq, reason: 'hash_mismatch' };
      if (entry.prevHash !== prevHash)
        return { ok: false, chain, firstBadSeq: entry.seq, reason: 'broken_link' };
      prevHash = entry.hash;
    }
    const last = chained.at(-1);
    if (last) heads[chain] = { seq: last.seq, hash: last.hash };
  }
  return { ok: true, count: entries.length, heads };
}
