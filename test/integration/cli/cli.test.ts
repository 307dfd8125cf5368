import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportLedger } from '../../../functions/domain/ledger/export.ts';
import {
  appendLedger,
  entryHash,
  LEDGER_TABLE,
  readLedger,
  verifyLedger,
} from '../../../functions/domain/ledger/ledger.ts';
import { STATISTICS } from '../../../functions/domain/stats/statistics.ts';
import { runCli } from '../../../local/cli/main.ts';
import { KuraClient } from '../../../local/client.ts';
import { seedDemo } from '../../../local/demo/seed-demo.ts';
import { type LocalPlatform, startLocalPlatform } from '../../../local/platform.ts';
import { csvBytes } from '../../../local/synthetic/csv.ts';
import { generateCompanies, generateEmployees, generateSales } from '../../../local/synthetic/generate.ts';
import { demoPlan } from '../../../local/synthetic/plan.ts';
import { runKura } from '../../support/cli.ts';

let dataDir: string;
let platform: LocalPlatform;
const plan = demoPlan({
  companies: 2,
  datasets: ['employees', 'attendance', 'payroll', 'sales'],
  withRejectedFile: false,
});
const tenantId = plan.companies[0]?.tenantId ?? 'demo-0001';

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'kura-cli-'));
  platform = await startLocalPlatform({ dataDir, port: 0, onError: () => undefined });
  const summary = await seedDemo(platform, {
    plan,
    progress: () => ({ update: () => undefined, stop: () => undefined }),
  });
  if (!summary.ok) throw new Error(`demo seed failed: ${JSON.stringify(summary.counts)}`);
}, 180_000);

afterAll(async () => {
  await platform?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

/** Runs `kura <args>` against the platform's data folder, capturing stdout and stderr (not a TTY). */
const kura = (...args: string[]) => runKura(dataDir, ...args);

async function salesFile(name: string, badRows: number): Promise<string> {
  const company = generateCompanies(1, 99)[0];
  if (!company) throw new Error('no company');
  const path = join(dataDir, name);
  await writeFile(
    path,
    csvBytes('sales', generateSales(company) as Iterable<Record<string, unknown>>, {
      headers: 'ja',
      encoding: 'sjis',
      dates: 'iso',
      badRows,
    }),
  );
  return path;
}

describe('kura upload and status', () => {
  it('uploads a CSV, shows progress on a non-terminal and prints the accepted outcome as JSON', async () => {
    // Prepare
    const path = await salesFile('売上_2025.csv', 0);

    // Act
    const result = await kura('--json', '--tenant', tenantId, 'upload', path, '--dataset', 'sales');

    // Assess
    expect(result.code).toBe(0);
    const upload = JSON.parse(result.stdout);
    expect(upload).toMatchObject({ status: 'ACCEPTED', dataset: 'sales', fileName: '売上_2025.csv' });
    expect(upload.rows).toMatchObject({ total: 12, accepted: 12, rejected: 0 });
    // Plain progress lines end with the whole file sent.
    expect(result.stderr).toMatch(/売上_2025\.csv: ([\d.]+ (?:B|KiB))\/\1\n/);
  });

  it('exits 1 with the row errors as a table when the file is not accepted in full', async () => {
    // Prepare
    const path = await salesFile('sales_bad.csv', 3);

    // Act
    const result = await kura('--tenant', tenantId, 'upload', path, '--dataset', 'sales');

    // Assess
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/Status: (PARTIALLY_ACCEPTED|REJECTED)/);
    expect(result.stdout).toMatch(/line\s+column\s+code\s+message/);
    expect(result.stderr).toMatch(/The upload was (partially accepted|rejected)/);
  });

  it('sends the consent attestation for employee data, and says what is missing without it', async () => {
    // Prepare
    const company = generateCompanies(1, 7)[0];
    if (!company) throw new Error('no company');
    const path = join(dataDir, '従業員名簿.csv');
    await writeFile(
      path,
      csvBytes(
        'employees',
        generateEmployees(company).map((e) => ({ ...e })),
        { headers: 'ja', encoding: 'sjis', dates: 'era' },
      ),
    );

    // Act
    const withConsent = await kura(
      '--json',
      '--tenant',
      tenantId,
      'upload',
      path,
      '--dataset',
      'employees',
      '--consent-method',
      'written',
      '--consent-date',
      '2025-04-01',
      '--attested-by',
      '人事部長 山田',
    );
    const withoutConsent = await kura('--tenant', tenantId, 'upload', path, '--dataset', 'employees');
    const halfConsent = await kura(
      '--tenant',
      tenantId,
      'upload',
      path,
      '--dataset',
      'employees',
      '--consent-method',
      'written',
    );

    // Assess
    expect(withConsent.code).toBe(0);
    expect(JSON.parse(withConsent.stdout)).toMatchObject({ status: 'ACCEPTED', dataset: 'employees' });
    expect(withoutConsent.code).toBe(1);
    // In the CLI's terms: its three options, not the API's JSON fields
    expect(withoutConsent.stderr).toMatch(/--consent-method.*--consent-date.*--attested-by/s);
    expect(withoutConsent.stderr).not.toMatch(/obtainedAt|attestedBy/);
    expect(halfConsent.code).toBe(2);
    expect(halfConsent.stderr).toMatch(/--consent-date/);
  });

  it('lists the uploads and shows one by id', async () => {
    // Prepare
    const listed = await kura('--json', '--tenant', tenantId, 'status');
    const first = JSON.parse(listed.stdout).uploads[0];

    // Act
    const one = await kura('--json', '--tenant', tenantId, 'status', first.uploadId);
    const text = await kura('--tenant', tenantId, 'status');

    // Assess
    expect(listed.code).toBe(0);
    expect(JSON.parse(one.stdout)).toMatchObject({ uploadId: first.uploadId, status: first.status });
    expect(text.stdout).toContain(first.uploadId);
  });

  it('exits 2 on usage errors and says what is missing', async () => {
    // Act
    const noDataset = await kura('upload', 'x.csv');
    const unknown = await kura('frobnicate');
    const remoteWithoutToken = await kura('--endpoint', 'https://api.example.invalid', 'status');

    // Assess
    expect(noDataset.code).toBe(2);
    expect(noDataset.stderr).toMatch(/--dataset/);
    expect(unknown.code).toBe(2);
    expect(remoteWithoutToken.code).toBe(2);
    expect(remoteWithoutToken.stderr).toMatch(/--token/);
  });

  it('answers in Japanese with --lang ja', async () => {
    // Prepare
    const japanese: string[] = [];

    // Act
    const result = await runCli(
      ['node', 'kura', '--data-dir', dataDir, '--lang', 'ja', '--endpoint', 'https://x.invalid', 'status'],
      {
        write: () => undefined,
        writeErr: (text) => void japanese.push(text),
        env: {},
      },
    );

    // Assess
    expect(result).toBe(2);
    expect(japanese.join('')).toMatch(/トークン/);
  });
});

describe('kura mapping, profiles and upload --profile (issue 17)', () => {
  it('saves a column mapping a later upload uses, reads a file under --profile, and refuses an unknown profile', async () => {
    // Prepare: the company's own header names (saved once), and a ジョブカン export
    const consent = [
      '--consent-method',
      'written',
      '--consent-date',
      '2025-01-01',
      '--attested-by',
      '人事部長',
    ];
    const own = join(dataDir, 'own-layout.csv');
    await writeFile(own, '社員CD,出勤日,実績時間\r\nC001,2025/01/06,8.5\r\n');
    const jobcan = join(dataDir, 'jobcan.csv');
    await writeFile(jobcan, 'スタッフコード,日付,労働時間,残業時間\r\nJ001,2025/01/07,9:30,1:30\r\n');

    // Act
    const saved = await kura(
      '--tenant',
      tenantId,
      'mapping',
      'set',
      'attendance',
      '--column',
      '社員CD=employee_id',
      '--column',
      '出勤日=work_date',
      '--column',
      '実績時間=actual_hours',
    );
    const shown = await kura('--json', '--tenant', tenantId, 'mapping', 'show', 'attendance');
    const mapped = await kura(
      '--json',
      '--tenant',
      tenantId,
      'upload',
      own,
      '--dataset',
      'attendance',
      ...consent,
    );
    const profiled = await kura(
      '--tenant',
      tenantId,
      'upload',
      jobcan,
      '--dataset',
      'attendance',
      '--profile',
      'jobcan',
      ...consent,
    );
    const unknown = await kura(
      '--tenant',
      tenantId,
      'upload',
      jobcan,
      '--dataset',
      'attendance',
      '--profile',
      'nope',
    );
    const deleted = await kura('--tenant', tenantId, 'mapping', 'delete', 'attendance');

    // Assess
    expect(saved.code).toBe(0);
    expect(JSON.parse(shown.stdout).columns).toEqual({
      社員CD: 'employee_id',
      出勤日: 'work_date',
      実績時間: 'actual_hours',
    });
    expect(mapped.code).toBe(0);
    expect(JSON.parse(mapped.stdout)).toMatchObject({ status: 'ACCEPTED', rows: { accepted: 1 } });
    expect(profiled.code).toBe(0);
    expect(profiled.stdout).toContain('Import profile: jobcan');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('kingoftime');
    expect(deleted.stdout).toContain('The mapping was deleted.');
  });
});

describe('kura stats and benchmark', () => {
  it('lists the statistics of the latest release', async () => {
    // Act
    const result = await kura('--json', 'stats');

    // Assess
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout).statistics.map((s: { name: string }) => s.name)).toEqual(
      STATISTICS.map((s) => s.name),
    );
  });

  it('prints a statistic as a table with suppressed cells marked', async () => {
    // Act
    const result = await kura('stats', 'headcount_by_age_gender', '--limit', '400');

    // Assess
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('headcount_by_age_gender');
    expect(result.stdout).toContain('x (suppressed)');
  });

  it("shows the company's benchmark and refuses an unknown statistic with exit 2", async () => {
    // Act
    const benchmark = await kura('--json', '--tenant', tenantId, 'benchmark', 'overtime_hours_monthly');
    const unknown = await kura('--tenant', tenantId, 'benchmark', 'no_such_statistic');

    // Assess
    expect(benchmark.code).toBe(0);
    expect(JSON.parse(benchmark.stdout)).toMatchObject({ statistic: 'overtime_hours_monthly', tenantId });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/Unknown statistic/);
  });

  it("prints the company's benchmark in words, as the preview page does, not as field names or JSON", async () => {
    // Act
    const ja = await kura('--lang', 'ja', '--tenant', tenantId, 'benchmark', 'overtime_hours_monthly');
    const json = JSON.parse(
      (await kura('--json', '--tenant', tenantId, 'benchmark', 'overtime_hours_monthly')).stdout,
    );

    // Assess: the labels of the preview's benchmark table, the segment in words, nothing raw
    expect(ja.code).toBe(0);
    for (const label of ['統計', '期間', '自社', '同業他社', '説明']) expect(ja.stdout).toContain(label);
    const literally = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    if (json.status === 'published')
      expect(ja.stdout).toMatch(new RegExp(`比較した区分 +${literally(json.comparedWith.ja)}`));
    else expect(ja.stdout).toContain(`説明: ${json.message.ja}`);
    expect(ja.stdout).not.toMatch(/p25_to_median|below_p25|median_to_p75|above_p75|excludesOwn|\{"/);
  });
});

/** The real `kura` program (bin/kura.js), as `npx kura` runs it. */
const KURA_BIN = fileURLToPath(new URL('../../../bin/kura.js', import.meta.url));
/** A pipe whose reader starts late, as `jq` does (see the script). */
const LATE_READER = fileURLToPath(new URL('./late-reader.sh', import.meta.url));

/**
 * Runs `kura <args>` with its stdout on a real pipe to a late reader, in the environment of a user's
 * shell (not Vitest's). Resolves to what the reader received, byte for byte, and the CLI's exit code.
 */
function kuraThroughPipe(args: readonly string[]): Promise<{ code: number | null; piped: Buffer }> {
  const { FORCE_TTY: _tty, VITEST: _vitest, ...env } = process.env;
  return new Promise((resolve, reject) => {
    const shell = spawn('bash', [LATE_READER, process.execPath, KURA_BIN, '--data-dir', dataDir, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env,
    });
    const chunks: Buffer[] = [];
    shell.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
    shell.stderr.on('data', (chunk: Buffer) => process.stderr.write(chunk));
    shell.once('error', reject);
    shell.once('close', (code) => resolve({ code, piped: Buffer.concat(chunks) }));
  });
}

describe('kura benchmark for a month without data', () => {
  it('says there is no data for the month, never that figures are withheld', async () => {
    // Prepare
    const japaneseOut: string[] = [];

    // Act
    const json = await kura(
      '--json',
      '--tenant',
      tenantId,
      'benchmark',
      'overtime_hours_monthly',
      '--period',
      '2030-01',
    );
    const english = await kura(
      '--tenant',
      tenantId,
      'benchmark',
      'overtime_hours_monthly',
      '--period',
      '2030-01',
    );
    const japanese = await runCli(
      [
        'node',
        'kura',
        '--data-dir',
        dataDir,
        '--tenant',
        tenantId,
        'benchmark',
        'overtime_hours_monthly',
        '--period',
        '2030-01',
      ],
      { write: (text) => void japaneseOut.push(text), writeErr: () => undefined, env: { LANG: 'C.UTF-8' } },
    );

    // Assess
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({ status: 'no_data', period: '2030-01' });
    expect(english.stdout).toContain('There are no figures for 2030-01');
    expect(english.stdout).not.toMatch(/withheld because|identify/);
    expect(japanese).toBe(0);
    expect(japaneseOut.join('')).toContain('この期間のデータがありません');
    expect(japaneseOut.join('')).not.toContain('特定される');
  });
});

describe('kura admin tenants', () => {
  it('lists every company with its name, state and contract for an operator', async () => {
    // Prepare
    const tableOut: string[] = [];

    // Act
    const json = await kura('--json', 'admin', 'tenants');
    const table = await runCli(['node', 'kura', '--data-dir', dataDir, 'admin', 'tenants'], {
      write: (text) => void tableOut.push(text),
      writeErr: () => undefined,
      env: {},
    });

    // Assess
    expect(json.code).toBe(0);
    const tenants = JSON.parse(json.stdout).tenants as Array<Record<string, unknown>>;
    const ids = tenants.map((t) => t.tenantId);
    expect(ids).toEqual(
      expect.arrayContaining([...plan.companies.map((c) => c.tenantId), 'demo-a', 'demo-b']),
    );
    expect(ids).toEqual([...ids].sort());
    expect(tenants.find((t) => t.tenantId === tenantId)).toMatchObject({
      name: expect.any(String),
      state: 'ACTIVE',
      contract: { start: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/) },
    });
    expect(table).toBe(0);
    const lines = tableOut.join('').split('\n');
    expect(lines[0]).toMatch(/^ID\s+会社名\s+状態\s+契約開始/);
    expect(lines.find((line) => line.startsWith(`${tenantId} `))).toContain('有効');
  });
});

describe('kura admin onboard', () => {
  it('registers a company that can then be listed and signed in to, and refuses the same id twice', async () => {
    // Prepare: a fictitious company (no personal value)
    const company = [
      '--tenant',
      'kasou-0001',
      '--name',
      '架空商事株式会社',
      '--industry',
      'I',
      '--prefecture',
      '27',
      '--size-band',
      '5-19',
      '--contract-start',
      '2026-04-01',
    ];

    // Act
    const onboarded = await kura('admin', 'onboard', ...company);
    const again = await kura('admin', 'onboard', ...company);
    const badIndustry = await kura('admin', 'onboard', ...company.map((v) => (v === 'I' ? 'Z' : v)));
    const listed = await kura('--json', 'admin', 'tenants');
    const token = await kura('token', '--tenant', 'kasou-0001');

    // Assess
    expect(onboarded.code).toBe(0);
    expect(onboarded.stdout).toContain('kasou-0001');
    expect(onboarded.stdout).toContain('admin-add-user-to-group');
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/already registered/);
    expect(badIndustry.code).toBe(2);
    const tenants = JSON.parse(listed.stdout).tenants as Array<Record<string, unknown>>;
    expect(tenants.find((t) => t.tenantId === 'kasou-0001')).toMatchObject({
      name: '架空商事株式会社',
      state: 'ACTIVE',
      profile: { industry: 'I', prefecture: '27', sizeBand: '5-19' },
      contract: { start: '2026-04-01' },
    });
    expect(token.code).toBe(0);
  });
});

describe('progress of long operations', () => {
  it('draws a bar on a terminal (stderr) through a purge job, and keeps it out of stdout', async () => {
    // Prepare: stderr is a terminal, stdout a buffer
    const drawn: string[] = [];
    const out: string[] = [];
    const terminal = Object.assign(new PassThrough(), { isTTY: true as const, columns: 100 });
    terminal.on('data', (chunk: Buffer) => drawn.push(chunk.toString('utf8')));

    // Act
    const code = await runCli(
      ['node', 'kura', '--data-dir', dataDir, '--lang', 'en', 'purge', '--tenant', tenantId, '--dry-run'],
      {
        write: (text) => void out.push(text),
        writeErr: () => undefined,
        env: {},
        progressStream: terminal,
      },
    );

    // Assess
    expect(code).toBe(0);
    expect(drawn.join('')).toMatch(/purge --dry-run \[█+/);
    expect(drawn.join('')).toContain('done');
    expect(out.join('')).not.toMatch(/[█░]/);
  });
});

describe('kura output through a pipe', () => {
  it('delivers the whole JSON of a statistic to the next program in a pipe, then exits 0', async () => {
    // Prepare: what the command writes, captured in-process
    const expected = await kura('--json', 'stats', 'overtime_hours_monthly');

    // Act
    const { code, piped } = await kuraThroughPipe([
      '--lang',
      'en',
      '--json',
      'stats',
      'overtime_hours_monthly',
    ]);

    // Assess: more than a pipe's buffer, all of it, and it parses
    expect(expected.code).toBe(0);
    expect(Buffer.byteLength(expected.stdout)).toBeGreaterThan(65_536);
    expect(code).toBe(0);
    expect(piped.length).toBe(Buffer.byteLength(expected.stdout));
    const body = JSON.parse(piped.toString('utf8'));
    expect(body.cells).toHaveLength(JSON.parse(expected.stdout).cells.length);
  });
});

describe('kura purge and certificate', () => {
  it('purges a terminated company and shows a certificate whose chain verifies', async () => {
    // Prepare
    const victim = plan.companies[1]?.tenantId ?? 'demo-0002';
    const admin = new KuraClient({
      endpoint: platform.apiUrl,
      token: await platform.token({ role: 'admin' }),
    });
    await admin.call('PATCH', `/admin/tenants/${victim}`, {
      contract: { end: '2026-01-31', retentionDaysAfterEnd: 0 },
    });

    // Act
    const dryRun = await kura('--json', 'purge', '--tenant', victim, '--dry-run');
    const purge = await kura('--json', 'purge', '--tenant', victim);
    const certificate = await kura('--json', 'certificate', victim);
    const readable = await kura('certificate', victim);
    const missing = await kura('certificate', tenantId);

    // Assess
    expect(dryRun.code).toBe(0);
    expect(purge.code).toBe(0);
    expect(certificate.code).toBe(0);
    expect(JSON.parse(certificate.stdout)).toMatchObject({
      certificate: { tenantId: victim },
      chain: { valid: true },
    });
    expect(readable.code).toBe(0);
    expect(readable.stdout).toMatch(/Kept after the deletion:/);
    expect(readable.stdout).toMatch(/- anonymised-releases: The company’s rows in the anonymised data/);
    // A chain that verifies is said so, without an empty list of problems after it
    expect(readable.stdout).toMatch(/Certificate chain verification: valid\s*$/m);
    expect(missing.code).toBe(1);
  });
});

describe('kura withdraw, and what is in force', () => {
  it('shows which upload replaced which, and withdraws one sent by mistake', async () => {
    // Prepare: two sales files for the same months, the second sent after the first
    const upload = async (name: string) =>
      JSON.parse(
        (await kura('--json', '--tenant', tenantId, 'upload', await salesFile(name, 0), '--dataset', 'sales'))
          .stdout,
      ) as { uploadId: string; maskedAt?: string; inForce?: boolean; sequence?: string };
    const first = await upload('uriage-a.csv');
    const second = await upload('uriage-b.csv');

    // Act
    const before = await kura('--tenant', tenantId, 'status', first.uploadId);
    const withdrawn = await kura('--json', '--tenant', tenantId, 'withdraw', second.uploadId);
    const after = await kura('--tenant', tenantId, 'status', first.uploadId);
    const list = JSON.parse((await kura('--json', '--tenant', tenantId, 'status')).stdout) as {
      uploads: Array<{ uploadId: string; status: string; inForce: boolean }>;
    };
    const table = (await kura('--lang', 'ja', '--tenant', tenantId, 'status')).stdout;

    // Assess
    expect(second).toMatchObject({ inForce: true, maskedAt: expect.any(String) });
    expect(Number(second.sequence)).toBeGreaterThan(Number(first.sequence));
    expect(before.stdout).toContain('In force: no: later uploads replaced every period');
    expect(before.stdout).toContain(`2025-04: replaced by ${second.uploadId}`);
    expect(withdrawn.code).toBe(0);
    expect(JSON.parse(withdrawn.stdout)).toMatchObject({ uploadId: second.uploadId, status: 'WITHDRAWN' });
    expect(after.stdout).toContain('In force: yes');
    expect(list.uploads.find((u) => u.uploadId === second.uploadId)).toMatchObject({
      status: 'WITHDRAWN',
      inForce: false,
    });
    expect(list.uploads.find((u) => u.uploadId === first.uploadId)).toMatchObject({ inForce: true });
    // The list's "in force" column in the reader's language
    const row = table.split('\n').find((line) => line.includes(first.uploadId)) ?? '';
    expect(row).toMatch(/ はい /);
    expect(row).not.toMatch(/ yes /);
  });
});

describe('kura ledger verify', () => {
  it('verifies the untouched ledger', async () => {
    // Act
    const result = await kura('--json', 'ledger', 'verify');

    // Assess
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ ok: true });
  });

  /** The longest chain: the company's, with its registration and uploads. */
  async function longestChain() {
    const entries = await readLedger(platform.ports.table);
    const chains = [...new Set(entries.map((e) => e.chain))].map((c) => entries.filter((e) => e.chain === c));
    return chains.sort((a, b) => b.length - a.length)[0] ?? [];
  }

  it.each([
    ['changed', 'hash_mismatch'],
    ['removed', 'sequence_gap'],
    ['reordered', 'hash_mismatch'],
  ] as const)('catches a %s entry and exits 1', async (tampering, reason) => {
    // Prepare: tamper through the platform's own table port, then put everything back.
    const { table } = platform.ports;
    const [a, b] = (await longestChain()).slice(2, 4);
    if (!a || !b) throw new Error('the ledger is too short to tamper with');
    if (tampering === 'changed') await table.put(LEDGER_TABLE, { ...a, purpose: 'something else' });
    if (tampering === 'removed') await table.delete(LEDGER_TABLE, { chain: a.chain, seq: a.seq });
    if (tampering === 'reordered') {
      await table.put(LEDGER_TABLE, { ...b, seq: a.seq });
      await table.put(LEDGER_TABLE, { ...a, seq: b.seq });
    }

    // Act
    const result = await kura('--json', 'ledger', 'verify');
    const text = await kura('ledger', 'verify');
    for (const entry of [a, b]) await table.put(LEDGER_TABLE, entry);

    // Assess
    expect(result.code).toBe(1);
    expect(JSON.parse(result.stdout)).toMatchObject({
      ok: false,
      reason,
      chain: a.chain,
      firstBadSeq: a.seq,
    });
    expect(text.stderr).toContain(`tampered with: chain ${a.chain}, seq ${a.seq}`);
    expect((await kura('ledger', 'verify')).code).toBe(0);
  });

  it.each([
    ['the last entries removed', 'truncated'],
    ['a rewrite that recomputes every later hash', 'differs_from_export'],
  ] as const)('catches %s against the audit export, and exits 1', async (_tampering, reason) => {
    // Prepare: the export to the audit bucket (as the daily job runs it), then the tampering
    const { table } = platform.ports;
    await exportLedger(platform.ports);
    const chain = await longestChain();
    const tail = chain.slice(-2);
    if (reason === 'truncated') {
      for (const entry of tail) await table.delete(LEDGER_TABLE, { chain: entry.chain, seq: entry.seq });
    } else {
      let prevHash = chain.at(-3)?.hash ?? '';
      for (const entry of tail) {
        const forged = { ...entry, prevHash, details: { ...entry.details, forged: true } };
        prevHash = entryHash(forged);
        await table.put(LEDGER_TABLE, { ...forged, hash: prevHash });
      }
    }

    // Act
    const alone = verifyLedger(await readLedger(table));
    const result = await kura('--json', 'ledger', 'verify');
    for (const entry of tail) await table.put(LEDGER_TABLE, entry);

    // Assess: the chain on its own still verifies; the export shows what happened
    expect(alone.ok).toBe(true);
    expect(result.code).toBe(1);
    expect(JSON.parse(result.stdout)).toMatchObject({
      ok: false,
      reason,
      chain: tail[0]?.chain,
      firstBadSeq: tail[0]?.seq,
    });
    expect((await kura('ledger', 'verify')).code).toBe(0);
  });

  it('exports the ledger on demand, and verify then compares with the export', async () => {
    // Prepare: something new in the ledger since the last export
    await appendLedger(platform.ports, {
      action: 'tenant.updated',
      actor: { subject: 'cli-test', roles: [] },
      tenantId,
    });

    // Act
    const exported = await kura('--json', 'ledger', 'export');
    const verified = await kura('--json', 'ledger', 'verify');

    // Assess
    expect(exported.code).toBe(0);
    expect(JSON.parse(exported.stdout)).toMatchObject({ outcome: 'exported' });
    expect(JSON.parse(verified.stdout)).toMatchObject({ ok: true, exports: { files: expect.any(Number) } });
    expect(JSON.parse(verified.stdout).exports.files).toBeGreaterThanOrEqual(1);
  });
});

describe('kura release', () => {
  it("prints the release job's result with its fields named in the reader's language, not as JSON", async () => {
    // Act
    const result = await kura('--lang', 'ja', 'release');

    // Assess
    expect(result.code).toBe(0);
    for (const name of ['ジョブ ID', '状態', 'リリース ID', '対象の会社', '集計した会社'])
      expect(result.stdout).toContain(name);
    expect(result.stdout).toMatch(
      /集計しなかった会社 +データ未登録 \d+、取り下げ処理中 \d+、集計データが古い \d+/,
    );
    expect(result.stdout).not.toMatch(/\{"|pooledCompanies|leftOut/);
  });
});
