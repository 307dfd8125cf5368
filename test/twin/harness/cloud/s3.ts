/**
 * The twin's S3: every bucket of the templates with its region, versioning, default KMS key, Object
 * Lock, replication and notifications, speaking the S3 REST API the SDK speaks (path-style on a
 * loopback endpoint). Each request is authorised as AWS would: the caller's identity policies with the
 * bucket policy, plus the KMS use S3 makes on the caller's behalf (kms:ViaService) against the key's
 * policy. Browser uploads (presigned POST) are checked against their policy and signature.
 */
import { createHash, createHmac, randomBytes, randomUUID } from 'node:crypto';
import type { Json, ResolvedDeployment } from '../assembly.ts';
import type { TwinIam } from '../iam.ts';
import { TwinAccessDeniedError } from '../iam.ts';
import { document, element, raw, blocks as xmlBlocks, text as xmlText } from './xml.ts';

export interface CallerIdentity {
  readonly principal: string;
  readonly accessKeyId: string;
  /** The region the request was signed for. */
  readonly region: string;
}

export interface Reply {
  readonly status: number;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: Buffer | string;
}

export interface S3Request {
  readonly method: string;
  readonly path: string;
  readonly query: URLSearchParams;
  readonly headers: Readonly<Record<string, string | undefined>>;
  readonly body: Buffer;
}

interface StoredVersion {
  readonly versionId: string;
  readonly deleteMarker: boolean;
  readonly bytes: Buffer;
  readonly contentType: string;
  readonly metadata: Record<string, string>;
  readonly kmsKeyArn: string | undefined;
  readonly checksumSha256: string | undefined;
  readonly lastModified: Date;
  readonly etag: string;
  /** Object Lock COMPLIANCE retention end (no delete of this version before it). */
  readonly retainUntil: Date | undefined;
}

interface ReplicationRule {
  readonly prefix: string;
  readonly destinationBucket: string;
  readonly replicaKeyArn: string | undefined;
  readonly deleteMarkers: boolean;
}

interface BucketState {
  readonly name: string;
  readonly arn: string;
  readonly region: string;
  readonly versioned: boolean;
  readonly defaultKeyArn: string | undefined;
  readonly lockDays: number | undefined;
  readonly replication: { readonly roleArn: string; readonly rules: readonly ReplicationRule[] } | undefined;
  readonly notifications: ReadonlyArray<{ readonly queueArn: string; readonly prefix: string }>;
  readonly objects: Map<string, StoredVersion[]>;
}

interface MultipartUpload {
  readonly bucket: string;
  readonly key: string;
  readonly contentType: string;
  readonly metadata: Record<string, string>;
  readonly kmsKeyArn: string | undefined;
  readonly parts: Map<number, Buffer>;
}

/** What the twin's S3 tells the rest of the twin. */
export interface S3Hooks {
  /** An object was created in a bucket with a queue notification (S3 → SQS). */
  notify(queueArn: string, bucketArn: string, message: string): Promise<void>;
  /** The secret of an access key the twin issued (to check presigned POST signatures). */
  secretOf(accessKeyId: string): string | undefined;
}

const s3Error = (
  status: number,
  code: string,
  message: string,
  extra: Record<string, string> = {},
): Reply => ({
  status,
  headers: { 'content-type': 'application/xml' },
  body: document(
    'Error',
    `${element('Code', code)}${element('Message', message)}${Object.entries(extra)
      .map(([k, v]) => element(k, v))
      .join('')}`,
  ).replace(' xmlns="http://s3.amazonaws.com/doc/2006-03-01/"', ''),
});

const md5 = (bytes: Buffer) => createHash('md5').update(bytes).digest('hex');
const sha256Base64 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('base64');

/** Decodes an `aws-chunked` body (unsigned payload with trailers, as the SDK streams uploads). */
export function decodeAwsChunked(body: Buffer): Buffer {
  const out: Buffer[] = [];
  let offset = 0;
  for (;;) {
    const lineEnd = body.indexOf('\r\n', offset);
    if (lineEnd < 0) break;
    const size = Number.parseInt(body.subarray(offset, lineEnd).toString().split(';')[0] ?? '0', 16);
    offset = lineEnd + 2;
    if (!size) break;
    out.push(body.subarray(offset, offset + size));
    offset += size + 2;
  }
  return Buffer.concat(out);
}

/** Parses multipart/form-data (a presigned POST): fields in order, the file's bytes. */
function parseForm(body: Buffer, contentType: string): { fields: Map<string, string>; file?: Buffer } {
  const boundary = /boundary=(?:"([^"]+)"|([^;]+))/i.exec(contentType);
  const marker = Buffer.from(`--${boundary?.[1] ?? boundary?.[2] ?? ''}`);
  const fields = new Map<string, string>();
  let file: Buffer | undefined;
  let start = body.indexOf(marker);
  while (start >= 0) {
    const next = body.indexOf(marker, start + marker.length);
    if (next < 0) break;
    const part = body.subarray(start + marker.length + 2, next - 2);
    const headerEnd = part.indexOf('\r\n\r\n');
    const headers = part.subarray(0, headerEnd).toString();
    const content = part.subarray(headerEnd + 4);
    const name = /name="([^"]*)"/i.exec(headers)?.[1] ?? '';
    if (name === 'file') file = Buffer.from(content);
    else fields.set(name, content.toString());
    start = next;
  }
  return file ? { fields, file } : { fields };
}

/** Signing key of SigV4 for a credential scope. */
function signingKey(secret: string, date: string, region: string, service: string): Buffer {
  const hmac = (key: Buffer | string, data: string) => createHmac('sha256', key).update(data).digest();
  return hmac(hmac(hmac(hmac(`AWS4${secret}`, date), region), service), 'aws4_request');
}

export class TwinS3 {
  readonly #buckets = new Map<string, BucketState>();
  readonly #uploads = new Map<string, MultipartUpload>();
  readonly #aliases = new Map<string, string>();
  /** Deliveries S3 could not make (e.g. a queue policy that does not let S3 send). */
  readonly failedDeliveries: Array<{ bucket: string; key: string; error: string }> = [];
  /** Every request a caller made and the status S3 answered (what a request count or an S3 access log shows). */
  readonly requests: Array<{
    readonly principal: string | undefined;
    readonly method: string;
    readonly path: string;
    readonly status: number;
  }> = [];

  constructor(
    private readonly deployment: ResolvedDeployment,
    private readonly iam: TwinIam,
    private readonly hooks: S3Hooks,
  ) {
    for (const alias of deployment.ofType('AWS::KMS::Alias')) {
      const keyId = deployment.resolve(alias.stack, alias.properties.TargetKeyId);
      const key = deployment
        .ofType('AWS::KMS::Key')
        .find((k) => deployment.ref(k) === keyId || deployment.arn(k) === keyId);
      if (key) {
        this.#aliases.set(
          `arn:aws:kms:${alias.stack.region}:${alias.stack.account}:${deployment.resolve(alias.stack, alias.properties.AliasName)}`,
          deployment.arn(key),
        );
      }
    }
    for (const bucket of deployment.ofType('AWS::S3::Bucket')) this.#addBucket(bucket);
    for (const notification of deployment.ofType('Custom::S3BucketNotifications')) {
      const props = deployment.resolve(notification.stack, notification.properties);
      const state = this.#buckets.get(props.BucketName);
      if (!state) continue;
      for (const queue of props.NotificationConfiguration?.QueueConfigurations ?? []) {
        const prefix =
          (queue.Filter?.Key?.FilterRules ?? []).find((rule: Json) => rule.Name === 'prefix')?.Value ?? '';
        (state.notifications as Array<{ queueArn: string; prefix: string }>).push({
          queueArn: queue.QueueArn,
          prefix,
        });
      }
    }
  }

  #addBucket(resource: Json): void {
    const { deployment } = this;
    const props = deployment.resolve(resource.stack, resource.properties);
    const name = deployment.ref(resource);
    const sse = props.BucketEncryption?.ServerSideEncryptionConfiguration?.[0]?.ServerSideEncryptionByDefault;
    const lock = props.ObjectLockConfiguration?.Rule?.DefaultRetention;
    const replication = props.ReplicationConfiguration;
    this.#buckets.set(name, {
      name,
      arn: `arn:aws:s3:::${name}`,
      region: resource.stack.region,
      versioned: props.VersioningConfiguration?.Status === 'Enabled',
      defaultKeyArn: sse?.SSEAlgorithm === 'aws:kms' ? this.#keyArn(sse.KMSMasterKeyID) : undefined,
      lockDays: props.ObjectLockEnabled && lock?.Days ? Number(lock.Days) : undefined,
      replication: replication
        ? {
            roleArn: replication.Role,
            rules: (replication.Rules ?? [])
              .filter((rule: Json) => rule.Status === 'Enabled')
              .map((rule: Json) => ({
                prefix: rule.Filter?.Prefix ?? rule.Prefix ?? '',
                destinationBucket: String(rule.Destination.Bucket).replace('arn:aws:s3:::', ''),
                replicaKeyArn: this.#keyArn(rule.Destination.EncryptionConfiguration?.ReplicaKmsKeyID),
                deleteMarkers: rule.DeleteMarkerReplication?.Status === 'Enabled',
              })),
          }
        : undefined,
      notifications: [],
      objects: new Map(),
    });
  }

  /** A key ARN from an ARN, an alias ARN or a key id. */
  #keyArn(id: string | undefined): string | undefined {
    if (!id) return undefined;
    if (this.#aliases.has(id)) return this.#aliases.get(id);
    if (id.startsWith('arn:')) return id;
    const key = this.deployment.ofType('AWS::KMS::Key').find((k) => this.deployment.ref(k) === id);
    return key ? this.deployment.arn(key) : id;
  }

  /** Bucket names the twin knows (every stack's). */
  get bucketNames(): string[] {
    return [...this.#buckets.keys()];
  }

  /** Every version and delete marker under a prefix (for assertions; no authorisation). */
  versions(bucket: string, prefix = ''): Array<{ key: string; versionId: string; deleteMarker: boolean }> {
    const state = this.#buckets.get(bucket);
    if (!state) throw new Error(`No bucket ${bucket}`);
    return [...state.objects.entries()]
      .filter(([key]) => key.startsWith(prefix))
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .flatMap(([key, versions]) =>
        versions.map((v) => ({ key, versionId: v.versionId, deleteMarker: v.deleteMarker })),
      );
  }

  /**
   * Stores an object as S3 does while a bucket's versioning is suspended (an operator's action, never
   * Kura's): version id `null`, replacing the key's earlier null version and kept beside its other
   * versions, not replicated (replication needs versioning enabled). No authorisation: a test's setup.
   */
  putWhileVersioningSuspended(bucket: string, key: string, body: string): void {
    const state = this.#buckets.get(bucket);
    if (!state) throw new Error(`No bucket ${bucket}`);
    if (state.lockDays)
      throw new Error(`Bucket ${bucket} has Object Lock: its versioning cannot be suspended`);
    state.objects.set(
      key,
      (state.objects.get(key) ?? []).filter((v) => v.versionId !== 'null'),
    );
    this.#newVersion(state, key, { bytes: Buffer.from(body), versionId: 'null' });
  }

  /** The current bytes of an object (twin-internal use: Athena reads data as the caller it checked). */
  current(bucket: string, key: string): Buffer | undefined {
    const latest = this.#buckets.get(bucket)?.objects.get(key)?.[0];
    return latest && !latest.deleteMarker ? latest.bytes : undefined;
  }

  /** Current keys under a prefix (twin-internal). */
  currentKeys(bucket: string, prefix: string): string[] {
    const state = this.#buckets.get(bucket);
    if (!state) return [];
    return [...state.objects.entries()]
      .filter(([key, versions]) => key.startsWith(prefix) && versions[0] && !versions[0].deleteMarker)
      .map(([key]) => key)
      .sort();
  }

  /** Writes an object as a service does (Athena results, CTAS output), after its own authorisation. */
  writeAs(bucket: string, key: string, bytes: Buffer, kmsKeyArn?: string): void {
    const state = this.#state(bucket);
    this.#store(state, key, {
      bytes,
      contentType: 'application/octet-stream',
      metadata: {},
      kmsKeyArn: kmsKeyArn ?? state.defaultKeyArn,
      checksumSha256: sha256Base64(bytes),
    });
  }

  /** The bucket's region, or undefined when no template defines it. */
  regionOf(bucket: string): string | undefined {
    return this.#buckets.get(bucket)?.region;
  }

  /** The KMS key the bucket encrypts with by default. */
  defaultKeyOf(bucket: string): string | undefined {
    return this.#buckets.get(bucket)?.defaultKeyArn;
  }

  #state(bucket: string): BucketState {
    const state = this.#buckets.get(bucket);
    if (!state) throw new Error(`No bucket ${bucket}`);
    return state;
  }

  /** The KMS use S3 makes for the caller, checked against the caller's policies and the key policy. */
  async #kms(caller: CallerIdentity, action: string, keyArn: string | undefined, bucket: BucketState) {
    if (!keyArn) return;
    await this.iam.require({
      principal: caller.principal,
      action,
      resource: keyArn,
      context: {
        'kms:ViaService': `s3.${bucket.region}.amazonaws.com`,
        'kms:CallerAccount': keyArn.split(':')[4] ?? '',
        'kms:EncryptionContext:aws:s3:arn': bucket.arn,
      },
    });
  }

  async handle(request: S3Request, caller: CallerIdentity | undefined): Promise<Reply> {
    const reply = await this.#answer(request, caller);
    this.requests.push({
      principal: caller?.principal,
      method: request.method,
      path: request.path,
      status: reply.status,
    });
    return reply;
  }

  async #answer(request: S3Request, caller: CallerIdentity | undefined): Promise<Reply> {
    try {
      return await this.#route(request, caller);
    } catch (error) {
      if (error instanceof TwinAccessDeniedError) return s3Error(403, 'AccessDenied', error.message);
      throw error;
    }
  }

  async #route(request: S3Request, caller: CallerIdentity | undefined): Promise<Reply> {
    const [, bucketName = '', ...keyParts] = request.path.split('/');
    const key = decodeURIComponent(keyParts.join('/'));
    const bucket = this.#buckets.get(bucketName);
    if (!bucket) return s3Error(404, 'NoSuchBucket', `The specified bucket does not exist: ${bucketName}`);
    if (request.method === 'POST' && key === '' && !request.query.has('delete')) {
      return this.#browserPost(bucket, request);
    }
    if (!caller) return s3Error(403, 'AccessDenied', 'Anonymous requests are not allowed');
    if (caller.region !== bucket.region) {
      // A client of one region addressing a bucket of another: S3 refuses with a redirect to its region.
      return s3Error(
        301,
        'PermanentRedirect',
        'The bucket you are attempting to access must be addressed using the specified endpoint.',
        {
          Bucket: bucket.name,
          Endpoint: `s3.${bucket.region}.amazonaws.com`,
        },
      );
    }
    const q = request.query;
    if (key === '') {
      if (request.method === 'GET' && q.has('versions')) return this.#listVersions(bucket, request, caller);
      if (request.method === 'GET' && q.get('list-type') === '2') return this.#list(bucket, request, caller);
      if (request.method === 'POST' && q.has('delete')) return this.#deleteObjects(bucket, request, caller);
      if (request.method === 'GET' && q.has('location')) {
        await this.iam.require({
          principal: caller.principal,
          action: 's3:GetBucketLocation',
          resource: bucket.arn,
        });
        return {
          status: 200,
          headers: { 'content-type': 'application/xml' },
          body: document('LocationConstraint', bucket.region),
        };
      }
      return s3Error(
        501,
        'NotImplemented',
        `The twin does not implement ${request.method} on a bucket with ${q.toString()}`,
      );
    }
    const objectArn = `${bucket.arn}/${key}`;
    switch (request.method) {
      case 'PUT':
        if (q.has('uploadId')) return this.#uploadPart(bucket, key, request, caller);
        if (request.headers['x-amz-copy-source']) return this.#copy(bucket, key, request, caller);
        return this.#put(bucket, key, request, caller);
      case 'POST':
        if (q.has('uploads')) return this.#createMultipart(bucket, key, request, caller);
        if (q.has('uploadId')) return this.#completeMultipart(bucket, key, request, caller);
        break;
      case 'GET':
      case 'HEAD':
        return this.#get(bucket, key, request, caller, request.method === 'HEAD');
      case 'DELETE':
        if (q.has('uploadId')) {
          await this.iam.require({
            principal: caller.principal,
            action: 's3:AbortMultipartUpload',
            resource: objectArn,
          });
          this.#uploads.delete(q.get('uploadId') ?? '');
          return { status: 204 };
        }
        return this.#deleteOne(bucket, key, q.get('versionId') ?? undefined, caller);
      default:
        break;
    }
    return s3Error(501, 'NotImplemented', `The twin does not implement ${request.method} ${request.path}`);
  }

  #encryptionContext(request: S3Request) {
    const sse = request.headers['x-amz-server-side-encryption'];
    const keyId = request.headers['x-amz-server-side-encryption-aws-kms-key-id'];
    return {
      ...(sse ? { 's3:x-amz-server-side-encryption': sse } : {}),
      ...(keyId ? { 's3:x-amz-server-side-encryption-aws-kms-key-id': keyId } : {}),
    };
  }

  #metadataOf(request: S3Request): Record<string, string> {
    return Object.fromEntries(
      Object.entries(request.headers)
        .filter(([name, value]) => name.startsWith('x-amz-meta-') && value !== undefined)
        .map(([name, value]) => [name.slice('x-amz-meta-'.length), String(value)]),
    );
  }

  #bodyOf(request: S3Request): Buffer {
    return request.headers['content-encoding']?.includes('aws-chunked') ||
      request.headers['x-amz-content-sha256']?.startsWith('STREAMING-')
      ? decodeAwsChunked(request.body)
      : request.body;
  }

  async #put(bucket: BucketState, key: string, request: S3Request, caller: CallerIdentity): Promise<Reply> {
    await this.iam.require({
      principal: caller.principal,
      action: 's3:PutObject',
      resource: `${bucket.arn}/${key}`,
      context: this.#encryptionContext(request),
    });
    const kmsKeyArn =
      this.#keyArn(request.headers['x-amz-server-side-encryption-aws-kms-key-id']) ?? bucket.defaultKeyArn;
    await this.#kms(caller, 'kms:GenerateDataKey', kmsKeyArn, bucket);
    const bytes = this.#bodyOf(request);
    const expected = request.headers['x-amz-checksum-sha256'];
    if (expected && expected !== sha256Base64(bytes)) {
      return s3Error(400, 'BadDigest', 'The SHA256 you specified did not match the calculated checksum.');
    }
    const version = this.#store(bucket, key, {
      bytes,
      contentType: request.headers['content-type'] ?? 'application/octet-stream',
      metadata: this.#metadataOf(request),
      kmsKeyArn,
      checksumSha256: sha256Base64(bytes),
    });
    await this.#afterCreate(bucket, key, version);
    return { status: 200, headers: this.#versionHeaders(bucket, version) };
  }

  async #copy(bucket: BucketState, key: string, request: S3Request, caller: CallerIdentity): Promise<Reply> {
    const source = decodeURIComponent(String(request.headers['x-amz-copy-source']).replace(/^\//, ''));
    const [sourceBucketName = '', ...sourceKeyParts] = source.split('?')[0]?.split('/') ?? [];
    const sourceKey = sourceKeyParts.join('/');
    const sourceBucket = this.#buckets.get(sourceBucketName);
    if (!sourceBucket) return s3Error(404, 'NoSuchBucket', 'The source bucket does not exist');
    await this.iam.require({
      principal: caller.principal,
      action: 's3:GetObject',
      resource: `${sourceBucket.arn}/${sourceKey}`,
    });
    const original = sourceBucket.objects.get(sourceKey)?.[0];
    if (!original || original.deleteMarker)
      return s3Error(404, 'NoSuchKey', 'The specified key does not exist.');
    await this.#kms(caller, 'kms:Decrypt', original.kmsKeyArn, sourceBucket);
    await this.iam.require({
      principal: caller.principal,
      action: 's3:PutObject',
      resource: `${bucket.arn}/${key}`,
      context: this.#encryptionContext(request),
    });
    const kmsKeyArn =
      this.#keyArn(request.headers['x-amz-server-side-encryption-aws-kms-key-id']) ?? bucket.defaultKeyArn;
    await this.#kms(caller, 'kms:GenerateDataKey', kmsKeyArn, bucket);
    const version = this.#store(bucket, key, { ...original, kmsKeyArn });
    await this.#afterCreate(bucket, key, version);
    return {
      status: 200,
      headers: { ...this.#versionHeaders(bucket, version), 'content-type': 'application/xml' },
      body: document(
        'CopyObjectResult',
        `${element('LastModified', version.lastModified.toISOString())}${element('ETag', version.etag)}`,
      ),
    };
  }

  async #createMultipart(
    bucket: BucketState,
    key: string,
    request: S3Request,
    caller: CallerIdentity,
  ): Promise<Reply> {
    await this.iam.require({
      principal: caller.principal,
      action: 's3:PutObject',
      resource: `${bucket.arn}/${key}`,
      context: this.#encryptionContext(request),
    });
    const kmsKeyArn =
      this.#keyArn(request.headers['x-amz-server-side-encryption-aws-kms-key-id']) ?? bucket.defaultKeyArn;
    await this.#kms(caller, 'kms:GenerateDataKey', kmsKeyArn, bucket);
    const uploadId = randomBytes(24).toString('base64url');
    this.#uploads.set(uploadId, {
      bucket: bucket.name,
      key,
      contentType: request.headers['content-type'] ?? 'application/octet-stream',
      metadata: this.#metadataOf(request),
      kmsKeyArn,
      parts: new Map(),
    });
    return {
      status: 200,
      headers: { 'content-type': 'application/xml' },
      body: document(
        'InitiateMultipartUploadResult',
        `${element('Bucket', bucket.name)}${element('Key', key)}${element('UploadId', uploadId)}`,
      ),
    };
  }

  async #uploadPart(
    bucket: BucketState,
    key: string,
    request: S3Request,
    caller: CallerIdentity,
  ): Promise<Reply> {
    await this.iam.require({
      principal: caller.principal,
      action: 's3:PutObject',
      resource: `${bucket.arn}/${key}`,
    });
    const upload = this.#uploads.get(request.query.get('uploadId') ?? '');
    if (!upload) return s3Error(404, 'NoSuchUpload', 'The specified multipart upload does not exist.');
    const bytes = this.#bodyOf(request);
    upload.parts.set(Number(request.query.get('partNumber')), bytes);
    return { status: 200, headers: { etag: `"${md5(bytes)}"` } };
  }

  async #completeMultipart(
    bucket: BucketState,
    key: string,
    request: S3Request,
    caller: CallerIdentity,
  ): Promise<Reply> {
    await this.iam.require({
      principal: caller.principal,
      action: 's3:PutObject',
      resource: `${bucket.arn}/${key}`,
    });
    const uploadId = request.query.get('uploadId') ?? '';
    const upload = this.#uploads.get(uploadId);
    if (!upload) return s3Error(404, 'NoSuchUpload', 'The specified multipart upload does not exist.');
    await this.#kms(caller, 'kms:Decrypt', upload.kmsKeyArn, bucket);
    const numbers = xmlBlocks(request.body.toString(), 'PartNumber').map(Number);
    const bytes = Buffer.concat(numbers.map((n) => upload.parts.get(n) ?? Buffer.alloc(0)));
    this.#uploads.delete(uploadId);
    const version = this.#store(bucket, key, {
      bytes,
      contentType: upload.contentType,
      metadata: upload.metadata,
      kmsKeyArn: upload.kmsKeyArn,
      checksumSha256: sha256Base64(bytes),
    });
    await this.#afterCreate(bucket, key, version);
    return {
      status: 200,
      headers: { ...this.#versionHeaders(bucket, version), 'content-type': 'application/xml' },
      body: document(
        'CompleteMultipartUploadResult',
        `${element('Bucket', bucket.name)}${element('Key', key)}${element('ETag', version.etag)}`,
      ),
    };
  }

  async #get(
    bucket: BucketState,
    key: string,
    request: S3Request,
    caller: CallerIdentity,
    head: boolean,
  ): Promise<Reply> {
    const versionId = request.query.get('versionId') ?? undefined;
    await this.iam.require({
      principal: caller.principal,
      action: versionId ? 's3:GetObjectVersion' : 's3:GetObject',
      resource: `${bucket.arn}/${key}`,
    });
    const versions = bucket.objects.get(key) ?? [];
    const version = versionId ? versions.find((v) => v.versionId === versionId) : versions[0];
    if (!version || version.deleteMarker) {
      // S3 tells a missing key apart from a refused one only to a caller that may list the bucket;
      // any other caller gets 403. A GET carries no prefix, so a ListBucket grant that holds only under
      // an `s3:prefix` condition does not count (the strict reading: code must not lean on a 404 there).
      const mayList = await this.iam.authorize(
        { principal: caller.principal, action: 's3:ListBucket', resource: bucket.arn },
        { record: false },
      );
      if (!mayList.allowed) return head ? { status: 403 } : s3Error(403, 'AccessDenied', 'Access Denied');
      return head ? { status: 404 } : s3Error(404, 'NoSuchKey', 'The specified key does not exist.');
    }
    if (!head) await this.#kms(caller, 'kms:Decrypt', version.kmsKeyArn, bucket);
    const headers: Record<string, string> = {
      ...this.#versionHeaders(bucket, version),
      'content-type': version.contentType,
      'content-length': String(version.bytes.length),
      'last-modified': version.lastModified.toUTCString(),
      ...Object.fromEntries(Object.entries(version.metadata).map(([k, v]) => [`x-amz-meta-${k}`, v])),
      ...(request.headers['x-amz-checksum-mode'] === 'ENABLED' && version.checksumSha256
        ? { 'x-amz-checksum-sha256': version.checksumSha256 }
        : {}),
    };
    return { status: 200, headers, body: head ? undefined : version.bytes };
  }

  async #list(bucket: BucketState, request: S3Request, caller: CallerIdentity): Promise<Reply> {
    const prefix = request.query.get('prefix') ?? '';
    await this.iam.require({
      principal: caller.principal,
      action: 's3:ListBucket',
      resource: bucket.arn,
      context: { 's3:prefix': prefix },
    });
    const max = Number(request.query.get('max-keys') ?? 1000);
    const after = request.query.get('continuation-token') ?? request.query.get('start-after') ?? '';
    const keys = [...bucket.objects.entries()]
      .filter(
        ([key, versions]) =>
          key.startsWith(prefix) && key > after && versions[0] && !versions[0].deleteMarker,
      )
      .sort(([a], [b]) => (a < b ? -1 : 1));
    const page = keys.slice(0, max);
    const truncated = keys.length > max;
    const contents = page
      .map(([key, versions]) => {
        const v = versions[0] as StoredVersion;
        return raw(
          'Contents',
          `${element('Key', key)}${element('LastModified', v.lastModified.toISOString())}${element('ETag', v.etag)}${element('Size', v.bytes.length)}${element('StorageClass', 'STANDARD')}`,
        );
      })
      .join('');
    return {
      status: 200,
      headers: { 'content-type': 'application/xml' },
      body: document(
        'ListBucketResult',
        `${element('Name', bucket.name)}${element('Prefix', prefix)}${element('KeyCount', page.length)}${element('MaxKeys', max)}${element('IsTruncated', truncated)}${contents}${truncated ? element('NextContinuationToken', page.at(-1)?.[0] ?? '') : ''}`,
      ),
    };
  }

  async #listVersions(bucket: BucketState, request: S3Request, caller: CallerIdentity): Promise<Reply> {
    const prefix = request.query.get('prefix') ?? '';
    await this.iam.require({
      principal: caller.principal,
      action: 's3:ListBucketVersions',
      resource: bucket.arn,
      context: { 's3:prefix': prefix },
    });
    const max = Number(request.query.get('max-keys') ?? 1000);
    const keyMarker = request.query.get('key-marker') ?? '';
    const versionMarker = request.query.get('version-id-marker') ?? '';
    const all = [...bucket.objects.entries()]
      .filter(([key]) => key.startsWith(prefix))
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .flatMap(([key, versions]) => versions.map((v, index) => ({ key, v, latest: index === 0 })));
    let start = 0;
    if (keyMarker) {
      start = all.findIndex(
        (e) =>
          e.key > keyMarker ||
          (e.key === keyMarker && versionMarker !== '' && e.v.versionId === versionMarker),
      );
      if (start >= 0 && all[start]?.key === keyMarker) start += 1;
      if (start < 0) start = all.length;
    }
    const page = all.slice(start, start + max);
    const truncated = start + max < all.length;
    const entries = page
      .map(({ key, v, latest }) => {
        const common = `${element('Key', key)}${element('VersionId', v.versionId)}${element('IsLatest', latest)}${element('LastModified', v.lastModified.toISOString())}`;
        return v.deleteMarker
          ? raw('DeleteMarker', common)
          : raw(
              'Version',
              `${common}${element('ETag', v.etag)}${element('Size', v.bytes.length)}${element('StorageClass', 'STANDARD')}`,
            );
      })
      .join('');
    const last = page.at(-1);
    return {
      status: 200,
      headers: { 'content-type': 'application/xml' },
      body: document(
        'ListVersionsResult',
        `${element('Name', bucket.name)}${element('Prefix', prefix)}${element('MaxKeys', max)}${element('IsTruncated', truncated)}${entries}${truncated && last ? `${element('NextKeyMarker', last.key)}${element('NextVersionIdMarker', last.v.versionId)}` : ''}`,
      ),
    };
  }

  async #deleteOne(
    bucket: BucketState,
    key: string,
    versionId: string | undefined,
    caller: CallerIdentity,
  ): Promise<Reply> {
    const outcome = await this.#delete(bucket, key, versionId, caller);
    if ('error' in outcome) return s3Error(403, outcome.code, outcome.error);
    return { status: 204, headers: outcome.headers };
  }

  async #delete(
    bucket: BucketState,
    key: string,
    versionId: string | undefined,
    caller: CallerIdentity,
  ): Promise<{ headers: Record<string, string>; marker?: string } | { error: string; code: string }> {
    const decision = await this.iam.authorize({
      principal: caller.principal,
      action: versionId ? 's3:DeleteObjectVersion' : 's3:DeleteObject',
      resource: `${bucket.arn}/${key}`,
    });
    if (!decision.allowed)
      return { error: new TwinAccessDeniedError(decision).message, code: 'AccessDenied' };
    const versions = bucket.objects.get(key) ?? [];
    if (versionId) {
      const index = versions.findIndex((v) => v.versionId === versionId);
      if (index < 0) return { headers: {} };
      const version = versions[index] as StoredVersion;
      if (version.retainUntil && version.retainUntil > new Date()) {
        return { error: 'Access Denied because object protected by object lock.', code: 'AccessDenied' };
      }
      versions.splice(index, 1);
      if (versions.length === 0) bucket.objects.delete(key);
      // Version-specific deletes are never replicated: the DR copy keeps that version.
      return {
        headers: {
          'x-amz-version-id': versionId,
          ...(version.deleteMarker ? { 'x-amz-delete-marker': 'true' } : {}),
        },
      };
    }
    if (!bucket.versioned) {
      bucket.objects.delete(key);
      return { headers: {} };
    }
    const marker = this.#newVersion(bucket, key, { deleteMarker: true });
    this.#replicateDeleteMarker(bucket, key, marker);
    return {
      headers: { 'x-amz-version-id': marker.versionId, 'x-amz-delete-marker': 'true' },
      marker: marker.versionId,
    };
  }

  async #deleteObjects(bucket: BucketState, request: S3Request, caller: CallerIdentity): Promise<Reply> {
    const body = request.body.toString();
    const results: string[] = [];
    for (const object of xmlBlocks(body, 'Object')) {
      const key = xmlText(object, 'Key') ?? '';
      const versionId = xmlText(object, 'VersionId');
      const outcome = await this.#delete(bucket, key, versionId, caller);
      if ('error' in outcome) {
        results.push(
          raw(
            'Error',
            `${element('Key', key)}${versionId ? element('VersionId', versionId) : ''}${element('Code', outcome.code)}${element('Message', outcome.error)}`,
          ),
        );
      } else {
        results.push(
          raw('Deleted', `${element('Key', key)}${versionId ? element('VersionId', versionId) : ''}`),
        );
      }
    }
    return {
      status: 200,
      headers: { 'content-type': 'application/xml' },
      body: document('DeleteResult', results.join('')),
    };
  }

  #versionHeaders(bucket: BucketState, version: StoredVersion): Record<string, string> {
    return {
      etag: version.etag,
      ...(bucket.versioned ? { 'x-amz-version-id': version.versionId } : {}),
      ...(version.kmsKeyArn
        ? {
            'x-amz-server-side-encryption': 'aws:kms',
            'x-amz-server-side-encryption-aws-kms-key-id': version.kmsKeyArn,
          }
        : {}),
    };
  }

  #newVersion(
    bucket: BucketState,
    key: string,
    content: Partial<StoredVersion> & { deleteMarker?: boolean; versionId?: string },
  ): StoredVersion {
    const bytes = content.bytes ?? Buffer.alloc(0);
    const version: StoredVersion = {
      versionId: bucket.versioned ? (content.versionId ?? randomUUID().replaceAll('-', '')) : 'null',
      deleteMarker: content.deleteMarker ?? false,
      bytes,
      contentType: content.contentType ?? 'application/octet-stream',
      metadata: content.metadata ?? {},
      kmsKeyArn: content.kmsKeyArn,
      checksumSha256: content.checksumSha256,
      lastModified: new Date(),
      etag: `"${md5(bytes)}"`,
      retainUntil:
        bucket.lockDays && !content.deleteMarker
          ? new Date(Date.now() + bucket.lockDays * 86_400_000)
          : undefined,
    };
    const versions = bucket.versioned ? (bucket.objects.get(key) ?? []) : [];
    versions.unshift(version);
    bucket.objects.set(key, versions);
    return version;
  }

  #store(
    bucket: BucketState,
    key: string,
    content: Pick<StoredVersion, 'bytes' | 'contentType' | 'metadata' | 'kmsKeyArn' | 'checksumSha256'>,
  ): StoredVersion {
    return this.#newVersion(bucket, key, content);
  }

  /** After an object is created: replication to the DR copy, then notifications. */
  async #afterCreate(bucket: BucketState, key: string, version: StoredVersion): Promise<void> {
    await this.#replicate(bucket, key, version);
    for (const notification of bucket.notifications) {
      if (!key.startsWith(notification.prefix)) continue;
      const message = JSON.stringify({
        Records: [
          {
            eventVersion: '2.1',
            eventSource: 'aws:s3',
            awsRegion: bucket.region,
            eventTime: version.lastModified.toISOString(),
            eventName: 'ObjectCreated:Put',
            s3: {
              s3SchemaVersion: '1.0',
              bucket: { name: bucket.name, arn: bucket.arn },
              object: {
                key: key
                  .split('/')
                  .map((part) => encodeURIComponent(part).replace(/%20/g, '+'))
                  .join('/'),
                size: version.bytes.length,
                eTag: version.etag.replaceAll('"', ''),
                ...(bucket.versioned ? { versionId: version.versionId } : {}),
                sequencer: Date.now().toString(16).toUpperCase().padStart(16, '0'),
              },
            },
          },
        ],
      });
      try {
        await this.hooks.notify(notification.queueArn, bucket.arn, message);
      } catch (error) {
        this.failedDeliveries.push({ bucket: bucket.name, key, error: String(error) });
      }
    }
  }

  async #replicate(bucket: BucketState, key: string, version: StoredVersion): Promise<void> {
    if (!bucket.replication) return;
    for (const rule of bucket.replication.rules) {
      if (!key.startsWith(rule.prefix)) continue;
      const destination = this.#buckets.get(rule.destinationBucket);
      if (!destination)
        throw new Error(`Replication to ${rule.destinationBucket}, which no template defines`);
      const role = bucket.replication.roleArn;
      const ok =
        (
          await this.iam.authorize({
            principal: role,
            action: 's3:GetObjectVersionForReplication',
            resource: `${bucket.arn}/${key}`,
          })
        ).allowed &&
        (
          await this.iam.authorize({
            principal: role,
            action: 's3:ReplicateObject',
            resource: `${destination.arn}/${key}`,
          })
        ).allowed;
      if (!ok) continue; // replication fails quietly in S3 (status FAILED); the copy is simply missing
      this.#newVersion(destination, key, {
        ...version,
        kmsKeyArn: rule.replicaKeyArn ?? version.kmsKeyArn,
        versionId: version.versionId,
      });
    }
  }

  #replicateDeleteMarker(bucket: BucketState, key: string, marker: StoredVersion): void {
    for (const rule of bucket.replication?.rules ?? []) {
      if (!rule.deleteMarkers || !key.startsWith(rule.prefix)) continue;
      const destination = this.#buckets.get(rule.destinationBucket);
      if (destination)
        this.#newVersion(destination, key, { deleteMarker: true, versionId: marker.versionId });
    }
  }

  /**
   * A browser's multipart/form-data upload with a presigned POST policy, checked as S3 checks it: the
   * signature with the signer's secret, the expiry, every condition, every field covered by one, the
   * size range and the checksum; then the signer's permission for the PutObject it grants.
   */
  async #browserPost(bucket: BucketState, request: S3Request): Promise<Reply> {
    const { fields, file } = parseForm(request.body, request.headers['content-type'] ?? '');
    const field = (name: string) => {
      for (const [k, v] of fields) if (k.toLowerCase() === name.toLowerCase()) return v;
      return undefined;
    };
    const policyB64 = field('policy');
    const credential = field('x-amz-credential');
    const signature = field('x-amz-signature');
    if (!policyB64 || !credential || !signature || !file) {
      return s3Error(
        400,
        'InvalidArgument',
        'Bucket POST must contain a policy, a credential, a signature and a file',
      );
    }
    const [accessKeyId = '', date = '', region = '', service = ''] = credential.split('/');
    const secret = this.hooks.secretOf(accessKeyId);
    if (!secret)
      return s3Error(
        403,
        'InvalidAccessKeyId',
        'The AWS Access Key Id you provided does not exist in our records.',
      );
    const expected = createHmac('sha256', signingKey(secret, date, region, service))
      .update(policyB64)
      .digest('hex');
    if (expected !== signature)
      return s3Error(
        403,
        'SignatureDoesNotMatch',
        'The request signature we calculated does not match the signature you provided.',
      );
    const policy = JSON.parse(Buffer.from(policyB64, 'base64').toString()) as {
      expiration: string;
      conditions: Json[];
    };
    if (Date.parse(policy.expiration) < Date.now())
      return s3Error(403, 'AccessDenied', 'Invalid according to Policy: Policy expired.');
    const values = new Map<string, string>([...fields].map(([k, v]) => [k.toLowerCase(), v]));
    values.set('bucket', bucket.name);
    const covered = new Set<string>(['policy', 'x-amz-signature', 'file']);
    for (const condition of policy.conditions) {
      let name: string;
      let ok: boolean;
      if (Array.isArray(condition)) {
        const [op, subject, operand] = condition as [string, string | number, string | number];
        if (op === 'content-length-range') {
          ok = file.length >= Number(subject) && file.length <= Number(operand);
          if (!ok)
            return s3Error(400, 'EntityTooLarge', 'Your proposed upload exceeds the maximum allowed size', {
              ProposedSize: String(file.length),
            });
          continue;
        }
        name = String(subject).replace(/^\$/, '').toLowerCase();
        const value = values.get(name) ?? '';
        ok =
          op === 'eq'
            ? value === String(operand)
            : op === 'starts-with'
              ? value.startsWith(String(operand))
              : false;
      } else {
        const [entry] = Object.entries(condition as Record<string, string>);
        name = String(entry?.[0]).toLowerCase();
        ok = values.get(name) === entry?.[1];
      }
      covered.add(name);
      if (!ok)
        return s3Error(
          403,
          'AccessDenied',
          `Invalid according to Policy: Policy Condition failed: ${JSON.stringify(condition)}`,
        );
    }
    for (const name of values.keys()) {
      if (name === 'bucket' || name.startsWith('x-ignore-')) continue;
      if (!covered.has(name))
        return s3Error(403, 'AccessDenied', `Invalid according to Policy: Extra input fields: ${name}`);
    }
    const key = field('key') ?? '';
    const checksum = field('x-amz-checksum-sha256');
    if (checksum && checksum !== sha256Base64(file)) {
      return s3Error(400, 'BadDigest', 'The SHA256 you specified did not match the calculated checksum.');
    }
    const signer = this.hooks.secretOf(accessKeyId) ? this.principalOf(accessKeyId) : undefined;
    if (!signer) return s3Error(403, 'AccessDenied', 'Unknown signer');
    const caller: CallerIdentity = { principal: signer, accessKeyId, region };
    const context = {
      ...(field('x-amz-server-side-encryption')
        ? { 's3:x-amz-server-side-encryption': field('x-amz-server-side-encryption') as string }
        : {}),
      ...(field('x-amz-server-side-encryption-aws-kms-key-id')
        ? {
            's3:x-amz-server-side-encryption-aws-kms-key-id': field(
              'x-amz-server-side-encryption-aws-kms-key-id',
            ) as string,
          }
        : {}),
    };
    await this.iam.require({
      principal: signer,
      action: 's3:PutObject',
      resource: `${bucket.arn}/${key}`,
      context,
    });
    const kmsKeyArn =
      this.#keyArn(field('x-amz-server-side-encryption-aws-kms-key-id')) ?? bucket.defaultKeyArn;
    await this.#kms(caller, 'kms:GenerateDataKey', kmsKeyArn, bucket);
    const version = this.#store(bucket, key, {
      bytes: file,
      contentType: field('content-type') ?? 'application/octet-stream',
      metadata: {},
      kmsKeyArn,
      checksumSha256: sha256Base64(file),
    });
    await this.#afterCreate(bucket, key, version);
    return { status: 204, headers: this.#versionHeaders(bucket, version) };
  }

  /** Set by the twin: which principal an access key belongs to. */
  principalOf: (accessKeyId: string) => string | undefined = () => undefined;
}
