import { describe, expect, it } from 'vitest';
import { purgeExpiredTenants } from '../../../functions/domain/purge/index.ts';
import { makeWorld, NOW, seedTenant, tenantInventory } from './fixtures.ts';

describe('purgeExpiredTenants', () => {
  it('says more work remains when the budget runs out, and finishes every tenant over later runs', async () => {
    // Prepare
    const world = makeWorld();
    await seedTenant(world, 'first-co');
    await seedTenant(world, 'second-co');
    const runs = [];

    // Act
    for (let run = 0; run < 100; run++) {
      const summary = await purgeExpiredTenants(world.ports(), { now: NOW, budget: { maxBatches: 3 } });
      runs.push(summary);
      if (!summary.more) break;
    }

    // Assess
    expect(runs[0]).toMatchObject({ purged: [], inProgress: ['first-co'], more: true });
    expect(runs.at(-1)?.more).toBe(false);
    expect(runs.flatMap((summary) => summary.purged.map((purged) => purged.tenantId))).toEqual([
      'first-co',
      'second-co',
    ]);
    expect(tenantInventory(world.objects, 'first-co').rows).toEqual([]);
    expect(tenantInventory(world.objects, 'second-co').rows).toEqual([]);
  });
});
