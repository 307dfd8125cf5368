import { describe, expect, it } from 'vitest';
import { FactsKeptChangingError } from '../../../functions/domain/masking/errors.ts';
import { buildTenantFacts, FACTS_MAX_ATTEMPTS, factKey } from '../../../functions/domain/masking/facts.ts';
import { tokenOf } from '../../../functions/domain/masking/hmac.ts';
import { pseudonymise } from '../../../functions/domain/masking/pseudonymise.ts';
import { pseudonymisedKey } from '../../../functions/domain/zones.ts';
import { maskingOnFactsWrite, readCells, seedTenant, seedUpload, testPorts } from './fixtures.ts';

const employee = {
  employee_id: '00042',
  hire_date: '2020-04-01',
  birth_date: '1990-01-01',
  gender: 'F',
  employment_type: 'regular',
};
const day = (date: string, overtime: number) => ({
  employee_id: '00042',
  work_date: date,
  scheduled_hours: 8,
  actual_hours: 8 + overtime,
  overtime_hours: overtime,
  late_night_hours: 0,
  holiday_hours: 0,
  paid_leave_days: 0,
});

describe('derived facts', () => {
  it('takes a month from the upload latest in the tenant’s order, as a whole', async () => {
    // Prepare: u-1 then u-2 (requested later) both carry April; u-2 corrects it, and has no 8 April
    const ports = testPorts();
    await seedTenant(ports, 'tenant-f', { industry: 'G', prefecture: '13', sizeBand: '5-19' });
    await seedUpload(ports, 'tenant-f', 'u-0', 'employees', { '2024-04': [employee] }, { sequence: 1 });
    await seedUpload(
      ports,
      'tenant-f',
      'u-2',
      'attendance',
      { '2024-04': [day('2024-04-05', 1), day('2024-04-08', 2)], '2024-05': [day('2024-05-07', 3)] },
      { sequence: 2 },
    );
    await seedUpload(
      ports,
      'tenant-f',
      'u-1',
      'attendance',
      { '2024-04': [day('2024-04-05', 4)] },
      { sequence: 3 },
    );
    await pseudonymise(ports, { tenantId: 'tenant-f', uploadId: 'u-0' });
    // The correction arrives (and is masked) first; the upload it corrects comes after it.
    await pseudonymise(ports, { tenantId: 'tenant-f', uploadId: 'u-1' });

    // Act
    await pseudonymise(ports, { tenantId: 'tenant-f', uploadId: 'u-2' });

    // Assess: April is u-1's 4 hours; May is still u-2's
    const facts = await readCells(await ports.objects.get('curated', factKey('tenant-f', 'employee_month')));
    const token = tokenOf(await ports.keys.get('tenant-f'), '00042');
    expect(facts.map((f) => [f.employee_token, f.period, Number(f.overtime_hours)])).toEqual([
      [token, '2024-04', 4],
      [token, '2024-05', 3],
    ]);
    expect(await ports.table.get('uploads', { tenantId: 'tenant-f', uploadId: 'u-2' })).toMatchObject({
      supersededBy: { '2024-04': 'u-1' },
    });
  });

  it('counts uploads masked before completion was recorded when all their objects are there, and not one cut short', async () => {
    // Prepare: two uploads masked, then made to look as an earlier version left them: no maskedAt,
    // no sequence; one of them lost its May object (a masking cut short)
    const ports = testPorts();
    await seedTenant(ports, 'tenant-f', { industry: 'G', prefecture: '13', sizeBand: '5-19' });
    await seedUpload(ports, 'tenant-f', 'u-0', 'employees', { '2024-04': [employee] });
    await seedUpload(ports, 'tenant-f', 'u-a', 'attendance', { '2024-04': [day('2024-04-05', 1)] });
    await seedUpload(ports, 'tenant-f', 'u-b', 'attendance', {
      '2024-05': [day('2024-05-07', 2)],
      '2024-06': [day('2024-06-07', 3)],
    });
    for (const uploadId of ['u-0', 'u-a', 'u-b'])
      await pseudonymise(ports, { tenantId: 'tenant-f', uploadId });
    for (const uploadId of ['u-0', 'u-a', 'u-b']) {
      const {
        maskedAt: _a,
        maskedOutputs: _o,
        ...legacy
      } = (await ports.table.get('uploads', {
        tenantId: 'tenant-f',
        uploadId,
      })) as Record<string, unknown>;
      await ports.table.put('uploads', legacy);
    }
    await ports.objects.deleteMany('curated', [
      { key: pseudonymisedKey('tenant-f', 'attendance', '2024-05', 'u-b') },
    ]);

    // Act
    await buildTenantFacts(ports, 'tenant-f');

    // Assess
    const facts = await readCells(await ports.objects.get('curated', factKey('tenant-f', 'employee_month')));
    expect(facts.map((f) => [f.period, Number(f.overtime_hours)])).toEqual([['2024-04', 1]]);
    expect(await ports.table.get('uploads', { tenantId: 'tenant-f', uploadId: 'u-a' })).toHaveProperty(
      'maskedAt',
    );
    expect(await ports.table.get('uploads', { tenantId: 'tenant-f', uploadId: 'u-b' })).not.toHaveProperty(
      'maskedAt',
    );
  });

  it('follows the records when more uploads are masked while it writes than it used to retry for', async () => {
    // Prepare: four more months arrive one by one, each masked (and its own facts rebuilt) just as
    // the rebuild under test writes its facts
    const race = await maskedWhileWriting(['05', '06', '07', '08']);

    // Act
    await buildTenantFacts(race.ports, 'tenant-f');

    // Assess: every month masked is in the facts written last
    const facts = await readCells(
      await race.ports.objects.get('curated', factKey('tenant-f', 'employee_month')),
    );
    expect(facts.map((f) => f.period)).toEqual(['2024-04', '2024-05', '2024-06', '2024-07', '2024-08']);
    expect(race.pending).toEqual([]);
  });

  it('fails, to be retried, and leaves no facts, when the uploads change during every rebuild it may make', async () => {
    // Prepare: a month masked during each of the rebuilds allowed
    const months = Array.from({ length: FACTS_MAX_ATTEMPTS }, (_, i) => String(i + 2).padStart(2, '0'));
    const race = await maskedWhileWriting(months);

    // Act
    const built = await buildTenantFacts(race.ports, 'tenant-f').catch((e: unknown) => e);

    // Assess
    expect(built).toBeInstanceOf(FactsKeptChangingError);
    expect(race.pending).toEqual([]);
    // None rather than facts that may not follow the records (they could hold an upload withdrawn
    // meanwhile): a release leaves the company out until the retried delivery builds them again.
    for (const fact of ['employee_month', 'company_month'] as const) {
      expect(await race.ports.objects.head('curated', factKey('tenant-f', fact)), fact).toBeUndefined();
    }
  });
});

/**
 * A tenant with an employee and April's attendance masked, and one attendance upload per month given,
 * each masked (with its own facts rebuild, through the plain ports) as the returned ports' next write
 * of the employee-month facts begins.
 */
async function maskedWhileWriting(months: readonly string[]) {
  const ports = testPorts();
  await seedTenant(ports, 'tenant-f', { industry: 'G', prefecture: '13', sizeBand: '5-19' });
  await seedUpload(ports, 'tenant-f', 'u-0', 'employees', { '2024-04': [employee] }, { sequence: 1 });
  await seedUpload(
    ports,
    'tenant-f',
    'u-04',
    'attendance',
    { '2024-04': [day('2024-04-05', 1)] },
    { sequence: 2 },
  );
  await pseudonymise(ports, { tenantId: 'tenant-f', uploadId: 'u-0' });
  await pseudonymise(ports, { tenantId: 'tenant-f', uploadId: 'u-04' });
  for (const [i, month] of months.entries()) {
    const rows = { [`2024-${month}`]: [day(`2024-${month}-07`, 2 + i)] };
    await seedUpload(ports, 'tenant-f', `u-${month}`, 'attendance', rows, { sequence: 3 + i });
  }
  const pending = months.map((month) => `u-${month}`);
  const objects = maskingOnFactsWrite(ports, 'tenant-f', pending);
  return { ports: { ...ports, objects }, pending };
}
