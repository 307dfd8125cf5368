import { appendLedger, type LedgerPorts, readLedger } from '../ledger/ledger.ts';
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
    // The tenant's entries through the byTenant index: a handful per tenant, so a full read is cheap.
    hasCertification: async (tenantId, certificateId) =>
      (await readLedger(ports.table, { tenantId })).some(
        (entry) => entry.action === 'purge.certified' && entry.details.certificateId === certificateId,
      ),
  };
}
