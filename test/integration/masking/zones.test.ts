import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { anonymise } from '../../../functions/domain/masking/anonymise.ts';
import {
  anonEmployeeMonthSchema,
  EMPLOYEE_QUASI_IDENTIFIERS,
  suppressionReportKey,
  suppressionReportSchema,
} from '../../../functions/domain/masking/anonymised-schema.ts';
import { tokenOf } from '../../../functions/domain/masking/hmac.ts';
import { pseudonymise } from '../../../functions/domain/masking/pseudonymise.ts';
import { defaultSettings } from '../../../functions/domain/settings.ts';
import { anonymisedPrefix, factsPrefix, pseudonymisedPrefix } from '../../../functions/domain/zones.ts';
import {
  activityRows,
  cellsUnder,
  employeesArbitrary,
  type GeneratedEmployee,
  REMOVED_EMPLOYEE_FIELDS,
  seedTenant,
  seedUpload,
  type TestPorts,
  testPorts,
} from './fixtures.ts';

const MONTHS = ['2024-05', '2024-06'];
const TENANTS = [
  { tenantId: 'tenant-a', profile: { industry: 'E', prefecture: '13', sizeBand: '20-49' } as const },
  { tenantId: 'tenant-b', profile: { industry: 'E', prefecture: '14', sizeBand: '20-49' } as const },
];

/** Seeds and pseudonymises employees, attendance and payroll for one tenant. */
async function contribute(ports: TestPorts, tenantId: string, employees: readonly GeneratedEmployee[]) {
  const { attendance, payroll } = activityRows(employees, MONTHS);
  await seedUpload(ports, tenantId, `${tenantId}-emp`, 'employees', {
    '2024-06': employees.map((e) => ({ ...e })),
  });
  await seedUpload(ports, tenantId, `${tenantId}-att`, 'attendance', attendance);
  await seedUpload(ports, tenantId, `${tenantId}-pay`, 'payroll', payroll);
  await pseudonymise(ports, { tenantId, uploadId: `${tenantId}-emp` });
  await pseudonymise(ports, { tenantId, uploadId: `${tenantId}-att` });
  await pseudonymise(ports, { tenantId, uploadId: `${tenantId}-pay` });
}

async function runPipeline(
  employeesPerTenant: ReadonlyArray<readonly GeneratedEmployee[]>,
  k = 5,
  classesWithinCompany = false,
) {
  const ports = testPorts({
    ...defaultSettings,
    disclosure: { ...defaultSettings.disclosure, kAnonymity: k },
  });
  for (const [i, { tenantId, profile }] of TENANTS.entries()) {
    await seedTenant(ports, tenantId, profile);
    await contribute(ports, tenantId, employeesPerTenant[i] ?? []);
  }
  const result = await anonymise(ports, {
    releaseId: 'rel-1',
    tenants: TENANTS.map((t) => t.tenantId),
    classesWithinCompany,
  });
  const pseudonymised = [
    ...(
      await Promise.all(TENANTS.map((t) => cellsUnder(ports, 'curated', pseudonymisedPrefix(t.tenantId))))
    ).flat(),
    ...(await Promise.all(TENANTS.map((t) => cellsUnder(ports, 'curated', factsPrefix(t.tenantId))))).flat(),
  ];
  const anonymised = await cellsUnder(ports, 'curated', anonymisedPrefix('rel-1'));
  return { ports, result, pseudonymised, anonymised };
}

const allCells = (objects: Array<{ rows: Array<Record<string, string | null>> }>) =>
  objects.flatMap((o) => o.rows.flatMap((r) => Object.values(r))).filter((v): v is string => v !== null);

const survives = (cells: readonly string[], value: string) =>
  cells.some((cell) => cell === value || cell.includes(value));

const bothTenants = fc.tuple(employeesArbitrary(3, 14), employeesArbitrary(3, 14));

describe('pseudonymised and anonymised zones', () => {
  it('lets no direct identifier, identification code or financial-harm value survive into either zone', async () => {
    await fc.assert(
      fc.asyncProperty(bothTenants, async (employeesPerTenant) => {
        // Act
        const { pseudonymised, anonymised } = await runPipeline(employeesPerTenant);

        // Assess
        const cells = [...allCells(pseudonymised), ...allCells(anonymised)];
        expect(cells.length).toBeGreaterThan(0);
        for (const employee of employeesPerTenant.flat()) {
          for (const field of REMOVED_EMPLOYEE_FIELDS) {
            expect(survives(cells, employee[field]), `${field} survived`).toBe(false);
          }
        }
      }),
      { numRuns: 6 },
    );
  });

  it('puts neither tokens nor employee ids into the anonymised zone, and gives one id two tokens in two tenants', async () => {
    await fc.assert(
      fc.asyncProperty(bothTenants, async (employeesPerTenant) => {
        // Act
        const { ports, pseudonymised, anonymised } = await runPipeline(employeesPerTenant);

        // Assess
        const keyA = await ports.keys.get('tenant-a');
        const keyB = await ports.keys.get('tenant-b');
        const tokens = allCells(pseudonymised).filter((c) => /^[0-9a-f]{64}$/.test(c));
        expect(tokens.length).toBeGreaterThan(0);
        const anonCells = allCells(anonymised);
        for (const token of tokens) expect(survives(anonCells, token)).toBe(false);
        const ids = employeesPerTenant.flat().map((e) => e.employee_id);
        for (const id of ids) expect(anonCells).not.toContain(id);
        // Both tenants use ids E00001..; the same id gets different tokens, each equal to node:crypto's.
        const shared = employeesPerTenant[0]?.[0]?.employee_id ?? 'E00001';
        const tokenA = tokenOf(keyA, shared);
        const tokenB = tokenOf(keyB, shared);
        expect(tokenA).not.toBe(tokenB);
        const tokensOf = (tenantId: string) =>
          new Set(
            pseudonymised
              .filter((o) => o.key.includes(`tenant=${tenantId}/dataset=employees/`))
              .flatMap((o) => o.rows.map((r) => r.employee_token)),
          );
        expect(tokensOf('tenant-a').has(tokenA)).toBe(true);
        expect(tokensOf('tenant-b').has(tokenB)).toBe(true);
        expect(tokensOf('tenant-a').has(tokenB)).toBe(false);
      }),
      { numRuns: 4 },
    );
  });

  it('leaves every equivalence class on the quasi-identifiers with at least k rows', async () => {
    await fc.assert(
      fc.asyncProperty(
        bothTenants,
        fc.integer({ min: 2, max: 6 }),
        fc.boolean(),
        async (employeesPerTenant, k, withinCompany) => {
          // Act
          const { anonymised, result } = await runPipeline(employeesPerTenant, k, withinCompany);

          // Assess
          const rows = anonymised.find((o) => o.key.includes('dataset=anon_employee_month/'))?.rows ?? [];
          const classColumns = [...(withinCompany ? ['company_code'] : []), ...EMPLOYEE_QUASI_IDENTIFIERS];
          const classes = new Map<string, number>();
          for (const row of rows) {
            const id = JSON.stringify(classColumns.map((q) => row[q] ?? null));
            classes.set(id, (classes.get(id) ?? 0) + 1);
          }
          for (const size of classes.values()) expect(size).toBeGreaterThanOrEqual(k);
          expect(result.report.rowsOut).toBe(rows.length);
          expect(result.report.rowsIn - result.report.suppressedRows).toBe(rows.length);
        },
      ),
      { numRuns: 6 },
    );
  });

  it('publishes rows that fit the contract and a report of counts only', async () => {
    // Prepare
    const same = (i: number): GeneratedEmployee => ({
      employee_id: `E${String(i).padStart(5, '0')}`,
      name: `山田 ${i}`,
      name_kana: 'ヤマダ タロウ',
      address: `東京都千代田区${i}`,
      phone: `090-0000-${String(i).padStart(4, '0')}`,
      email: `taro${i}@example.co.jp`,
      bank_account: `普通001-${String(i).padStart(7, '0')}`,
      birth_date: '1985-04-01',
      gender: 'male',
      hire_date: '2015-04-01',
      termination_date: null,
      employment_type: 'regular',
      postal_code: '100-0001',
      department: '営業部',
      grade: 'G1',
    });
    const employees = Array.from({ length: 6 }, (_, i) => same(i + 1));

    // Act
    const { ports, result, anonymised } = await runPipeline([employees, employees]);

    // Assess
    const rows = anonymised.find((o) => o.key.includes('anon_employee_month'))?.rows ?? [];
    expect(rows.length).toBe(2 * 6 * MONTHS.length);
    for (const row of rows) {
      expect(row.age_band).toBe('35-39');
      expect(row.tenure_band).toBe('5-9');
      expect(row.release_id).toBe('rel-1');
      expect(Number(row.base_pay)).toBeLessThanOrEqual(3_000_000);
    }
    const parsed = anonEmployeeMonthSchema.safeParse({
      ...rows[0],
      overtime_hours: Number(rows[0]?.overtime_hours),
      hours_worked: Number(rows[0]?.hours_worked),
      paid_leave_days: Number(rows[0]?.paid_leave_days),
      base_pay: Number(rows[0]?.base_pay),
      gross_pay: Number(rows[0]?.gross_pay),
      employed: rows[0]?.employed === 'true',
      separated: rows[0]?.separated === 'true',
      record_key: Number(rows[0]?.record_key),
      company_key: Number(rows[0]?.company_key),
    });
    expect(parsed.error).toBeUndefined();
    expect(new Set(rows.map((r) => r.company_code)).size).toBe(2);
    expect(result.report.topCoded.gross_pay).toBe(2 * MONTHS.length);
    const report = suppressionReportSchema.parse(
      JSON.parse(new TextDecoder().decode(await ports.objects.get('curated', suppressionReportKey('rel-1')))),
    );
    expect(report.rowsOut).toBe(rows.length);
  });
});
