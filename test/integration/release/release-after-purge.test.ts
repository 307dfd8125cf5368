import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { getJob, requestJob } from '../../../functions/domain/jobs/jobs.ts';
import { readLedger } from '../../../functions/domain/ledger/ledger.ts';
import { anonymisedTableKey } from '../../../functions/domain/masking/anonymised-schema.ts';
import { pseudonymise } from '../../../functions/domain/masking/pseudonymise.ts';
import { getCertificate } from '../../../functions/domain/purge/certificate.ts';
import { readReleaseManifest } from '../../../functions/domain/stats/service.ts';
import { createPurgeHandler } from '../../../functions/purge/handler.ts';
import { composePurge } from '../../../functions/purge/runtime.ts';
import { createReleaseHandler } from '../../../functions/stats-release/handler.ts';
import { composeRelease } from '../../../functions/stats-release/runtime.ts';
import { type MemoryRuntime, memoryRuntime } from '../../support/memory-runtime.ts';
import {
  activityRows,
  employeeArbitrary,
  type GeneratedEmployee,
  readCells,
  seedTenant,
  seedUpload,
  type TestPorts,
} from '../masking/fixtures.ts';

/** Base pay no other tenant has: a row carrying it in the anonymised zone comes from tenant t-a. */
const MARKER_PAY = 333_333;

async function seedCompanies(
  ports: Pick<TestPorts, 'objects' | 'table' | 'keys' | 'settings'>,
  tenants: readonly string[],
) {
  const months = ['2024-05', '2024-06'];
  for (const [t, tenantId] of tenants.entries()) {
    await seedTenant(ports, tenantId, { industry: 'E', prefecture: '13', sizeBand: '20-49' });
    const employees: GeneratedEmployee[] = Array.from({ length: 6 }, (_, i) => ({
      ...(fc.sample(employeeArbitrary(i + 1), { seed: 100 * t + i, numRuns: 1 })[0] as GeneratedEmployee),
      hire_date: '2015-04-01',
      termination_date: null,
    }));
    const { attendance, payroll } = activityRows(employees, months);
    const pay =
      tenantId === 't-a'
        ? Object.fromEntries(
            Object.entries(payroll).map(([m, rows]) => [
              m,
              rows.map((r) => ({ ...r, base_pay: MARKER_PAY })),
            ]),
          )
        : payroll;
    await seedUpload(ports, tenantId, 'emp', 'employees', { '2024-06': employees.map((e) => ({ ...e })) });
    await seedUpload(ports, tenantId, 'att', 'attendance', attendance);
    await seedUpload(ports, tenantId, 'pay', 'payroll', pay);
    for (const uploadId of ['emp', 'att', 'pay']) await pseudonymise(ports, { tenantId, uploadId });
  }
}

async function anonymisedEmployees(ports: Pick<TestPorts, 'objects'>, releaseId: string) {
  return readCells(await ports.objects.get('curated', anonymisedTableKey(releaseId, 'anon_employee_month')));
}

/**
 * Memory ports on a clock the test sets, with the release and purge functions composed from them as
 * deployed: a job the API or a purge starts runs in its own function (here: right away, in process).
 */
function platform(start: Date) {
  const runtime = memoryRuntime({ now: start });
  const release = createReleaseHandler(() => composeRelease(runtime));
  const purge = createPurgeHandler(() => composePurge(runtime));
  runtime.jobs.run = async (kind, event) => {
    if (kind === 'release') await release(event, context);
    else await purge(event, context);
  };
  return runtime;
}

const context = {
  functionName: 'kura-job',
  awsRequestId: 'r',
  getRemainingTimeInMillis: () => 900_000,
} as never;
const admin = { subject: 'idp|admin', roles: ['admin'] };

async function endContract(runtime: MemoryRuntime, tenantId: string) {
  const tenant = await runtime.table.get('tenants', { tenantId });
  await runtime.table.put('tenants', {
    ...tenant,
    contract: { start: '2024-01-01', end: '2026-10-31', retentionDaysAfterEnd: 0 },
  });
}

describe('release after a purge, through the release and purge functions', () => {
  it('leaves the purged tenant out of the release the purge starts', async () => {
    // Prepare: four companies in a first (scheduled) release; then t-a's contract ends.
    const runtime = platform(new Date('2026-11-20T01:00:00.000Z'));
    await seedCompanies(runtime, ['t-a', 't-b', 't-c', 't-d']);
    const release = createReleaseHandler(() => composeRelease(runtime));
    const first = await release({}, context);
    const before = await anonymisedEmployees(runtime, String(first.releaseId));
    await endContract(runtime, 't-a');
    runtime.setNow(new Date('2026-11-21T01:00:00.000Z'));

    // Act: an administrator's purge job; its function certifies, then starts the release job.
    const job = await requestJob(runtime, {
      kind: 'purge',
      reason: 'on-demand',
      actor: admin,
      tenantId: 't-a',
    });

    // Assess
    const purgeJob = await getJob(runtime.table, job.jobId);
    expect(purgeJob).toMatchObject({ state: 'SUCCEEDED', result: { outcome: 'purged' } });
    const releaseJob = await getJob(runtime.table, String(purgeJob.result?.releaseJobId));
    expect(releaseJob).toMatchObject({ state: 'SUCCEEDED', reason: 'tenant-purged', tenantId: 't-a' });
    const latest = await readReleaseManifest(runtime.objects);
    expect(latest.releaseId).toBe(releaseJob.result?.releaseId);
    expect(latest.releaseId).not.toBe(first.releaseId);
    const after = await anonymisedEmployees(runtime, latest.releaseId);
    const companies = (rows: typeof before) => new Set(rows.map((r) => r.company_code)).size;
    expect(companies(before)).toBe(4);
    expect(companies(after)).toBe(3);
    expect(before.some((r) => Number(r.base_pay) === MARKER_PAY)).toBe(true);
    expect(after.some((r) => Number(r.base_pay) === MARKER_PAY)).toBe(false);
    const releases = (await readLedger(runtime.table)).filter((e) => e.action === 'stats.release_published');
    expect(releases.map((e) => e.details.reason)).toEqual(['scheduled', 'tenant-purged']);
    expect(releases.map((e) => e.details.contributingTenants)).toEqual([4, 3]);
    expect(await runtime.table.get('tenants', { tenantId: 't-a' })).toMatchObject({
      state: 'PURGED',
      releasePending: false,
    });
  });

  it('keeps the certificate when the release after the purge fails, and the daily run asks again', async () => {
    // Prepare: the release function fails every time at first (all three asynchronous attempts).
    const runtime = platform(new Date('2026-11-20T01:00:00.000Z'));
    await seedCompanies(runtime, ['t-a', 't-b', 't-c']);
    await endContract(runtime, 't-a');
    runtime.setNow(new Date('2026-11-21T01:00:00.000Z'));
    const release = createReleaseHandler(() => composeRelease(runtime));
    const purge = createPurgeHandler(() => composePurge(runtime));
    let releaseBroken = true;
    runtime.jobs.run = async (kind, event) => {
      if (kind === 'purge') return purge(event, context);
      if (releaseBroken) throw new Error('release function crashed');
      return release(event, context);
    };

    // Act: the purge job (its release cannot start), then the next day's scheduled run with a working release.
    const job = await requestJob(runtime, {
      kind: 'purge',
      reason: 'on-demand',
      actor: admin,
      tenantId: 't-a',
    });
    const afterPurge = await runtime.table.get('tenants', { tenantId: 't-a' });
    releaseBroken = false;
    runtime.setNow(new Date('2026-11-22T18:00:00.000Z'));
    const scheduled = await purge({}, context);

    // Assess
    const purgeJob = await getJob(runtime.table, job.jobId);
    expect(purgeJob).toMatchObject({ state: 'SUCCEEDED', result: { outcome: 'purged', releaseJobId: null } });
    const certificate = await getCertificate({ objects: runtime.objects, tables: runtime.table }, 't-a');
    expect(certificate.certificateId).toBe(purgeJob.result?.certificateId);
    expect(afterPurge).toMatchObject({ state: 'PURGED', releasePending: true });
    expect(scheduled).toMatchObject({ kind: 'scheduled', summary: { releaseRequested: expect.any(String) } });
    expect(await runtime.table.get('tenants', { tenantId: 't-a' })).toMatchObject({ releasePending: false });
    const latest = await readReleaseManifest(runtime.objects);
    const rows = await anonymisedEmployees(runtime, latest.releaseId);
    expect(rows.some((r) => Number(r.base_pay) === MARKER_PAY)).toBe(false);
  });

  it('makes one release when two release jobs start at once (the schedule and an administrator)', async () => {
    // Prepare
    const runtime = platform(new Date('2026-11-20T01:00:00.000Z'));
    await seedCompanies(runtime, ['t-b', 't-c', 't-d']);
    const release = createReleaseHandler(() => composeRelease(runtime));

    // Act
    const outcomes = await Promise.all([
      release({}, context),
      release({ reason: 'on-demand', actor: admin }, context),
    ]);

    // Assess
    expect(outcomes.map((o) => o.outcome).sort()).toEqual(['joined', 'published']);
    const published = outcomes.find((o) => o.outcome === 'published');
    const joined = outcomes.find((o) => o.outcome === 'joined');
    expect(joined?.runningJobId).toBe(published?.jobId);
    const releases = (await readLedger(runtime.table)).filter((e) => e.action === 'stats.release_published');
    expect(releases).toHaveLength(1);
  });
});
