import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readLedger } from '../../../functions/domain/ledger/ledger.ts';
import { anonymisedTableKey } from '../../../functions/domain/masking/anonymised-schema.ts';
import { pseudonymise } from '../../../functions/domain/masking/pseudonymise.ts';
import { purgeLedger } from '../../../functions/domain/purge/ledger.ts';
import { purgeTenant } from '../../../functions/domain/purge/purge.ts';
import { buildRelease, releaseAfterPurge } from '../../../functions/domain/release/release.ts';
import { defaultSettings } from '../../../functions/domain/settings.ts';
import { readReleaseManifest } from '../../../functions/domain/stats/service.ts';
import {
  activityRows,
  employeeArbitrary,
  type GeneratedEmployee,
  readCells,
  seedTenant,
  seedUpload,
  type TestPorts,
  testPorts,
} from '../masking/fixtures.ts';

/** Base pay no other tenant has: a row carrying it in the anonymised zone comes from tenant t-a. */
const MARKER_PAY = 333_333;

async function seedCompanies(ports: TestPorts, tenants: readonly string[]) {
  const months = ['2024-05', '2024-06'];
  for (const [t, tenantId] of tenants.entries()) {
    await seedTenant(ports, tenantId, { industry: 'E', prefecture: '13', sizeBand: '20-49' });
    const employees: GeneratedEmployee[] = Array.from({ length: 6 }, (_, i) => ({
      ...(fc.sample(employeeArbitrary(i + 1), { seed: 100 * t + i, numRuns: 1 })[0] as GeneratedEmployee),
      hire_date: '2015-04-01',
      termination_date: null,
    }));
    const { attendance, payroll } = activityRows(employees, months);
    const pay =
      tenantId === 't-a'
        ? Object.fromEntries(
            Object.entries(payroll).map(([m, rows]) => [
              m,
              rows.map((r) => ({ ...r, base_pay: MARKER_PAY })),
            ]),
          )
        : payroll;
    await seedUpload(ports, tenantId, 'emp', 'employees', { '2024-06': employees.map((e) => ({ ...e })) });
    await seedUpload(ports, tenantId, 'att', 'attendance', attendance);
    await seedUpload(ports, tenantId, 'pay', 'payroll', pay);
    for (const uploadId of ['emp', 'att', 'pay']) await pseudonymise(ports, { tenantId, uploadId });
  }
}

async function anonymisedEmployees(ports: Pick<TestPorts, 'objects'>, releaseId: string) {
  return readCells(await ports.objects.get('curated', anonymisedTableKey(releaseId, 'anon_employee_month')));
}

describe('buildRelease after a purge', () => {
  it('leaves the purged tenant out of the next release', async () => {
    // Prepare: four companies in a first release; then t-a's contract ends and it is purged.
    const { objects, table, keys } = testPorts();
    let now = new Date('2026-11-20T01:00:00.000Z');
    const ports = { objects, table, keys, settings: defaultSettings, clock: () => now };
    await seedCompanies(ports, ['t-a', 't-b', 't-c', 't-d']);
    const first = await buildRelease(ports, { now, reason: 'scheduled' });
    const before = await anonymisedEmployees(ports, first.releaseId);
    const tenantA = await ports.table.get('tenants', { tenantId: 't-a' });
    await ports.table.put('tenants', {
      ...tenantA,
      contract: { start: '2024-01-01', end: '2026-10-31', retentionDaysAfterEnd: 0 },
    });
    now = new Date('2026-11-21T01:00:00.000Z');

    // Act
    const result = await purgeTenant(
      {
        objects: ports.objects,
        tables: ports.table,
        keys: ports.keys,
        ledger: purgeLedger(ports),
        releaseStatistics: releaseAfterPurge(ports),
        settings: defaultSettings,
        clock: () => now,
      },
      { tenantId: 't-a', now },
    );

    // Assess
    expect(result.outcome).toBe('purged');
    const latest = await readReleaseManifest(ports.objects);
    expect(latest.releaseId).not.toBe(first.releaseId);
    const after = await anonymisedEmployees(ports, latest.releaseId);
    const companies = (rows: typeof before) => new Set(rows.map((r) => r.company_code)).size;
    expect(first.contributingTenants).toBe(4);
    expect(companies(before)).toBe(4);
    expect(companies(after)).toBe(3);
    expect(before.some((r) => Number(r.base_pay) === MARKER_PAY)).toBe(true);
    expect(after.some((r) => Number(r.base_pay) === MARKER_PAY)).toBe(false);
    const releases = (await readLedger(ports.table)).filter((e) => e.action === 'stats.release_published');
    expect(releases.map((e) => e.details.reason)).toEqual(['scheduled', 'tenant-purged']);
    expect(releases.map((e) => e.details.contributingTenants)).toEqual([4, 3]);
  });
});
