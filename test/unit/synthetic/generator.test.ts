import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import { getDataset } from '../../../functions/domain/catalog/index.ts';
import { companyProfileSchema } from '../../../functions/domain/company.ts';
import { csvBytes, toEraDate } from '../../../local/synthetic/csv.ts';
import {
  generateAttendance,
  generateCompanies,
  generateEmployees,
  generatePayroll,
  generateSales,
} from '../../../local/synthetic/generate.ts';

describe('synthetic data generator', () => {
  it('produces the same companies and employees for the same seed', () => {
    const first = generateCompanies(5, 42);
    const second = generateCompanies(5, 42);
    expect(second).toEqual(first);
    expect(generateEmployees(second[0]!)).toEqual(generateEmployees(first[0]!));
    expect(generateCompanies(5, 43)).not.toEqual(first);
  });

  it('gives every company a valid profile', () => {
    for (const company of generateCompanies(50)) {
      expect(companyProfileSchema.safeParse(company.profile).success).toBe(true);
    }
  });

  it('writes attendance only between hire and termination, with overtime within the day', () => {
    const [company] = generateCompanies(1, 7);
    const employees = generateEmployees(company!);
    const byId = new Map(employees.map((e) => [e.employee_id, e]));
    let rows = 0;
    for (const row of generateAttendance(company!, employees)) {
      const employee = byId.get(row.employee_id)!;
      expect(row.work_date >= employee.hire_date).toBe(true);
      if (employee.termination_date) expect(row.work_date <= employee.termination_date).toBe(true);
      expect(row.actual_hours).toBeLessThanOrEqual(24);
      expect(row.overtime_hours).toBeGreaterThanOrEqual(0);
      rows++;
    }
    expect(rows).toBeGreaterThan(employees.length * 100);
  });

  it('keeps payroll arithmetic consistent and sales positive', () => {
    const [company] = generateCompanies(1, 9);
    for (const row of generatePayroll(company!, generateEmployees(company!))) {
      expect(row.gross_pay).toBe(row.base_pay + row.overtime_pay + row.allowances);
      expect(row.net_pay).toBe(row.gross_pay - row.deductions);
    }
    const sales = [...generateSales(company!)];
    expect(sales).toHaveLength(12);
    expect(sales.every((s) => s.sales_amount > 0)).toBe(true);
  });

  it('writes Japanese era dates, including the first year as 元年', () => {
    expect(toEraDate('2019-05-01')).toBe('令和元年5月1日');
    expect(toEraDate('2019-04-30')).toBe('平成31年4月30日');
    expect(toEraDate('1989-01-07')).toBe('昭和64年1月7日');
    expect(toEraDate('2025-04-01')).toBe('令和7年4月1日');
  });

  it('writes Shift_JIS exports with Japanese headers that decode back exactly', () => {
    const [company] = generateCompanies(1, 3);
    const employees = generateEmployees(company!).map((e, i) =>
      i === 0 ? { ...e, name: '髙橋　一郎', address: '東京都中央区１－２ ㈱ビル①' } : e,
    );
    const bytes = csvBytes('employees', employees as unknown as Record<string, unknown>[], {
      headers: 'ja',
      encoding: 'sjis',
      dates: 'era',
    });
    const text = iconv.decode(bytes, 'cp932');
    expect(text.split('\r\n')[0]).toBe(
      getDataset('employees')
        .columns.map((c) => c.ja)
        .join(','),
    );
    expect(text).toContain('髙橋　一郎');
    expect(text).toContain('㈱ビル①');
    expect(text).toMatch(/(昭和|平成)\d+年\d+月\d+日/);
  });

  it('spoils exactly the requested number of rows', () => {
    const [company] = generateCompanies(1, 3);
    const rows = [...generateSales(company!)];
    const clean = csvBytes('sales', rows as unknown as Record<string, unknown>[], {
      headers: 'en',
      encoding: 'utf8',
      dates: 'iso',
    }).toString();
    const spoiled = csvBytes('sales', rows as unknown as Record<string, unknown>[], {
      headers: 'en',
      encoding: 'utf8',
      dates: 'iso',
      badRows: 3,
    }).toString();
    const differing = clean.split('\r\n').filter((line, i) => line !== spoiled.split('\r\n')[i]);
    expect(differing).toHaveLength(3);
  });
});
