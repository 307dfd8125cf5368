import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Runtime } from '../../../functions/adapters/runtime.ts';
import { readTenantUpload } from '../../../functions/domain/uploads/records.ts';
import { bytesDigest, KuraClient, postToPresignedUrl, type UploadTicket } from '../../../local/client.ts';
import { type LocalPlatform, startLocalPlatform } from '../../../local/platform.ts';
import { demoFileBytes, demoPlan } from '../../../local/synthetic/plan.ts';
import { runKura } from '../../support/cli.ts';

/**
 * `kura status --stuck` against a platform whose ingest fails every delivery of one upload (the raw zone
 * refuses writes): the message ends in the dead-letter list, the upload stays VALIDATING, and the command
 * says so and exits 1; once the cause is gone, `--redrive` delivers the message again and the upload ends.
 */
let dataDir: string;
let platform: LocalPlatform;
let rawBroken = true;
const plan = demoPlan({ companies: 1, datasets: ['sales'], withRejectedFile: false });
const file = plan.files[0];
const company = plan.companies[0];

/** The raw zone refuses writes while `rawBroken`, as a full disk or a denied bucket would. */
const breakRaw = (ports: Runtime): Runtime => ({
  ...ports,
  objects: new Proxy(ports.objects, {
    get(target, name, receiver) {
      const value = Reflect.get(target, name, receiver);
      if (name !== 'put' || typeof value !== 'function')
        return typeof value === 'function' ? value.bind(target) : value;
      return async (bucket: string, ...rest: unknown[]) => {
        if (rawBroken && bucket === 'raw') {
          throw Object.assign(new Error('no space left on device'), {
            name: 'DiskFullError',
            code: 'ENOSPC',
          });
        }
        return value.call(target, bucket, ...rest);
      };
    },
  }),
});

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'kura-stuck-'));
  platform = await startLocalPlatform({
    dataDir,
    port: 0,
    seed: false,
    onError: () => undefined,
    retryBackoffMs: () => 5,
    decorate: breakRaw,
  });
}, 60_000);

afterAll(async () => {
  await platform?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

const kura = (...args: string[]) => runKura(dataDir, ...args);

describe('kura status --stuck', () => {
  it('lists the dead-lettered upload and, after --redrive, sees it finish', async () => {
    // Prepare
    if (!file || !company) throw new Error('no demo file');
    const admin = new KuraClient({
      endpoint: platform.apiUrl,
      token: await platform.token({ role: 'admin' }),
    });
    await admin.call('POST', '/admin/tenants', {
      tenantId: company.tenantId,
      name: company.name,
      profile: company.profile,
      contract: { start: '2025-01-01' },
    });
    const client = new KuraClient({
      endpoint: platform.apiUrl,
      token: await platform.token({ role: 'tenant', tenantId: company.tenantId }),
    });
    const bytes = demoFileBytes(file);
    const ticket = (
      await client.call<UploadTicket>('POST', '/uploads', {
        dataset: file.dataset,
        fileName: file.fileName,
        contentType: 'text/csv',
        ...bytesDigest(bytes),
      })
    ).body;
    await postToPresignedUrl(
      ticket,
      { fileName: file.fileName, contentType: 'text/csv', sizeBytes: bytes.length },
      Readable.from([bytes]),
    );
    await platform.settled();

    // Act
    const whileBroken = await kura('status', '--stuck', '--older-than', '0', '--json');
    rawBroken = false;
    const redriven = await kura('status', '--stuck', '--redrive', '--older-than', '0');
    await platform.settled();
    const after = await kura('status', '--stuck', '--older-than', '0');

    // Assess
    expect(whileBroken.code).toBe(1);
    const report = JSON.parse(whileBroken.stdout);
    expect(report.stuck).toEqual([
      expect.objectContaining({ tenantId: company.tenantId, uploadId: ticket.uploadId, phase: 'VALIDATING' }),
    ]);
    expect(report.deadLetters.ingest).toEqual([
      expect.objectContaining({ attempts: 4, lastError: 'reported as failed' }),
    ]);
    expect(redriven.stdout).toMatch(/Moved back to their queues: 1 ingest/);
    expect(after.code, after.stdout + after.stderr).toBe(0);
    expect(after.stdout).toMatch(/No upload is stuck/);
    const record = await readTenantUpload(platform.ports.table, company.tenantId, ticket.uploadId);
    expect(record.status).toBe('ACCEPTED');
    expect(record.maskedAt).toBeDefined();
  }, 60_000);
});
