/** Companies with employees and attendance, masked, for the release tests (left-out.test.ts, requests.test.ts). */
import fc from 'fast-check';
import { pseudonymise } from '../../../functions/domain/masking/pseudonymise.ts';
import {
  activityRows,
  employeeArbitrary,
  type GeneratedEmployee,
  seedTenant,
  seedUpload,
  type TestPorts,
} from '../masking/fixtures.ts';

/** Each tenant: six current employees and two months of attendance, uploaded and masked (facts built). */
export async function seedMaskedCompanies(
  ports: Pick<TestPorts, 'objects' | 'table' | 'keys' | 'settings'>,
  tenants: readonly string[],
): Promise<void> {
  for (const [t, tenantId] of tenants.entries()) {
    await seedTenant(ports, tenantId, { industry: 'E', prefecture: '13', sizeBand: '20-49' });
    const employees: GeneratedEmployee[] = Array.from({ length: 6 }, (_, i) => ({
      ...(fc.sample(employeeArbitrary(i + 1), { seed: 50 * t + i, numRuns: 1 })[0] as GeneratedEmployee),
      hire_date: '2015-04-01',
      termination_date: null,
    }));
    const { attendance } = activityRows(employees, ['2024-05', '2024-06']);
    await seedUpload(ports, tenantId, 'emp', 'employees', { '2024-06': employees.map((e) => ({ ...e })) });
    await seedUpload(ports, tenantId, 'att', 'attendance', attendance);
    for (const uploadId of ['emp', 'att']) await pseudonymise(ports, { tenantId, uploadId });
  }
}
