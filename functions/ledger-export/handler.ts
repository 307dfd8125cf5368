import { deployedRuntime } from '../adapters/runtime.ts';
import { exportLedger, type LedgerExportPorts, type LedgerExportResult } from '../domain/ledger/export.ts';
import { observability, withObservability } from '../observability/observability.ts';
import { composeLedgerExport, LEDGER_EXPORT_NEEDS } from './runtime.ts';

const { logger } = observability('kura-ledger-export');

/** A ledger-export handler over the given ports (the local platform and tests pass their own). */
export function createLedgerExportHandler(load: () => LedgerExportPorts) {
  return withObservability('kura-ledger-export', async (): Promise<LedgerExportResult> => {
    const result = await exportLedger(load());
    if (result.outcome === 'exported') {
      logger.info('ledger exported', { key: result.key, ...result.header, more: result.more });
    } else {
      logger.info('ledger export up to date', { toSeq: result.toSeq });
    }
    return result;
  });
}

/** The deployed function, scheduled daily (Asia/Tokyo); writes to the Object Lock audit bucket. */
export const handler = createLedgerExportHandler(() =>
  composeLedgerExport(deployedRuntime(LEDGER_EXPORT_NEEDS)),
);
