import { S3Client } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { S3ObjectStore } from '../../../functions/adapters/s3-object-store.ts';
import type { PresignedPostRequest } from '../../../functions/domain/ports/index.ts';

const client = new S3Client({
  region: 'ap-northeast-1',
  credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'not-a-real-secret' },
});
const store = new S3ObjectStore({ client, resolveBucket: (logical) => `kura-dev-${logical}` });

const request: PresignedPostRequest = {
  bucket: 'landing',
  key: 'landing/acme/employees/0b7c6f1e-3f55-4a8e-9a66-0d8f1c1f2a10/employees.csv',
  contentType: 'text/csv',
  maxBytes: 12_345,
  checksumSha256: 'n4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgg=',
  kmsKeyId: 'arn:aws:kms:ap-northeast-1:000000000000:key/1234abcd-12ab-34cd-56ef-1234567890ab',
  expiresSeconds: 300,
};

/** The policy S3 enforces is the base64 JSON in the Policy field. */
function decodePolicy(fields: Readonly<Record<string, string>>) {
  const policy = fields.Policy;
  if (!policy) throw new Error('no Policy field');
  return JSON.parse(Buffer.from(policy, 'base64').toString('utf8')) as {
    expiration: string;
    conditions: unknown[];
  };
}

describe('S3ObjectStore.presignPost', () => {
  it('pins the exact key, bucket, size range, content type, checksum and KMS key in the policy', async () => {
    // Act
    const post = await store.presignPost(request);
    const { conditions } = decodePolicy(post.fields);

    // Assess
    expect(conditions).toContainEqual({ bucket: 'kura-dev-landing' });
    expect(conditions).toContainEqual(['eq', '$key', request.key]);
    expect(conditions).toContainEqual({ key: request.key });
    expect(conditions).toContainEqual(['content-length-range', 1, 12_345]);
    expect(conditions).toContainEqual({ 'Content-Type': 'text/csv' });
    expect(conditions).toContainEqual({ 'x-amz-checksum-algorithm': 'SHA256' });
    expect(conditions).toContainEqual({ 'x-amz-checksum-sha256': request.checksumSha256 });
    expect(conditions).toContainEqual({ 'x-amz-server-side-encryption': 'aws:kms' });
    expect(conditions).toContainEqual({ 'x-amz-server-side-encryption-aws-kms-key-id': request.kmsKeyId });
    expect(conditions.some((c) => Array.isArray(c) && c[0] === 'starts-with')).toBe(false);
  });

  it('returns form fields that satisfy every equality condition of the policy', async () => {
    // Act
    const post = await store.presignPost(request);
    const { conditions } = decodePolicy(post.fields);

    // Assess
    for (const condition of conditions) {
      if (Array.isArray(condition) || typeof condition !== 'object' || condition === null) continue;
      for (const [name, value] of Object.entries(condition)) expect(post.fields[name]).toBe(value);
    }
    expect(post.fields.key).toBe(request.key);
    expect(post.url).toContain('kura-dev-landing');
  });

  it('expires the policy after the requested seconds', async () => {
    // Prepare
    const before = Date.now();

    // Act
    const post = await store.presignPost({ ...request, expiresSeconds: 120 });
    const expiration = Date.parse(decodePolicy(post.fields).expiration);

    // Assess
    expect(expiration - before).toBeGreaterThan(110_000);
    expect(expiration - before).toBeLessThanOrEqual(121_000);
  });

  it('asks for no server-side encryption fields when no KMS key is given (local)', async () => {
    // Act
    const post = await store.presignPost({ ...request, kmsKeyId: undefined });

    // Assess
    expect(post.fields['x-amz-server-side-encryption']).toBeUndefined();
    expect(JSON.stringify(decodePolicy(post.fields).conditions)).not.toContain('server-side-encryption');
  });

  it.each([
    ['an expiry above 15 minutes', { expiresSeconds: 901 }, /expiresSeconds/],
    ['a zero size', { maxBytes: 0 }, /maxBytes/],
    ['a key the client could complete with $filename', { key: `landing/a/$${'{filename}'}` }, /filename/],
  ])('refuses %s', async (_label, change, message) => {
    // Act
    const attempt = store.presignPost({ ...request, ...change });

    // Assess
    await expect(attempt).rejects.toThrow(message);
  });
});
