/**
 * Benchmark 3: a statistics release over 24, 1,000 and 5,000 companies (50 current employees each,
 * 12 months) on DuckDB locally: the real `anonymise` (pooling every tenant's derived facts, k-anonymity,
 * fresh company codes) then the real `publishRelease` (every statistic, disclosure control,
 * perturbation, secondary suppression, the release audit, manifest), timed per size, with the growth
 * exponent between sizes, and the release's utility: share of cells published, share of companies
 * with a peer comparison per statistic, relative perturbation, anonymised rows with a blanked attribute.
 *
 * Generated, not measured: the tenants' derived facts (what `pseudonymise` → `buildTenantFacts`
 * leave in the curated zone), written straight to Parquet with DuckDB from the synthetic generator's
 * companies, employees, payroll months and sales — running ingest and masking for 5,000 tenants
 * would take far longer than the release itself and is measured by benchmark 1.
 */
import { createWriteStream, existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { totalmem } from 'node:os';
import { join } from 'node:path';
import { WorkerSuppressionSolver } from '../functions/adapters/audit-workers.ts';
import { MemoryKeyStore, MemoryObjectStore, MemoryTable } from '../functions/adapters/memory/index.ts';
import { anonymise, LOCAL_SUPPRESSION_BUDGET } from '../functions/domain/masking/anonymise.ts';
import { factKey } from '../functions/domain/masking/facts.ts';
import { defaultSettings } from '../functions/domain/settings.ts';
import { auditCellsKey } from '../functions/domain/stats/audit.ts';
import { benchmarkFor } from '../functions/domain/stats/benchmark.ts';
import { TOTAL, VARIABLES } from '../functions/domain/stats/catalog.ts';
import { type PublishPhase, publishRelease } from '../functions/domain/stats/publish.ts';
import { anonymisedReleaseBytes } from '../functions/domain/stats/run.ts';
import { readPublishedCells } from '../functions/domain/stats/service.ts';
import { rowFilters, usedVariables } from '../functions/domain/stats/sql.ts';
import { STATISTICS } from '../functions/domain/stats/statistics.ts';
import {
  generateCompanies,
  generateEmployees,
  generatePayroll,
  generateSales,
  type SyntheticCompany,
} from '../local/synthetic/generate.ts';
import { type Figure, median, round, type Section } from './lib/report.ts';

export interface StatsBenchOptions {
  readonly dir: string;
  /** Company counts. @default [24, 1000, 5000] */
  readonly sizes?: readonly number[];
}

const EMPLOYEES_PER_COMPANY = 50;
/** Companies whose facts one partitioned write produces (generation only). */
const GENERATION_CHUNK = 2_500;
const SEED = 20_261_122;
/**
 * Anonymisation is timed this many times per size (interleaved across the sizes, the median reported):
 * one release per size put its growth exponent anywhere between 0.85 and 1.07 on the same code, as
 * single runs of the same 5,000-company anonymisation took 19.1–26.6 s on the bench machine
 * (2026-12-08).
 */
const ANONYMISE_ROUNDS = 3;
/** Sizes above this are anonymised once (a 50,000-company anonymisation takes minutes). */
const ANONYMISE_REPEATED_UP_TO = 10_000;

/** Progress on stderr while a size runs (the report comes at the end). */
const progress = (text: string) => process.stderr.write(`  … ${text}\n`);

/** Writes CSV lines through a stream, respecting back-pressure. */
function lineWriter(path: string) {
  const out = createWriteStream(path);
  let buffer = '';
  return {
    async line(text: string) {
      buffer += `${text}\n`;
      if (buffer.length > 1 << 20) {
        if (!out.write(buffer)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
        buffer = '';
      }
    },
    end: () =>
      new Promise<void>((resolve, reject) => {
        out.write(buffer);
        out.end((error?: Error | null) => (error ? reject(error) : resolve()));
      }),
  };
}

/**
 * Per-tenant fact Parquet files for `count` synthetic companies, under `<dir>/facts/<fact>/tenant_id=…/`.
 * Monthly pay comes from generatePayroll; hours follow its overtime pay (overtime hours = overtime
 * pay ÷ (base ÷ 160 × 1.25)), paid leave from a hash of the employee-month.
 */
async function generateFacts(
  dir: string,
  count: number,
): Promise<{ companies: SyntheticCompany[]; root: string }> {
  const companies = generateCompanies(count, SEED).map((c) => ({ ...c, employees: EMPLOYEES_PER_COMPANY }));
  const root = join(dir, `facts-${count}`);
  if (existsSync(join(root, 'done'))) return { companies, root };
  await rm(root, { recursive: true, force: true });
  await mkdir(root, { recursive: true });
  const employees = lineWriter(join(root, 'employees.csv'));
  const payroll = lineWriter(join(root, 'payroll.csv'));
  const sales = lineWriter(join(root, 'sales.csv'));
  await employees.line('tenant_id,employee_id,birth_date,gender,hire_date,termination_date,employment_type');
  await payroll.line('tenant_id,employee_id,period,base_pay,overtime_pay,gross_pay');
  await sales.line('tenant_id,period,sales_amount');
  for (const company of companies) {
    const staff = generateEmployees(company);
    for (const e of staff) {
      await employees.line(
        `${company.tenantId},${e.employee_id},${e.birth_date},${e.gender},${e.hire_date},${e.termination_date ?? ''},${e.employment_type}`,
      );
    }
    for (const p of generatePayroll(company, staff)) {
      await payroll.line(
        `${company.tenantId},${p.employee_id},${p.pay_month},${p.base_pay},${p.overtime_pay},${p.gross_pay}`,
      );
    }
    for (const s of generateSales(company))
      await sales.line(`${company.tenantId},${s.period_month},${s.sales_amount}`);
  }
  await Promise.all([employees.end(), payroll.end(), sales.end()]);
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const instance = await DuckDBInstance.create(':memory:');
  const db = await instance.connect();
  const csv = (name: string) => `read_csv('${join(root, `${name}.csv`)}', header = true, all_varchar = true)`;
  await db.run(`
    CREATE TABLE emp AS SELECT tenant_id, employee_id, CAST(birth_date AS DATE) AS birth_date, gender,
      CAST(hire_date AS DATE) AS hire_date, CAST(nullif(termination_date, '') AS DATE) AS termination_date, employment_type
    FROM ${csv('employees')}`);
  await db.run(`CREATE TABLE pay AS SELECT * FROM ${csv('payroll')}`);
  await db.run(`CREATE TABLE sal AS SELECT * FROM ${csv('sales')}`);
  // Partitioned writes keep a writer open per partition: in chunks of tenants, or 50,000 companies'
  // writers exhaust the machine's memory (23 GiB here).
  for (let from = 0; from < companies.length; from += GENERATION_CHUNK) {
    const chunk = companies.slice(from, from + GENERATION_CHUNK).map((c) => `('${c.tenantId}')`);
    await db.run(
      `CREATE OR REPLACE TABLE chunk AS SELECT * FROM (VALUES ${chunk.join(', ')}) AS t(tenant_id)`,
    );
    await db.run(`
      COPY (
        SELECT p.tenant_id, substr(sha256(p.tenant_id || '/' || p.employee_id), 1, 64) AS employee_token, p.period,
          e.birth_date, e.gender, e.hire_date, e.termination_date, e.employment_type,
          round(CAST(p.overtime_pay AS DOUBLE) / (CAST(p.base_pay AS DOUBLE) / 160 * 1.25) * 4) / 4 AS overtime_hours,
          CASE e.employment_type WHEN 'part_time' THEN 100.0 ELSE 160.0 END
            + round(CAST(p.overtime_pay AS DOUBLE) / (CAST(p.base_pay AS DOUBLE) / 160 * 1.25) * 4) / 4 AS hours_worked,
          CAST(hash(p.tenant_id, p.employee_id, p.period) % 3 AS DOUBLE) AS paid_leave_days,
          CAST(p.base_pay AS BIGINT) AS base_pay, CAST(p.gross_pay AS BIGINT) AS gross_pay,
          coalesce(e.hire_date <= last_day(CAST(p.period || '-01' AS DATE))
            AND (e.termination_date IS NULL OR e.termination_date >= CAST(p.period || '-01' AS DATE)), false) AS employed,
          coalesce(strftime(e.termination_date, '%Y-%m') = p.period, false) AS separated
        FROM pay p JOIN emp e USING (tenant_id, employee_id)
        WHERE p.tenant_id IN (SELECT tenant_id FROM chunk)
        ORDER BY p.tenant_id, p.period, employee_token
      ) TO '${join(root, 'employee_month')}' (FORMAT parquet, COMPRESSION zstd, PARTITION_BY (tenant_id), OVERWRITE_OR_IGNORE)`);
    await db.run(`
      COPY (
        SELECT s.tenant_id, s.period, CAST(s.sales_amount AS BIGINT) AS sales_amount,
          CAST((SELECT count(*) FROM emp e WHERE e.tenant_id = s.tenant_id
            AND e.hire_date <= last_day(CAST(s.period || '-01' AS DATE))
            AND (e.termination_date IS NULL OR e.termination_date >= CAST(s.period || '-01' AS DATE))) AS INTEGER) AS employees
        FROM sal s WHERE s.tenant_id IN (SELECT tenant_id FROM chunk) ORDER BY s.tenant_id, s.period
      ) TO '${join(root, 'company_month')}' (FORMAT parquet, COMPRESSION zstd, PARTITION_BY (tenant_id), OVERWRITE_OR_IGNORE)`);
  }
  db.closeSync();
  instance.closeSync();
  await writeFile(join(root, 'done'), '');
  return { companies, root };
}

/** The one Parquet file DuckDB wrote for a tenant's partition. */
function partitionFile(root: string, fact: string, tenantId: string): Uint8Array {
  const folder = join(root, fact, `tenant_id=${tenantId}`);
  const [file] = readdirSync(folder).filter((f) => f.endsWith('.parquet'));
  if (!file) throw new Error(`no ${fact} Parquet for ${tenantId} in ${folder}`);
  return readFileSync(join(folder, file));
}

interface SizeRun {
  readonly companies: number;
  readonly employeeMonths: number;
  /** The median of anonymiseRunsMs. */
  readonly anonymiseMs: number;
  /** Every timed anonymisation of this size, in the order run (the release's own first). */
  readonly anonymiseRunsMs: readonly number[];
  readonly publishMs: number;
  /** The release audit's share of publishMs. */
  readonly auditMs: number;
  /** Bytes of the release's anonymised Parquet (what decides the deployed publish engine). */
  readonly anonymisedBytes: number;
  readonly published: number;
  readonly suppressed: number;
  readonly utility: Utility;
}

interface Utility {
  /** Share of companies with a peer comparison, per statistic (latest period, own segment or a fallback). */
  readonly compared: Readonly<Record<string, number>>;
  /** Of those, compared within their own industry (not widened to all industries). */
  readonly ownIndustry: Readonly<Record<string, number>>;
  /** Relative perturbation |published − true| / true over published counts and totals. */
  readonly meanPerturbation: number;
  readonly maxPerturbation: number;
  /** Anonymised rows local suppression touched, as a share of rows in. */
  readonly blankedShare: number;
  readonly generalisation: string;
}

/**
 * The release's utility. Truths come from the audit's own per-cell records (stats-admin), own figures
 * of every company from its facts in one query per statistic (the same variables and row filters as
 * `compileOwnFiguresQuery`), and the comparison from the real `benchmarkFor`.
 */
async function utilityOf(
  objects: MemoryObjectStore,
  releaseId: string,
  companies: readonly SyntheticCompany[],
  root: string,
  report: { rowsIn: number; rowsWithBlankedAttribute?: number | undefined; generalisations: string[] },
): Promise<Utility> {
  const compared: Record<string, number> = {};
  const ownIndustry: Record<string, number> = {};
  const errors: number[] = [];
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const instance = await DuckDBInstance.create(':memory:');
  const db = await instance.connect();
  try {
    for (const stat of STATISTICS) {
      const cells = await readPublishedCells(objects, releaseId, stat.name);
      const periods = cells.map((c) => String(c.period)).sort();
      const period = periods[periods.length - 1] as string;
      const fact = stat.source === 'anon_employee_month' ? 'employee_month' : 'company_month';
      const variables = usedVariables(stat);
      const periodFilter =
        stat.period === 'month' ? `period = '${period}'` : `substr(period, 1, 4) = '${period}'`;
      const reader = await db.runAndReadAll(
        `SELECT tenant_id, count(*) AS own_rows${variables.map((v) => `, sum(${VARIABLES[v].sql}) AS sum_${v}`).join('')}
         FROM read_parquet('${join(root, fact)}/*/*.parquet', hive_partitioning = true)
         WHERE ${[periodFilter, ...rowFilters(stat)].join(' AND ')} GROUP BY tenant_id`,
      );
      const own = new Map(
        reader.getRowObjectsJS().map((r) => [
          String(r.tenant_id),
          {
            rows: Number(r.own_rows),
            sums: Object.fromEntries(variables.map((v) => [v, Number(r[`sum_${v}`] ?? 0)])),
          },
        ]),
      );
      const periodCells = cells.filter((c) => c.period === period);
      let withComparison = 0;
      let inIndustry = 0;
      for (const company of companies) {
        const result = benchmarkFor(
          null,
          periodCells,
          company.profile,
          { statistic: stat.name, period },
          { own: own.get(company.tenantId) ?? null, disclosure: defaultSettings.disclosure },
        );
        if (result.status === 'published') withComparison += 1;
        if (result.status === 'published' && result.segment.industry !== TOTAL) inIndustry += 1;
      }
      compared[stat.name] = withComparison / companies.length;
      ownIndustry[stat.name] = inIndustry / companies.length;
      const truths = JSON.parse(
        new TextDecoder().decode(await objects.get('stats', auditCellsKey(releaseId, stat.name))),
      ) as Array<{ published: boolean; figures: Record<string, number>; truth: Record<string, number> }>;
      for (const cell of truths) {
        if (!cell.published) continue;
        for (const [column, value] of Object.entries(cell.figures)) {
          const truth = cell.truth[column];
          if (truth !== undefined && truth > 0) errors.push(Math.abs(value - truth) / truth);
        }
      }
    }
  } finally {
    db.closeSync();
    instance.closeSync();
  }
  return {
    compared,
    ownIndustry,
    meanPerturbation: errors.reduce((a, b) => a + b, 0) / Math.max(1, errors.length),
    // A loop, not Math.max(...errors): at 5,000 companies the spread overflowed the call stack.
    maxPerturbation: errors.reduce((a, b) => Math.max(a, b), 0),
    blankedShare: (report.rowsWithBlankedAttribute ?? 0) / Math.max(1, report.rowsIn),
    generalisation: report.generalisations.at(-1) ?? '',
  };
}

/**
 * DuckDB's memory limit for `anonymise` here: 60 % of the machine's memory instead of DuckDB's 80 %,
 * because this process also holds every tenant's facts in its in-memory object store (2.6 GB at
 * 50,000 companies), which the release function streams to files instead. At 80 % a 50,000-company
 * run was killed for memory once in four (2026-12-06).
 */
const ANONYMISE_MEMORY_LIMIT = `${Math.floor((totalmem() * 0.6) / 2 ** 20)}MB`;

/** Fresh in-memory stores holding the companies' tenant records and facts, as a release finds them. */
async function storesFor(companies: readonly SyntheticCompany[], root: string) {
  const objects = new MemoryObjectStore({ versioning: 'disabled' });
  const table = new MemoryTable();
  const keys = new MemoryKeyStore();
  const now = new Date().toISOString();
  for (const company of companies) {
    await table.put('tenants', {
      tenantId: company.tenantId,
      name: company.name,
      profile: company.profile,
      contract: { start: '2025-01-01', end: '2027-12-31' },
      state: 'ACTIVE',
      legalHold: false,
      createdAt: now,
      updatedAt: now,
    });
    await objects.put(
      'curated',
      factKey(company.tenantId, 'employee_month'),
      partitionFile(root, 'employee_month', company.tenantId),
    );
    await objects.put(
      'curated',
      factKey(company.tenantId, 'company_month'),
      partitionFile(root, 'company_month', company.tenantId),
    );
  }
  return { objects, table, keys };
}

/** One timed anonymisation of the companies into `releaseId`. */
async function timedAnonymise(
  stores: Awaited<ReturnType<typeof storesFor>>,
  companies: readonly SyntheticCompany[],
  releaseId: string,
) {
  const started = performance.now();
  const anonymised = await anonymise(
    { ...stores, settings: defaultSettings },
    { releaseId, tenants: companies.map((c) => c.tenantId), memoryLimit: ANONYMISE_MEMORY_LIMIT },
  );
  return { anonymised, ms: performance.now() - started };
}

/** Anonymisation alone again, over fresh stores (a round of ANONYMISE_ROUNDS). */
async function anonymiseAgain(companies: readonly SyntheticCompany[], root: string, pass: number) {
  const stores = await storesFor(companies, root);
  const { ms } = await timedAnonymise(stores, companies, `bench-${companies.length}-round-${pass}`);
  progress(`${companies.length} companies: anonymise (round ${pass}) ${round(ms / 1000, 2)} s`);
  return ms;
}

async function releaseOver(companies: readonly SyntheticCompany[], root: string): Promise<SizeRun> {
  const stores = await storesFor(companies, root);
  const { objects } = stores;
  const releaseId = `bench-${companies.length}`;
  const { anonymised, ms: anonymiseMs } = await timedAnonymise(stores, companies, releaseId);
  progress(`${companies.length} companies: anonymise ${round(anonymiseMs / 1000, 2)} s`);
  const phases: Partial<Record<PublishPhase, number>> = {};
  const publishStarted = performance.now();
  const manifest = await publishRelease(
    // The audit's programs on worker threads, as the release function runs them (stats-release/runtime.ts).
    { objects, auditSolver: new WorkerSuppressionSolver() },
    {
      releaseId,
      settings: defaultSettings,
      onPhase: (phase, ms) => {
        phases[phase] = ms;
        progress(`${companies.length} companies: ${phase} ${round(ms / 1000, 2)} s`);
      },
    },
  );
  const publishMs = performance.now() - publishStarted;
  const auditMs = phases.audit ?? 0;
  const anonymisedBytes = await anonymisedReleaseBytes(objects, releaseId);
  const cells = manifest.statistics.reduce((a, s) => a + s.cells, 0);
  const suppressed = manifest.statistics.reduce((a, s) => a + s.suppressedCells, 0);
  return {
    companies: companies.length,
    employeeMonths: anonymised.report.rowsIn,
    anonymiseMs,
    anonymiseRunsMs: [anonymiseMs],
    publishMs,
    auditMs,
    anonymisedBytes,
    published: cells - suppressed,
    suppressed,
    utility: await utilityOf(objects, releaseId, companies, root, anonymised.report),
  };
}

export async function runStatsBenchmark(options: StatsBenchOptions): Promise<Section> {
  const started = performance.now();
  const sizes = [...(options.sizes ?? [24, 1000, 5000])].sort((a, b) => a - b);
  const largest = sizes[sizes.length - 1] ?? 0;
  const dir = join(options.dir, 'stats');
  await mkdir(dir, { recursive: true });
  const generateStarted = performance.now();
  const { companies, root } = await generateFacts(dir, largest);
  const generateSeconds = (performance.now() - generateStarted) / 1000;
  const releases: SizeRun[] = [];
  for (const size of sizes) releases.push(await releaseOver(companies.slice(0, size), root));
  const again = new Map<number, number[]>();
  for (let pass = 2; pass <= ANONYMISE_ROUNDS; pass++) {
    for (const size of sizes.filter((n) => n <= ANONYMISE_REPEATED_UP_TO)) {
      again.set(size, [
        ...(again.get(size) ?? []),
        await anonymiseAgain(companies.slice(0, size), root, pass),
      ]);
    }
  }
  const runs = releases.map((run): SizeRun => {
    const anonymiseRunsMs = [...run.anonymiseRunsMs, ...(again.get(run.companies) ?? [])];
    return { ...run, anonymiseRunsMs, anonymiseMs: median(anonymiseRunsMs) };
  });
  const smallest = runs[0];
  if (!smallest) throw new Error('no sizes to run');
  // A release's time: its anonymisation (the median of the size's runs) and its one publish.
  const total = (r: SizeRun) => r.anonymiseMs + r.publishMs;
  // Issue 19: anonymise, publish and the audit reported apart, each with its own growth exponent.
  const phases: ReadonlyArray<readonly [name: string, ms: (r: SizeRun) => number]> = [
    ['anonymise', (r) => r.anonymiseMs],
    ['publish without the audit', (r) => r.publishMs - r.auditMs],
    ['disclosure audit', (r) => r.auditMs],
  ];
  const exponentOf = (t1: number, t2: number, n1: number, n2: number) =>
    Math.log(t2 / t1) / Math.log(n2 / n1);
  const figures: Figure[] = [];
  for (const [i, run] of runs.entries()) {
    figures.push({
      benchmark: `3. Statistics release ${run.companies.toLocaleString('en-US')} companies`,
      figure: 'time per release (anonymise, median of its runs, + publish)',
      value: round(total(run) / 1000, 2),
      unit: 's',
      ...(i > 0
        ? {
            baseline: `${smallest.companies} companies`,
            baselineValue: round(total(smallest) / 1000, 2),
            ratio: round(total(run) / total(smallest), 2),
          }
        : {}),
    });
    const size = `3. Statistics release ${run.companies.toLocaleString('en-US')} companies`;
    const previous = runs[i - 1];
    for (const [phase, ms] of phases) {
      figures.push({
        benchmark: size,
        figure: `time, ${phase}`,
        value: round(ms(run) / 1000, 2),
        unit: 's',
        ...(previous
          ? {
              baseline: `the same at ${previous.companies.toLocaleString('en-US')} companies`,
              baselineValue: round(ms(previous) / 1000, 2),
              ratio: round(ms(run) / ms(previous), 2),
            }
          : {}),
      });
    }
    // What decides the engine of a deployed release's publish step (functions/domain/stats/run.ts).
    const threshold = defaultSettings.limits.athenaThresholdBytes;
    figures.push({
      benchmark: size,
      figure: 'anonymised Parquet (decides the deployed publish engine: DuckDB below the threshold)',
      value: round(run.anonymisedBytes / 1024 ** 2, 1),
      unit: 'MiB',
      baseline: 'limits.athenaThresholdBytes',
      baselineValue: round(threshold / 1024 ** 2, 0),
      ratio: round(run.anonymisedBytes / threshold, 3),
    });
    const allCells = run.published + run.suppressed;
    figures.push({
      benchmark: size,
      figure: 'cells published (share of all cells)',
      value: round((100 * run.published) / Math.max(1, allCells), 1),
      unit: '%',
    });
    const worst = Math.min(...Object.values(run.utility.compared));
    figures.push({
      benchmark: size,
      figure: 'companies with a peer comparison, worst statistic',
      value: round(100 * worst, 1),
      unit: '%',
      ...(run.companies === 1000 ? { target: '≥ 90 % for every statistic', met: worst >= 0.9 } : {}),
    });
    figures.push({
      benchmark: size,
      figure: 'companies compared within their own industry, worst statistic',
      value: round(100 * Math.min(...Object.values(run.utility.ownIndustry)), 1),
      unit: '%',
    });
    figures.push({
      benchmark: size,
      figure: 'relative perturbation of published counts and totals, mean',
      value: round(100 * run.utility.meanPerturbation, 2),
      unit: '%',
    });
    figures.push({
      benchmark: size,
      figure: 'relative perturbation of published counts and totals, max',
      value: round(100 * run.utility.maxPerturbation, 2),
      unit: '%',
    });
    figures.push({
      benchmark: size,
      figure: `anonymised rows with a blanked attribute (generalisation ${run.utility.generalisation})`,
      value: round(100 * run.utility.blankedShare, 2),
      unit: '%',
      target: `≤ ${LOCAL_SUPPRESSION_BUDGET * 100} % (local suppression budget)`,
      met: run.utility.blankedShare <= LOCAL_SUPPRESSION_BUDGET,
    });
    if (previous) {
      const step = `3. Statistics release ${previous.companies.toLocaleString('en-US')}→${run.companies.toLocaleString('en-US')}`;
      for (const [what, ms] of [['the release', total] as const, ...phases]) {
        const exponent = exponentOf(ms(previous), ms(run), previous.companies, run.companies);
        figures.push({
          benchmark: step,
          figure: `growth exponent log(t2/t1)/log(n2/n1), ${what}`,
          value: round(exponent, 2),
          unit: '',
          baseline: 'linear',
          baselineValue: 1,
          ratio: round(exponent, 2),
          target: '≤ 1.0 (issue 19)',
          met: exponent <= 1.0,
        });
      }
    }
  }
  const notes = [
    `Generated (not measured, ${round(generateSeconds, 1)} s, cached in the temp dir): ${largest.toLocaleString('en-US')} companies from generateCompanies (seed ${SEED}, national mix, profiles kept, staff fixed at ${EMPLOYEES_PER_COMPANY} current employees plus the generator's leavers), generateEmployees, generatePayroll (12 months of 2025) and generateSales; DuckDB turns them into each tenant's derived facts (employee_month, company_month) in the shape buildTenantFacts writes, with employee tokens as SHA-256 of tenant and employee id (a stand-in: anonymise drops tokens). Overtime hours follow the payroll's overtime pay; paid leave is a hash of the employee-month. The smaller sizes use the first companies of the same list.`,
    `Measured, per size, one release each (anonymisation alone again ${ANONYMISE_ROUNDS - 1} more times over fresh stores for sizes up to ${ANONYMISE_REPEATED_UP_TO.toLocaleString('en-US')}, after every size's release, in size order, and the median of its runs reported, with the growth exponents taken from those medians): \`anonymise\` (functions/domain/masking/anonymise.ts: reads every tenant record and both fact files, pools them, generalises, enforces k-anonymity, writes the anonymised tables; DuckDB limited to 60 % of the memory of the machine, as the facts sit in the memory of this process) and \`publishRelease\` (functions/domain/stats/publish.ts: every statistic in the catalogue, thresholds, dominance, secondary suppression, manifest) on DuckDB in this process, over the in-memory ObjectStore and table (the facts are put there before the clock starts).`,
    ...runs.map(
      (r) =>
        `${r.companies.toLocaleString('en-US')} companies: anonymise ${round(r.anonymiseMs / 1000, 2)} s (median of ${r.anonymiseRunsMs.map((ms) => round(ms / 1000, 2)).join(', ')} s), publish (with the audit) ${round(r.publishMs / 1000, 2)} s; ${r.employeeMonths.toLocaleString('en-US')} employee-months in, ${r.published.toLocaleString('en-US')} cells published, ${r.suppressed.toLocaleString('en-US')} suppressed; companies with a peer comparison per statistic (latest period): ${Object.entries(
          r.utility.compared,
        )
          .map(
            ([name, share]) =>
              `${name} ${round(100 * share, 1)} % (own industry ${round(100 * (r.utility.ownIndustry[name] ?? 0), 1)} %)`,
          )
          .join(', ')}.`,
    ),
    "Utility, how measured: cells published = published ÷ all cells of the manifest; a company has a peer comparison for a statistic when `benchmarkFor` (its own figures left out, thresholds on the rest, falling back prefecture → region → national → industry across sizes → size band across industries → every company in the country) returns a published segment for the latest period, and compares within its own industry when that segment is not the all-industries one; relative perturbation = |published − true| ÷ true over every published count and total, the truth taken from the audit's own per-cell records (stats-admin); blanked rows = rows local suppression touched ÷ rows in (the anonymisation report), against LOCAL_SUPPRESSION_BUDGET.",
  ];
  return { name: 'Statistics release', figures, notes, seconds: (performance.now() - started) / 1000 };
}
