import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { createLocalRuntime } from '../../../functions/adapters/local-runtime.ts';
import type { ObjectStore } from '../../../functions/domain/ports/index.ts';
import { listPublishedReleases, readReleaseManifest } from '../../../functions/domain/stats/service.ts';
import type { UploadStatus } from '../../../functions/domain/uploads/model.ts';
import { readTenantUploadRecords } from '../../../functions/domain/uploads/supersession.ts';
import { tenantPrefixes } from '../../../functions/domain/zones.ts';
import { bytesDigest, KuraClient, postToPresignedUrl, type UploadTicket } from '../../../local/client.ts';
import { DEMO_CONSENT } from '../../../local/demo/seed-demo.ts';
import { type LocalPlatform, localTmpDir, startLocalPlatform } from '../../../local/platform.ts';
import { startStorageServers } from '../../../local/servers.ts';
import { localSettings } from '../../../local/settings.ts';
import { type DemoPlan, demoFileBytes, demoPlan } from '../../../local/synthetic/plan.ts';
import { loadSigningKeys, mintToken } from '../../../local/tokens.ts';
import type { KillStage } from './kill-points.ts';

/**
 * Issue 16: the local platform killed for real (SIGKILL, a child process) at each stage — upload landed,
 * validating, masking, release, purge — then started again over the same data folder. After the restart
 * every upload reaches its final state, nothing half-written is visible or used, the work files of the
 * killed run are gone, and the release and purge jobs finish.
 */

const FINAL: readonly UploadStatus[] = ['ACCEPTED', 'PARTIALLY_ACCEPTED', 'REJECTED'];
const folders: string[] = [];
afterAll(async () => {
  for (const dir of folders) await rm(dir, { recursive: true, force: true });
});

interface Child {
  readonly apiUrl: string;
  readonly reached: Promise<string>;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  readonly process: ChildProcess;
}

/** Starts the platform in a child process that dies at `stage` once armed. */
async function spawnPlatform(dataDir: string, stage: KillStage): Promise<Child> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/integration/crash/child.ts'], {
    env: {
      ...process.env,
      KURA_DATA_DIR: dataDir,
      KURA_KILL_AT: stage,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // Through this process's stderr, so the test's output shows it only when the test fails.
  child.stderr?.on('data', (chunk: Buffer) => process.stderr.write(chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  let onReached: (stage: string) => void = () => undefined;
  const reached = new Promise<string>((resolve) => {
    onReached = resolve;
  });
  const apiUrl = await new Promise<string>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout as Readable });
    lines.on('line', (line) => {
      if (!line.startsWith('{')) return;
      const message = JSON.parse(line) as { apiUrl?: string; reached?: string };
      if (message.apiUrl) resolve(message.apiUrl);
      if (message.reached) onReached(message.reached);
    });
    void exited.then(() => reject(new Error('the platform process ended before it served')));
  });
  return { apiUrl, reached, exited, process: child };
}

/**
 * Lets the armed child die at its kill point, and waits until it is dead. Fails when the point is not
 * reached: the process ended, or `done` (e.g. the job finished) came first, or a minute passed.
 */
async function killAtPoint(dataDir: string, child: Child, done?: () => Promise<unknown>) {
  let timer: NodeJS.Timeout | undefined;
  const missed = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('the kill point was not reached within a minute')), 60_000);
    void child.exited.then(() => reject(new Error('the platform process ended before the kill point')));
    void done?.().then(
      (outcome) => reject(new Error(`finished before the kill point: ${JSON.stringify(outcome)}`)),
      () => undefined, // the process died: the point was reached
    );
  });
  try {
    await Promise.race([child.reached, missed]);
  } catch (error) {
    child.process.kill('SIGKILL');
    throw error;
  } finally {
    clearTimeout(timer);
  }
  await writeFile(join(dataDir, 'kill-now'), '');
  const exit = await child.exited;
  await rm(join(dataDir, 'kill-now'), { force: true });
  await rm(join(dataDir, 'arm-kill'), { force: true });
  return exit;
}

const clientFor = async (apiUrl: string, dataDir: string, request: Parameters<typeof mintToken>[1]) =>
  new KuraClient({ endpoint: apiUrl, token: await mintToken(await loadSigningKeys(dataDir), request) });

async function register(apiUrl: string, dataDir: string, plan: DemoPlan) {
  const admin = await clientFor(apiUrl, dataDir, { role: 'admin' });
  for (const company of plan.companies) {
    await admin.call('POST', '/admin/tenants', {
      tenantId: company.tenantId,
      name: company.name,
      profile: company.profile,
      contract: { start: '2025-01-01' },
    });
  }
  return admin;
}

/** Sends every file of the plan through POST /uploads and the presigned POST; the upload ids. */
async function uploadAll(apiUrl: string, dataDir: string, plan: DemoPlan) {
  const sent: Array<{ tenantId: string; uploadId: string; broken: boolean }> = [];
  for (const file of plan.files) {
    const bytes = demoFileBytes(file);
    const client = await clientFor(apiUrl, dataDir, { role: 'tenant', tenantId: file.tenantId });
    const ticket = (
      await client.call<UploadTicket>('POST', '/uploads', {
        dataset: file.dataset,
        fileName: file.fileName,
        contentType: 'text/csv',
        ...bytesDigest(bytes),
        ...(file.dataset === 'sales' ? {} : { consent: DEMO_CONSENT }),
      })
    ).body;
    await postToPresignedUrl(
      ticket,
      { fileName: file.fileName, contentType: 'text/csv', sizeBytes: bytes.length },
      Readable.from([bytes]),
    );
    sent.push({ tenantId: file.tenantId, uploadId: ticket.uploadId, broken: file.broken === true });
  }
  return sent;
}

async function keysUnder(objects: ObjectStore, bucket: string, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const object of objects.list(bucket, prefix)) keys.push(object.key);
  return keys;
}

/** Reads the data folder's storage while the platform is down (no queue, no reconciliation). */
async function whileDown<T>(dataDir: string, read: (objects: ObjectStore) => Promise<T>): Promise<T> {
  const storage = await startStorageServers({ dataDir, s3Port: 0, dynamoPort: 0 });
  try {
    const runtime = createLocalRuntime({ ...storage, dataDir, settings: await localSettings() });
    return await read(runtime.objects);
  } finally {
    await storage.stop();
  }
}

/** Restarts over the data folder in this process and lets it finish what the killed run left. */
async function restart(dataDir: string): Promise<LocalPlatform> {
  const platform = await startLocalPlatform({
    dataDir,
    port: 0,
    seed: false,
    onError: () => undefined,
    retryBackoffMs: () => 50,
  });
  await platform.settled();
  return platform;
}

/** Every upload final, every accepted one masked, exactly the committed objects in the curated zone. */
async function expectNothingStranded(platform: LocalPlatform, plan: DemoPlan) {
  const { objects, table } = platform.ports;
  const pseudonymised: string[] = [];
  const committed: string[] = [];
  for (const company of plan.companies) {
    const records = await readTenantUploadRecords(table, company.tenantId);
    expect(records.length).toBe(plan.files.filter((f) => f.tenantId === company.tenantId).length);
    for (const record of records) {
      expect(FINAL).toContain(record.status);
      if (record.status !== 'REJECTED') {
        expect(record.maskedAt).toBeDefined();
        committed.push(...(record.maskedOutputs ?? []));
      }
    }
    pseudonymised.push(...(await keysUnder(objects, 'curated', `pseudonymised/tenant=${company.tenantId}/`)));
  }
  expect(pseudonymised.sort()).toEqual(committed.sort());
  expect(await keysUnder(objects, 'landing', 'landing/')).toEqual([]);
  expect(await readdir(localTmpDir(platform.dataDir))).toEqual([]);
}

async function freshFolder(name: string) {
  const dir = await mkdtemp(join(tmpdir(), `kura-sigkill-${name}-`));
  folders.push(dir);
  return dir;
}

describe('the local platform killed with SIGKILL', () => {
  const onePlan = demoPlan({ companies: 1, seed: 16 });

  it.each(['landed', 'validating', 'masking'] as const)(
    'at "%s": after a restart every upload is final and masked, nothing partial is left or used',
    async (stage) => {
      // Prepare
      const dataDir = await freshFolder(stage);
      const child = await spawnPlatform(dataDir, stage);
      await register(child.apiUrl, dataDir, onePlan);
      await writeFile(join(dataDir, 'arm-kill'), '');

      // Act
      const sent = await uploadAll(child.apiUrl, dataDir, onePlan);
      const exit = await killAtPoint(dataDir, child);
      const platform = await restart(dataDir);

      // Assess
      try {
        expect(exit.signal).toBe('SIGKILL');
        expect(sent.length).toBeGreaterThanOrEqual(4);
        await expectNothingStranded(platform, onePlan);
        const records = await readTenantUploadRecords(platform.ports.table, sent[0]?.tenantId ?? '');
        for (const upload of sent) {
          const record = records.find((r) => r.uploadId === upload.uploadId);
          expect(record?.status === 'REJECTED').toBe(upload.broken);
        }
        expect((await platform.deadLetters()).ingest).toEqual([]);
      } finally {
        await platform.stop();
      }
    },
    120_000,
  );

  describe('during a release, then during a purge', () => {
    const plan = demoPlan({ companies: 3, seed: 17, datasets: ['employees', 'attendance'] });
    let dataDir: string;

    it('at "release": the half-published release is never listed, and the job publishes it after the restart', async () => {
      // Prepare
      dataDir = await freshFolder('release');
      const child = await spawnPlatform(dataDir, 'release');
      const admin = await register(child.apiUrl, dataDir, plan);
      await uploadAll(child.apiUrl, dataDir, plan);
      const first = await startedJob(admin, 'POST', '/admin/releases');
      await untilFinal(admin, first);
      await writeFile(join(dataDir, 'arm-kill'), '');

      // Act
      const second = await startedJob(admin, 'POST', '/admin/releases');
      const exit = await killAtPoint(dataDir, child, () => untilFinal(admin, second));
      const betweenRuns = await whileDown(dataDir, async (objects) => {
        const listed = await listPublishedReleases(objects);
        const keys = await keysUnder(objects, 'stats', '');
        const ofOthers = keys.filter(
          (key) => key.includes('release=') && !listed.some((r) => key.includes(`release=${r.releaseId}`)),
        );
        return { listed, statsObjects: ofOthers.length };
      });
      const platform = await restart(dataDir);

      // Assess
      try {
        expect(exit.signal).toBe('SIGKILL');
        // Killed after some of its objects were written, the second release was not listed.
        expect(betweenRuns.listed).toHaveLength(1);
        expect(betweenRuns.statsObjects).toBeGreaterThan(0);
        const job = await (await clientFor(platform.apiUrl, dataDir, { role: 'admin' })).get<JobRecordView>(
          `/admin/jobs/${second}`,
        );
        expect(job).toMatchObject({ state: 'SUCCEEDED' });
        expect(job.attempts).toBe(2);
        const releases = (await listPublishedReleases(platform.ports.objects)).map((r) => r.releaseId);
        expect(releases).toContain(job.result?.releaseId);
        expect(releases).toHaveLength(2);
        for (const releaseId of releases) {
          expect((await readReleaseManifest(platform.ports.objects, releaseId)).releaseId).toBe(releaseId);
        }
        await expectNothingStranded(platform, plan);
      } finally {
        await platform.stop();
      }
    }, 240_000);

    it('at "purge": the purge resumes after the restart and nothing of the company is left', async () => {
      // Prepare
      const tenantId = plan.companies[2]?.tenantId ?? '';
      const child = await spawnPlatform(dataDir, 'purge');
      const admin = await clientFor(child.apiUrl, dataDir, { role: 'admin' });
      await admin.call('PATCH', `/admin/tenants/${tenantId}`, {
        contract: { end: '2026-01-31', retentionDaysAfterEnd: 0 },
      });
      await writeFile(join(dataDir, 'arm-kill'), '');

      // Act
      const purge = await startedJob(admin, 'POST', `/admin/tenants/${tenantId}/purge`);
      const exit = await killAtPoint(dataDir, child, () => untilFinal(admin, purge));
      const platform = await restart(dataDir);

      // Assess
      try {
        expect(exit.signal).toBe('SIGKILL');
        const job = await (await clientFor(platform.apiUrl, dataDir, { role: 'admin' })).get<JobRecordView>(
          `/admin/jobs/${purge}`,
        );
        expect(job).toMatchObject({ state: 'SUCCEEDED', result: { outcome: 'purged' } });
        const left: string[] = [];
        for (const { bucket, prefix } of tenantPrefixes(tenantId)) {
          for await (const version of platform.ports.objects.listVersions(bucket, prefix)) {
            left.push(`${bucket}/${version.key}`);
          }
        }
        expect(left).toEqual([]);
        expect(await readTenantUploadRecords(platform.ports.table, tenantId)).toEqual([]);
      } finally {
        await platform.stop();
      }
    }, 240_000);
  });
});

interface JobRecordView {
  readonly state: string;
  readonly attempts: number;
  readonly result?: { readonly releaseId?: string; readonly outcome?: string };
}

async function startedJob(client: KuraClient, method: string, path: string): Promise<string> {
  const response = await client.call<{ jobId: string }>(method, path, {});
  expect(response.status).toBe(202);
  return response.body.jobId;
}

async function untilFinal(client: KuraClient, jobId: string): Promise<JobRecordView> {
  for (;;) {
    const job = await client.get<JobRecordView>(`/admin/jobs/${jobId}`);
    if (['SUCCEEDED', 'FAILED', 'JOINED'].includes(job.state)) return job;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
