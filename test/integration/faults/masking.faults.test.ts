/**
 * Faults during pseudonymisation (masking) of an accepted upload, through the real `pseudonymise`:
 * every object a reader can see is whole, and running the step again ends where an uninterrupted run ends.
 */
import { describe, expect, it } from 'vitest';
import { FaultPlan, fault } from '../../../functions/adapters/faults/plan.ts';
import { pseudonymise } from '../../../functions/domain/masking/pseudonymise.ts';
import { defaultSettings } from '../../../functions/domain/settings.ts';
import { factsPrefix, pseudonymisedPrefix, tenantPrefixes } from '../../../functions/domain/zones.ts';
import { readCells, seedTenant, seedUpload } from '../masking/fixtures.ts';
import { crashPoints, describeRule, faultyPorts, newWorld, type World } from './fixtures.ts';

const TENANT = 'tenant-f';
const UPLOAD = 'up-faults';
const employee = (id: string, name: string) => ({
  employee_id: id,
  name,
  phone: '090-1111-2222',
  birth_date: '1988-05-05',
  gender: 'female',
  hire_date: '2019-04-01',
  employment_type: 'regular',
});

async function seeded(): Promise<World> {
  const world = newWorld();
  const ports = { ...world, settings: defaultSettings };
  await seedTenant(ports, TENANT, { industry: 'E', prefecture: '13', sizeBand: '20-49' });
  await seedUpload(ports, TENANT, UPLOAD, 'employees', {
    '2026-04': [employee('E1', '山田 太郎'), employee('E2', '佐藤 花子'), employee('E3', '鈴木 一郎')],
    '2026-05': [employee('E1', '山田 太郎'), employee('E2', '佐藤 花子')],
  });
  return world;
}

const mask = (world: World, plan = new FaultPlan()) =>
  pseudonymise(
    { ...faultyPorts(world, plan), settings: defaultSettings },
    { tenantId: TENANT, uploadId: UPLOAD },
  );

/** Every curated object of the tenant with its cells (throws if an object is not a whole Parquet file). */
async function curatedCells(world: World) {
  const cells: Record<string, unknown> = {};
  for (const { bucket, prefix } of tenantPrefixes(TENANT).filter((p) => p.bucket === 'curated')) {
    for await (const { key } of world.objects.list(bucket, prefix)) {
      cells[key] = await readCells(await world.objects.get(bucket, key));
    }
  }
  return cells;
}

describe('masking under faults', () => {
  it('writes nothing when the key store is throttled, and succeeds when run again', async () => {
    // Prepare
    const world = await seeded();
    const plan = new FaultPlan([{ port: 'keys', method: 'get', fault: fault.throttle() }]);

    // Act
    const error = await mask(world, plan).catch((e: unknown) => e);
    const afterFault = await curatedCells(world);
    const result = await mask(world);

    // Assess
    expect(error).toMatchObject({ name: 'ThrottlingException' });
    expect(afterFault).toEqual({});
    expect(result.rows).toBe(5);
  });

  it('ends in the uninterrupted state after a crash at any write, every visible object whole', async () => {
    // Prepare
    const referenceWorld = await seeded();
    await mask(referenceWorld);
    const reference = await curatedCells(referenceWorld);
    const rules = await crashPoints(async (plan) => mask(await seeded(), plan), { after: true });
    expect(rules.length).toBeGreaterThanOrEqual(4);

    for (const rule of rules) {
      const world = await seeded();
      const plan = new FaultPlan([rule]);

      // Act
      const crash = await mask(world, plan).catch((e: unknown) => e);
      const visible = await curatedCells(world);
      await mask(world);

      // Assess
      expect(crash, describeRule(rule)).toMatchObject({ name: 'SimulatedCrash' });
      for (const [key, rows] of Object.entries(visible))
        expect(rows, `${describeRule(rule)} ${key}`).toEqual(reference[key]);
      expect(await curatedCells(world), describeRule(rule)).toEqual(reference);
    }
    expect(Object.keys(reference).filter((key) => key.startsWith(pseudonymisedPrefix(TENANT)))).toHaveLength(
      2,
    );
    expect(Object.keys(reference).filter((key) => key.startsWith(factsPrefix(TENANT)))).toHaveLength(2);
  });
});
