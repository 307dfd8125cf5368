import { appendLedger, type LedgerPorts } from '../ledger/ledger.ts';
import type { PurgeLedger } from './ports.ts';

/** The purge's ledger port over Kura's hash-chained ledger (functions/domain/ledger). */
export function purgeLedger(ports: LedgerPorts): PurgeLedger {
  return {
    append: async (entry) => {
      const appended = await appendLedger(ports, {
        action: entry.type,
        actor: { subject: entry.actor.subject, roles: [...entry.actor.roles] },
        tenantId: entry.tenantId,
        details: { ...entry.detail, at: entry.at },
      });
      return { seq: appended.seq, hash: appended.hash };
    },
  };
}
