import {
  type CompanyProfile,
  type JsicMajorGroup,
  PREFECTURES,
  type SizeBand,
  sizeBandFor,
} from '../../functions/domain/company.ts';
import {
  COMPANY_STEMS,
  COMPANY_SUFFIXES,
  DEPARTMENTS,
  GIVEN_NAMES_FEMALE,
  GIVEN_NAMES_MALE,
  GRADES,
  SURNAMES,
} from './names.ts';
import { SeededRandom } from './random.ts';

/** A synthetic company: a tenant with a profile and a staff size. */
export interface SyntheticCompany {
  readonly tenantId: string;
  readonly name: string;
  readonly profile: CompanyProfile;
  readonly employees: number;
  readonly seed: number;
}

/** One synthetic employee, with every column the employees dataset knows. */
export interface SyntheticEmployee {
  readonly employee_id: string;
  readonly name: string;
  readonly name_kana: string;
  readonly birth_date: string;
  readonly gender: 'male' | 'female';
  readonly hire_date: string;
  readonly termination_date: string | undefined;
  readonly postal_code: string;
  readonly address: string;
  readonly phone: string;
  readonly email: string;
  readonly department: string;
  readonly grade: string;
  readonly employment_type: 'regular' | 'contract' | 'part_time';
  readonly bank_account: string;
}

export interface SyntheticAttendance {
  readonly employee_id: string;
  readonly work_date: string;
  readonly scheduled_hours: number;
  readonly actual_hours: number;
  readonly overtime_hours: number;
  readonly late_night_hours: number;
  readonly holiday_hours: number;
  readonly paid_leave_days: number;
}

export interface SyntheticPayroll {
  readonly employee_id: string;
  readonly pay_month: string;
  readonly base_pay: number;
  readonly overtime_pay: number;
  readonly allowances: number;
  readonly gross_pay: number;
  readonly deductions: number;
  readonly net_pay: number;
}

export interface SyntheticSales {
  readonly period_month: string;
  readonly sales_amount: number;
  readonly gross_profit: number;
  readonly operating_profit: number;
  readonly customer_count: number;
}

/** The year the demo covers: a whole calendar year of attendance, payroll and sales. */
export const DEMO_YEAR = 2025;

/** National holidays of 2025 (内閣府), so attendance looks like a real calendar. */
const HOLIDAYS_2025 = new Set([
  '2025-01-01',
  '2025-01-13',
  '2025-02-11',
  '2025-02-23',
  '2025-02-24',
  '2025-03-20',
  '2025-04-29',
  '2025-05-03',
  '2025-05-04',
  '2025-05-05',
  '2025-05-06',
  '2025-07-21',
  '2025-08-11',
  '2025-09-15',
  '2025-09-23',
  '2025-10-13',
  '2025-11-03',
  '2025-11-23',
  '2025-11-24',
]);
/** Company holidays most SMEs add: new year, obon, year end. */
const COMPANY_HOLIDAYS = new Set([
  '2025-01-02',
  '2025-01-03',
  '2025-08-13',
  '2025-08-14',
  '2025-08-15',
  '2025-12-29',
  '2025-12-30',
  '2025-12-31',
]);

const INDUSTRIES: ReadonlyArray<readonly [JsicMajorGroup, number]> = [
  ['E', 0.22],
  ['I', 0.2],
  ['D', 0.14],
  ['M', 0.1],
  ['P', 0.1],
  ['H', 0.08],
  ['G', 0.08],
  ['R', 0.08],
];
/** Mean daily overtime hours by industry: construction and transport work the longest. */
const OVERTIME_MEAN: Partial<Record<JsicMajorGroup, number>> = {
  D: 1.6,
  H: 1.8,
  E: 1.1,
  G: 1.2,
  I: 0.8,
  M: 0.9,
  P: 0.6,
};
/** Prefectures weighted towards where SMEs are. */
const PREFECTURE_WEIGHTS: ReadonlyArray<readonly [string, number]> = PREFECTURES.map((p) => [
  p.code,
  (
    { '13': 12, '27': 7, '23': 6, '14': 5, '11': 4, '40': 4, '01': 4, '28': 3, '22': 3, '26': 2 } as Record<
      string,
      number
    >
  )[p.code] ?? 1,
]);
const SIZE_WEIGHTS: ReadonlyArray<readonly [SizeBand, number]> = [
  ['5-19', 0.35],
  ['20-49', 0.35],
  ['50-99', 0.2],
  ['100-299', 0.1],
];

const pad = (n: number, width = 2) => String(n).padStart(width, '0');
const isoDate = (d: Date) => `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
const round = (n: number, places = 2) => Math.round(n * 10 ** places) / 10 ** places;

/** Synthetic companies across industries, prefectures and sizes; `count` from tens (demo) to thousands (benchmarks). */
export function generateCompanies(count: number, seed = 20_251_122): SyntheticCompany[] {
  const random = new SeededRandom(seed);
  return Array.from({ length: count }, (_, index) => {
    const industry = random.weighted(INDUSTRIES);
    const band = random.weighted(SIZE_WEIGHTS);
    const employees =
      band === '5-19'
        ? random.int(10, 19)
        : band === '20-49'
          ? random.int(20, 49)
          : band === '50-99'
            ? random.int(50, 99)
            : random.int(100, 180);
    const stem = random.pick(COMPANY_STEMS);
    return {
      tenantId: `demo-${pad(index + 1, 4)}`,
      name: `株式会社${stem}${COMPANY_SUFFIXES[industry] ?? '工業'}`,
      profile: {
        industry,
        prefecture: random.weighted(PREFECTURE_WEIGHTS),
        sizeBand: sizeBandFor(employees),
      },
      employees,
      seed: random.int(1, 0x7fffffff),
    };
  });
}

/** The company's employee register (current and a few former employees). */
export function generateEmployees(company: SyntheticCompany): SyntheticEmployee[] {
  const random = new SeededRandom(company.seed);
  const leavers = Math.max(1, Math.round(company.employees * 0.08));
  return Array.from({ length: company.employees + leavers }, (_, index) => {
    const gender = random.chance(0.55) ? 'male' : 'female';
    const [surname, surnameKana] = random.pick(SURNAMES);
    const [given, givenKana] = random.pick(gender === 'male' ? GIVEN_NAMES_MALE : GIVEN_NAMES_FEMALE);
    const age = Math.min(74, Math.max(18, Math.round(random.normal(43, 12))));
    const birth = new Date(Date.UTC(DEMO_YEAR - age, random.int(0, 11), random.int(1, 28)));
    const tenureYears = Math.min(age - 18, Math.max(0, Math.round(Math.abs(random.normal(0, 10)))));
    const hire = new Date(Date.UTC(DEMO_YEAR - tenureYears, random.pick([3, 3, 3, random.int(0, 11)]), 1));
    const leaver = index >= company.employees;
    const termination = leaver
      ? new Date(Date.UTC(DEMO_YEAR, random.int(2, 11), random.int(1, 28)))
      : undefined;
    const prefecture = PREFECTURES.find((p) => p.code === company.profile.prefecture);
    const seniority = Math.min(GRADES.length - 1, Math.floor(tenureYears / 6) + (random.chance(0.2) ? 1 : 0));
    return {
      employee_id: pad(index + 1, 5),
      name: `${surname}　${given}`,
      name_kana: `${surnameKana}　${givenKana}`,
      birth_date: isoDate(birth),
      gender,
      hire_date: isoDate(hire),
      termination_date: termination ? isoDate(termination) : undefined,
      postal_code: `${pad(random.int(100, 999), 3)}-${pad(random.int(0, 9999), 4)}`,
      address: `${prefecture?.ja ?? '東京都'}${random.pick(['中央', '本町', '栄', '緑'])}${random.int(1, 9)}-${random.int(1, 30)}-${random.int(1, 20)}`,
      phone: `090-${pad(random.int(0, 9999), 4)}-${pad(random.int(0, 9999), 4)}`,
      email: `${surnameKana.length}${givenKana.length}.${index + 1}@example.co.jp`,
      department: random.pick(DEPARTMENTS),
      grade: GRADES[seniority] ?? '一般',
      employment_type: random.weighted([
        ['regular', 0.7],
        ['contract', 0.1],
        ['part_time', 0.2],
      ] as const),
      bank_account: `${pad(random.int(1, 9999), 4)}-${pad(random.int(1, 999), 3)}-${pad(random.int(0, 9_999_999), 7)}`,
    };
  });
}

/** Every calendar day of the demo year, with whether it is a working day. */
export function* demoYearDays(): Generator<{ date: string; workday: boolean }> {
  for (
    let d = new Date(Date.UTC(DEMO_YEAR, 0, 1));
    d.getUTCFullYear() === DEMO_YEAR;
    d.setUTCDate(d.getUTCDate() + 1)
  ) {
    const date = isoDate(d);
    const weekday = d.getUTCDay();
    yield {
      date,
      workday: weekday !== 0 && weekday !== 6 && !HOLIDAYS_2025.has(date) && !COMPANY_HOLIDAYS.has(date),
    };
  }
}

/** A year of daily attendance: working days, realistic overtime by industry, paid leave clustered around holidays. */
export function* generateAttendance(
  company: SyntheticCompany,
  employees: readonly SyntheticEmployee[],
): Generator<SyntheticAttendance> {
  const random = new SeededRandom(company.seed ^ 0x5a5a5a5a);
  const overtimeMean = OVERTIME_MEAN[company.profile.industry] ?? 1;
  const days = [...demoYearDays()];
  for (const employee of employees) {
    const partTime = employee.employment_type === 'part_time';
    const scheduled = partTime ? 5 : 8;
    const personalOvertime = Math.max(0, random.normal(overtimeMean, overtimeMean / 2));
    const leaveRate = partTime ? 0.02 : random.float() * 0.06 + 0.02;
    for (const { date, workday } of days) {
      if (date < employee.hire_date || (employee.termination_date && date > employee.termination_date))
        continue;
      const month = Number(date.slice(5, 7));
      const busy = month === 3 || month === 12 ? 1.5 : 1;
      if (!workday) {
        if (!partTime && random.chance(0.03 * busy)) {
          const hours = round(random.int(4, 8));
          yield {
            employee_id: employee.employee_id,
            work_date: date,
            scheduled_hours: 0,
            actual_hours: hours,
            overtime_hours: 0,
            late_night_hours: 0,
            holiday_hours: hours,
            paid_leave_days: 0,
          };
        }
        continue;
      }
      const nearHoliday = month === 8 || month === 5 || month === 12;
      if (random.chance(leaveRate * (nearHoliday ? 2.5 : 1))) {
        const half = random.chance(0.2);
        const worked = half ? scheduled / 2 : 0;
        yield {
          employee_id: employee.employee_id,
          work_date: date,
          scheduled_hours: scheduled,
          actual_hours: worked,
          overtime_hours: 0,
          late_night_hours: 0,
          holiday_hours: 0,
          paid_leave_days: half ? 0.5 : 1,
        };
        continue;
      }
      const overtime = partTime ? 0 : round(Math.max(0, random.normal(personalOvertime * busy, 0.8)) * 4) / 4;
      const lateNight = overtime > 3 ? round(Math.min(overtime - 3, random.float() * 2) * 4) / 4 : 0;
      yield {
        employee_id: employee.employee_id,
        work_date: date,
        scheduled_hours: scheduled,
        actual_hours: round(scheduled + overtime),
        overtime_hours: overtime,
        late_night_hours: lateNight,
        holiday_hours: 0,
        paid_leave_days: 0,
      };
    }
  }
}

/** Monthly payroll, consistent with attendance-level overtime and the employee's grade. */
export function* generatePayroll(
  company: SyntheticCompany,
  employees: readonly SyntheticEmployee[],
): Generator<SyntheticPayroll> {
  const random = new SeededRandom(company.seed ^ 0x33333333);
  for (const employee of employees) {
    const age = DEMO_YEAR - Number(employee.birth_date.slice(0, 4));
    const gradeIndex = GRADES.indexOf(employee.grade);
    const base =
      employee.employment_type === 'part_time'
        ? random.int(90, 140) * 1000
        : Math.round(
            ((180_000 + Math.min(age - 22, 30) * 5_000 + gradeIndex * 40_000) *
              (0.9 + random.float() * 0.2)) /
              100,
          ) * 100;
    for (let month = 1; month <= 12; month++) {
      const payMonth = `${DEMO_YEAR}-${pad(month)}`;
      if (
        `${payMonth}-28` < employee.hire_date ||
        (employee.termination_date && `${payMonth}-01` > employee.termination_date)
      )
        continue;
      const overtimePay =
        employee.employment_type === 'part_time'
          ? 0
          : Math.round(((base / 160) * 1.25 * Math.max(0, random.normal(15, 8))) / 10) * 10;
      const allowances = random.pick([10_000, 15_000, 20_000, 30_000]);
      const gross = base + overtimePay + allowances;
      const deductions = Math.round(gross * 0.21);
      yield {
        employee_id: employee.employee_id,
        pay_month: payMonth,
        base_pay: base,
        overtime_pay: overtimePay,
        allowances,
        gross_pay: gross,
        deductions,
        net_pay: gross - deductions,
      };
    }
  }
}

/** Monthly company-level sales (magnitude data): seasonal, scaled by headcount and industry. */
export function* generateSales(company: SyntheticCompany): Generator<SyntheticSales> {
  const random = new SeededRandom(company.seed ^ 0x77777777);
  const perEmployee =
    {
      I: 2_500_000,
      E: 1_800_000,
      D: 2_000_000,
      H: 1_300_000,
      G: 1_500_000,
      M: 600_000,
      P: 700_000,
      R: 900_000,
    }[company.profile.industry as string] ?? 1_000_000;
  for (let month = 1; month <= 12; month++) {
    const seasonal = month === 12 ? 1.25 : month === 3 ? 1.15 : month === 8 ? 0.85 : 1;
    const sales =
      Math.round((company.employees * perEmployee * seasonal * (0.85 + random.float() * 0.3)) / 1000) * 1000;
    const gross = Math.round(sales * (0.2 + random.float() * 0.15));
    yield {
      period_month: `${DEMO_YEAR}-${pad(month)}`,
      sales_amount: sales,
      gross_profit: gross,
      operating_profit: Math.round(gross * (0.1 + random.float() * 0.3) - company.employees * 20_000),
      customer_count: Math.max(1, Math.round(company.employees * (2 + random.float() * 8))),
    };
  }
}
