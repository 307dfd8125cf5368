import { describe, expect, it } from 'vitest';
import { purgeExpiredTenants } from '../../../functions/domain/purge/index.ts';
import { landingKey } from '../../../functions/domain/zones.ts';
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

  it('deletes and records what appeared of a purged company after its certificate, every day', async () => {
    // Prepare: a company purged earlier; a file lands for it after its certificate and is left behind.
    const world = makeWorld();
    await seedTenant(world, 'gone-co');
    const first = await purgeExpiredTenants(world.ports(), { now: NOW });
    await world.objects.put('landing', landingKey('gone-co', 'sales', 'u-late', 'sales.csv'), 'late');

    // Act
    const next = await purgeExpiredTenants(world.ports(), { now: NOW });
    const after = await purgeExpiredTenants(world.ports(), { now: NOW });

    // Assess
    expect(first.purged.map((purged) => purged.tenantId)).toEqual(['gone-co']);
    expect(first.residueDeleted).toEqual([]);
    expect(next.residueDeleted).toEqual([
      expect.objectContaining({ tenantId: 'gone-co', objectVersions: 1, stores: ['landing'] }),
    ]);
    expect(tenantInventory(world.objects, 'gone-co').rows).toEqual([]);
    expect(after.residueDeleted).toEqual([]);
    const actions = (await world.ledgerEntries('gone-co')).map((entry) => entry.action);
    expect(actions.filter((action) => action === 'purge.residue_deleted')).toHaveLength(1);
  });
});
