import { createHash } from 'node:crypto';
import type { ObjectStore, Table } from '../ports/index.ts';
import { japanDay } from '../tenants/rules.ts';
import * as z from '../zod.ts';
import {
  canonicalJson,
  entryHash,
  formatSeq,
  GENESIS_HASH,
  GLOBAL_CHAIN,
  type LedgerEntry,
  ledgerEntrySchema,
  listChains,
  readChain,
} from './ledger.ts';

/**
 * Scheduled export of the ledger to the audit bucket (Object Lock): every run writes the entries of every
 * chain appended since the last export as one JSON Lines file, with the head of every chain, so a copy of
 * every chain exists that nobody can alter, even with write access to the table. The files are the global
 * chain the per-company chains are anchored to: each names the SHA-256 of the one before, and each is
 * locked. `kura ledger verify` compares the table with them (verify.ts): a truncated chain or a rewrite
 * that recomputes every later hash shows there. The export only reads the ledger table.
 *
 * File `ledger-exports/<YYYY-MM-DD JST>/<export number, 12 digits>.jsonl`: a header line
 * `{"type":"kura.ledger-export","version":2,"number",chains:[{chain,fromSeq,toSeq,count,prevHash,headHash}],
 * heads:{<chain>:{seq,hash}},previous:{key,sha256}|null,count,exportedAt}` then one entry per line
 * (canonical JSON, as hashed). `prevHash` is the hash a chain's first exported entry links to, `headHash`
 * its last one's: a chain's spans in consecutive files chain like its entries. Files of the earlier
 * single-chain version (`<fromSeq>-<toSeq>.jsonl`, one chain at the top of the header) are read alike.
 *
 * The checkpoint (`ledger-exports/checkpoint.json`: the heads, the last file and its SHA-256) is written
 * after the file. A run that dies between the two exports the same ranges again next time: files may
 * overlap, never leave a gap.
 */
export const LEDGER_EXPORTS_PREFIX = 'ledger-exports/';
export const LEDGER_EXPORT_CHECKPOINT_KEY = `${LEDGER_EXPORTS_PREFIX}checkpoint.json`;
export const AUDIT_BUCKET = 'audit';
/** Entries per file at most; the next run continues from there. */
export const DEFAULT_MAX_ENTRIES = 100_000;
export const ledgerExportKey = (date: string, number: number) =>
  `${LEDGER_EXPORTS_PREFIX}${date}/${String(number).padStart(12, '0')}.jsonl`;

const seqSchema = z.string().check(z.regex(/^\d{12}$/));
const hashSchema = z.string().check(z.regex(/^[0-9a-f]{64}$/));
const headSchema = z.strictObject({ toSeq: seqSchema, headHash: hashSchema });
export type ChainHead = z.infer<typeof headSchema>;

const checkpointV2Schema = z.strictObject({
  version: z.literal(2),
  /** How many export files there are, the last one included. */
  number: z.int().check(z.positive()),
  heads: z.record(z.string(), headSchema),
  key: z.string(),
  /** SHA-256 (hex) of the last file's bytes: the next file names it. */
  sha256: hashSchema,
  exportedAt: z.string(),
});
/** The checkpoint of the earlier single-chain version. */
const checkpointV1Schema = z.strictObject({
  toSeq: seqSchema,
  headHash: hashSchema,
  key: z.string(),
  exportedAt: z.string(),
});

/** Where the last export ended: every chain's head, and the last file (undefined facts for a v1 checkpoint). */
export interface LedgerExportCheckpoint {
  readonly heads: Readonly<Record<string, ChainHead>>;
  readonly key: string;
  readonly number?: number;
  readonly sha256?: string;
  readonly exportedAt: string;
}

const chainSpanSchema = z.strictObject({
  chain: z.string(),
  fromSeq: seqSchema,
  toSeq: seqSchema,
  count: z.int().check(z.positive()),
  prevHash: hashSchema,
  headHash: hashSchema,
});
export type ChainSpan = z.infer<typeof chainSpanSchema>;

/** An export file's header. */
export const ledgerExportHeaderSchema = z.strictObject({
  type: z.literal('kura.ledger-export'),
  version: z.literal(2),
  number: z.int().check(z.positive()),
  chains: z.array(chainSpanSchema).check(z.minLength(1)),
  /** The head of every chain known at this export: the anchor, also for chains with nothing new. */
  heads: z.record(z.string(), z.strictObject({ seq: seqSchema, hash: hashSchema })),
  /** The export before: its key and the SHA-256 (hex) of its bytes (null for the first). */
  previous: z.nullable(z.strictObject({ key: z.string(), sha256: hashSchema })),
  count: z.int().check(z.positive()),
  exportedAt: z.string(),
});
export type LedgerExportHeader = z.infer<typeof ledgerExportHeaderSchema>;

/** The header of the earlier single-chain version (the global chain only). */
const headerV1Schema = z.strictObject({
  type: z.literal('kura.ledger-export'),
  fromSeq: seqSchema,
  toSeq: seqSchema,
  count: z.int().check(z.positive()),
  prevHash: hashSchema,
  headHash: hashSchema,
  exportedAt: z.string(),
});

/** What verification reads of any file's header, whatever its version. */
export interface ExportedSpans {
  readonly chains: readonly ChainSpan[];
  readonly heads: Readonly<Record<string, { readonly seq: string; readonly hash: string }>>;
  readonly previous?: { readonly key: string; readonly sha256: string } | null;
  readonly exportedAt: string;
}

export interface LedgerExportPorts {
  readonly objects: ObjectStore;
  readonly table: Table;
  readonly clock: () => Date;
}

export type LedgerExportResult =
  | {
      readonly outcome: 'exported';
      readonly key: string;
      readonly header: LedgerExportHeader;
      readonly more: boolean;
    }
  | {
      readonly outcome: 'up-to-date';
      /** Where the global chain's export ends. */
      readonly toSeq: string | undefined;
      readonly heads: Readonly<Record<string, ChainHead>>;
    };

/** The ledger does not continue the exported chain: an entry was changed, removed or reordered. */
export class LedgerExportChainError extends Error {
  override readonly name = 'LedgerExportChainError';
  constructor(
    readonly chain: string,
    readonly seq: string,
    readonly reason: 'hash_mismatch' | 'broken_link' | 'sequence_gap',
  ) {
    super(
      `Ledger chain ${chain} entry ${seq} does not continue the exported chain (${reason}); nothing was exported. Run \`kura ledger verify\` and compare with the files under ${LEDGER_EXPORTS_PREFIX} in the audit bucket.`,
    );
  }
}

/** The last export's checkpoint, or undefined before the first export. */
export async function readLedgerExportCheckpoint(
  objects: ObjectStore,
): Promise<LedgerExportCheckpoint | undefined> {
  if (!(await objects.head(AUDIT_BUCKET, LEDGER_EXPORT_CHECKPOINT_KEY))) return undefined;
  const json: unknown = JSON.parse(
    new TextDecoder().decode(await objects.get(AUDIT_BUCKET, LEDGER_EXPORT_CHECKPOINT_KEY)),
  );
  const v2 = checkpointV2Schema.safeParse(json);
  if (v2.success) return v2.data;
  const v1 = checkpointV1Schema.parse(json);
  return {
    heads: { [GLOBAL_CHAIN]: { toSeq: v1.toSeq, headHash: v1.headHash } },
    key: v1.key,
    exportedAt: v1.exportedAt,
  };
}

/** One export file, parsed: what it anchors and its entries (each checked against the entry schema). */
export function parseLedgerExport(text: string): { header: ExportedSpans; entries: LedgerEntry[] } {
  const [first, ...rest] = text.trimEnd().split('\n');
  const json: unknown = JSON.parse(first ?? '');
  const v2 = ledgerExportHeaderSchema.safeParse(json);
  const entries = rest.map((line) => ledgerEntrySchema.parse(JSON.parse(line)));
  if (v2.success) return { header: v2.data, entries };
  const v1 = headerV1Schema.parse(json);
  const { type: _t, count: _c, exportedAt, ...span } = v1;
  return {
    header: {
      chains: [{ chain: GLOBAL_CHAIN, ...span, count: v1.count }],
      heads: { [GLOBAL_CHAIN]: { seq: v1.toSeq, hash: v1.headHash } },
      exportedAt,
    },
    entries,
  };
}

/** Checks that entries continue a chain from `head` (or its genesis); throws at the first that does not. */
function checkContinues(chain: string, head: ChainHead | undefined, entries: readonly LedgerEntry[]): void {
  let prevHash = head?.headHash ?? GENESIS_HASH;
  let expected = head ? Number(head.toSeq) + 1 : 1;
  for (const entry of entries) {
    if (entry.seq !== formatSeq(expected))
      throw new LedgerExportChainError(chain, formatSeq(expected), 'sequence_gap');
    if (entryHash(entry) !== entry.hash) throw new LedgerExportChainError(chain, entry.seq, 'hash_mismatch');
    if (entry.prevHash !== prevHash) throw new LedgerExportChainError(chain, entry.seq, 'broken_link');
    prevHash = entry.hash;
    expected++;
  }
}

const spanOf = (chain: string, head: ChainHead | undefined, entries: readonly LedgerEntry[]): ChainSpan => ({
  chain,
  fromSeq: entries[0]?.seq ?? '',
  toSeq: entries.at(-1)?.seq ?? '',
  count: entries.length,
  prevHash: head?.headHash ?? GENESIS_HASH,
  headHash: entries.at(-1)?.hash ?? '',
});

/**
 * Exports the entries of every chain after the checkpoint (at most `maxEntries`), after checking that
 * each chain continues its exported part, with the head of every chain and the SHA-256 of the previous
 * export. `more` says entries are left for the next run. Reads the ledger table only.
 * @throws LedgerExportChainError when an entry's hash, link or sequence is wrong (nothing is written)
 */
export async function exportLedger(
  ports: LedgerExportPorts,
  options: { readonly maxEntries?: number } = {},
): Promise<LedgerExportResult> {
  const maxEntries = options.maxEntries ?? DEFAULT_MAX_ENTRIES;
  const checkpoint = await readLedgerExportCheckpoint(ports.objects);
  const heads: Record<string, ChainHead> = { ...(checkpoint?.heads ?? {}) };
  const chains = [...new Set([...(await listChains(ports.table)), ...Object.keys(heads)])];

  const exported: Array<{ chain: string; entries: LedgerEntry[] }> = [];
  let budget = maxEntries;
  let more = false;
  for (const chain of chains) {
    if (budget <= 0) {
      more = true;
      break;
    }
    const read = await readChain(ports.table, chain, { afterSeq: heads[chain]?.toSeq, limit: budget });
    checkContinues(chain, heads[chain], read.entries);
    more ||= read.more;
    budget -= read.entries.length;
    if (read.entries.length > 0) exported.push({ chain, entries: read.entries });
  }
  if (exported.length === 0) return { outcome: 'up-to-date', toSeq: heads[GLOBAL_CHAIN]?.toSeq, heads };

  const now = ports.clock();
  const spans = exported.map(({ chain, entries }) => spanOf(chain, heads[chain], entries));
  for (const span of spans) heads[span.chain] = { toSeq: span.toSeq, headHash: span.headHash };
  const number = (checkpoint?.number ?? 0) + 1;
  const header: LedgerExportHeader = {
    type: 'kura.ledger-export',
    version: 2,
    number,
    chains: spans,
    heads: Object.fromEntries(
      Object.entries(heads).map(([chain, h]) => [chain, { seq: h.toSeq, hash: h.headHash }]),
    ),
    previous: checkpoint?.sha256 ? { key: checkpoint.key, sha256: checkpoint.sha256 } : null,
    count: spans.reduce((sum, span) => sum + span.count, 0),
    exportedAt: now.toISOString(),
  };
  const key = ledgerExportKey(japanDay(now), number);
  const lines = [canonicalJson(header), ...exported.flatMap(({ entries }) => entries.map(canonicalJson))];
  const bytes = new TextEncoder().encode(`${lines.join('\n')}\n`);
  await ports.objects.put(AUDIT_BUCKET, key, bytes, {
    contentType: 'application/x-ndjson',
    metadata: { chains: String(spans.length), entries: String(header.count) },
  });
  const next = { version: 2, number, heads, key, sha256: sha256Hex(bytes), exportedAt: header.exportedAt };
  await ports.objects.put(
    AUDIT_BUCKET,
    LEDGER_EXPORT_CHECKPOINT_KEY,
    new TextEncoder().encode(JSON.stringify(next)),
    {
      contentType: 'application/json',
    },
  );
  return { outcome: 'exported', key, header, more };
}

/** SHA-256 (hex) of bytes: how one export names the one before. */
export const sha256Hex = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
