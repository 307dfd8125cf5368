import { PREFECTURES } from '../../functions/domain/company.ts';
import { DEMO_YEAR, type SyntheticCompany, type SyntheticEmployee } from './generate.ts';
import { DEPARTMENTS } from './names.ts';
import { SeededRandom } from './random.ts';

/** One row of the organisation dataset: a department with its parent and manager. */
export interface SyntheticDepartment {
  readonly department_code: string;
  readonly department_name: string;
  readonly parent_code: string | undefined;
  readonly manager_employee_id: string | undefined;
  readonly headcount: number;
}

/** One row of the public statistics a supporting organisation shares (no personal data). */
export interface SyntheticPublicStatistic {
  readonly indicator_code: string;
  readonly indicator_name: string;
  readonly area_code: string;
  readonly period_month: string;
  readonly value: number;
  readonly unit: string;
  readonly source: string;
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/**
 * The company's organisation chart: 本社 at the top, every department its employees work in below it,
 * each managed by its most senior current employee, headcount from the register.
 */
export function generateOrganisation(
  _company: SyntheticCompany,
  employees: readonly SyntheticEmployee[],
): SyntheticDepartment[] {
  const current = employees.filter((e) => e.termination_date === undefined);
  const used = DEPARTMENTS.filter((d) => current.some((e) => e.department === d));
  const seniority = (e: SyntheticEmployee) => ['一般', '主任', '係長', '課長', '部長'].indexOf(e.grade);
  const head = {
    department_code: 'D00',
    department_name: '本社',
    parent_code: undefined,
    manager_employee_id: [...current].sort((a, b) => seniority(b) - seniority(a))[0]?.employee_id,
    headcount: current.length,
  };
  return [
    head,
    ...used.map((name, index) => {
      const members = current.filter((e) => e.department === name);
      return {
        department_code: `D${pad(index + 1)}`,
        department_name: name,
        parent_code: head.department_code,
        manager_employee_id: [...members].sort((a, b) => seniority(b) - seniority(a))[0]?.employee_id,
        headcount: members.length,
      };
    }),
  ];
}

const INDICATORS = [
  { code: 'MIN_WAGE', ja: '地域別最低賃金（時間額）', unit: '円', base: 1000, spread: 120, monthly: false },
  { code: 'JOB_OPENINGS', ja: '有効求人倍率', unit: '倍', base: 1.25, spread: 0.3, monthly: true },
  { code: 'CPI', ja: '消費者物価指数（総合）', unit: '2020年=100', base: 108, spread: 2, monthly: true },
] as const;

/**
 * Public indicators by prefecture and month, as a chamber of commerce might share them (values are
 * synthetic, in the shape of e-Stat tables).
 */
export function* generatePublicStatistics(seed = 20_251_122): Generator<SyntheticPublicStatistic> {
  const random = new SeededRandom(seed ^ 0x1234567);
  for (const prefecture of PREFECTURES) {
    const level = random.normal(0, 1);
    for (const indicator of INDICATORS) {
      const annual = indicator.base + level * indicator.spread;
      for (let month = 1; month <= 12; month++) {
        const drift = indicator.monthly ? random.normal(0, indicator.spread / 20) : 0;
        const value =
          indicator.code === 'MIN_WAGE' ? Math.round(annual + (month >= 10 ? 50 : 0)) : annual + drift;
        yield {
          indicator_code: indicator.code,
          indicator_name: indicator.ja,
          area_code: prefecture.code,
          period_month: `${DEMO_YEAR}-${pad(month)}`,
          value: Math.round(value * 100) / 100,
          unit: indicator.unit,
          source: '合成データ（デモ用）',
        };
      }
    }
  }
}
