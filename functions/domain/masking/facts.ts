/**
 * Derived facts, built in the pseudonymised zone of ONE tenant (joined by token, never across
 * tenants): per employee per month the hours, leave and pay with the employee's quasi-identifiers,
 * and per month the company's sales and headcount. `anonymise` pools these across tenants.
 */
import { type DatasetName, getDataset } from '../catalog/index.ts';
import { NotFoundError, type ObjectStore } from '../ports/index.ts';
import {
  applySupersession,
  type InForceObject,
  planSupersession,
  readTenantUploadRecords,
} from '../uploads/supersession.ts';
import { factsPrefix } from '../zones.ts';
import { COMPANY_MEASURE_COLUMNS, EMPLOYEE_MEASURE_COLUMNS } from './anonymised-schema.ts';
import { pseudonymisedColumns } from './columns.ts';
import { dialectType, quoteIdent, quoteLiteral } from './compile.ts';
import { type DuckSession, fitThreads, plainQuery, withDuckDb } from './duckdb-engine.ts';
import { FactsKeptChangingError, FactsVersionsLeftError } from './errors.ts';
import { generationCopyOption, readFactsGeneration } from './facts-generation.ts';
import { download, outputPath, upload, withWorkDir } from './local-files.ts';
import type { MaskingPorts } from './ports.ts';

export const FACT_NAMES = ['employee_month', 'company_month'] as const;
export type FactName = (typeof FACT_NAMES)[number];

/** SQL types of the fact tables' columns (DuckDB names; Glue maps them). */
export type FactSqlType = 'VARCHAR' | 'DOUBLE' | 'BIGINT' | 'INTEGER' | 'BOOLEAN' | 'DATE';

/**
 * The columns of each fact table, in order, with their SQL types: the one list the facts query's output,
 * the Glue tables and the pooled anonymisation's empty tables all follow.
 */
export const FACT_COLUMNS: Readonly<Record<FactName, ReadonlyArray<readonly [string, FactSqlType]>>> = {
  employee_month: [
    ['employee_token', 'VARCHAR'],
    ['period', 'VARCHAR'],
    ['birth_date', 'DATE'],
    ['gender', 'VARCHAR'],
    ['hire_date', 'DATE'],
    ['termination_date', 'DATE'],
    ...EMPLOYEE_MEASURE_COLUMNS,
  ],
  company_month: [['period', 'VARCHAR'], ...COMPANY_MEASURE_COLUMNS],
};

/** Key of a tenant's fact table in the curated bucket. */
export const factKey = (tenantId: string, fact: FactName) =>
  `${factsPrefix(tenantId)}fact=${fact}/part-0.parquet`;

/**
 * Removes the tenant's facts (their current versions: the objects a release pools), so that no release
 * pools the company until they are built again. Returns how many could not be removed.
 */
export async function removeTenantFacts(objects: ObjectStore, tenantId: string): Promise<number> {
  const { failed } = await objects.deleteMany(
    'curated',
    FACT_NAMES.map((fact) => ({ key: factKey(tenantId, fact) })),
  );
  return failed.length;
}

export interface TenantFactsResult {
  readonly employeeMonths: number;
  readonly companyMonths: number;
  readonly outputs: readonly string[];
  /** The uploads whose objects the facts were built from (those in force). */
  readonly uploads: readonly string[];
  /** Former versions of the facts deleted after the rebuild, per store (`facts-versions`, `-replica`). */
  readonly formerVersionsDeleted: Readonly<Record<string, number>>;
}

const SOURCES: readonly DatasetName[] = ['employees', 'attendance', 'payroll', 'sales'];

/**
 * Creates a view over a dataset's pseudonymised files (read as the facts query streams them, never
 * materialised, so masking's capped DuckDB holds only what the joins and aggregates keep), or an
 * empty typed table when there are none. `src_file` is the file's upload's rank in the tenant's order.
 */
async function loadDataset(
  db: DuckSession,
  dataset: DatasetName,
  files: ReadonlyArray<{ readonly path: string; readonly rank: number }>,
): Promise<void> {
  const columns = pseudonymisedColumns(getDataset(dataset));
  const typed = columns.map(
    (c) => `CAST(${quoteIdent(c.name)} AS ${dialectType('duckdb', c.sqlType)}) AS ${quoteIdent(c.name)}`,
  );
  if (files.length === 0) {
    const empty = columns.map((c) => `CAST(NULL AS ${c.sqlType}) AS ${quoteIdent(c.name)}`);
    await db.run(
      plainQuery(
        `CREATE TABLE ${dataset} AS SELECT ${empty.join(', ')}, CAST(NULL AS VARCHAR) AS src_period, CAST(NULL AS INTEGER) AS src_file WHERE false`,
        `empty ${dataset}`,
      ),
    );
    return;
  }
  // In the tenant's order, so a file's position is its upload's rank (an INTEGER keeps aggregate states small).
  const ordered = [...files].sort((a, b) => a.rank - b.rank || (a.path < b.path ? -1 : 1));
  const paths = `[${ordered.map((f) => quoteLiteral(f.path)).join(', ')}]`;
  await db.run(
    plainQuery(
      `CREATE VIEW ${dataset} AS SELECT ${typed.join(', ')}, CAST("period" AS VARCHAR) AS src_period, CAST(list_position(${paths}, "filename") AS INTEGER) AS src_file FROM read_parquet(${paths}, hive_partitioning = true, hive_types_autocast = false, union_by_name = true, filename = true)`,
      `load ${dataset}`,
    ),
  );
}

/**
 * SQL of the employee-month facts over `attendance_days` (see ATTENDANCE_DAYS_SQL). Each employee's
 * register row is the latest period's (registers of several months are all in force, one per month);
 * payroll has one object per month, so one row per (token, month), kept by rank all the same.
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
 * One row per (token, day) of attendance. The facts read one object per month (the upload in force for
 * it: supersession.ts), an object holds only its month's days, and ingestion rejects a second row with
 * the same employee and day within an upload (the dataset's row key), so the rows are unique as read;
 * no dedupe (before supersession, a million-group aggregate) is needed.
 */
export const ATTENDANCE_DAYS_SQL =
  'SELECT employee_token, work_date, overtime_hours, actual_hours, paid_leave_days FROM attendance';

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

const sameObjects = (a: readonly InForceObject[], b: readonly InForceObject[]) =>
  JSON.stringify(a.map((o) => o.key)) === JSON.stringify(b.map((o) => o.key));

/**
 * Rebuilds of a tenant's facts in one call before it gives up: each is needed only because a masking or a
 * withdrawal of the same tenant committed during the one before.
 */
export const FACTS_MAX_ATTEMPTS = 8;

/**
 * Deletes every former version (and delete marker) of the tenant's facts, here and in the
 * disaster-recovery copy. Facts derive from every upload in force, so a former version can hold the
 * figures of an upload withdrawn since, or stale facts a rebuild wrote from records read before a
 * withdrawal. Kept: the current version of each fact and, in the copy, that same version (S3 replication
 * keeps version ids). A store without versions has nothing to delete. Returns the counts per store.
 * @throws FactsVersionsLeftError when some could not be deleted
 */
export async function deleteFormerFacts(
  ports: Pick<MaskingPorts, 'objects' | 'replica'>,
  tenantId: string,
): Promise<Record<string, number>> {
  const keys = new Set(FACT_NAMES.map((fact) => factKey(tenantId, fact)));
  const current = new Set<string>();
  const former = [];
  for await (const version of ports.objects.listVersions('curated', factsPrefix(tenantId))) {
    if (!keys.has(version.key)) continue;
    if (version.isLatest && !version.isDeleteMarker) current.add(version.versionId);
    else former.push({ key: version.key, versionId: version.versionId });
  }
  const places = [{ store: 'facts-versions', objects: ports.objects, refs: former }];
  const replica = ports.replica?.objects;
  if (replica) {
    const copies = [];
    for await (const version of replica.listVersions('curated', factsPrefix(tenantId))) {
      if (keys.has(version.key) && !current.has(version.versionId))
        copies.push({ key: version.key, versionId: version.versionId });
    }
    places.push({ store: 'facts-versions-replica', objects: replica, refs: copies });
  }
  const deleted: Record<string, number> = {};
  for (const place of places) {
    for (let i = 0; i < place.refs.length; i += 1_000) {
      const { failed } = await place.objects.deleteMany('curated', place.refs.slice(i, i + 1_000));
      if (failed.length > 0) throw new FactsVersionsLeftError(place.store, failed.length);
    }
    deleted[place.store] = place.refs.length;
  }
  return deleted;
}

/**
 * Rebuilds a tenant's derived facts from exactly the pseudonymised objects in force: those of uploads
 * whose masking completed (never a half-written or withdrawn upload's), one per dataset and period,
 * of the upload latest in the tenant's order (supersession.ts). The records' `supersededBy` are brought
 * in line first. If a masking or a withdrawal committed while the facts were written, they are built
 * again, until a rebuild sees the records unchanged, so the facts written last follow the records as
 * they are, and the facts' former versions are deleted (deleteFormerFacts); after FACTS_MAX_ATTEMPTS
 * changing rebuilds it removes the tenant's facts and fails (FactsKeptChangingError) rather than leave
 * facts that may not. An object in force that is gone when it
 * is read was withdrawn meanwhile (its deletion follows the record's commit): the facts are planned again
 * from the records, not failed (which would have the caller's message delivered again for nothing). One
 * gone while the records still count it is a real loss, and is thrown.
 */
export async function buildTenantFacts(ports: MaskingPorts, tenantId: string): Promise<TenantFactsResult> {
  for (let attempt = 1; attempt <= FACTS_MAX_ATTEMPTS; attempt++) {
    // Before the records: facts of records read before a withdrawal then carry an older generation.
    const generation = await readFactsGeneration(ports.objects, tenantId);
    const plan = await applySupersession(ports, tenantId);
    const written = await writeFacts(ports, tenantId, plan.inForce, generation).catch((error: unknown) => {
      if (error instanceof NotFoundError) return error;
      throw error;
    });
    const now = planSupersession(await readTenantUploadRecords(ports.table, tenantId));
    // A withdrawal renewed the generation meanwhile: facts stamped with the old one no longer count,
    // even when they follow the records, so they are built again under the new one.
    const renewed = (await readFactsGeneration(ports.objects, tenantId)) !== generation;
    const changed = renewed || !sameObjects(now.inForce, plan.inForce);
    if (written instanceof NotFoundError) {
      if (!changed) throw written;
      continue;
    }
    if (!changed) return { ...written, formerVersionsDeleted: await deleteFormerFacts(ports, tenantId) };
  }
  // The facts written last may not follow the records (they could still hold an upload withdrawn
  // meanwhile): none is safer, and a release leaves the company out until the retried delivery (or
  // withdrawal) builds them again.
  await removeTenantFacts(ports.objects, tenantId);
  throw new FactsKeptChangingError(tenantId, FACTS_MAX_ATTEMPTS);
}

async function writeFacts(
  ports: MaskingPorts,
  tenantId: string,
  inForce: readonly InForceObject[],
  generation: string,
): Promise<Omit<TenantFactsResult, 'formerVersionsDeleted'>> {
  return withWorkDir((dir) =>
    withDuckDb(async (db) => {
      for (const dataset of SOURCES) {
        const files = [];
        for (const object of inForce.filter((o) => o.dataset === dataset)) {
          files.push({ path: await download(ports.objects, 'curated', object.key, dir), rank: object.rank });
        }
        await loadDataset(db, dataset, files);
      }
      // Counting a Parquet view reads the files' footers only.
      const sizes = await db.run(
        plainQuery(SOURCES.map((d) => `SELECT count(*) AS n FROM ${d}`).join(' UNION ALL '), 'count inputs'),
      );
      await fitThreads(db, Math.max(0, ...sizes.map((r) => Number(r.n))));
      await db.run(plainQuery(`CREATE VIEW attendance_days AS ${ATTENDANCE_DAYS_SQL}`, 'attendance days'));
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
            `COPY ${fact} TO ${quoteLiteral(path)} (FORMAT parquet, COMPRESSION zstd, ${generationCopyOption(generation)})`,
            `write ${fact}`,
          ),
        );
        counts[fact] = Number(copied[0]?.Count ?? 0);
        await upload(ports.objects, 'curated', key, path);
        outputs.push(key);
      }
      return {
        employeeMonths: counts.employee_month,
        companyMonths: counts.company_month,
        outputs,
        uploads: [...new Set(inForce.map((o) => o.uploadId))].sort(),
      };
    }),
  );
}
