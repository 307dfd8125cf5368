import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as z from 'zod';
import { entryRef, readLedger } from '../../../functions/domain/ledger/ledger.ts';
import { type LocalPlatform, startLocalPlatform } from '../../../local/platform.ts';

let dataDir: string;
let platform: LocalPlatform;
let tokenA: string;
let tokenB: string;

const csv = '売上日,金額\r\n2026-04-01,1000\r\n';
const sha256 = createHash('sha256').update(csv).digest('base64');
const salesRequest = {
  dataset: 'sales',
  fileName: '売上 4月.csv',
  contentType: 'text/csv',
  sizeBytes: Buffer.byteLength(csv),
  sha256,
};

const ticketSchema = z.object({
  uploadId: z.string(),
  key: z.string(),
  url: z.string(),
  fields: z.record(z.string(), z.string()),
});
const uploadSchema = z.object({
  uploadId: z.string(),
  status: z.string(),
  reason: z.object({ code: z.string() }).optional(),
});
const listSchema = z.object({ uploads: z.array(uploadSchema) });
const errorSchema = z.object({
  error: z.object({ code: z.string(), message: z.string(), field: z.string().optional() }),
});
const read = async <T>(schema: z.ZodType<T>, response: Response | Promise<Response>) =>
  schema.parse(await (await response).json());

function api(path: string, init: { token?: string; method?: string; body?: unknown; rawBody?: string } = {}) {
  return fetch(`${platform.apiUrl}${path}`, {
    method: init.method ?? (init.body !== undefined || init.rawBody !== undefined ? 'POST' : 'GET'),
    headers: {
      'accept-language': 'en',
      'content-type': 'application/json',
      ...(init.token ? { authorization: `Bearer ${init.token}` } : {}),
    },
    ...(init.rawBody !== undefined
      ? { body: init.rawBody }
      : init.body !== undefined
        ? { body: JSON.stringify(init.body) }
        : {}),
  });
}

async function postFile(ticket: { url: string; fields: Record<string, string> }, content: string) {
  const form = new FormData();
  for (const [name, value] of Object.entries(ticket.fields)) form.append(name, value);
  form.append('file', new Blob([content], { type: 'text/csv' }), 'upload.csv');
  return fetch(ticket.url, { method: 'POST', body: form });
}

const uploadCount = async () =>
  (await platform.ports.table.query({ table: 'uploads', partition: { name: 'tenantId', value: 'demo-a' } }))
    .items.length;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'kura-api-'));
  platform = await startLocalPlatform({ dataDir, port: 0, onError: () => undefined });
  tokenA = await platform.token({ role: 'tenant', tenantId: 'demo-a' });
  tokenB = await platform.token({ role: 'tenant', tenantId: 'demo-b' });
});

afterAll(async () => {
  await platform?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

describe('upload flow on the local platform', () => {
  it('takes an upload request, a POST of the file to the returned URL, and shows the upload as received', async () => {
    // Prepare
    const requested = await api('/uploads', { token: tokenA, body: salesRequest });
    const ticket = await read(ticketSchema, requested.clone());

    // Act
    const posted = await postFile(ticket, csv);
    await platform.settled();
    const status = await read(uploadSchema, api(`/uploads/${ticket.uploadId}`, { token: tokenA }));

    // Assess
    expect(requested.status).toBe(201);
    expect(ticket.key).toBe(`landing/demo-a/sales/${ticket.uploadId}/売上_4月.csv`);
    expect(posted.status).toBe(204);
    expect(status.status).not.toBe('REQUESTED');
    expect(['RECEIVED', 'VALIDATING', 'ACCEPTED', 'PARTIALLY_ACCEPTED', 'REJECTED']).toContain(status.status);
    expect(status.reason?.code ?? '').not.toMatch(/MISMATCH/);
    // The file reached local S3, its event reached ingest, and ingest took it out of landing.
    expect(await platform.ports.objects.head('landing', ticket.key)).toBeUndefined();
  });

  it('lists only the caller’s uploads and answers 404 for another tenant’s upload', async () => {
    // Prepare
    const ticket = await read(ticketSchema, api('/uploads', { token: tokenA, body: salesRequest }));

    // Act
    const asB = await api(`/uploads/${ticket.uploadId}`, { token: tokenB });
    const listB = await read(listSchema, api('/uploads', { token: tokenB }));
    const listA = await read(listSchema, api('/uploads', { token: tokenA }));

    // Assess
    expect(asB.status).toBe(404);
    expect((await read(errorSchema, asB)).error).toMatchObject({ code: 'NOT_FOUND', field: 'uploadId' });
    expect(listB.uploads.map((u) => u.uploadId)).not.toContain(ticket.uploadId);
    expect(listA.uploads.map((u) => u.uploadId)).toContain(ticket.uploadId);
  });

  it('never creates an upload under another tenant, whatever the body says', async () => {
    // Act
    const inBody = await api('/uploads', { token: tokenA, body: { ...salesRequest, tenantId: 'demo-b' } });
    const inName = await read(
      ticketSchema,
      api('/uploads', {
        token: tokenA,
        body: { ...salesRequest, fileName: '../../demo-b/sales/x/evil.csv' },
      }),
    );

    // Assess
    expect(inBody.status).toBe(422);
    expect((await read(errorSchema, inBody)).error.field).toBe('tenantId');
    expect(inName.key.startsWith(`landing/demo-a/sales/${inName.uploadId}/`)).toBe(true);
    expect(inName.key.endsWith('/evil.csv')).toBe(true);
    const bUploads = await platform.ports.table.query({
      table: 'uploads',
      partition: { name: 'tenantId', value: 'demo-b' },
    });
    expect(bUploads.items).toEqual([]);
  });

  it.each([
    ['no token', undefined],
    ['a malformed token', 'not.a.token'],
  ])('answers a request with %s with 401 and a JSON message', async (_label, token) => {
    // Act
    const response = await api('/uploads', { token });

    // Assess
    expect(response.status).toBe(401);
    expect((await read(errorSchema, response)).error).toMatchObject({
      code: 'UNAUTHORIZED',
      message: expect.stringContaining('`npx kura token --tenant <company id>`'),
    });
  });

  it('answers an expired token with 401', async () => {
    // Prepare
    const expired = await platform.token({ role: 'tenant', tenantId: 'demo-a', expiresInSeconds: -60 });

    // Act
    const response = await api('/uploads', { token: expired });

    // Assess
    expect(response.status).toBe(401);
  });

  it('answers a tenant token on an admin route with 403 and records the refusal in the ledger', async () => {
    // Prepare
    const before = new Set((await readLedger(platform.ports.table)).map(entryRef));

    // Act
    const response = await api('/admin/tenants', {
      token: tokenA,
      body: {
        tenantId: 'sneaky-kk',
        name: 'x',
        profile: { industry: 'E', prefecture: '13', sizeBand: '1-4' },
        contract: { start: '2026-04-01' },
      },
    });

    // Assess
    expect(response.status).toBe(403);
    const ledger = await readLedger(platform.ports.table);
    expect(ledger.filter((e) => !before.has(entryRef(e)))).toEqual([
      expect.objectContaining({
        action: 'authorization.refused',
        tenantId: 'demo-a',
        details: { attempted: 'POST /admin/tenants', required: 'admin' },
      }),
    ]);
    expect(await platform.ports.table.get('tenants', { tenantId: 'sneaky-kk' })).toBeUndefined();
  });

  it.each([
    ['malformed JSON', { rawBody: '{"dataset":' }, 400, undefined],
    ['an unknown dataset', { body: { ...salesRequest, dataset: 'secrets' } }, 422, 'dataset'],
    ['a negative size', { body: { ...salesRequest, sizeBytes: -1 } }, 422, 'sizeBytes'],
    ['a huge size', { body: { ...salesRequest, sizeBytes: 10 ** 13 } }, 413, 'sizeBytes'],
    ['a bad checksum', { body: { ...salesRequest, sha256: 'md5:abc' } }, 422, 'sha256'],
    ['a missing consent', { body: { ...salesRequest, dataset: 'employees' } }, 422, 'consent'],
  ])('answers %s with its status and a message, writing nothing', async (_label, init, status, field) => {
    // Prepare
    const uploadsBefore = await uploadCount();
    const ledgerBefore = (await readLedger(platform.ports.table)).length;

    // Act
    const response = await api('/uploads', { token: tokenA, ...init });

    // Assess
    expect(response.status).toBe(status);
    const { error } = await read(errorSchema, response);
    expect(error.message.length).toBeGreaterThan(10);
    expect(error.field).toBe(field);
    expect(await uploadCount()).toBe(uploadsBefore);
    expect((await readLedger(platform.ports.table)).length).toBe(ledgerBefore);
  });

  it('keeps the ledger chain intact through everything above', async () => {
    // Act
    const { verifyLedger } = await import('../../../functions/domain/ledger/ledger.ts');
    const result = verifyLedger(await readLedger(platform.ports.table));

    // Assess
    expect(result.ok).toBe(true);
  });
});
