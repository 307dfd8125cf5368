import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as z from 'zod';
import { decodeNotificationKey, parseS3Notification } from '../../../functions/domain/ingest/notification.ts';
import { runCli } from '../../../local/cli/main.ts';
import { sqsEventFor } from '../../../local/dispatch.ts';
import { compileRoutes, matchRoute } from '../../../local/http-server.ts';
import { startLocalPlatform } from '../../../local/platform.ts';
import { loadSigningKeys, verifyToken } from '../../../local/tokens.ts';

let dataDir: string;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'kura-local-'));
});

afterAll(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

function captureIo(env: NodeJS.ProcessEnv = {}) {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out,
    err,
    io: { write: (t: string) => void out.push(t), writeErr: (t: string) => void err.push(t), env },
  };
}

describe('local platform', () => {
  it('keeps tenants, uploads and keys across a restart and seeds the demo tenants only once', async () => {
    // Prepare
    const first = await startLocalPlatform({ dataDir, port: 0 });
    const token = await first.token({ role: 'tenant', tenantId: 'demo-b' });
    const created = await fetch(`${first.apiUrl}/uploads`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        dataset: 'sales',
        fileName: 'a.csv',
        contentType: 'text/csv',
        sizeBytes: 10,
        sha256: 'a'.repeat(64),
      }),
    });
    const { uploadId } = z.object({ uploadId: z.string() }).parse(await created.json());
    await first.stop();

    // Act
    const second = await startLocalPlatform({ dataDir, port: 0 });
    const again = await fetch(`${second.apiUrl}/uploads/${uploadId}`, {
      headers: { authorization: `Bearer ${await second.token({ role: 'tenant', tenantId: 'demo-b' })}` },
    });
    const seededSecondTime = second.seeded;
    const tenant = await second.ports.table.get('tenants', { tenantId: 'demo-a' });
    await second.stop();

    // Assess
    expect(first.seeded).toEqual(['demo-a', 'demo-b']);
    expect(seededSecondTime).toEqual([]);
    expect(again.status).toBe(200);
    expect(z.object({ status: z.string() }).parse(await again.json()).status).toBe('REQUESTED');
    expect(tenant).toMatchObject({ state: 'ACTIVE', profile: { industry: 'E' } });
    expect((await stat(join(dataDir, 'keys', 'demo-a.key'))).mode & 0o777).toBe(0o600);
    expect((await stat(join(dataDir, 'local-signing-key.json'))).mode & 0o777).toBe(0o600);
  });

  it('binds every server to 127.0.0.1', async () => {
    // Act
    const platform = await startLocalPlatform({ dataDir, port: 0 });
    const urls = [platform.apiUrl, platform.s3Url, platform.dynamoUrl];
    await platform.stop();

    // Assess
    for (const url of urls) expect(new URL(url).hostname).toBe('127.0.0.1');
  });
});

describe('kura token', () => {
  it('prints a token the platform accepts, with the tenant and role claims', async () => {
    // Prepare
    const { out, io } = captureIo();

    // Act
    const code = await runCli(['node', 'kura', 'token', '--tenant', 'demo-a', '--data-dir', dataDir], io);
    const claims = await verifyToken(await loadSigningKeys(dataDir), out.join('').trim());

    // Assess
    expect(code).toBe(0);
    expect(claims).toMatchObject({ 'custom:tenant_id': 'demo-a', 'cognito:groups': ['tenant'] });
  });

  it('mints an admin token without a tenant', async () => {
    // Prepare
    const { out, io } = captureIo();

    // Act
    await runCli(['node', 'kura', '--data-dir', dataDir, 'token', '--role', 'admin'], io);
    const claims = await verifyToken(await loadSigningKeys(dataDir), out.join('').trim());

    // Assess
    expect(claims?.['cognito:groups']).toEqual(['admin']);
    expect(claims).not.toHaveProperty('custom:tenant_id');
  });

  it.each([
    ['ja', /--tenant が必要です/],
    ['en', /needs --tenant/],
  ])('explains in %s that a tenant token needs --tenant', async (lang, message) => {
    // Prepare
    const { err, io } = captureIo();

    // Act
    const code = await runCli(['node', 'kura', '--lang', lang, '--data-dir', dataDir, 'token'], io);

    // Assess: a missing option is a usage error
    expect(code).toBe(2);
    expect(err.join('')).toMatch(message);
  });

  it('says to start the platform first when the data folder has no signing key', async () => {
    // Prepare
    const { err, io } = captureIo({ LANG: 'en_US.UTF-8' });

    // Act
    const code = await runCli(
      ['node', 'kura', 'token', '--tenant', 'demo-a', '--data-dir', join(dataDir, 'empty')],
      io,
    );

    // Assess
    expect(code).toBe(1);
    expect(err.join('')).toMatch(/npm start/);
  });
});

describe('local event and request shapes', () => {
  it('wraps an s3rver event as S3 → SQS would, with the key URL-encoded as S3 encodes it', () => {
    // Prepare
    const key = 'landing/demo-a/sales/u-1/売上 4月.csv';
    const notification = {
      Records: [
        {
          eventName: 'ObjectCreated:Post',
          eventTime: '2026-05-01T00:00:00Z',
          s3: { bucket: { name: 'kura-local-landing' }, object: { key, size: 5 } },
        },
      ],
    };

    // Act
    const event = sqsEventFor(notification, 'arn:aws:sqs:ap-northeast-1:000000000000:q');
    const body = event.Records[0]?.body ?? '';

    // Assess
    expect(event.Records[0]?.eventSource).toBe('aws:sqs');
    expect(JSON.parse(body).Records[0].s3.object.key).toBe(
      'landing/demo-a/sales/u-1/%E5%A3%B2%E4%B8%8A+4%E6%9C%88.csv',
    );
    expect(parseS3Notification(body)).toEqual([
      { bucket: 'kura-local-landing', key, size: 5, landedAt: '2026-05-01T00:00:00Z' },
    ]);
    expect(decodeNotificationKey('a+b%2Bc')).toBe('a b+c');
  });

  it('matches request paths to route keys with their path parameters', () => {
    // Prepare
    const routes = compileRoutes([
      'GET /uploads',
      'GET /uploads/{uploadId}',
      'PATCH /admin/tenants/{tenantId}',
    ]);

    // Act + Assess
    expect(matchRoute(routes, 'GET', '/uploads/abc')).toEqual({
      routeKey: 'GET /uploads/{uploadId}',
      pathParameters: { uploadId: 'abc' },
    });
    expect(matchRoute(routes, 'PATCH', '/admin/tenants/demo-a')?.pathParameters).toEqual({
      tenantId: 'demo-a',
    });
    expect(matchRoute(routes, 'GET', '/uploads/a/b')).toBeUndefined();
    expect(matchRoute(routes, 'DELETE', '/uploads')).toBeUndefined();
  });
});
