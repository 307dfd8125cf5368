import { describe, expect, it } from 'vitest';
import { readLedger, verifyLedger } from '../../../functions/domain/ledger/ledger.ts';
import { sweepExpiredSupportGrants } from '../../../functions/domain/platform-support/grant-sweep.ts';
import { supportExportPrefix } from '../../../functions/domain/zones.ts';
import { createSupportSweepHandler } from '../../../functions/support-sweep/handler.ts';
import {
  call,
  employee,
  payrollRow,
  seedUpload,
  supportClaims,
  supportPorts,
  T0,
  type TestPorts,
  tenantClaims,
  UPLOAD_1,
  UPLOAD_2,
  UPLOAD_3,
} from './fixtures.ts';

const support = supportClaims();
const minutes = (n: number) => new Date(T0.getTime() + n * 60_000);

/** demo-a with two employee uploads and one payroll upload. */
async function prepared(): Promise<TestPorts> {
  const ports = await supportPorts();
  await seedUpload(ports, {
    tenantId: 'demo-a',
    uploadId: UPLOAD_1,
    dataset: 'employees',
    rows: [employee()],
  });
  await seedUpload(ports, {
    tenantId: 'demo-a',
    uploadId: UPLOAD_2,
    dataset: 'employees',
    rows: [employee({ name: '佐藤　花子', employee_id: 'EMP-0002', email: '=HYPERLINK("x")' })],
  });
  await seedUpload(ports, {
    tenantId: 'demo-a',
    uploadId: UPLOAD_3,
    dataset: 'payroll',
    rows: [payrollRow()],
  });
  return ports;
}

async function requestGrant(
  ports: TestPorts,
  scope: { datasets?: string[]; uploadIds?: string[] },
  durationMinutes = 60,
): Promise<string> {
  const response = await call(ports, 'POST /support/grants', {
    claims: support,
    body: { tenantId: 'demo-a', purpose: 'Find why upload rows fail validation', scope, durationMinutes },
  });
  expect(response.status).toBe(201);
  return response.json.grantId as string;
}

async function approvedGrant(
  ports: TestPorts,
  scope: { datasets?: string[]; uploadIds?: string[] },
  duration = 60,
) {
  const grantId = await requestGrant(ports, scope, duration);
  const approval = await call(ports, 'POST /support/grants/{grantId}/approve', {
    claims: tenantClaims('demo-a'),
    path: { grantId },
  });
  expect(approval.status).toBe(200);
  return grantId;
}

const rows = (ports: TestPorts, uploadId: string, claims = support) =>
  call(ports, 'GET /support/tenants/{tenantId}/uploads/{uploadId}/rows', {
    claims,
    path: { tenantId: 'demo-a', uploadId },
  });

const exportRows = (ports: TestPorts, grantId: string, uploadId: string, kind = 'rows', claims = support) =>
  call(ports, 'POST /support/grants/{grantId}/exports', {
    claims,
    path: { grantId },
    body: { uploadId, kind },
  });

async function keysUnder(ports: TestPorts, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const version of ports.objects.listVersions('raw', prefix)) keys.push(version.key);
  return keys;
}

describe('break-glass grants', () => {
  it('lets exactly the uploads in its scope through, unmasked', async () => {
    // Prepare
    const ports = await prepared();
    await approvedGrant(ports, { uploadIds: [UPLOAD_1] });

    // Act
    const inScope = await rows(ports, UPLOAD_1);
    const sameDataset = await rows(ports, UPLOAD_2);
    const otherDataset = await rows(ports, UPLOAD_3);

    // Assess
    expect(inScope.json).toMatchObject({ masked: false });
    expect(inScope.json.rows[0]).toMatchObject({
      name: '髙橋　一郎',
      phone: '090-1234-5678',
      employee_id: 'EMP-0001',
    });
    expect(sameDataset.json.masked).toBe(true);
    expect(sameDataset.raw).not.toContain('佐藤　花子');
    expect(otherDataset.json.masked).toBe(true);
    expect(otherDataset.raw).not.toContain('7654321');
  });

  it('lets a dataset scope through every upload of that dataset and nothing else', async () => {
    // Prepare
    const ports = await prepared();
    await approvedGrant(ports, { datasets: ['payroll'] });

    // Act
    const payroll = await rows(ports, UPLOAD_3);
    const employees = await rows(ports, UPLOAD_1);

    // Assess
    expect(payroll.json.masked).toBe(false);
    expect(payroll.json.rows[0].bank_account).toBe('7654321');
    expect(employees.json.masked).toBe(true);
  });

  it('runs for exactly its duration from approval', async () => {
    // Prepare
    const ports = await prepared();
    await approvedGrant(ports, { uploadIds: [UPLOAD_1] }, 60);

    // Act
    ports.setNow(new Date(minutes(60).getTime() - 1));
    const lastMoment = await rows(ports, UPLOAD_1);
    ports.setNow(minutes(60));
    const atExpiry = await rows(ports, UPLOAD_1);

    // Assess
    expect(lastMoment.json.masked).toBe(false);
    expect(atExpiry.json.masked).toBe(true);
    expect(atExpiry.raw).not.toContain('髙橋　一郎');
  });

  it('is masked for another support user', async () => {
    // Prepare
    const ports = await prepared();
    const grantId = await approvedGrant(ports, { uploadIds: [UPLOAD_1] });

    // Act
    const read = await rows(ports, UPLOAD_1, supportClaims('sub-support-2'));
    const exported = await exportRows(ports, grantId, UPLOAD_1, 'rows', supportClaims('sub-support-2'));

    // Assess
    expect(read.json.masked).toBe(true);
    expect(exported.status).toBe(404);
  });

  it('records every read under a grant in the ledger with its purpose', async () => {
    // Prepare
    const ports = await prepared();
    const grantId = await approvedGrant(ports, { uploadIds: [UPLOAD_1, UPLOAD_3] });

    // Act
    await rows(ports, UPLOAD_1);
    await rows(ports, UPLOAD_3);
    await rows(ports, UPLOAD_1);
    await rows(ports, UPLOAD_2);

    // Assess
    const ledger = await readLedger(ports.table);
    const reads = ledger.filter((e) => e.action === 'support.read_under_grant');
    expect(reads.map((e) => e.details.uploadId)).toEqual([UPLOAD_1, UPLOAD_3, UPLOAD_1]);
    for (const read of reads) {
      expect(read).toMatchObject({
        tenantId: 'demo-a',
        purpose: 'Find why upload rows fail validation',
        actor: { subject: 'sub-support-1' },
        details: { grantId },
      });
    }
    expect(verifyLedger(ledger).ok).toBe(true);
  });

  it('exports under a grant to its prefix, formula-neutralised, and deletes the export on revocation', async () => {
    // Prepare
    const ports = await prepared();
    const grantId = await approvedGrant(ports, { datasets: ['employees'] });
    const prefix = supportExportPrefix('demo-a', grantId);

    // Act
    const exported = await exportRows(ports, grantId, UPLOAD_2);
    const before = await keysUnder(ports, prefix);
    const revoked = await call(ports, 'POST /support/grants/{grantId}/revoke', {
      claims: tenantClaims('demo-a'),
      path: { grantId },
    });
    const after = await keysUnder(ports, prefix);
    const readAfter = await rows(ports, UPLOAD_2);
    const exportAfter = await exportRows(ports, grantId, UPLOAD_2);

    // Assess
    expect(exported.status).toBe(201);
    expect(exported.json.csv).toContain('佐藤　花子');
    expect(exported.json.csv).toContain(`'=HYPERLINK(""x"")`);
    expect(before).toEqual([exported.json.key]);
    expect(revoked.status).toBe(200);
    expect(revoked.json.status).toBe('REVOKED');
    expect(after).toEqual([]);
    expect(readAfter.json.masked).toBe(true);
    expect(exportAfter.status).toBe(403);
    const revocation = (await readLedger(ports.table)).find((e) => e.action === 'support.grant_revoked');
    expect(revocation?.details.deletedExports).toEqual([exported.json.key]);
  });

  it('deletes the exports of an expired grant in the sweep and lists them in the ledger', async () => {
    // Prepare
    const ports = await prepared();
    const grantId = await approvedGrant(ports, { uploadIds: [UPLOAD_1] }, 30);
    const exported = await exportRows(ports, grantId, UPLOAD_1, 'row_errors');
    const prefix = supportExportPrefix('demo-a', grantId);

    // Act
    ports.setNow(minutes(29));
    const early = await sweepExpiredSupportGrants(ports, ports.clock());
    ports.setNow(minutes(30));
    const swept = await sweepExpiredSupportGrants(ports, ports.clock());
    const exportAfter = await exportRows(ports, grantId, UPLOAD_1);

    // Assess
    expect(early).toEqual([]);
    expect(swept).toEqual([{ tenantId: 'demo-a', grantId, deleted: [exported.json.key] }]);
    expect(await keysUnder(ports, prefix)).toEqual([]);
    expect(exportAfter.status).toBe(403);
    const expiry = (await readLedger(ports.table)).filter((e) => e.action === 'support.grant_expired');
    expect(expiry).toHaveLength(1);
    expect(expiry[0]?.details.deletedExports).toEqual([exported.json.key]);
  });

  it('deletes expired exports when the scheduled sweep function runs', async () => {
    // Prepare
    const ports = await prepared();
    const grantId = await approvedGrant(ports, { uploadIds: [UPLOAD_1] }, 30);
    await exportRows(ports, grantId, UPLOAD_1, 'row_errors');
    const prefix = supportExportPrefix('demo-a', grantId);
    const sweep = createSupportSweepHandler(() => ports);
    const context = { functionName: 'kura-support-sweep', awsRequestId: 'r-sweep' } as never;

    // Act
    ports.setNow(minutes(20));
    const before = await sweep({}, context);
    const keysBefore = await keysUnder(ports, prefix);
    ports.setNow(minutes(45));
    const after = await sweep({}, context);

    // Assess
    expect(before).toEqual({ swept: 0 });
    expect(keysBefore).toHaveLength(1);
    expect(after).toEqual({ swept: 1 });
    expect(await keysUnder(ports, prefix)).toEqual([]);
  });

  it('sweeps lazily: the first support request after expiry deletes the exports', async () => {
    // Prepare
    const ports = await prepared();
    const grantId = await approvedGrant(ports, { uploadIds: [UPLOAD_1] }, 30);
    await exportRows(ports, grantId, UPLOAD_1);

    // Act
    ports.setNow(minutes(31));
    const list = await call(ports, 'GET /support/tenants/{tenantId}/uploads', {
      claims: support,
      path: { tenantId: 'demo-a' },
    });

    // Assess
    expect(list.status).toBe(200);
    expect(await keysUnder(ports, supportExportPrefix('demo-a', grantId))).toEqual([]);
  });

  it.each(['PURGING', 'PURGED'])(
    'refuses support asking for a grant on a company that is %s',
    async (state) => {
      // Prepare
      const ports = await prepared();
      const tenant = await ports.table.get('tenants', { tenantId: 'demo-a' });
      await ports.table.put('tenants', { ...tenant, state });

      // Act
      const response = await call(ports, 'POST /support/grants', {
        claims: support,
        body: {
          tenantId: 'demo-a',
          purpose: 'Find why upload rows fail validation',
          scope: { datasets: ['employees'] },
          durationMinutes: 60,
        },
      });

      // Assess
      expect(response.status).toBe(403);
      expect(response.json.error.code).toBe('TENANT_PURGED');
      expect(ports.table.dump('uploads').filter((item) => item.kind === 'support_grant')).toEqual([]);
    },
  );

  it('refuses approving a pending grant once the company’s purge has started', async () => {
    // Prepare
    const ports = await prepared();
    const grantId = await requestGrant(ports, { uploadIds: [UPLOAD_1] });
    const tenant = await ports.table.get('tenants', { tenantId: 'demo-a' });
    await ports.table.put('tenants', { ...tenant, state: 'PURGING' });

    // Act
    const approval = await call(ports, 'POST /support/grants/{grantId}/approve', {
      claims: tenantClaims('demo-a'),
      path: { grantId },
    });

    // Assess
    expect(approval.status).toBe(403);
    expect(approval.json.error.code).toBe('TENANT_PURGED');
    expect((await rows(ports, UPLOAD_1)).json.masked).not.toBe(false);
  });

  it('lets support ask while a terminated company’s data is still held', async () => {
    // Prepare
    const ports = await prepared();
    const tenant = await ports.table.get('tenants', { tenantId: 'demo-a' });
    await ports.table.put('tenants', { ...tenant, state: 'TERMINATED' });

    // Act
    const grantId = await requestGrant(ports, { uploadIds: [UPLOAD_1] });

    // Assess
    expect(grantId).toMatch(/^demo-a\./);
  });

  it('answers 404 when a tenant tries to approve, refuse or revoke another tenant’s grant', async () => {
    // Prepare
    const ports = await prepared();
    const grantId = await requestGrant(ports, { uploadIds: [UPLOAD_1] });

    // Act
    const approve = await call(ports, 'POST /support/grants/{grantId}/approve', {
      claims: tenantClaims('demo-b'),
      path: { grantId },
    });
    const refuse = await call(ports, 'POST /support/grants/{grantId}/refuse', {
      claims: tenantClaims('demo-b'),
      path: { grantId },
    });
    const read = await rows(ports, UPLOAD_1);

    // Assess
    expect(approve.status).toBe(404);
    expect(refuse.status).toBe(404);
    expect(read.json.masked).toBe(true);
  });

  it('refuses support approving its own request (403) and keeps the request pending', async () => {
    // Prepare
    const ports = await prepared();
    const grantId = await requestGrant(ports, { uploadIds: [UPLOAD_1] });

    // Act
    const approve = await call(ports, 'POST /support/grants/{grantId}/approve', {
      claims: support,
      path: { grantId },
    });
    const list = await call(ports, 'GET /support/grants', { claims: tenantClaims('demo-a') });

    // Assess
    expect(approve.status).toBe(403);
    expect(list.json.grants).toHaveLength(1);
    expect(list.json.grants[0]).toMatchObject({ grantId, status: 'REQUESTED' });
  });

  it('refuses a grant longer than 24 hours', async () => {
    // Prepare
    const ports = await prepared();

    // Act
    const response = await call(ports, 'POST /support/grants', {
      claims: support,
      body: {
        tenantId: 'demo-a',
        purpose: 'Find why upload rows fail validation',
        scope: { uploadIds: [UPLOAD_1] },
        durationMinutes: 24 * 60 + 1,
      },
    });

    // Assess
    expect(response.status).toBe(422);
    expect(response.json.error.field).toBe('durationMinutes');
  });

  it('keeps a refused grant from ever starting and lists grants per side', async () => {
    // Prepare
    const ports = await prepared();
    const grantId = await requestGrant(ports, { uploadIds: [UPLOAD_1] });

    // Act
    const refused = await call(ports, 'POST /support/grants/{grantId}/refuse', {
      claims: tenantClaims('demo-a'),
      path: { grantId },
      body: { note: 'Please use the masked view' },
    });
    const approveLater = await call(ports, 'POST /support/grants/{grantId}/approve', {
      claims: tenantClaims('demo-a'),
      path: { grantId },
    });
    const read = await rows(ports, UPLOAD_1);
    const ownList = await call(ports, 'GET /support/grants', { claims: support });
    const otherSupport = await call(ports, 'GET /support/grants', { claims: supportClaims('sub-support-2') });
    const otherTenant = await call(ports, 'GET /support/grants', { claims: tenantClaims('demo-b') });

    // Assess
    expect(refused.json.status).toBe('REFUSED');
    expect(approveLater.status).toBe(409);
    expect(read.json.masked).toBe(true);
    expect(ownList.json.grants.map((g: { grantId: string }) => g.grantId)).toEqual([grantId]);
    expect(otherSupport.json.grants).toEqual([]);
    expect(otherTenant.json.grants).toEqual([]);
  });

  it('tells the whole story in the ledger: request, approval, read, export, revocation with deletions', async () => {
    // Prepare
    const ports = await prepared();
    const grantId = await approvedGrant(ports, { uploadIds: [UPLOAD_1] });
    await rows(ports, UPLOAD_1);
    const exported = await exportRows(ports, grantId, UPLOAD_1, 'row_errors');

    // Act
    await call(ports, 'POST /support/grants/{grantId}/revoke', {
      claims: tenantClaims('demo-a'),
      path: { grantId },
    });

    // Assess
    const story = (await readLedger(ports.table, { tenantId: 'demo-a' }))
      .filter((e) => e.details.grantId === grantId)
      .map((e) => e.action);
    expect(story).toEqual([
      'support.grant_requested',
      'support.grant_approved',
      'support.read_under_grant',
      'support.exported',
      'support.grant_revoked',
    ]);
    expect(exported.json.csv.startsWith('\uFEFFline,column,code')).toBe(true);
  });

  it('pages a tenant’s uploads past its grants, always with an upload id as cursor', async () => {
    // Prepare
    const ports = await prepared();
    await requestGrant(ports, { uploadIds: [UPLOAD_1] });
    const list = (cursor?: string) =>
      call(ports, 'GET /support/tenants/{tenantId}/uploads', {
        claims: support,
        path: { tenantId: 'demo-a' },
        query: { limit: '2', ...(cursor ? { cursor } : {}) },
      });

    // Act
    const first = await list();
    const second = await list(first.json.cursor);

    // Assess
    expect(first.json.uploads.map((u: { uploadId: string }) => u.uploadId)).toEqual([UPLOAD_1, UPLOAD_2]);
    expect(first.json.cursor).toBe(UPLOAD_2);
    expect(second.status).toBe(200);
    expect(second.json.uploads.map((u: { uploadId: string }) => u.uploadId)).toEqual([UPLOAD_3]);
    expect(second.json.cursor).toBeUndefined();
  });
});
