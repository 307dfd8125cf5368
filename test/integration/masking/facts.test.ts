import { describe, expect, it } from 'vitest';
import { factKey } from '../../../functions/domain/masking/facts.ts';
import { tokenOf } from '../../../functions/domain/masking/hmac.ts';
import { pseudonymise } from '../../../functions/domain/masking/pseudonymise.ts';
import { readCells, seedTenant, seedUpload, testPorts } from './fixtures.ts';

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
  it('counts a day uploaded twice once, with the values of the later upload', async () => {
    // Prepare: upload u-1 then u-2 both carry 2024-04-05; u-2 corrects its overtime
    const ports = testPorts();
    await seedTenant(ports, 'tenant-f', { industry: 'G', prefecture: '13', sizeBand: '5-19' });
    await seedUpload(ports, 'tenant-f', 'u-0', 'employees', { '2024-04': [employee] });
    await seedUpload(ports, 'tenant-f', 'u-1', 'attendance', {
      '2024-04': [day('2024-04-05', 1), day('2024-04-08', 2)],
    });
    await seedUpload(ports, 'tenant-f', 'u-2', 'attendance', { '2024-04': [day('2024-04-05', 4)] });
    await pseudonymise(ports, { tenantId: 'tenant-f', uploadId: 'u-0' });
    await pseudonymise(ports, { tenantId: 'tenant-f', uploadId: 'u-1' });

    // Act
    await pseudonymise(ports, { tenantId: 'tenant-f', uploadId: 'u-2' });

    // Assess: 4 (u-2's 5 April) + 2 (8 April), not 1 + 4 + 2
    const facts = await readCells(await ports.objects.get('curated', factKey('tenant-f', 'employee_month')));
    const token = tokenOf(await ports.keys.get('tenant-f'), '00042');
    expect(facts.map((f) => [f.employee_token, f.period, Number(f.overtime_hours)])).toEqual([
      [token, '2024-04', 6],
    ]);
  });
});
