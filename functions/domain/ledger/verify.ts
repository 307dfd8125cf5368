import type { ObjectStore, Table } from '../ports/index.ts';
import {
  AUDIT_BUCKET,
  LEDGER_EXPORT_CHECKPOINT_KEY,
  LEDGER_EXPORTS_PREFIX,
  parseLedgerExport,
  sha256Hex,
} from './export.ts';
import {
  entryHash,
  type LedgerEntry,
  type LedgerFault,
  listChains,
  readChain,
  verifyLedger,
} from './ledger.ts';

/**
 * `kura ledger verify`: every chain in the table is whole (hashes, links, sequence), and agrees with
 * every entry exported to the Object Lock audit bucket and every chain head the exports anchor; the
 * exports themselves form a chain (each names the SHA-256 of the one before).
 * A chain check alone cannot see the last entries removed (the rest still verifies) or a rewrite that
 * recomputes every later hash (the new chain verifies too); the exported copies, which nobody can
 * change, can: an exported entry missing from the table is a truncation, one with another hash a rewrite.
 */
export type LedgerAuditFault =
  | LedgerFault
  /** An exported (or anchored) entry is no longer in the table: entries were removed from the end. */
  | 'truncated'
  /** The table's entry differs from the exported (or anchored) copy: the chain was rewritten. */
  | 'differs_from_export'
  /** An export file's own entry does not hash to its stated hash, or a file is not the one the next names. */
  | 'export_corrupt';

export type LedgerAudit =
  | {
      readonly ok: true;
      readonly count: number;
      readonly chains: number;
      readonly heads: Readonly<Record<string, { readonly seq: string; readonly hash: string }>>;
      /** What the table was compared with: export files and their entries (0 before the first export). */
      readonly exports: {
        readonly files: number;
        readonly entries: number;
        readonly lastExportedAt?: string;
      };
    }
  | {
      readonly ok: false;
      readonly chain: string;
      readonly firstBadSeq: string;
      readonly reason: LedgerAuditFault;
      /** The export file that shows it, when an export does. */
      readonly exportKey?: string;
    };

export interface LedgerAuditPorts {
  readonly table: Table;
  readonly objects: ObjectStore;
}

/** Every export file key, oldest first (keys sort by date, then by the global chain's span). */
async function exportKeys(objects: ObjectStore): Promise<string[]> {
  const keys: string[] = [];
  for await (const { key } of objects.list(AUDIT_BUCKET, LEDGER_EXPORTS_PREFIX)) {
    if (key !== LEDGER_EXPORT_CHECKPOINT_KEY && key.endsWith('.jsonl')) keys.push(key);
  }
  return keys.sort();
}

/** Compares one copy of an entry (exported or anchored) with the table's chain. */
function compare(
  chains: ReadonlyMap<string, readonly LedgerEntry[]>,
  chain: string,
  seq: string,
  hash: string,
): 'truncated' | 'differs_from_export' | undefined {
  const stored = chains.get(chain)?.[Number(seq) - 1];
  if (!stored) return 'truncated';
  return stored.hash === hash ? undefined : 'differs_from_export';
}

/** Verifies every chain of the ledger against itself and against the exported and anchored copies. */
export async function auditLedger(ports: LedgerAuditPorts): Promise<LedgerAudit> {
  const keys = await exportKeys(ports.objects);
  const files = [];
  const digests = new Map<string, string>();
  for (const key of keys) {
    const bytes = await ports.objects.get(AUDIT_BUCKET, key);
    digests.set(key, sha256Hex(bytes));
    files.push({ key, ...parseLedgerExport(new TextDecoder().decode(bytes)) });
  }
  const names = new Set(await listChains(ports.table));
  for (const file of files) for (const chain of Object.keys(file.header.heads)) names.add(chain);

  const chains = new Map<string, LedgerEntry[]>();
  for (const chain of names) chains.set(chain, (await readChain(ports.table, chain)).entries);
  const own = verifyLedger([...chains.values()].flat());
  if (!own.ok) return own;

  let exportedEntries = 0;
  for (const file of files) {
    // The exports chain to one another: each names the SHA-256 of the one before.
    const previous = file.header.previous;
    if (previous && digests.get(previous.key) !== previous.sha256) {
      return {
        ok: false,
        chain: 'exports',
        firstBadSeq: previous.key,
        reason: 'export_corrupt',
        exportKey: file.key,
      };
    }
    for (const entry of file.entries) {
      if (entryHash(entry) !== entry.hash) {
        return {
          ok: false,
          chain: entry.chain,
          firstBadSeq: entry.seq,
          reason: 'export_corrupt',
          exportKey: file.key,
        };
      }
      const fault = compare(chains, entry.chain, entry.seq, entry.hash);
      if (fault)
        return { ok: false, chain: entry.chain, firstBadSeq: entry.seq, reason: fault, exportKey: file.key };
      exportedEntries++;
    }
    // The head of every chain the file anchors, also of chains it exported nothing of.
    for (const [chain, head] of Object.entries(file.header.heads)) {
      const fault = compare(chains, chain, head.seq, head.hash);
      if (fault) return { ok: false, chain, firstBadSeq: head.seq, reason: fault, exportKey: file.key };
    }
  }
  return {
    ok: true,
    count: own.count,
    chains: [...chains.values()].filter((entries) => entries.length > 0).length,
    heads: own.heads,
    exports: {
      files: files.length,
      entries: exportedEntries,
      ...(files.length > 0 ? { lastExportedAt: files.at(-1)?.header.exportedAt } : {}),
    },
  };
}
