import { z } from 'zod';
import type { ObjectStore, Table } from '../../adapters/ports.ts';
import {
  appendToChain,
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
 * Scheduled export of the ledger to the audit bucket (Object Lock): every run anchors the head of each
 * chain that moved in the global chain (`ledger.anchored`), then writes the entries appended since the
 * last export, of every chain, as one JSON Lines file, so a copy of every chain exists that nobody can
 * alter, even with write access to the table. `kura ledger verify` compares the table with these files
 * (verify.ts): a truncated chain or a rewrite that recomputes every later hash shows there.
 *
 * File `ledger-exports/<YYYY-MM-DD JST>/<fromSeq>-<toSeq>.jsonl` (the span of the global chain, which
 * every export extends with its anchor): a header line
 * `{"type":"kura.ledger-export","version":2,chains:[{chain,fromSeq,toSeq,count,prevHash,headHash}],count,exportedAt}`
 * then one entry per line (canonical JSON, as hashed). `prevHash` is the hash a chain's first exported
 * entry links to, `headHash` its last one's: a chain's spans in consecutive files chain like its entries.
 * Files of earlier versions (one chain, `fromSeq`… at the top of the header) are read alike.
 *
 * The checkpoint (`ledger-exports/checkpoint.json`, the head of each chain) is written after the file.
 * A run that dies between the two exports the same ranges again next time: files may overlap, never
 * leave a gap.
 */
export const LEDGER_EXPORTS_PREFIX = 'ledger-exports/';
export const LEDGER_EXPORT_CHECKPOINT_KEY = `${LEDGER_EXPORTS_PREFIX}checkpoint.json`;
export const AUDIT_BUCKET = 'audit';
/** Entries per file at most; the next run continues from there. */
export const DEFAULT_MAX_ENTRIES = 100_000;
/** Who appends the anchors. */
export const LEDGER_EXPORT_ACTOR = { subject: 'kura:ledger-export', roles: [] as string[] };

export const ledgerExportKey = (date: string, fromSeq: string, toSeq: string) =>
  `${LEDGER_EXPORTS_PREFIX}${date}/${fromSeq}-${toSeq}.jsonl`;

const seqSchema = z.string().regex(/^\d{12}$/);
const hashSchema = z.string().regex(/^[0-9a-f]{64}$/);
const headSchema = z.object({ toSeq: seqSchema, headHash: hashSchema }).strict();
export type ChainHead = z.infer<typeof headSchema>;

/** The checkpoint: where each chain's export ends. Version 1 (one chain) is read as the global chain. */
export const ledgerExportCheckpointSchema = z.union([
  z
    .object({
      version: z.literal(2),
      heads: z.record(z.string(), headSchema),
      key: z.string(),
      exportedAt: z.string(),
    })
    .strict(),
  z
    .object({ toSeq: seqSchema, headHash: hashSchema, key: z.string(), exportedAt: z.string() })
    .strict()
    .transform((v1) => {
      const heads: Record<string, ChainHead> = { [GLOBAL_CHAIN]: { toSeq: v1.toSeq, headHash: v1.headHash } };
      return { version: 2 as const, heads, key: v1.key, exportedAt: v1.exportedAt };
    }),
]);
export type LedgerExportCheckpoint = z.output<typeof ledgerExportCheckpointSchema>;

const chainSpanSchema = z
  .object({
    chain: z.string(),
    fromSeq: seqSchema,
    toSeq: seqSchema,
    count: z.number().int().positive(),
    prevHash: hashSchema,
    headHash: hashSchema,
  })
  .strict();
export type ChainSpan = z.infer<typeof chainSpanSchema>;

/** An export file's header. Version 1 (one chain) is read as a span of the global chain. */
export const ledgerExportHeaderSchema = z.union([
  z
    .object({
      type: z.literal('kura.ledger-export'),
      version: z.literal(2),
      chains: z.array(chainSpanSchema).min(1),
      count: z.number().int().positive(),
      exportedAt: z.string(),
    })
    .strict(),
  z
    .object({
      type: z.literal('kura.ledger-export'),
      fromSeq: seqSchema,
      toSeq: seqSchema,
      count: z.number().int().positive(),
      prevHash: hashSchema,
      headHash: hashSchema,
      exportedAt: z.string(),
    })
    .strict()
    .transform((v1) => ({
      type: v1.type,
      version: 2 as const,
      chains: [
        {
          chain: GLOBAL_CHAIN,
          fromSeq: v1.fromSeq,
          toSeq: v1.toSeq,
          count: v1.count,
          prevHash: v1.prevHash,
          headHash: v1.headHash,
        },
      ],
      count: v1.count,
      exportedAt: v1.exportedAt,
    })),
]);
export type LedgerExportHeader = z.output<typeof ledgerExportHeaderSchema>;

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

/** The Japanese calendar date of an instant (exports are filed by the day they ran in Japan). */
const japanDate = (at: Date) => new Date(at.getTime() + 9 * 3_600_000).toISOString().slice(0, 10);

/** The last export's checkpoint, or undefined before the first export. */
export async function readLedgerExportCheckpoint(
  objects: ObjectStore,
): Promise<LedgerExportCheckpoint | undefined> {
  if (!(await objects.head(AUDIT_BUCKET, LEDGER_EXPORT_CHECKPOINT_KEY))) return undefined;
  const bytes = await objects.get(AUDIT_BUCKET, LEDGER_EXPORT_CHECKPOINT_KEY);
  return ledgerExportCheckpointSchema.parse(JSON.parse(new TextDecoder().decode(bytes)));
}

/** One export file, parsed: its header and entries (each checked against the entry schema). */
export function parseLedgerExport(text: string): { header: LedgerExportHeader; entries: LedgerEntry[] } {
  const [first, ...rest] = text.trimEnd().split('\n');
  return {
    header: ledgerExportHeaderSchema.parse(JSON.parse(first ?? '')),
    entries: rest.map((line) => ledgerEntrySchema.parse(JSON.parse(line))),
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
 * Anchors and exports the entries after the checkpoint (at most `maxEntries` besides the anchor), after
 * checking that each chain continues its exported part. `more` says entries are left for the next run.
 * @throws LedgerExportChainError when an entry's hash, link or sequence is wrong (nothing is written)
 */
export async function exportLedger(
  ports: LedgerExportPorts,
  options: { readonly maxEntries?: number } = {},
): Promise<LedgerExportResult> {
  const maxEntries = options.maxEntries ?? DEFAULT_MAX_ENTRIES;
  const checkpoint = await readLedgerExportCheckpoint(ports.objects);
  const heads: Record<string, ChainHead> = { ...(checkpoint?.heads ?? {}) };
  const chains = [...new Set([...(await listChains(ports.table)), ...Object.keys(heads)])].filter(
    (chain) => chain !== GLOBAL_CHAIN,
  );

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
  if (exported.length > 0) {
    // The global chain fixes the head of every chain exported in this run.
    await appendToChain(ports, GLOBAL_CHAIN, {
      action: 'ledger.anchored',
      actor: LEDGER_EXPORT_ACTOR,
      details: {
        heads: exported.map(({ chain, entries }) => {
          const last = entries.at(-1) as LedgerEntry;
          return `${chain}:${last.seq}:${last.hash}`;
        }),
      },
    });
  }
  const global = await readChain(ports.table, GLOBAL_CHAIN, {
    afterSeq: heads[GLOBAL_CHAIN]?.toSeq,
    limit: Math.max(budget, 1),
  });
  checkContinues(GLOBAL_CHAIN, heads[GLOBAL_CHAIN], global.entries);
  more ||= global.more;
  if (global.entries.length > 0) exported.push({ chain: GLOBAL_CHAIN, entries: global.entries });
  if (exported.length === 0) return { outcome: 'up-to-date', toSeq: heads[GLOBAL_CHAIN]?.toSeq, heads };

  const now = ports.clock();
  const spans = exported.map(({ chain, entries }) => spanOf(chain, heads[chain], entries));
  const header: LedgerExportHeader = {
    type: 'kura.ledger-export',
    version: 2,
    chains: spans,
    count: spans.reduce((sum, span) => sum + span.count, 0),
    exportedAt: now.toISOString(),
  };
  // Named after the global chain's span, which every export extends (its anchor).
  const globalSpan = spans.find((span) => span.chain === GLOBAL_CHAIN) ?? spans[0];
  const key = ledgerExportKey(japanDate(now), globalSpan?.fromSeq ?? '', globalSpan?.toSeq ?? '');
  const lines = [canonicalJson(header), ...exported.flatMap(({ entries }) => entries.map(canonicalJson))];
  await ports.objects.put(AUDIT_BUCKET, key, new TextEncoder().encode(`${lines.join('\n')}\n`), {
    contentType: 'application/x-ndjson',
    metadata: { chains: String(spans.length), entries: String(header.count) },
  });
  for (const span of spans) heads[span.chain] = { toSeq: span.toSeq, headHash: span.headHash };
  const next: LedgerExportCheckpoint = { version: 2, heads, key, exportedAt: header.exportedAt };
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
