import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readLedger, verifyLedger } from '../../../functions/domain/ledger/ledger.ts';
import { supportExportPrefix } from '../../../functions/domain/zones.ts';
import { type LocalPlatform, startLocalPlatform } from '../../../local/platform.ts';

let dataDir: string;
let platform: LocalPlatform;
let tenantToken: string;
let supportToken: string;

// Two of three rows fail (bad birth date, unknown gender): more than 5 % invalid, so the file is rejected.
const csv = [
  '社員番号,氏名,生年月日,性別,入社日,雇用形態,電話番号',
  'E001,髙橋　一郎,1985-04-12,男,2010-04-01,正社員,090-1234-5678',
  'E002,佐藤　花子,1990-13-45,女,2015-04-01,正社員,080-2222-3333',
  'E003,鈴木　健,1979-01-02,不明,2001-04-01,正社員,070-4444-5555',
].join('\r\n');

async function api(path: string, token: string, body?: unknown) {
  const response = await fetch(`${platform.apiUrl}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: {
      authorization: `Bearer ${token}`,
      'accept-language': 'en',
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, raw: text, json: JSON.parse(text) };
}

async function uploadRejectedFile(): Promise<string> {
  const ticket = await api('/uploads', tenantToken, {
    dataset: 'employees',
    fileName: '従業員.csv',
    contentType: 'text/csv',
    sizeBytes: Buffer.byteLength(csv),
    sha256: createHash('sha256').update(csv).digest('base64'),
    consent: { obtained: true, method: 'written', obtainedAt: '2026-04-01', attestedBy: '人事部長' },
  });
  expect(ticket.status).toBe(201);
  const form = new FormData();
  for (const [name, value] of Object.entries(ticket.json.fields as Record<string, string>))
    form.append(name, value);
  form.append('file', new Blob([csv], { type: 'text/csv' }), 'upload.csv');
  expect((await fetch(ticket.json.url, { method: 'POST', body: form })).status).toBe(204);
  await platform.settled();
  return ticket.json.uploadId as string;
}

async function exportKeys(grantId: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const object of platform.ports.objects.list('raw', supportExportPrefix('demo-a', grantId))) {
    keys.push(object.key);
  }
  return keys;
}

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'kura-support-'));
  platform = await startLocalPlatform({ dataDir, port: 0, onError: () => undefined });
  tenantToken = await platform.token({ role: 'tenant', tenantId: 'demo-a' });
  supportToken = await platform.token({ role: 'support' });
});

afterAll(async () => {
  await platform?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

describe('support access on the local platform', () => {
  it('walks inspection, request, approval, export and revocation, and the ledger tells it all', async () => {
    // Prepare
    const uploadId = await uploadRejectedFile();

    // Act
    const inspected = await api(`/support/tenants/demo-a/uploads/${uploadId}`, supportToken);
    const requested = await api('/support/grants', supportToken, {
      tenantId: 'demo-a',
      purpose: 'Find why the employee upload is rejected',
      scope: { uploadIds: [uploadId] },
      durationMinutes: 120,
    });
    const grantId = requested.json.grantId as string;
    const otherTenant = await api(
      `/support/grants/${grantId}/approve`,
      await platform.token({ role: 'tenant', tenantId: 'demo-b' }),
      {},
    );
    const approved = await api(`/support/grants/${grantId}/approve`, tenantToken, {});
    const exported = await api(`/support/grants/${grantId}/exports`, supportToken, {
      uploadId,
      kind: 'row_errors',
    });
    const keysWhileActive = await exportKeys(grantId);
    const revoked = await api(`/support/grants/${grantId}/revoke`, tenantToken, {});
    const keysAfter = await exportKeys(grantId);
    const exportAfter = await api(`/support/grants/${grantId}/exports`, supportToken, { uploadId });

    // Assess
    expect(inspected.status).toBe(200);
    expect(inspected.json.status).toBe('REJECTED');
    expect(inspected.json.errors.length).toBeGreaterThan(0);
    for (const secret of ['髙橋', '佐藤　花子', '1990-13-45', '090-1234-5678', '080-2222-3333']) {
      expect(inspected.raw).not.toContain(secret);
    }
    expect(requested.status).toBe(201);
    expect(otherTenant.status).toBe(404);
    expect(approved.json.status).toBe('APPROVED');
    expect(exported.status).toBe(201);
    expect(exported.json.rows).toBe(inspected.json.errors.length);
    expect(keysWhileActive).toEqual([exported.json.key]);
    expect(revoked.json.status).toBe('REVOKED');
    expect(keysAfter).toEqual([]);
    expect(exportAfter.status).toBe(403);
    const ledger = await readLedger(platform.ports.table);
    expect(verifyLedger(ledger).ok).toBe(true);
    const story = ledger.filter((e) => e.details.grantId === grantId).map((e) => e.action);
    expect(story).toEqual([
      'support.grant_requested',
      'support.grant_approved',
      'support.exported',
      'support.grant_revoked',
    ]);
    expect(ledger.find((e) => e.action === 'support.grant_revoked')?.details.deletedExports).toEqual([
      exported.json.key,
    ]);
  });
});
