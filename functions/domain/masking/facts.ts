/**
 * Derived facts, built in the pseudonymised zone of ONE tenant (joined by token, never across
 * tenants): per employee per month the hours, leave and pay with the employee's quasi-identifiers,
 * and per month the company's sales and headcount. `anonymise` pools these across tenants.
 */
import { type DatasetName, getDataset } from '../catalog/index.ts';
import { factsPrefix, pseudonymisedPrefix } from '../zones.ts';
import { dialectType, quoteIdent, quoteLiteral } from './compile.ts';
import { type DuckSession, plainQuery, withDuckDb } from './duckdb-engine.ts';
import { download, hivePart, listKeys, outputPath, upload, withWorkDir } from './local-files.ts';
import { pseudonymisedColumns } from './policy.ts';
import type { MaskingPorts } from './pseudonymise.ts';

export const FACT_NAMES = ['employee_month', 'company_month'] as const;
export type FactName = (typeof FACT_NAMES)[number];

/** Key of a tenant's fact table in the curated bucket. */
export const factKey = (tenantId: string, fact: FactName) =>
  `${factsPrefix(tenantId)}fact=${fact}/part-0.parquet`;

export interface TenantFactsResult {
  readonly employeeMonths: number;
  readonly companyMonths: number;
  readonly outputs: readonly string[];
}

const SOURCES: readonly DatasetName[] = ['employees', 'attendance', 'payroll', 'sales'];

/**
 * Creates a view over a dataset's pseudonymised files (read as the facts query streams them, never
 * materialised, so masking's capped DuckDB holds only what the joins and aggregates keep), or an
 * empty typed table when there are none.
 */
async function loadDataset(db: DuckSession, dataset: DatasetName, paths: readonly string[]): Promise<void> {
  const columns = pseudonymisedColumns(getDataset(dataset));
  const typed = columns.map(
    (c) => `CAST(${quoteIdent(c.name)} AS ${dialectType('duckdb', c.sqlType)}) AS ${quoteIdent(c.name)}`,
  );
  if (paths.length === 0) {
    const empty = columns.map((c) => `CAST(NULL AS ${c.sqlType}) AS ${quoteIdent(c.name)}`);
    await db.run(
      plainQuery(
        `CREATE TABLE ${dataset} AS SELECT ${empty.join(', ')}, CAST(NULL AS VARCHAR) AS src_period, CAST(NULL AS INTEGER) AS src_file WHERE false`,
        `empty ${dataset}`,
      ),
    );
    return;
  }
  // src_file is the file's rank in byte order of its path (so "latest file wins" compares as the
  // paths would), an INTEGER rather than the path: per-group aggregate states stay small.
  const ordered = [...paths].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  const files = `[${ordered.map(quoteLiteral).join(', ')}]`;
  await db.run(
    plainQuery(
      `CREATE VIEW ${dataset} AS SELECT ${typed.join(', ')}, CAST("period" AS VARCHAR) AS src_period, CAST(list_position(${files}, "filename") AS INTEGER) AS src_file FROM read_parquet(${files}, hive_partitioning = true, hive_types_autocast = false, union_by_name = true, filename = true)`,
      `load ${dataset}`,
    ),
  );
}

/**
 * SQL of the employee-month facts over `attendance_days` (see attendanceDaysSql). Duplicates across
 * uploads are resolved to the latest period's register row and one row per (token, day) / (token,
 * month).
 */
export const EMPLOYEE_MONTH_SQL = `
WITH emp AS (
  SELECT * FROM employees
  QUALIFY row_number() OVER (PARTITION BY employee_token ORDER BY src_period DESC, src_file DESC) = 1
),
att AS (
  SELECT employee_token, strftime(work_date, '%Y-%m') AS period,
    sum(overtime_hours) AS overtime_hours, sum(actual_hours) AS hours_worked, sum(paid_leave_days) AS paid_leave_days
  FROM attendance_days GROUP BY ALL
),
pay AS (
  SELECT employee_token, pay_month AS period, base_pay, gross_pay FROM payroll
  QUALIFY row_number() OVER (PARTITION BY employee_token, pay_month ORDER BY src_file DESC) = 1
),
activity AS (
  SELECT employee_token, period FROM att UNION SELECT employee_token, period FROM pay
),
span AS (SELECT min(period) AS first_period, max(period) AS last_period FROM activity),
months AS (
  SELECT employee_token, period FROM activity
  UNION
  SELECT employee_token, strftime(termination_date, '%Y-%m') FROM emp, span
  WHERE termination_date IS NOT NULL AND strftime(termination_date, '%Y-%m') BETWEEN first_period AND last_period
)
SELECT m.employee_token, m.period, e.birth_date, e.gender, e.hire_date, e.termination_date, e.employment_type,
  CAST(a.overtime_hours AS DOUBLE) AS overtime_hours, CAST(a.hours_worked AS DOUBLE) AS hours_worked,
  CAST(a.paid_leave_days AS DOUBLE) AS paid_leave_days,
  CAST(p.base_pay AS BIGINT) AS base_pay, CAST(p.gross_pay AS BIGINT) AS gross_pay,
  coalesce(e.hire_date <= last_day(CAST(m.period || '-01' AS DATE))
    AND (e.termination_date IS NULL OR e.termination_date >= CAST(m.period || '-01' AS DATE)), false) AS employed,
  coalesce(strftime(e.termination_date, '%Y-%m') = m.period, false) AS separated
FROM months m
JOIN emp e USING (employee_token)
LEFT JOIN att a USING (employee_token, period)
LEFT JOIN pay p USING (employee_token, period)
ORDER BY m.period, m.employee_token`;

/**
 * One row per (token, day) of attendance, the latest file winning. Ingestion rejects a second row
 * with the same employee and day within one upload (the dataset's row key), and an upload's period
 * files are disjoint (the period is the work date's month), so when every attendance file comes from
 * one upload the rows are already unique and the dedupe, the most expensive step of the facts (a
 * million-group aggregate), is skipped. Across uploads it is a grouped `arg_max` over the latest file
 * rather than a window: DuckDB's hash aggregate spills under masking's memory cap, a window over a
 * million rows did not.
 */
export function attendanceDaysSql(attendanceUploads: number): string {
  if (attendanceUploads <= 1) {
    return 'SELECT employee_token, work_date, overtime_hours, actual_hours, paid_leave_days FROM attendance';
  }
  return `SELECT employee_token, work_date, day.o AS overtime_hours, day.h AS actual_hours, day.l AS paid_leave_days
  FROM (
    SELECT employee_token, work_date,
      arg_max({'o': overtime_hours, 'h': actual_hours, 'l': paid_leave_days}, src_file) AS day
    FROM attendance GROUP BY employee_token, work_date
  )`;
}

/** SQL of the company-month facts: sales and headcount per month seen in any dataset. */
export const COMPANY_MONTH_SQL = `
WITH sal AS (
  SELECT period_month AS period, sales_amount FROM sales
  QUALIFY row_number() OVER (PARTITION BY period_month ORDER BY src_file DESC) = 1
),
periods AS (SELECT DISTINCT period FROM employee_month UNION SELECT period FROM sal),
emp AS (
  SELECT * FROM employees
  QUALIFY row_number() OVER (PARTITION BY employee_token ORDER BY src_period DESC, src_file DESC) = 1
)
SELECT p.period, CAST(s.sales_amount AS BIGINT) AS sales_amount,
  CAST((SELECT count(*) FROM emp e WHERE e.hire_date <= last_day(CAST(p.period || '-01' AS DATE))
    AND (e.termination_date IS NULL OR e.termination_date >= CAST(p.period || '-01' AS DATE))) AS INTEGER) AS employees
FROM periods p LEFT JOIN sal s USING (period)
ORDER BY p.period`;

/** Rebuilds a tenant's derived facts from all of its pseudonymised data. */
export async function buildTenantFacts(ports: MaskingPorts, tenantId: string): Promise<TenantFactsResult> {
  const keys = await listKeys(ports.objects, 'curated', pseudonymisedPrefix(tenantId));
  return withWorkDir((dir) =>
    withDuckDb(async (db) => {
      const uploads: Record<string, number> = {};
      for (const dataset of SOURCES) {
        const paths: string[] = [];
        const datasetKeys = keys.filter((k) => hivePart(k, 'dataset') === dataset);
        for (const key of datasetKeys) paths.push(await download(ports.objects, 'curated', key, dir));
        // pseudonymisedKey: one object per period, named after its upload.
        uploads[dataset] = new Set(datasetKeys.map((k) => k.slice(k.lastIndexOf('/') + 1))).size;
        await loadDataset(db, dataset, paths);
      }
      await db.run(
        plainQuery(
          `CREATE VIEW attendance_days AS ${attendanceDaysSql(uploads.attendance ?? 0)}`,
          'attendance days',
        ),
      );
      await db.run(
        plainQuery(`CREATE TABLE employee_month AS ${EMPLOYEE_MONTH_SQL}`, 'employee-month facts'),
      );
      await db.run(plainQuery(`CREATE TABLE company_month AS ${COMPANY_MONTH_SQL}`, 'company-month facts'));
      const outputs: string[] = [];
      const counts: Record<FactName, number> = { employee_month: 0, company_month: 0 };
      for (const fact of FACT_NAMES) {
        const key = factKey(tenantId, fact);
        const path = await outputPath(dir, key);
        const copied = await db.run(
          plainQuery(
            `COPY ${fact} TO ${quoteLiteral(path)} (FORMAT parquet, COMPRESSION zstd)`,
            `write ${fact}`,
          ),
        );
        counts[fact] = Number(copied[0]?.Count ?? 0);
        await upload(ports.objects, 'curated', key, path);
        outputs.push(key);
      }
      return { employeeMonths: counts.employee_month, companyMonths: counts.company_month, outputs };
    }),
  );
}
