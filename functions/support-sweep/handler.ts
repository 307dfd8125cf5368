import { deployedRuntime } from '../adapters/runtime.ts';
import { sweepExpiredSupportGrants } from '../domain/platform-support/grant-sweep.ts';
import { observability, withObservability } from '../observability/observability.ts';
import { composeSupportSweep, SUPPORT_SWEEP_NEEDS, type SweepPorts } from './runtime.ts';

const { logger } = observability('kura-support-sweep');

/**
 * Ends support grants whose time is up: deletes their exports and records what was deleted in the
 * ledger. Access checks compare with the clock, so a late sweep never lets a read through; the sweep
 * makes sure nothing taken out under a grant outlives it.
 */
export function createSupportSweepHandler(load: () => SweepPorts) {
  return withObservability('kura-support-sweep', async (): Promise<{ swept: number }> => {
    const ports = load();
    const swept = await sweepExpiredSupportGrants(ports, ports.clock());
    logger.info('support grants swept', { swept: swept.length });
    return { swept: swept.length };
  });
}

/** The deployed function, scheduled every 15 minutes. */
export const handler = createSupportSweepHandler(() =>
  composeSupportSweep(deployedRuntime(SUPPORT_SWEEP_NEEDS)),
);
