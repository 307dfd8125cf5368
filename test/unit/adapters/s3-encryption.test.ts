import { Readable } from 'node:stream';
import { S3Client } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { bucketKeyResolver } from '../../../functions/adapters/runtime.ts';
import { S3ObjectStore } from '../../../functions/adapters/s3-object-store.ts';

const DATA_KEY = 'arn:aws:kms:ap-northeast-1:000000000000:key/11111111-1111-4111-8111-111111111111';
const AUDIT_KEY = 'arn:aws:kms:ap-northeast-1:000000000000:key/22222222-2222-4222-8222-222222222222';

interface Sent {
  readonly command: string;
  readonly input: Record<string, unknown>;
}

/** An S3 client that records each command's input as built (after the SDK's own input steps) and never calls out. */
function recordingClient(): { client: S3Client; sent: Sent[] } {
  const sent: Sent[] = [];
  const client = new S3Client({
    region: 'ap-northeast-1',
    credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'not-a-real-secret' },
  });
  client.middlewareStack.add(
    (_next, context) => async (args) => {
      sent.push({ command: String(context.commandName), input: { ...(args.input as object) } });
      const output =
        context.commandName === 'CreateMultipartUploadCommand'
          ? { UploadId: 'upload-1' }
          : context.commandName === 'UploadPartCommand'
            ? { ETag: '"etag"' }
            : {};
      return { output: { $metadata: {}, ...output }, response: {} } as never;
    },
    { step: 'initialize', name: 'recordInput' },
  );
  return { client, sent };
}

const keys: Record<string, string> = { raw: DATA_KEY, curated: DATA_KEY, audit: AUDIT_KEY };

function storeWith(resolveKmsKey?: (logical: string) => string | undefined) {
  const { client, sent } = recordingClient();
  const store = new S3ObjectStore({
    client,
    resolveBucket: (logical) => `kura-dev-${logical}`,
    ...(resolveKmsKey ? { resolveKmsKey } : {}),
  });
  return { store, sent };
}

const sse = (sent: readonly Sent[], command: string) =>
  sent
    .filter((s) => s.command === command)
    .map((s) => ({ ServerSideEncryption: s.input.ServerSideEncryption, SSEKMSKeyId: s.input.SSEKMSKeyId }));

describe('S3ObjectStore server-side encryption', () => {
  it('names the bucket key on a PutObject when one is configured', async () => {
    // Prepare
    const { store, sent } = storeWith((logical) => keys[logical]);

    // Act
    await store.put('raw', 'raw/tenant=a/x.parquet', new Uint8Array([1, 2, 3]));

    // Assess
    expect(sse(sent, 'PutObjectCommand')).toEqual([
      { ServerSideEncryption: 'aws:kms', SSEKMSKeyId: DATA_KEY },
    ]);
  });

  it('uses the audit bucket its own key, not the data key', async () => {
    // Prepare
    const { store, sent } = storeWith((logical) => keys[logical]);

    // Act
    await store.put('audit', 'certificates/a/c.json', '{}');

    // Assess
    expect(sse(sent, 'PutObjectCommand')).toEqual([
      { ServerSideEncryption: 'aws:kms', SSEKMSKeyId: AUDIT_KEY },
    ]);
  });

  it('names the destination bucket key on a CopyObject', async () => {
    // Prepare
    const { store, sent } = storeWith((logical) => keys[logical]);

    // Act
    await store.copy('raw', 'raw/tenant=a/x.parquet', 'audit', 'exports/x.parquet');

    // Assess
    expect(sse(sent, 'CopyObjectCommand')).toEqual([
      { ServerSideEncryption: 'aws:kms', SSEKMSKeyId: AUDIT_KEY },
    ]);
  });

  it('names the key when a large stream starts a multipart upload', async () => {
    // Prepare
    const { store, sent } = storeWith((logical) => keys[logical]);
    const nineMiB = Buffer.alloc(9 * 1024 * 1024, 1);

    // Act
    await store.put('curated', 'facts/tenant=a/f.parquet', Readable.from([nineMiB]));

    // Assess
    expect(sse(sent, 'CreateMultipartUploadCommand')).toEqual([
      { ServerSideEncryption: 'aws:kms', SSEKMSKeyId: DATA_KEY },
    ]);
    expect(sent.map((s) => s.command)).toContain('CompleteMultipartUploadCommand');
  });

  it('names the key when a small stream becomes one PutObject', async () => {
    // Prepare
    const { store, sent } = storeWith((logical) => keys[logical]);

    // Act
    await store.put('curated', 'facts/tenant=a/f.parquet', Readable.from([Buffer.from('small')]));

    // Assess
    expect(sse(sent, 'PutObjectCommand')).toEqual([
      { ServerSideEncryption: 'aws:kms', SSEKMSKeyId: DATA_KEY },
    ]);
  });

  it('sends no encryption parameters when no key is configured (local)', async () => {
    // Prepare
    const { store, sent } = storeWith();

    // Act
    await store.put('raw', 'raw/tenant=a/x.parquet', 'x');
    await store.copy('raw', 'raw/tenant=a/x.parquet', 'raw', 'raw/tenant=a/y.parquet');

    // Assess
    expect(sent).toHaveLength(2);
    for (const { input } of sent) {
      expect(input).not.toHaveProperty('ServerSideEncryption');
      expect(input).not.toHaveProperty('SSEKMSKeyId');
    }
  });

  it('takes each bucket key from KURA_BUCKET_<X>_KEY_ARN in the deployed runtime', () => {
    // Prepare
    const resolve = bucketKeyResolver({
      KURA_BUCKET_AUDIT_KEY_ARN: AUDIT_KEY,
      KURA_BUCKET_QUERY_RESULTS_KEY_ARN: DATA_KEY,
      KURA_BUCKET_RAW_KEY_ARN: ' ',
    });

    // Act
    const resolved = ['audit', 'query-results', 'raw', 'landing'].map(resolve);

    // Assess
    expect(resolved).toEqual([AUDIT_KEY, DATA_KEY, undefined, undefined]);
  });
});
