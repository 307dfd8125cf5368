/**
 * The Athena release path (functions/domain/stats/publish-athena.ts), which a deployed release takes
 * when the anonymised data is larger than `limits.athenaThresholdBytes`, against the DuckDB path on the
 * same anonymised release. The Athena side runs as the deployed release function does it: the release
 * function's composition root over the deployed runtime built from the function's synthesized
 * environment, with its role's credentials, against the twin (CTAS, Glue and S3 under that role's IAM).
 * Only the threshold differs from the stage's settings (1 byte), so the Athena path is taken.
 * What the twin cannot show: Athena's approx_percentile is approximate, DuckDB's exact quantile stands
 * in for it here (test/support/trino-on-duckdb.ts; docs/LIMITS.md).
 */
import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MemoryObjectStore } from '../../functions/adapters/memory/index.ts';
import { glueDatabases } from '../../functions/domain/athena-names.ts';
import { SIZE_BANDS } from '../../functions/domain/company.ts';
import type {
  AnonCompanyMonth,
  AnonEmployeeMonth,
} from '../../functions/domain/masking/anonymised-schema.ts';
import type { ObjectStore, QueryRunner } from '../../functions/domain/ports/index.ts';
import type { PlatformSettings } from '../../functions/domain/settings.ts';
import { platformStage } from '../../functions/domain/stages.ts';
import { statisticKeyColumns } from '../../functions/domain/stats/catalog.ts';
import { type ReleaseManifest, suppressionPrefix, workPrefix } from '../../functions/domain/stats/release.ts';
import { publishAnonymisedRelease } from '../../functions/domain/stats/run.ts';
import { readPublishedCells } from '../../functions/domain/stats/service.ts';
import { STATISTICS } from '../../functions/domain/stats/statistics.ts';
import { tenantsInFlight } from '../../functions/domain/uploads/in-flight.ts';
import { composeRelease } from '../../functions/stats-release/runtime.ts';
import {
  company,
  companyMonth,
  employeeMonth,
  readParquetObject,
  storeAnonymisedRelease,
} from '../integration/stats/fixtures.ts';
import { athenaGrammarErrors } from '../support/athena-grammar.ts';
import { twinPerSuite } from './harness/per-suite.ts';

const STAGE = 'dev';
const PERIODS = ['2026-09', '2026-10'] as const;

/** A pooled release of ~40 companies in four industries and prefectures, generated from one seed. */
function generatedRelease(seed: number) {
  const employee = fc.record({
    age_band: fc.constantFrom('20-24', '25-29', '30-34', '35-39', '40-44', '50-54', '60-64'),
    gender: fc.constantFrom('male', 'female'),
    tenure_band: fc.constantFrom('<1', '1-2', '3-4', '5-9', '10-19'),
    employment_type: fc.constantFrom('regular', 'regular', 'contract', 'part_time'),
    overtime_hours: fc.integer({ min: 0, max: 60 }),
    hours_worked: fc.integer({ min: 80, max: 200 }),
    paid_leave_days: fc.integer({ min: 0, max: 3 }),
    base_pay: fc.integer({ min: 180_000, max: 650_000 }),
    bonus: fc.integer({ min: 0, max: 120_000 }),
    separated: fc.integer({ min: 0, max: 9 }).map((n) => n === 0),
  });
  const firm = fc.record({
    industry: fc.constantFrom('E', 'G', 'I', 'P'),
    prefecture: fc.constantFrom('13', '14', '27', '01'),
    sizeBand: fc.constantFrom(...(Object.keys(SIZE_BANDS) as string[])),
    staff: fc.array(employee, { minLength: 2, maxLength: 12 }),
    sales: fc.integer({ min: 5_000_000, max: 900_000_000 }),
  });
  const [firms] = fc.sample(fc.array(firm, { minLength: 36, maxLength: 44 }), { seed, numRuns: 1 });
  const employees: AnonEmployeeMonth[] = [];
  const companies: AnonCompanyMonth[] = [];
  for (const f of firms ?? []) {
    const c = company(f.industry, f.prefecture, f.sizeBand);
    for (const period of PERIODS) {
      for (const [i, e] of f.staff.entries()) {
        const { bonus, separated, ...values } = e;
        employees.push(
          employeeMonth(c, period, {
            ...values,
            gross_pay: values.base_pay + bonus,
            separated: separated && period === '2026-10',
            employed: !(separated && period === '2026-10') || i % 2 === 0,
          }),
        );
      }
      companies.push(companyMonth(c, period, { sales_amount: f.sales, employees: f.staff.length }));
    }
  }
  return { employees, companies };
}

/** Rows in a comparable form: the partition column dropped, numbers as numbers, in key order. */
function comparable(rows: readonly Record<string, unknown>[], keys: readonly string[]) {
  return rows
    .map((row) =>
      Object.fromEntries(
        Object.entries(row)
          .filter(([column]) => column !== 'release_id')
          .map(([column, value]) => [column, typeof value === 'bigint' ? Number(value) : value]),
      ),
    )
    .sort((a, b) => {
      const ka = keys.map((k) => String(a[k])).join('|');
      const kb = keys.map((k) => String(b[k])).join('|');
      return ka < kb ? -1 : ka > kb ? 1 : 0;
    });
}

/** Every row of the Parquet objects under a prefix of the stats bucket. */
async function rowsUnder(objects: ObjectStore, prefix: string): Promise<Record<string, unknown>[]> {
  const rows: Record<string, unknown>[] = [];
  for await (const object of objects.list('stats', prefix)) {
    rows.push(...(await readParquetObject(objects, 'stats', object.key)));
  }
  return rows;
}

describe(`a release published on Athena through the twin of ${STAGE}`, () => {
  const twin = twinPerSuite(STAGE);

  /** The release function's ports as deployed: its environment, its role, the twin's endpoint. */
  function deployedRelease(settings: PlatformSettings) {
    const runtime = twin().deployedRuntime('kura-stats-release');
    return composeRelease({ ...runtime, settings, bucketName: runtime.bucketName });
  }

  const stageSettings = platformStage(STAGE).settings;
  const athenaSettings = { ...stageSettings, limits: { ...stageSettings.limits, athenaThresholdBytes: 1 } };
  const rows = generatedRelease(20261206);
  const databases = glueDatabases(STAGE);

  /** The release published on DuckDB in memory (the reference) and its Athena side stored in the twin. */
  async function prepare(releaseId: string) {
    const memory = new MemoryObjectStore({ versioning: 'disabled' });
    await storeAnonymisedRelease(memory, releaseId, rows);
    const duck = await publishAnonymisedRelease({ objects: memory }, stageSettings, releaseId);
    const ports = deployedRelease(athenaSettings);
    await storeAnonymisedRelease(ports.objects, releaseId, rows);
    return { memory, duck, ports };
  }

  /** Everything a reader sees of the two releases is the same; nothing of the run is left behind. */
  async function expectSameRelease(
    releaseId: string,
    duck: ReleaseManifest,
    athena: ReleaseManifest,
    sides: { memory: ObjectStore; twin: ObjectStore },
  ) {
    expect([duck.engine, athena.engine]).toEqual(['duckdb', 'athena']);
    // The manifest's figures per statistic (file names differ: Athena names its own).
    const entries = (m: ReleaseManifest) => m.statistics.map(({ files: _files, ...entry }) => entry);
    expect(entries(athena)).toEqual(entries(duck));
    expect(athena.statistics.every((s) => s.files.length > 0)).toBe(true);
    let suppressed = 0;
    for (const stat of STATISTICS) {
      const keys = statisticKeyColumns(stat);
      // Published cells, read as the API reads them (the files the manifest lists).
      const published = comparable(await readPublishedCells(sides.twin, releaseId, stat.name), keys);
      expect(published, stat.name).toEqual(
        comparable(await readPublishedCells(sides.memory, releaseId, stat.name), keys),
      );
      suppressed += published.filter((cell) => cell.suppressed === true).length;
      // The suppression table (admin side): the same reasons for the same cells.
      expect(
        comparable(await rowsUnder(sides.twin, suppressionPrefix(releaseId, stat.name)), keys),
        stat.name,
      ).toEqual(comparable(await rowsUnder(sides.memory, suppressionPrefix(releaseId, stat.name)), keys));
      // Registered for BI; the unsuppressed scratch cells are gone.
      expect(twin().athena.partitionsOf(databases.stats, stat.name)).toContain(
        JSON.stringify({ release_id: releaseId }),
      );
      expect(await rowsUnder(sides.twin, workPrefix(releaseId, stat.name))).toEqual([]);
    }
    // The comparison is not vacuous: both published and suppressed cells are in it.
    expect(suppressed).toBeGreaterThan(0);
    expect(athena.statistics.reduce((n, s) => n + s.cells - s.suppressedCells, 0)).toBeGreaterThan(0);
    expect(twin().athena.tablesIn(databases.statsWork)).toEqual([]);
  }

  it('publishes the cells, suppression and manifest the DuckDB path publishes, as the release role, leaving no scratch', async () => {
    // Prepare
    const releaseId = 'r-athena-twin';
    const { memory, duck, ports } = await prepare(releaseId);
    const before = twin().athena.statements.length;

    // Act
    const athena = await publishAnonymisedRelease(ports, athenaSettings, releaseId);

    // Assess
    const statements = twin().athena.statements.slice(before);
    expect(
      statements.filter((s) => s.state !== 'SUCCEEDED').map((s) => `${s.sql.slice(0, 100)} → ${s.reason}`),
    ).toEqual([]);
    expect(twin().iam.denials.map((d) => `${d.request.action} ${d.request.resource}`)).toEqual([]);
    expect(statements.filter((s) => /^CREATE TABLE/.test(s.sql)).length).toBe(3 * STATISTICS.length);
    await expectSameRelease(releaseId, duck, athena, { memory, twin: ports.objects });
    // Every statement is one Athena's grammars accept (Hive for DDL, Trino for the rest).
    expect(
      statements.flatMap((s) => athenaGrammarErrors(s.sql).map((e) => `${s.sql.slice(0, 80)}: ${e}`)),
    ).toEqual([]);
  });

  it('finds, as the release role, the companies with a withdrawal unfinished, to leave them out', async () => {
    // Prepare: an upload record as the API leaves it when the run that finishes its withdrawal never
    // started (the uploads table's index of unfinished uploads holds it)
    // (Each runtime's clients take the credentials of the runtime built last before their first call.)
    const api = twin().deployedRuntime('kura-api');
    const tenantId = 'tenant-withdrawing';
    await api.table.put('uploads', {
      tenantId,
      uploadId: '99999999-9999-4999-8999-999999999999',
      status: 'WITHDRAWN',
      inFlight: 'WITHDRAWING',
      updatedAt: '2026-12-06T00:00:00.000Z',
    });
    const ports = deployedRelease(stageSettings);
    const denials = twin().iam.denials.length;

    // Act
    const withdrawing = await tenantsInFlight(ports.table, 'WITHDRAWING');

    // Assess
    expect(
      twin()
        .iam.denials.slice(denials)
        .map((d) => `${d.request.action} ${d.request.resource}`),
    ).toEqual([]);
    expect([...withdrawing]).toContain(tenantId);
  });

  it('publishes the same release after a run stopped between two CTAS statements (scratch tables and data left behind)', async () => {
    // Prepare: a first run that stops right before the first suppression-table CTAS, when every cell
    // table and one published table exist with their data (Athena refuses a CTAS into either).
    const releaseId = 'r-athena-rerun';
    const { memory, duck, ports } = await prepare(releaseId);
    const athenaPorts = ports.athena as NonNullable<typeof ports.athena>;
    const stopping: QueryRunner = {
      engine: 'athena',
      run: async (sql) => {
        if (/^CREATE TABLE \S+_suppression_/.test(sql)) throw new Error('the function was stopped (timeout)');
        return athenaPorts.runner.run(sql);
      },
    };
    await expect(
      publishAnonymisedRelease(
        { ...ports, athena: { ...athenaPorts, runner: stopping } },
        athenaSettings,
        releaseId,
      ),
    ).rejects.toThrow('stopped');
    expect(twin().athena.tablesIn(databases.statsWork).length).toBeGreaterThan(STATISTICS.length);

    // Act: the release runs again (the job's retry).
    const athena = await publishAnonymisedRelease(ports, athenaSettings, releaseId);

    // Assess
    expect(
      twin()
        .athena.statements.filter((s) => s.state !== 'SUCCEEDED')
        .map((s) => s.reason),
    ).toEqual([]);
    expect(twin().iam.denials).toEqual([]);
    await expectSameRelease(releaseId, duck, athena, { memory, twin: ports.objects });
  });
});
