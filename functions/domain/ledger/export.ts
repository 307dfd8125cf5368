import { z } from 'zod';
import type { ObjectStore, Table } from '../../adapters/ports.ts';
import {
  canonicalJson,
  entryHash,
  formatSeq,
  GENESIS_HASH,
  LEDGER_CHAIN,
  LEDGER_TABLE,
  type LedgerEntry,
  ledgerEntrySchema,
} from './ledger.ts';

/**
 * Scheduled export of the ledger to the audit bucket (Object Lock), issue 10.3: every run writes the
 * entries appended since the last export as one JSON Lines file, so a copy of the hash chain exists
 * that nobody can alter, even with write access to the table.
 *
 * File `ledger-exports/<YYYY-MM-DD JST>/<fromSeq>-<toSeq>.jsonl`: a header line
 * `{"type":"kura.ledger-export",fromSeq,toSeq,count,prevHash,headHash,exportedAt}` then one entry per
 * line (canonical JSON, as hashed). `prevHash` is the hash the first entry links to, `headHash` the
 * last entry's: consecutive files chain like the entries do.
 *
 * The checkpoint (`ledger-exports/checkpoint.json`) is written after the file. A run that dies between
 * the two exports the same range again next time: files may overlap, never leave a gap.
 */
export const LEDGER_EXPORTS_PREFIX = 'ledger-exports/';
export const LEDGER_EXPORT_CHECKPOINT_KEY = `${LEDGER_EXPORTS_PREFIX}checkpoint.json`;
const AUDIT_BUCKET = 'audit';
/** Entries per file at most; the next run continues from there. */
export const DEFAULT_MAX_ENTRIES = 100_000;
const PAGE = 1_000;

export const ledgerExportKey = (date: string, fromSeq: string, toSeq: string) =>
  `${LEDGER_EXPORTS_PREFIX}${date}/${fromSeq}-${toSeq}.jsonl`;

export const ledgerExportCheckpointSchema = z
  .object({
    toSeq: z.string().regex(/^\d{12}$/),
    headHash: z.string().regex(/^[0-9a-f]{64}$/),
    key: z.string(),
    exportedAt: z.string(),
  })
  .strict();
export type LedgerExportCheckpoint = z.infer<typeof ledgerExportCheckpointSchema>;

export const ledgerExportHeaderSchema = z
  .object({
    type: z.literal('kura.ledger-export'),
    fromSeq: z.string(),
    toSeq: z.string(),
    count: z.number().int().positive(),
    prevHash: z.string(),
    headHash: z.string(),
    exportedAt: z.string(),
  })
  .strict();
export type LedgerExportHeader = z.infer<typeof ledgerExportHeaderSchema>;

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
  | { readonly outcome: 'up-to-date'; readonly toSeq: string | undefined };

/** The ledger does not continue the exported chain: an entry was changed, removed or reordered. */
export class LedgerExportChainError extends Error {
  override readonly name = 'LedgerExportChainError';
  constructor(
    readonly seq: string,
    readonly reason: 'hash_mismatch' | 'broken_link' | 'sequence_gap',
  ) {
    super(
      `Ledger entry ${seq} does not continue the exported chain (${reason}); nothing was exported. Run \`kura ledger verify\` and compare with the files under ${LEDGER_EXPORTS_PREFIX} in the audit bucket.`,
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

/**
 * Exports the entries after the checkpoint (at most `maxEntries`), after checking that they continue
 * the exported chain. `more` says entries are left for the next run.
 * @throws LedgerExportChainError when an entry's hash, link or sequence is wrong
 */
export async function exportLedger(
  ports: LedgerExportPorts,
  options: { readonly maxEntries?: number } = {},
): Promise<LedgerExportResult> {
  const maxEntries = options.maxEntries ?? DEFAULT_MAX_ENTRIES;
  const checkpoint = await readLedgerExportCheckpoint(ports.objects);
  const entries: LedgerEntry[] = [];
  let cursor: Record<string, unknown> | undefined = checkpoint
    ? { chain: LEDGER_CHAIN, seq: checkpoint.toSeq }
    : undefined;
  let more = false;
  do {
    const page = await ports.table.query({
      table: LEDGER_TABLE,
      partition: { name: 'chain', value: LEDGER_CHAIN },
      limit: Math.min(PAGE, maxEntries - entries.length),
      cursor,
    });
    entries.push(...page.items.map((item) => ledgerEntrySchema.parse(item)));
    cursor = page.cursor;
    more = cursor !== undefined;
  } while (cursor && entries.length < maxEntries);
  const first = entries[0];
  const last = entries.at(-1);
  if (!first || !last) return { outcome: 'up-to-date', toSeq: checkpoint?.toSeq };

  let prevHash = checkpoint?.headHash ?? GENESIS_HASH;
  let expected = checkpoint ? Number(checkpoint.toSeq) + 1 : 1;
  for (const entry of entries) {
    if (entry.seq !== formatSeq(expected))
      throw new LedgerExportChainError(formatSeq(expected), 'sequence_gap');
    if (entryHash(entry) !== entry.hash) throw new LedgerExportChainError(entry.seq, 'hash_mismatch');
    if (entry.prevHash !== prevHash) throw new LedgerExportChainError(entry.seq, 'broken_link');
    prevHash = entry.hash;
    expected++;
  }

  const now = ports.clock();
  const header: LedgerExportHeader = {
    type: 'kura.ledger-export',
    fromSeq: first.seq,
    toSeq: last.seq,
    count: entries.length,
    prevHash: checkpoint?.headHash ?? GENESIS_HASH,
    headHash: last.hash,
    exportedAt: now.toISOString(),
  };
  const key = ledgerExportKey(japanDate(now), first.seq, last.seq);
  const lines = [canonicalJson(header), ...entries.map((entry) => canonicalJson(entry))];
  await ports.objects.put(AUDIT_BUCKET, key, new TextEncoder().encode(`${lines.join('\n')}\n`), {
    contentType: 'application/x-ndjson',
    metadata: { 'head-hash': last.hash, 'from-seq': first.seq, 'to-seq': last.seq },
  });
  const next: LedgerExportCheckpoint = {
    toSeq: last.seq,
    headHash: last.hash,
    key,
    exportedAt: header.exportedAt,
  };
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
