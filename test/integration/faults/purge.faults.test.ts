/**
 * Faults during a tenant purge, through the real `purgeTenant` over versioned in-memory stores: throttling
 * is retried with backoff, and a purge interrupted anywhere resumes to the end state of an uninterrupted
 * purge of an identical setup (same deletions certified once, nothing of the tenant left, others untouched).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FaultPlan, type FaultRule, fault } from '../../../functions/adapters/faults/plan.ts';
import { faultyKeyStore, faultyObjectStore, faultyTable } from '../../../functions/adapters/faults/ports.ts';
import { verifyLedger } from '../../../functions/domain/ledger/ledger.ts';
import { purgeLedger } from '../../../functions/domain/purge/ledger.ts';
import { type PurgeResult, purgeTenant } from '../../../functions/domain/purge/purge.ts';
import { tenantRecordSchema } from '../../../functions/domain/tenants/model.ts';
import {
  everythingBut,
  makeWorld,
  NOW,
  seedTenant,
  tenantInventory,
  type World,
} from '../../unit/purge/fixtures.ts';
import { crashPoints, describeRule } from './fixtures.ts';

const GONE = 't-gone';
const STAYS = 't-stays';
const ACTOR = { subject: 'idp|admin-1', roles: ['admin'] };

async function seeded(): Promise<World> {
  const world = makeWorld();
  await seedTenant(world, GONE);
  await seedTenant(world, STAYS, { state: 'ACTIVE', contract: { start: '2024-04-01' } });
  return world;
}

/** One invocation of the purge in a fresh process whose ports carry the plan's faults. */
function invoke(world: World, plan = new FaultPlan()): Promise<PurgeResult> {
  const tables = faultyTable(world.tables, plan);
  const clock = () => new Date(NOW.getTime() + 60_000);
  return purgeTenant(
    world.ports({
      objects: faultyObjectStore(world.objects, plan),
      tables,
      keys: faultyKeyStore(world.keys, plan),
      ledger: purgeLedger({ table: tables, clock }),
    }),
    { tenantId: GONE, now: NOW, actor: ACTOR },
  );
}

/** Invokes again until the purge reports done, as the schedule would (bounded). */
async function untilDone(world: World): Promise<Extract<PurgeResult, { outcome: 'purged' }>> {
  for (let invocation = 0; invocation < 50; invocation++) {
    const result = await invoke(world);
    if (result.outcome === 'purged') return result;
  }
  throw new Error('the purge did not finish in 50 invocations');
}

/** What must be the same after any interrupted purge as after an uninterrupted one. */
async function endState(world: World, result: Extract<PurgeResult, { outcome: 'purged' }>) {
  const tenant = tenantRecordSchema.parse(await world.tables.get('tenants', { tenantId: GONE }));
  const ledger = await world.ledgerEntries();
  return {
    state: tenant.state,
    deleted: result.certificate.deleted,
    residue: result.certificate.verification.residue,
    versionsLeft: tenantInventory(world.objects, GONE).rows.length,
    keyLeft: await world.keys.exists(GONE),
    otherKeyLeft: await world.keys.exists(STAYS),
    untouched: everythingBut(world.objects, GONE)
      .map((row) => `${row.bucket}/${row.key}#${row.sha256}`)
      .sort(),
    certificates: new Set(
      ledger
        .filter((entry) => entry.action === 'purge.certified')
        .map((entry) => entry.details.certificateId),
    ).size,
    ledgerIntact: verifyLedger(ledger).ok,
  };
}

describe('purge under faults', () => {
  it('retries throttled deletions with growing backoff and finishes in the same invocation', async () => {
    // Prepare
    const reference = await seeded();
    const expected = await endState(reference, await untilDone(reference));
    const world = await seeded();
    const plan = new FaultPlan([
      { port: 'objects', method: 'deleteMany', nth: 2, times: 3, fault: fault.throttle() },
      { port: 'table', method: 'delete', nth: 1, fault: fault.throttle() },
    ]);

    // Act
    const result = await invoke(world, plan);

    // Assess
    expect(plan.fired).toHaveLength(4);
    expect(result.outcome).toBe('purged');
    expect(world.sleeps.length).toBeGreaterThanOrEqual(4);
    expect(world.sleeps.slice(0, 3)).toEqual([50, 100, 200]);
    if (result.outcome === 'purged') expect(await endState(world, result)).toEqual(expected);
  });

  it('resumes to the uninterrupted end state after a crash before or after any write', async () => {
    // Prepare
    const reference = await seeded();
    const expected = await endState(reference, await untilDone(reference));
    const rules: FaultRule[] = await crashPoints(async (plan) => untilDoneWith(await seeded(), plan), {
      after: true,
    });
    expect(rules.length).toBeGreaterThan(10);

    for (const rule of rules) {
      const world = await seeded();
      const plan = new FaultPlan([rule]);

      // Act
      const crash = await invoke(world, plan).catch((e: unknown) => e);
      const result = await untilDone(world);

      // Assess
      expect(crash, describeRule(rule)).toMatchObject({ name: 'SimulatedCrash' });
      expect(await endState(world, result), describeRule(rule)).toEqual(expected);
    }
  });

  it('ends in the same state whatever throttling and 5xx errors hit its reads and writes', async () => {
    // Prepare
    const reference = await seeded();
    const expected = await endState(reference, await untilDone(reference));
    const calls: Array<[FaultRule['port'], string]> = [
      ['objects', 'listVersions'],
      ['objects', 'deleteMany'],
      ['table', 'get'],
      ['table', 'put'],
      ['table', 'query'],
      ['table', 'delete'],
      ['keys', 'destroy'],
      ['keys', 'exists'],
    ];
    const rule = fc.record({
      call: fc.constantFrom(...calls),
      nth: fc.integer({ min: 1, max: 12 }),
      times: fc.integer({ min: 1, max: 3 }),
      kind: fc.constantFrom('throttle' as const, 'server-error' as const),
    });

    let faultsInjected = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(rule, { minLength: 1, maxLength: 4 }), async (rules) => {
        const world = await seeded();
        const plan = new FaultPlan(
          rules.map(({ call: [port, method], nth, times, kind }) => ({
            port,
            method,
            nth,
            times,
            fault: { kind },
          })),
        );

        // Act: invocations as the schedule would make them, each failure ending one invocation.
        let result: PurgeResult | undefined;
        for (let invocation = 0; invocation < 30 && result?.outcome !== 'purged'; invocation++) {
          result = await invoke(world, plan).catch(() => undefined);
        }
        faultsInjected += plan.fired.length;

        // Assess
        expect(result?.outcome).toBe('purged');
        if (result?.outcome === 'purged') expect(await endState(world, result)).toEqual(expected);
      }),
      { numRuns: 40 },
    );
    expect(faultsInjected).toBeGreaterThan(40);
  });

  // A crash after the `purge.certified` ledger entry is written and before the tombstone is saved: the
  // resumed run finds the entry (the checkpoint names the certificate it set out to record) and does not
  // append it again.
  it('records the certification in the ledger once when the purge dies right after recording it', async () => {
    // Prepare
    const world = await seeded();
    const plan = new FaultPlan([
      {
        port: 'table',
        method: 'put',
        when: (table, item) =>
          table === 'ledger' && (item as { action?: unknown }).action === 'purge.certified',
        fault: fault.crashAfter(),
      },
    ]);

    // Act
    await untilDoneWith(world, plan).catch(() => undefined);
    await untilDone(world);

    // Assess
    expect(plan.crashed).toBe(true);
    const certified = (await world.ledgerEntries()).filter((entry) => entry.action === 'purge.certified');
    expect(certified).toHaveLength(1);
  });
});

/** The uninterrupted purge with a recording plan (to find the writes). */
async function untilDoneWith(world: World, plan: FaultPlan): Promise<void> {
  for (let invocation = 0; invocation < 50; invocation++) {
    if ((await invoke(world, plan)).outcome === 'purged') return;
  }
}
