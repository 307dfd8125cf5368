import { describe, expect, it } from 'vitest';
import { anonymise } from '../../../functions/domain/masking/anonymise.ts';
import {
  ForeignObjectError,
  UploadNotFoundError,
  UploadNotMaskableError,
} from '../../../functions/domain/masking/errors.ts';
import { factKey } from '../../../functions/domain/masking/facts.ts';
import { pseudonymise } from '../../../functions/domain/masking/pseudonymise.ts';
import {
  companyRecordKey,
  personRecordKey,
  platformPerturbationKey,
} from '../../../functions/domain/masking/record-keys.ts';
import { anonymisedPrefix, rawKey } from '../../../functions/domain/zones.ts';
import {
  activityRows,
  cellsUnder,
  type GeneratedEmployee,
  readCells,
  seedTenant,
  seedUpload,
  testPorts,
} from './fixtures.ts';

const elder = (i: number, birth: string): GeneratedEmployee => ({
  employee_id: `E${i}`,
  name: `高齢 ${i}`,
  name_kana: 'コウレイ',
  address: '東京都',
  phone: `03-0000-000${i}`,
  email: `e${i}@example.jp`,
  bank_account: `普通-${i}`,
  birth_date: birth,
  gender: 'female',
  hire_date: '1990-04-01',
  termination_date: null,
  employment_type: 'executive',
  postal_code: '100-0001',
  department: '役員室',
  grade: '会長',
});

describe('anonymisation of a release', () => {
  it('publishes an age of 116 (the PPC example) only as the top band 70+', async () => {
    // Prepare: one person aged 116 among others in their seventies, all otherwise alike
    const ports = testPorts();
    await seedTenant(ports, 'tenant-p', { industry: 'P', prefecture: '26', sizeBand: '5-19' });
    const employees = [elder(1, '1908-03-01'), ...[2, 3, 4, 5, 6].map((i) => elder(i, `194${i}-05-05`))];
    const { attendance } = activityRows(employees, ['2024-06']);
    await seedUpload(ports, 'tenant-p', 'emp', 'employees', { '2024-06': employees.map((e) => ({ ...e })) });
    await seedUpload(ports, 'tenant-p', 'att', 'attendance', attendance);
    await pseudonymise(ports, { tenantId: 'tenant-p', uploadId: 'emp' });
    await pseudonymise(ports, { tenantId: 'tenant-p', uploadId: 'att' });

    // Act
    const result = await anonymise(ports, { releaseId: 'ppc', tenants: ['tenant-p'] });

    // Assess
    const rows = (await cellsUnder(ports, 'curated', anonymisedPrefix('ppc'))).flatMap((o) =>
      o.key.includes('anon_employee_month') ? o.rows : [],
    );
    expect(rows).toHaveLength(6);
    expect(rows.map((r) => r.age_band)).toEqual(Array(6).fill('70+'));
    // Neither the age nor the birth year as a value of its own (a random record key may contain the digits).
    expect(JSON.stringify(rows)).not.toMatch(/(^|[^0-9])(116|1908)([^0-9]|$)/);
    expect(result.report.suppressedRows).toBe(0);
  });

  it('pools several tenants with each row keyed to its own company and person, as the reference HMAC computes', async () => {
    // Prepare: three companies of ten people each, alike enough that no row is suppressed
    const ports = testPorts();
    const tenants = ['tenant-x', 'tenant-y', 'tenant-z'];
    for (const tenantId of tenants) {
      await seedTenant(ports, tenantId, { industry: 'E', prefecture: '13', sizeBand: '5-19' });
      const employees = Array.from({ length: 10 }, (_, i) => elder(i + 1, `198${i % 2}-05-05`));
      const { attendance } = activityRows(employees, ['2024-06', '2024-07']);
      await seedUpload(ports, tenantId, 'emp', 'employees', { '2024-06': employees.map((e) => ({ ...e })) });
      await seedUpload(ports, tenantId, 'att', 'attendance', attendance);
      await pseudonymise(ports, { tenantId, uploadId: 'emp' });
      await pseudonymise(ports, { tenantId, uploadId: 'att' });
    }
    const key = await platformPerturbationKey(ports.keys);
    const expected = new Map<number, Set<number>>();
    for (const tenantId of tenants) {
      const facts = await readCells(await ports.objects.get('curated', factKey(tenantId, 'employee_month')));
      expected.set(
        companyRecordKey(key, tenantId),
        new Set(facts.map((row) => personRecordKey(key, tenantId, String(row.employee_token)))),
      );
    }

    // Act
    const result = await anonymise(ports, { releaseId: 'pooled', tenants });

    // Assess: every row carries its company's key and a person key of that company, and nothing is lost
    const rows = (await cellsUnder(ports, 'curated', anonymisedPrefix('pooled'))).flatMap((o) =>
      o.key.includes('anon_employee_month') ? o.rows : [],
    );
    expect(result.report.suppressedRows).toBe(0);
    expect(rows).toHaveLength(3 * 10 * 2);
    const seen = new Map<number, Set<number>>();
    for (const row of rows) {
      const company = Number(row.company_key);
      expect(expected.get(company)?.has(Number(row.record_key))).toBe(true);
      seen.set(company, (seen.get(company) ?? new Set()).add(Number(row.record_key)));
    }
    expect(seen).toEqual(expected);
    expect(new Set(rows.map((r) => r.company_code)).size).toBe(3);
  });

  it('gives a company a new code in every release', async () => {
    // Prepare
    const ports = testPorts();
    await seedTenant(ports, 'tenant-c', { industry: 'D', prefecture: '01', sizeBand: '1-4' });
    await seedUpload(ports, 'tenant-c', 'sales', 'sales', {
      '2024-01': [{ period_month: '2024-01', sales_amount: 5 }],
    });
    await pseudonymise(ports, { tenantId: 'tenant-c', uploadId: 'sales' });

    // Act
    await anonymise(ports, { releaseId: 'r1', tenants: ['tenant-c'] });
    await anonymise(ports, { releaseId: 'r2', tenants: ['tenant-c'] });

    // Assess
    const codes = await Promise.all(
      ['r1', 'r2'].map(async (release) =>
        (await cellsUnder(ports, 'curated', anonymisedPrefix(release))).flatMap((o) =>
          o.rows.map((r) => r.company_code),
        ),
      ),
    );
    expect(codes[0]).toHaveLength(1);
    expect(codes[1]).toHaveLength(1);
    expect(codes[0]?.[0]).not.toBe(codes[1]?.[0]);
    const stored = [];
    for await (const o of ports.objects.list('curated', '')) stored.push(o.key);
    expect(stored.some((key) => key.includes(String(codes[0]?.[0])))).toBe(false);
  });
});

describe('pseudonymise refuses what it must not read', () => {
  it('refuses an unknown upload, a rejected upload and a raw object of another tenant', async () => {
    // Prepare
    const ports = testPorts();
    await seedTenant(ports, 'tenant-r', { industry: 'D', prefecture: '01', sizeBand: '1-4' });
    await seedUpload(ports, 'tenant-r', 'rejected', 'sales', { '2024-01': [] });
    const rejected = await ports.table.get('uploads', { tenantId: 'tenant-r', uploadId: 'rejected' });
    await ports.table.put('uploads', { ...rejected, status: 'REJECTED' });
    await seedUpload(ports, 'tenant-r', 'foreign', 'sales', { '2024-01': [] });
    const foreign = await ports.table.get('uploads', { tenantId: 'tenant-r', uploadId: 'foreign' });
    await ports.table.put('uploads', {
      ...foreign,
      outputs: [rawKey('tenant-x', 'sales', '2024-01', 'foreign')],
    });

    // Act
    const outcomes = await Promise.all(
      ['missing', 'rejected', 'foreign'].map((uploadId) =>
        pseudonymise(ports, { tenantId: 'tenant-r', uploadId }).catch((e: unknown) => e),
      ),
    );

    // Assess
    expect(outcomes[0]).toBeInstanceOf(UploadNotFoundError);
    expect(outcomes[1]).toBeInstanceOf(UploadNotMaskableError);
    expect(outcomes[2]).toBeInstanceOf(ForeignObjectError);
  });
});
