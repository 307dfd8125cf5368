import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Runtime } from '../../../functions/adapters/runtime.ts';
import type { DatasetName } from '../../../functions/domain/catalog/index.ts';
import { readLedger } from '../../../functions/domain/ledger/ledger.ts';
import { pseudonymise } from '../../../functions/domain/masking/pseudonymise.ts';
import { type LocalPlatform, startLocalPlatform } from '../../../local/platform.ts';
import {
  activityRows,
  employeeArbitrary,
  type GeneratedEmployee,
  type RawRow,
  seedUpload,
} from '../masking/fixtures.ts';

let dataDir: string;
let platform: LocalPlatform;
const tokens: Record<'tenant' | 'admin' | 'supporter', string> = { tenant: '', admin: '', supporter: '' };
const COMPANIES = ['demo-a', 'co-b', 'co-c', 'co-d'];
const STAT = 'overtime_hours_monthly';

async function api(path: string, init: { token: string; method?: string; body?: unknown; lang?: string }) {
  const response = await fetch(`${platform.apiUrl}${path}`, {
    method: init.method ?? (init.body !== undefined ? 'POST' : 'GET'),
    headers: {
      'accept-language': init.lang ?? 'en',
      'content-type': 'application/json',
      authorization: `Bearer ${init.token}`,
    },
    ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
  });
  // biome-ignore lint/suspicious/noExplicitAny: response bodies of many routes; the assertions check their shape
  return { status: response.status, json: (await response.json()) as Record<string, any> };
}

/** Follows a job the API started (202) until the platform's background work is done; its record. */
async function finished(accepted: { status: number; json: Record<string, unknown> }) {
  expect(accepted.status).toBe(202);
  await platform.settled();
  return api(`/admin/jobs/${accepted.json.jobId}`, { token: tokens.admin });
}

/** Raw Parquet and an ACCEPTED upload record, as ingestion leaves them, then masking. */
async function seedMaskedUpload(
  ports: Runtime,
  tenantId: string,
  uploadId: string,
  dataset: DatasetName,
  rowsByPeriod: Readonly<Record<string, readonly RawRow[]>>,
) {
  await seedUpload(ports, tenantId, uploadId, dataset, rowsByPeriod);
  const { objects, table, keys, settings } = ports;
  await pseudonymise({ objects, table, keys, settings }, { tenantId, uploadId });
}

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'kura-api-stats-'));
  platform = await startLocalPlatform({ dataDir, port: 0, onError: () => undefined });
  tokens.tenant = await platform.token({ role: 'tenant', tenantId: 'demo-a' });
  tokens.admin = await platform.token({ role: 'admin' });
  tokens.supporter = await platform.token({ role: 'supporter', tenantId: 'sr-office' });
  const profile = { industry: 'E', prefecture: '13', sizeBand: '20-49' };
  for (const tenantId of COMPANIES.slice(1)) {
    const registered = await api('/admin/tenants', {
      token: tokens.admin,
      body: { tenantId, name: `${tenantId} 株式会社`, profile, contract: { start: '2024-01-01' } },
    });
    expect(registered.status).toBe(201);
  }
  const months = ['2026-09', '2026-10'];
  for (const [t, tenantId] of COMPANIES.entries()) {
    const employees: GeneratedEmployee[] = Array.from({ length: 6 }, (_, i) => ({
      ...(fc.sample(employeeArbitrary(i + 1), { seed: 100 * t + i, numRuns: 1 })[0] as GeneratedEmployee),
      hire_date: '2015-04-01',
      termination_date: null,
    }));
    const { attendance, payroll } = activityRows(employees, months);
    const ids = ['00000000-0000-4000-8000-00000000000', '10000000-0000-4000-8000-00000000000'];
    await seedMaskedUpload(platform.ports, tenantId, `${ids[0]}1`, 'employees', {
      '2026-10': employees.map((e) => ({ ...e })),
    });
    await seedMaskedUpload(platform.ports, tenantId, `${ids[0]}2`, 'attendance', attendance);
    await seedMaskedUpload(platform.ports, tenantId, `${ids[1]}3`, 'payroll', payroll);
  }
}, 60_000);

afterAll(async () => {
  await platform?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

describe('statistics, supporters and purge through the local API', () => {
  it('publishes a release on demand and serves its tables, notice and benchmark', async () => {
    // Act
    const built = await finished(await api('/admin/releases', { token: tokens.admin, body: {} }));
    const summary = await api('/stats', { token: tokens.tenant });
    const table = await api(`/stats/${STAT}`, { token: tokens.tenant });
    const notice = await api('/releases/latest/notice?lang=ja', { token: tokens.tenant });
    const own = await api(`/stats/${STAT}/benchmark`, { token: tokens.tenant });

    // Assess
    expect(built.json).toMatchObject({ kind: 'release', state: 'SUCCEEDED', reason: 'on-demand' });
    expect(built.json.result.contributingTenants).toBe(5); // the four above and demo-b, which has no data yet
    expect(built.json.result).toMatchObject({
      pooledCompanies: 4,
      leftOut: { withoutFacts: 1, withdrawalUnfinished: 0, factsOutdated: 0 },
    });
    expect(summary.status).toBe(200);
    expect(summary.json.releaseId).toBe(built.json.result.releaseId);
    expect(summary.json.statistics.map((s: { name: string }) => s.name)).toContain(STAT);
    expect(table.status).toBe(200);
    const cells = table.json.cells as Array<Record<string, unknown>>;
    expect(cells.some((c) => c.suppressed === false && typeof c.overtime_hours_mean === 'number')).toBe(true);
    for (const cell of cells.filter((c) => c.suppressed === true)) {
      expect(cell.overtime_hours_mean).toBeNull();
      expect(cell.employees).toBeNull();
    }
    expect(JSON.stringify(table.json)).not.toMatch(/min_individuals|min_companies|dominance|"reason"/);
    expect(notice.status).toBe(200);
    expect(notice.json).toMatchObject({ releaseId: built.json.result.releaseId, lang: 'ja' });
    expect(notice.json.legalBasis).toMatch(/個人情報の保護に関する法律/);
    expect(own.status).toBe(200);
    expect(own.json).toMatchObject({ status: 'published', tenantId: 'demo-a', period: '2026-10' });
    expect(typeof own.json.own).toBe('number');
  });

  it('shows a supporter a company benchmark only while the company grants it, all in the ledger', async () => {
    // Prepare
    const path = `/stats/${STAT}/benchmark?tenantId=demo-a`;

    // Act
    const before = await api(path, { token: tokens.supporter });
    const granted = await api('/supporters/grants', {
      token: tokens.tenant,
      body: { supporterId: 'sr-office' },
    });
    const listed = await api('/supporters/grants', { token: tokens.tenant });
    const during = await api(path, { token: tokens.supporter });
    const revoked = await api('/supporters/grants/sr-office', { token: tokens.tenant, method: 'DELETE' });
    const after = await api(path, { token: tokens.supporter });

    // Assess
    expect(before.status).toBe(404);
    expect(granted.status).toBe(201);
    expect(listed.json.grants.map((g: { supporterId: string }) => g.supporterId)).toEqual(['sr-office']);
    expect(during.status).toBe(200);
    expect(during.json).toMatchObject({ status: 'published', tenantId: 'demo-a' });
    expect(revoked.status).toBe(200);
    expect(after.status).toBe(404);
    const entries = (await readLedger(platform.ports.table, { tenantId: 'demo-a' })).filter((e) =>
      e.action.startsWith('supporter.'),
    );
    expect(entries.map((e) => e.action)).toEqual([
      'supporter.granted',
      'supporter.benchmark_read',
      'supporter.revoked',
    ]);
    expect(entries[1]).toMatchObject({
      actor: { subject: 'local-supporter-sr-office' },
      details: { supporterId: 'sr-office', statistic: STAT },
    });
  });

  it('purges a company for an admin and returns its certificate, but not for a tenant token', async () => {
    // Prepare: a user of the company signs in while its data is kept.
    const companyUser = await platform.token({ role: 'tenant', tenantId: 'co-d' });
    const signedIn = await api('/uploads', { token: companyUser });
    await api('/admin/tenants/co-d', {
      token: tokens.admin,
      method: 'PATCH',
      body: { contract: { end: '2026-01-31', retentionDaysAfterEnd: 0 } },
    });

    // Act
    const refused = await api('/admin/tenants/co-d/purge', { token: tokens.tenant, body: {} });
    const purged = await finished(await api('/admin/tenants/co-d/purge', { token: tokens.admin, body: {} }));
    const certificate = await api('/admin/certificates/co-d', { token: tokens.admin });
    const release = await api(`/admin/jobs/${purged.json.result.releaseJobId}`, { token: tokens.admin });
    const summary = await api('/stats', { token: tokens.tenant });
    const afterPurge = await api('/uploads', { token: companyUser });
    const newToken = await api('/uploads', {
      token: await platform.token({ role: 'tenant', tenantId: 'co-d' }),
    });

    // Assess
    expect(signedIn.status).toBe(200);
    expect(afterPurge.status).toBe(401);
    expect(newToken.status).toBe(401);
    // The reason says a new token will not help a company whose data was deleted
    expect(newToken.json.error.message).toMatch(
      /データを削除した会社（契約終了）のアカウントは無効|company whose data was deleted \(contract ended\) are disabled/,
    );
    expect(certificate.json.certificate.userAccounts).toEqual({ disabled: 1 });
    expect(refused.status).toBe(403);
    expect(purged.json).toMatchObject({ kind: 'purge', state: 'SUCCEEDED', result: { outcome: 'purged' } });
    expect(certificate.status).toBe(200);
    expect(certificate.json.chain).toMatchObject({ valid: true });
    expect(certificate.json.certificate.certificateId).toBe(purged.json.result.certificateId);
    expect(release.json).toMatchObject({ kind: 'release', state: 'SUCCEEDED', reason: 'tenant-purged' });
    expect(summary.json.releaseId).toBe(release.json.result.releaseId);
    let facts = 0;
    for await (const _ of platform.ports.objects.list('curated', 'facts/tenant=co-d/')) facts++;
    expect(facts).toBe(0);
    expect(summary.json.statistics.length).toBeGreaterThan(0);
  });
});
