import type { ObjectStore, Table } from '../../adapters/ports.ts';
import {
  AUDIT_BUCKET,
  LEDGER_EXPORT_CHECKPOINT_KEY,
  LEDGER_EXPORTS_PREFIX,
  parseLedgerExport,
} from './export.ts';
import {
  entryHash,
  formatSeq,
  GLOBAL_CHAIN,
  type LedgerEntry,
  type LedgerFault,
  listChains,
  readChain,
  verifyLedger,
} from './ledger.ts';

/**
 * `kura ledger verify`: every chain in the table is whole (hashes, links, sequence), and agrees with
 * every entry exported to the Object Lock audit bucket and every head anchored in the global chain.
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
  /** An export file's own entry does not hash to its stated hash. */
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
  for (const key of keys) {
    files.push({
      key,
      ...parseLedgerExport(new TextDecoder().decode(await ports.objects.get(AUDIT_BUCKET, key))),
    });
  }
  const names = new Set(await listChains(ports.table));
  for (const file of files) for (const span of file.header.chains) names.add(span.chain);

  const chains = new Map<string, LedgerEntry[]>();
  for (const chain of names) chains.set(chain, (await readChain(ports.table, chain)).entries);
  const all = [...chains.values()].flat();
  const own = verifyLedger(all);
  if (!own.ok) return own;

  let exportedEntries = 0;
  for (const file of files) {
    for (const entry of file.entries) {
      if (entryHash(entry) !== entry.hash)
        return {
          ok: false,
          chain: entry.chain,
          firstBadSeq: entry.seq,
          reason: 'export_corrupt',
          exportKey: file.key,
        };
      const fault = compare(chains, entry.chain, entry.seq, entry.hash);
      if (fault)
        return { ok: false, chain: entry.chain, firstBadSeq: entry.seq, reason: fault, exportKey: file.key };
      exportedEntries++;
    }
    // The head each file names, even where its entries were cut short.
    for (const span of file.header.chains) {
      const fault = compare(chains, span.chain, span.toSeq, span.headHash);
      if (fault)
        return { ok: false, chain: span.chain, firstBadSeq: span.toSeq, reason: fault, exportKey: file.key };
    }
  }
  for (const anchor of chains.get(GLOBAL_CHAIN) ?? []) {
    if (anchor.action !== 'ledger.anchored') continue;
    const heads = anchor.details.heads;
    for (const head of Array.isArray(heads) ? heads : []) {
      const [chain = '', seq = '', hash = ''] = head.split(':');
      const fault = compare(chains, chain, seq, hash);
      if (fault) return { ok: false, chain, firstBadSeq: formatSeq(Number(seq)), reason: fault };
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
