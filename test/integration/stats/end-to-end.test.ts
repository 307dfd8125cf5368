import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { anonymise } from '../../../functions/domain/masking/anonymise.ts';
import { anonymisedTableKey } from '../../../functions/domain/masking/anonymised-schema.ts';
import { factKey } from '../../../functions/domain/masking/facts.ts';
import { pseudonymise } from '../../../functions/domain/masking/pseudonymise.ts';
import { defaultSettings } from '../../../functions/domain/settings.ts';
import { statisticKeyColumns } from '../../../functions/domain/stats/catalog.ts';
import { manifestKey, statisticKey } from '../../../functions/domain/stats/release.ts';
import { publishAnonymisedRelease } from '../../../functions/domain/stats/run.ts';
import { readReleaseNotice, tenantBenchmark } from '../../../functions/domain/stats/service.ts';
import { getStatistic, STATISTICS } from '../../../functions/domain/stats/statistics.ts';
import {
  derivableSuppressedRows,
  publishedGroups,
  singleSuppressionGroups,
} from '../../unit/stats/disclosure-checker.ts';
import {
  activityRows,
  employeeArbitrary,
  type GeneratedEmployee,
  seedTenant,
  seedUpload,
  testPorts,
} from '../masking/fixtures.ts';
import { readParquetObject } from './fixtures.ts';
import { perturbed } from './naive.ts';

describe('stats-release over a real anonymised release', () => {
  it('publishes the latest anonymised release through the handler, with every invariant holding', async () => {
    // Prepare: four companies of one segment, pseudonymised and anonymised by the masking engine.
    const ports = testPorts();
    const months = ['2024-05', '2024-06'];
    const tenants = ['t-a', 't-b', 't-c', 't-d'];
    for (const [t, tenantId] of tenants.entries()) {
      await seedTenant(ports, tenantId, { industry: 'E', prefecture: '13', sizeBand: '20-49' });
      const employees: GeneratedEmployee[] = Array.from({ length: 6 }, (_, i) => ({
        ...(fc.sample(employeeArbitrary(i + 1), { seed: 100 * t + i, numRuns: 1 })[0] as GeneratedEmployee),
        hire_date: '2015-04-01',
        termination_date: null,
      }));
      const { attendance, payroll } = activityRows(employees, months);
      await seedUpload(ports, tenantId, 'emp', 'employees', { '2024-06': employees.map((e) => ({ ...e })) });
      await seedUpload(ports, tenantId, 'att', 'attendance', attendance);
      await seedUpload(ports, tenantId, 'pay', 'payroll', payroll);
      for (const uploadId of ['emp', 'att', 'pay']) await pseudonymise(ports, { tenantId, uploadId });
    }
    await anonymise(ports, { releaseId: '2024-06a', tenants });
    // Act
    const manifest = await publishAnonymisedRelease({ objects: ports.objects }, defaultSettings, '2024-06a');

    // Assess
    expect(manifest.releaseId).toBe('2024-06a');
    expect(manifest.statistics.map((s) => s.name)).toEqual(STATISTICS.map((s) => s.name));
    expect(await ports.objects.head('stats', manifestKey('2024-06a'))).toBeDefined();
    const anonRows = await readParquetObject(
      ports.objects,
      'curated',
      anonymisedTableKey('2024-06a', 'anon_employee_month'),
    );
    const overtime = getStatistic('overtime_hours_monthly');
    const rows = await readParquetObject(ports.objects, 'stats', statisticKey('2024-06a', overtime.name));
    const national = rows.filter(
      (r) => r.geo_level === 'national' && r.industry === '_total' && r.size_band === '_total',
    );
    expect(national.length).toBe(months.length);
    for (const cell of national) {
      const contributing = anonRows.filter(
        (r) => r.period === cell.period && r.employed && r.overtime_hours !== null,
      );
      expect(cell).toMatchObject({
        suppressed: false,
        employees: perturbed(contributing, defaultSettings.disclosure).count,
      });
    }
    for (const stat of STATISTICS) {
      const published = await readParquetObject(ports.objects, 'stats', statisticKey('2024-06a', stat.name));
      const groups = publishedGroups(statisticKeyColumns(stat), stat.dimensions, published);
      expect(singleSuppressionGroups(groups), stat.name).toEqual([]);
      expect(derivableSuppressedRows(groups), stat.name).toEqual([]);
    }

    // A tenant's benchmark: its own mean overtime from its own facts beside its segment's peers.
    const ownFacts = await readParquetObject(ports.objects, 'curated', factKey('t-a', 'employee_month'));
    const ownJune = ownFacts.filter((r) => r.period === '2024-06' && r.employed && r.overtime_hours !== null);
    const benchmark = await tenantBenchmark(ports, {
      tenantId: 't-a',
      profile: { industry: 'E', prefecture: '13', sizeBand: '20-49' },
      statistic: 'overtime_hours_monthly',
    });
    expect(benchmark).toMatchObject({ status: 'published', releaseId: '2024-06a', period: '2024-06' });
    expect(benchmark.own).toBeCloseTo(
      ownJune.reduce((a, r) => a + (r.overtime_hours as number), 0) / ownJune.length,
      9,
    );
    const { notice, markdown } = await readReleaseNotice(ports.objects, '2024-06a');
    expect(notice.items.map((i) => i.column)).toEqual(
      expect.arrayContaining(['age_band', 'overtime_hours', 'base_pay']),
    );
    expect(markdown).toContain('2024-06a');
  });
});
