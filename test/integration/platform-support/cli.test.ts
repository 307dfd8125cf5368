import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readLedger } from '../../../functions/domain/ledger/ledger.ts';
import { supportExportPrefix } from '../../../functions/domain/zones.ts';
import { runCli } from '../../../local/cli/main.ts';
import { type LocalPlatform, startLocalPlatform } from '../../../local/platform.ts';

let dataDir: string;
let platform: LocalPlatform;

const csv = [
  '社員番号,氏名,生年月日,性別,入社日,雇用形態,電話番号',
  'E001,髙橋　一郎,1985-04-12,男,2010-04-01,正社員,090-1234-5678',
  'E002,佐藤　花子,1985-05-06,女,2015-04-01,正社員,080-2222-3333',
].join('\r\n');

/** Runs `kura …` against the platform of this data folder; resolves to the exit code and output. */
async function kura(...args: string[]) {
  return kuraIn('en', ...args);
}

/** `kura …` in the reader's language. */
async function kuraIn(lang: 'ja' | 'en', ...args: string[]) {
  let out = '';
  let err = '';
  const code = await runCli(['node', 'kura', '--data-dir', dataDir, '--lang', lang, ...args], {
    write: (text) => {
      out += text;
    },
    writeErr: (text) => {
      err += text;
    },
    env: {},
  });
  return { code, out, err };
}

async function acceptedUpload(): Promise<string> {
  const token = await platform.token({ role: 'tenant', tenantId: 'demo-a' });
  const response = await fetch(`${platform.apiUrl}/uploads`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      dataset: 'employees',
      fileName: 'employees.csv',
      contentType: 'text/csv',
      sizeBytes: Buffer.byteLength(csv),
      sha256: createHash('sha256').update(csv).digest('base64'),
      consent: { obtained: true, method: 'written', obtainedAt: '2026-04-01', attestedBy: '人事部長' },
    }),
  });
  const ticket = (await response.json()) as { uploadId: string; url: string; fields: Record<string, string> };
  const form = new FormData();
  for (const [name, value] of Object.entries(ticket.fields)) form.append(name, value);
  form.append('file', new Blob([csv], { type: 'text/csv' }), 'upload.csv');
  await fetch(ticket.url, { method: 'POST', body: form });
  await platform.settled();
  return ticket.uploadId;
}

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'kura-support-cli-'));
  platform = await startLocalPlatform({ dataDir, port: 0, onError: () => undefined });
});

afterAll(async () => {
  await platform?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

describe('kura support', () => {
  it("shows the uploads and one upload in the reader's language, row counts in words, not field names or JSON", async () => {
    // Prepare
    const uploadId = await acceptedUpload();

    // Act
    const listJa = await kuraIn('ja', 'support', 'inspect', '--tenant', 'demo-a');
    const listEn = await kuraIn('en', 'support', 'inspect', '--tenant', 'demo-a');
    const oneJa = await kuraIn('ja', 'support', 'inspect', '--tenant', 'demo-a', '--upload', uploadId);
    const oneEn = await kuraIn('en', 'support', 'inspect', '--tenant', 'demo-a', '--upload', uploadId);

    // Assess
    expect([listJa.code, listEn.code, oneJa.code, oneEn.code]).toEqual([0, 0, 0, 0]);
    expect(listJa.out).toMatch(/アップロード ID\s+データセット\s+状態\s+ファイル名\s+エラー/);
    expect(listJa.out).toContain(uploadId);
    expect(listEn.out).toMatch(/upload id\s+dataset\s+status\s+file name\s+errors/);
    expect(oneJa.out).toContain(`アップロード ${uploadId}`);
    expect(oneJa.out).toContain('行数: 全 2 行、受理 2 行、エラー 0 行');
    expect(oneEn.out).toContain('Rows: 2 in total, 2 accepted, 0 in error');
    for (const out of [oneJa.out, oneEn.out]) expect(out).not.toMatch(/[{}]/);
  });

  it('inspects masked, requests, gets approval, exports rows to a file and loses them on revocation', async () => {
    // Prepare
    const uploadId = await acceptedUpload();
    const outFile = join(dataDir, 'rows.csv');

    // Act
    const masked = await kura('support', 'inspect', '--tenant', 'demo-a', '--upload', uploadId, '--rows');
    const requested = await kura(
      '--json',
      'support',
      'request',
      '--tenant',
      'demo-a',
      '--purpose',
      'Check the employee register rows',
      '--upload',
      uploadId,
      '--duration',
      '2h',
    );
    const grantId = JSON.parse(requested.out).grantId as string;
    const approved = await kura('support', 'approve', grantId);
    const unmasked = await kura('support', 'inspect', '--tenant', 'demo-a', '--upload', uploadId, '--rows');
    const exported = await kura(
      'support',
      'export',
      grantId,
      '--upload',
      uploadId,
      '--kind',
      'rows',
      '--out',
      outFile,
    );
    const revoked = await kura('support', 'revoke', grantId);
    const exportAfter = await kura('support', 'export', grantId, '--upload', uploadId);
    const tooLong = await kura(
      'support',
      'request',
      '--tenant',
      'demo-a',
      '--purpose',
      'x'.repeat(20),
      '--dataset',
      'employees',
      '--duration',
      '25h',
    );

    // Assess
    expect(masked.code).toBe(0);
    expect(masked.out).toContain('髙＊　＊＊');
    expect(masked.out).not.toContain('髙橋');
    expect(requested.code).toBe(0);
    expect(approved.code).toBe(0);
    expect(approved.out).toContain('APPROVED');
    expect(unmasked.out).toContain('髙橋　一郎');
    expect(exported.code).toBe(0);
    expect(await readFile(outFile, 'utf8')).toContain('佐藤　花子');
    expect(revoked.out).toContain('REVOKED');
    const left: string[] = [];
    for await (const object of platform.ports.objects.list('raw', supportExportPrefix('demo-a', grantId))) {
      left.push(object.key);
    }
    expect(left).toEqual([]);
    expect(exportAfter.code).toBe(1);
    expect(exportAfter.err).toContain('not in force');
    expect(tooLong.code).toBe(2);
    const actions = (await readLedger(platform.ports.table))
      .filter((e) => e.details.grantId === grantId)
      .map((e) => e.action);
    expect(actions).toEqual([
      'support.grant_requested',
      'support.grant_approved',
      'support.read_under_grant',
      'support.exported',
      'support.grant_revoked',
    ]);
  });
});
