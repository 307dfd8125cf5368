import { createHash } from 'node:crypto';
import { z } from 'zod';
import { ConditionFailedError, type Table } from '../../adapters/ports.ts';

/**
 * The ledger: an append-only, hash-chained record of who did what, when and why (upload requests,
 * consent attestations, refused authorisations, tenant changes, purges). One chain, so any change,
 * removal or reordering of an entry breaks every hash after it. Entries hold ids, roles, dataset
 * names, counts and purposes — never personal data.
 */
export const LEDGER_TABLE = 'ledger';
export const LEDGER_CHAIN = 'ledger';
/** `seq` is zero-padded so the string sort key orders like the number. */
export const SEQ_DIGITS = 12;
/** prevHash of the first entry. */
export const GENESIS_HASH = '0'.repeat(64);

/** What the ledger records; other functions add actions under their own prefix (ingest.*, purge.*). */
export const LEDGER_ACTIONS = [
  'upload.requested',
  'upload.received',
  'consent.attested',
  'authorization.refused',
  'tenant.registered',
  'tenant.updated',
  'tenant.legal_hold_changed',
  'supporter.granted',
  'supporter.revoked',
  'supporter.benchmark_read',
  'supporter.benchmark_refused',
  'stats.release_published',
] as const;

const detailValue = z.union([z.string(), z.number(), z.boolean(), z.null(), z.array(z.string())]);

export const ledgerEntrySchema = z
  .object({
    chain: z.literal(LEDGER_CHAIN),
    seq: z.string().regex(/^\d{12}$/),
    at: z.string(),
    action: z.string().regex(/^[a-z][a-z_]*(\.[a-z][a-z_]*)+$/, 'action is like "upload.requested"'),
    /** Who acted: the identity provider's subject id (never a name or email) and its roles. */
    actor: z.object({ subject: z.string(), roles: z.array(z.string()) }).strict(),
    /** The tenant the entry is about, when there is one (the byTenant index). */
    tenantId: z.string().optional(),
    /** Why the data is processed, for entries that record a use of data. */
    purpose: z.string().optional(),
    /** Flat facts: ids, dataset names, counts, flags. */
    details: z.record(z.string(), detailValue),
    prevHash: z.string().regex(/^[0-9a-f]{64}$/),
    hash: z.string().regex(/^[0-9a-f]{64}$/),
  })
  .strict();
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
}

/** Raised when many writers keep winning the race for the next sequence number. */
export class LedgerContentionError extends Error {
  override readonly name = 'LedgerContentionError';
}

async function lastEntry(table: Table): Promise<LedgerEntry | undefined> {
  const page = await table.query({
    table: LEDGER_TABLE,
    partition: { name: 'chain', value: LEDGER_CHAIN },
    descending: true,
    limit: 1,
  });
  const item = page.items[0];
  return item ? ledgerEntrySchema.parse(item) : undefined;
}

/**
 * Appends one entry. Optimistic concurrency: the next sequence number is claimed with a conditional
 * put, and a writer that loses the race re-reads the head and tries again.
 */
export async function appendLedger(
  ports: LedgerPorts,
  input: LedgerAppend,
  options: { readonly maxAttempts?: number } = {},
): Promise<LedgerEntry> {
  const maxAttempts = options.maxAttempts ?? 20;
  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    const head = await lastEntry(ports.table);
    const unsigned: Omit<LedgerEntry, 'hash'> = {
      chain: LEDGER_CHAIN,
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
  }
  throw new LedgerContentionError(`Could not append to the ledger after ${maxAttempts} attempts`);
}

/** Every entry in sequence order (or a tenant's entries, through the byTenant index). */
export async function readLedger(
  table: Table,
  filter: { readonly tenantId?: string } = {},
): Promise<LedgerEntry[]> {
  const entries: LedgerEntry[] = [];
  let cursor: Record<string, unknown> | undefined;
  do {
    const page = await table.query({
      table: LEDGER_TABLE,
      ...(filter.tenantId !== undefined
        ? { index: 'byTenant', partition: { name: 'tenantId', value: filter.tenantId } }
        : { partition: { name: 'chain', value: LEDGER_CHAIN } }),
      cursor,
    });
    entries.push(...page.items.map((item) => ledgerEntrySchema.parse(item)));
    cursor = page.cursor;
  } while (cursor);
  return entries;
}

export type LedgerVerification =
  | { readonly ok: true; readonly count: number; readonly headHash: string }
  | {
      readonly ok: false;
      /** The first sequence number (as stored, or as expected when an entry is missing) that is wrong. */
      readonly firstBadSeq: string;
      readonly reason: 'hash_mismatch' | 'broken_link' | 'sequence_gap';
    };

/**
 * Checks a whole chain as read (in stored order): each entry's hash matches its content, links to
 * the one before, and the sequence runs 1, 2, 3… without gaps. Reports the first entry that fails.
 */
export function verifyLedger(entries: readonly LedgerEntry[]): LedgerVerification {
  let prevHash = GENESIS_HASH;
  for (const [index, entry] of entries.entries()) {
    const expectedSeq = formatSeq(index + 1);
    if (entry.seq !== expectedSeq) return { ok: false, firstBadSeq: expectedSeq, reason: 'sequence_gap' };
    if (entryHash(entry) !== entry.hash)
      return { ok: false, firstBadSeq: entry.seq, reason: 'hash_mismatch' };
    if (entry.prevHash !== prevHash) return { ok: false, firstBadSeq: entry.seq, reason: 'broken_link' };
    prevHash = entry.hash;
  }
  return { ok: true, count: entries.length, headHash: prevHash };
}
