/**
 * Faults during pseudonymisation (masking) of an accepted upload, through the real `pseudonymise`:
 * every object a reader can see is whole, and running the step again ends where an uninterrupted run ends.
 */
import { describe, expect, it } from 'vitest';
import { FaultPlan, fault } from '../../../functions/adapters/faults/plan.ts';
import { anonymisedTableKey } from '../../../functions/domain/masking/anonymised-schema.ts';
import { factKey } from '../../../functions/domain/masking/facts.ts';
import { pseudonymise } from '../../../functions/domain/masking/pseudonymise.ts';
import { buildRelease } from '../../../functions/domain/release/release.ts';
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

  it('leaves the facts and the next release unaffected by a masking cut short mid-way', async () => {
    // Prepare: a register and a payroll upload masked; then a payroll upload of three months whose
    // masking dies after writing its first month, and one more upload masked in full after it
    const marker = 777_777;
    const staff = Array.from({ length: 6 }, (_, i) => employee(`E${i}`, `社員${i}`));
    const pay = (month: string, basePay: number) =>
      staff.map((e) => ({
        employee_id: e.employee_id,
        pay_month: month,
        base_pay: basePay,
        gross_pay: basePay,
      }));
    const world = newWorld();
    const ports = { ...world, settings: defaultSettings, newId: () => crypto.randomUUID() };
    await seedTenant(ports, TENANT, { industry: 'E', prefecture: '13', sizeBand: '20-49' });
    await seedUpload(ports, TENANT, 'emp', 'employees', { '2026-03': staff }, { sequence: 1 });
    await seedUpload(
      ports,
      TENANT,
      'pay-1',
      'payroll',
      { '2026-03': pay('2026-03', 250_000) },
      { sequence: 2 },
    );
    const cut = {
      '2026-03': pay('2026-03', marker),
      '2026-04': pay('2026-04', marker),
      '2026-05': pay('2026-05', marker),
    };
    await seedUpload(ports, TENANT, 'pay-cut', 'payroll', cut, { sequence: 3 });
    await seedUpload(
      ports,
      TENANT,
      'pay-2',
      'payroll',
      { '2026-06': pay('2026-06', 260_000) },
      { sequence: 4 },
    );
    for (const uploadId of ['emp', 'pay-1']) await pseudonymise(ports, { tenantId: TENANT, uploadId });
    const plan = new FaultPlan([
      {
        port: 'objects',
        method: 'put',
        when: (bucket, key) => bucket === 'curated' && String(key).endsWith('/pay-cut.parquet'),
        nth: 2,
        fault: fault.crash(),
      },
    ]);
    const crash = await pseudonymise(
      { ...faultyPorts(world, plan), settings: defaultSettings },
      { tenantId: TENANT, uploadId: 'pay-cut' },
    ).catch((e: unknown) => e);

    // Act: the next masking of the tenant rebuilds its facts; then a release
    await pseudonymise(ports, { tenantId: TENANT, uploadId: 'pay-2' });
    const release = await buildRelease(ports, { now: world.clock(), reason: 'on-demand' });

    // Assess: the half-written month is there, uncommitted, and nothing reads it
    expect(crash).toMatchObject({ name: 'SimulatedCrash' });
    const partial = [];
    for await (const { key } of world.objects.list('curated', pseudonymisedPrefix(TENANT)))
      if (key.endsWith('/pay-cut.parquet')) partial.push(key);
    expect(partial).toHaveLength(1);
    expect(await world.table.get('uploads', { tenantId: TENANT, uploadId: 'pay-cut' })).not.toHaveProperty(
      'maskedAt',
    );
    const facts = await readCells(await world.objects.get('curated', factKey(TENANT, 'employee_month')));
    expect(facts.filter((f) => Number(f.base_pay) === marker)).toEqual([]);
    expect(facts.filter((f) => f.base_pay !== null).map((f) => f.period)).toEqual([
      ...Array(6).fill('2026-03'),
      ...Array(6).fill('2026-06'),
    ]);
    const anonymised = await readCells(
      await world.objects.get('curated', anonymisedTableKey(release.releaseId, 'anon_employee_month')),
    );
    expect(anonymised.some((r) => Number(r.base_pay) === 260_000)).toBe(true);
    expect(anonymised.filter((r) => Number(r.base_pay) === marker)).toEqual([]);
  });
});
