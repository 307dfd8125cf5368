import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MemoryObjectStore, MemoryTable } from '../../../functions/adapters/memory/index.ts';
import { benchmarkForCaller } from '../../../functions/domain/advisors/benchmark.ts';
import { grantSupporter, revokeSupporter } from '../../../functions/domain/advisors/grants.ts';
import type { Principal } from '../../../functions/domain/auth/principal.ts';
import { NotFoundError } from '../../../functions/domain/errors.ts';
import { activeTenant } from '../uploads/fixtures.ts';

const COMPANIES = ['co-a', 'co-b', 'co-c'];
const SUPPORTERS = ['sr-one', 'sr-two', 'sr-three'];
const company = (tenantId: string): Principal => ({
  subject: `sub-${tenantId}`,
  roles: ['tenant'],
  tenantId,
});
const supporter = (tenantId: string): Principal => ({
  subject: `sub-${tenantId}`,
  roles: ['supporter'],
  tenantId,
});

/** A grant or a revocation by one company for one supporter. */
const stepArbitrary = fc.record({
  kind: fc.constantFrom('grant', 'revoke'),
  company: fc.constantFrom(...COMPANIES),
  supporter: fc.constantFrom(...SUPPORTERS),
});

describe('supporter access without a grant', () => {
  it('is refused with the same 404 for every company the supporter holds no grant from, existing or not', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(stepArbitrary, { maxLength: 12 }),
        fc.constantFrom(...SUPPORTERS),
        fc.constantFrom(...COMPANIES, 'no-such-co'),
        async (steps, asker, asked) => {
          // Prepare: grants and revocations in any order; what holds at the end decides.
          const ports = {
            table: new MemoryTable(),
            objects: new MemoryObjectStore(),
            clock: () => new Date(),
          };
          for (const tenantId of COMPANIES) await ports.table.put('tenants', activeTenant(tenantId));
          const held = new Set<string>();
          for (const step of steps) {
            if (step.kind === 'grant') {
              await grantSupporter(ports, company(step.company), { supporterId: step.supporter });
              held.add(`${step.company}/${step.supporter}`);
            } else if (held.delete(`${step.company}/${step.supporter}`)) {
              await revokeSupporter(ports, company(step.company), step.supporter);
            }
          }
          fc.pre(!held.has(`${asked}/${asker}`));

          // Act
          const outcome = await benchmarkForCaller(ports, supporter(asker), {
            statistic: 'overtime_hours_monthly',
            tenantId: asked,
          }).then(
            (value) => ({ value }),
            (error: unknown) => ({ error }),
          );

          // Assess: nothing of the company, and nothing that tells whether it exists.
          expect('error' in outcome && outcome.error instanceof NotFoundError).toBe(true);
          const error = (outcome as { error: NotFoundError }).error;
          expect(error.field).toBe('tenantId');
          expect(error.userMessage.en).toBe(
            `No benchmark of company ${asked} is available to you (it has not granted you access, or does not exist).`,
          );
        },
      ),
      { numRuns: 60 },
    );
  });
});
