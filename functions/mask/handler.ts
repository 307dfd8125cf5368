import { deployedRuntime } from '../adapters/runtime.ts';
import { type MaskingPorts, pseudonymise } from '../domain/masking/pseudonymise.ts';
import { tenantIdSchema } from '../domain/tenants/model.ts';
import { finishWithdrawal } from '../domain/uploads/withdraw.ts';
import * as z from '../domain/zod.ts';
import { observability, withObservability } from '../observability/observability.ts';
import { recordOutcome } from '../observability/outcomes.ts';
import { composeMask, MASK_NEEDS } from './runtime.ts';

const { logger, metrics } = observability('kura-mask');

/** The event: invoked by ingest (deployed) or directly by the local platform. */
export const maskEventSchema = z.strictObject({
  tenantId: tenantIdSchema,
  uploadId: z.string().check(z.minLength(1), z.maxLength(100)),
});

/**
 * The finishing half of a withdrawal (domain/uploads/withdraw.ts), invoked by the API once the record
 * says WITHDRAWN: this function holds DuckDB for the facts and the grants to delete the upload's versions.
 */
export const withdrawalEventSchema = z.strictObject({
  tenantId: tenantIdSchema,
  uploadId: z.string().check(z.minLength(1), z.maxLength(100)),
  withdrawal: z.strictObject({
    actor: z.strictObject({
      subject: z.string().check(z.minLength(1), z.maxLength(200)),
      roles: z.array(z.string().check(z.minLength(1), z.maxLength(50))).check(z.maxLength(10)),
    }),
  }),
});

/** A mask handler over the given ports; logs ids and counts only, never values, SQL or keys. */
export function createMaskHandler(ports: () => MaskingPorts) {
  return withObservability('kura-mask', async (event: unknown) => {
    if (typeof event === 'object' && event !== null && 'withdrawal' in event) {
      const { tenantId, uploadId, withdrawal } = withdrawalEventSchema.parse(event);
      const result = await finishWithdrawal(
        { clock: () => new Date(), ...ports() },
        { tenantId, uploadId, actor: withdrawal.actor },
      );
      logger.info('finished withdrawal', { tenantId, uploadId, deleted: result.deleted });
      return result;
    }
    const request = maskEventSchema.parse(event);
    const result = await pseudonymise(ports(), request);
    const summary = {
      tenantId: result.tenantId,
      uploadId: result.uploadId,
      dataset: result.dataset,
      rows: result.rows,
      outputs: result.outputs,
      facts: result.facts.outputs,
    };
    logger.info('pseudonymised upload', summary);
    recordOutcome(metrics, { kind: 'masked', rows: result.rows });
    return summary;
  });
}

/** The deployed mask function: `{ tenantId, uploadId }` → pseudonymised objects and rebuilt facts. */
export const handler = createMaskHandler(() => composeMask(deployedRuntime(MASK_NEEDS)));
