import { Readable } from 'node:stream';
import type { S3Client } from '@aws-sdk/client-s3';
import {
  type Body,
  NotFoundError,
  type ObjectHead,
  type ObjectRef,
  type ObjectStore,
  type ObjectSummary,
  type ObjectVersion,
  type PresignedPost,
  type PresignedPostRequest,
  type PutOptions,
} from '../domain/ports/index.ts';
import type { NameResolver } from './env.ts';

/** S3 never accepts a presigned POST for longer than Kura allows: 15 minutes. */
export const MAX_PRESIGN_SECONDS = 900;
/** S3's placeholder for the client's file name in a POST key. */
const FILENAME_VARIABLE = '$' + '{filename}';
/** Streams are uploaded in parts of this size (S3's minimum part is 5 MiB). */
const PART_BYTES = 8 * 1024 * 1024;

type S3Sdk = typeof import('@aws-sdk/client-s3');
/**
 * The SDK module, loaded on the first call rather than at module load: bundlers keep a dynamic
 * `import()` of an external package dynamic, so a Lambda that never calls this adapter never loads
 * the client (see runtime.ts).
 */
let s3SdkModule: Promise<S3Sdk> | undefined;
const s3Sdk = (): Promise<S3Sdk> => (s3SdkModule ??= import('@aws-sdk/client-s3'));
type PresignedPostSdk = typeof import('@aws-sdk/s3-presigned-post');
/**
 * The SDK module, loaded on the first call rather than at module load: bundlers keep a dynamic
 * `import()` of an external package dynamic, so a Lambda that never calls this adapter never loads
 * the client (see runtime.ts).
 */
let presignedPostSdkModule: Promise<PresignedPostSdk> | undefined;
const presignedPostSdk = (): Promise<PresignedPostSdk> =>
  (presignedPostSdkModule ??= import('@aws-sdk/s3-presigned-post'));

export interface S3ObjectStoreOptions {
  readonly client: S3Client;
  /** Logical bucket (zones.ts) → physical bucket name. */
  readonly resolveBucket: NameResolver;
  /**
   * Logical bucket → the KMS key every write to it must name (deployed: `KURA_BUCKET_<X>_KEY_ARN`, set
   * with the bucket grant; the audit bucket has its own key). Undefined (local) sends no SSE headers.
   */
  readonly resolveKmsKey?: (logical: string) => string | undefined;
}

/** The SSE-KMS parameters of a write: both or neither. */
export interface SseParameters {
  readonly ServerSideEncryption?: 'aws:kms';
  readonly SSEKMSKeyId?: string;
}

const isMissing = (error: unknown) => {
  const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e?.name === 'NoSuchKey' || e?.name === 'NotFound' || e?.$metadata?.httpStatusCode === 404;
};

/** S3 refused the request (403): no permission, or a missing key asked for by a caller that may not list. */
const isRefused = (error: unknown) =>
  (error as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode === 403;

/** Copy sources are `bucket/key` with each key segment URL-encoded. */
const copySource = (bucket: string, key: string) =>
  `${bucket}/${key.split('/').map(encodeURIComponent).join('/')}`;

/** The ObjectStore port on S3 (deployed) or s3rver (local, with `endpoint` and `forcePathStyle`). */
export class S3ObjectStore implements ObjectStore {
  readonly #client: S3Client;
  readonly #bucket: NameResolver;
  readonly #kmsKey: (logical: string) => string | undefined;

  constructor(options: S3ObjectStoreOptions) {
    this.#client = options.client;
    this.#bucket = options.resolveBucket;
    this.#kmsKey = options.resolveKmsKey ?? (() => undefined);
  }

  /**
   * Bucket policies deny writes that do not name the bucket's key, so every write carries it
   * explicitly rather than relying on the bucket default.
   */
  #sse(logicalBucket: string): SseParameters {
    const keyId = this.#kmsKey(logicalBucket);
    return keyId ? { ServerSideEncryption: 'aws:kms', SSEKMSKeyId: keyId } : {};
  }

  async put(bucket: string, key: string, body: Body, options: PutOptions = {}): Promise<void> {
    const Bucket = this.#bucket(bucket);
    const common = {
      Bucket,
      Key: key,
      ContentType: options.contentType,
      Metadata: options.metadata,
      ...this.#sse(bucket),
    };
    if (!(body instanceof Readable)) {
      await this.#client.send(new (await s3Sdk()).PutObjectCommand({ ...common, Body: body }));
      return;
    }
    await this.#putStream(common, body);
  }

  /** Streams of unknown length: one PutObject when small, a multipart upload otherwise. */
  async #putStream(
    common: {
      Bucket: string;
      Key: string;
      ContentType?: string | undefined;
      Metadata?: Record<string, string> | undefined;
    } & SseParameters,
    body: Readable,
  ): Promise<void> {
    let uploadId: string | undefined;
    const parts: { ETag?: string | undefined; PartNumber: number }[] = [];
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    const flushPart = async () => {
      if (uploadId === undefined) {
        const created = await this.#client.send(new (await s3Sdk()).CreateMultipartUploadCommand(common));
        uploadId = created.UploadId;
      }
      const PartNumber = parts.length + 1;
      const part = await this.#client.send(
        new (await s3Sdk()).UploadPartCommand({
          Bucket: common.Bucket,
          Key: common.Key,
          UploadId: uploadId,
          PartNumber,
          Body: Buffer.concat(pending),
        }),
      );
      parts.push({ ETag: part.ETag, PartNumber });
      pending = [];
      pendingBytes = 0;
    };
    try {
      for await (const chunk of body) {
        const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk as Uint8Array);
        pending.push(buffer);
        pendingBytes += buffer.length;
        if (pendingBytes >= PART_BYTES) await flushPart();
      }
      if (uploadId === undefined) {
        await this.#client.send(
          new (await s3Sdk()).PutObjectCommand({ ...common, Body: Buffer.concat(pending) }),
        );
        return;
      }
      if (pendingBytes > 0) await flushPart();
      await this.#client.send(
        new (await s3Sdk()).CompleteMultipartUploadCommand({
          Bucket: common.Bucket,
          Key: common.Key,
          UploadId: uploadId,
          MultipartUpload: { Parts: parts },
        }),
      );
    } catch (error) {
      if (uploadId !== undefined) {
        await this.#client
          .send(
            new (await s3Sdk()).AbortMultipartUploadCommand({
              Bucket: common.Bucket,
              Key: common.Key,
              UploadId: uploadId,
            }),
          )
          .catch(() => undefined);
      }
      throw error;
    }
  }

  async get(bucket: string, key: string): Promise<Uint8Array> {
    try {
      const out = await this.#client.send(
        new (await s3Sdk()).GetObjectCommand({ Bucket: this.#bucket(bucket), Key: key }),
      );
      if (!out.Body) throw new NotFoundError(`No object ${key} in bucket ${bucket}`);
      return await out.Body.transformToByteArray();
    } catch (error) {
      if (await this.#missing(error, bucket, key))
        throw new NotFoundError(`No object ${key} in bucket ${bucket}`);
      throw error;
    }
  }

  async getStream(bucket: string, key: string): Promise<Readable> {
    try {
      const out = await this.#client.send(
        new (await s3Sdk()).GetObjectCommand({ Bucket: this.#bucket(bucket), Key: key }),
      );
      if (!(out.Body instanceof Readable)) throw new NotFoundError(`No object ${key} in bucket ${bucket}`);
      return out.Body;
    } catch (error) {
      if (await this.#missing(error, bucket, key))
        throw new NotFoundError(`No object ${key} in bucket ${bucket}`);
      throw error;
    }
  }

  async head(bucket: string, key: string): Promise<ObjectHead | undefined> {
    try {
      const out = await this.#client.send(
        new (await s3Sdk()).HeadObjectCommand({
          Bucket: this.#bucket(bucket),
          Key: key,
          ChecksumMode: 'ENABLED',
        }),
      );
      return {
        key,
        size: out.ContentLength ?? 0,
        contentType: out.ContentType,
        metadata: out.Metadata ?? {},
        versionId: out.VersionId,
        etag: out.ETag,
        checksumSha256: out.ChecksumSHA256,
        lastModified: out.LastModified,
      };
    } catch (error) {
      if (await this.#missing(error, bucket, key)) return undefined;
      throw error;
    }
  }

  /**
   * Whether a failed GET or HEAD was for a key that does not exist. S3 answers 404 for a missing key only
   * to a caller that may list the bucket; Kura's functions may list only under their own prefixes, and S3
   * may then answer 403 as it does when reading is refused. A one-key listing under the key (which those
   * grants allow) tells the two apart; when that listing is refused too, the refusal stands.
   */
  async #missing(error: unknown, bucket: string, key: string): Promise<boolean> {
    if (isMissing(error)) return true;
    if (!isRefused(error)) return false;
    try {
      const page = await this.#client.send(
        new (await s3Sdk()).ListObjectsV2Command({ Bucket: this.#bucket(bucket), Prefix: key, MaxKeys: 1 }),
      );
      return !(page.Contents ?? []).some((object) => object.Key === key);
    } catch {
      return false;
    }
  }

  async *list(bucket: string, prefix: string): AsyncIterable<ObjectSummary> {
    let ContinuationToken: string | undefined;
    do {
      const page = await this.#client.send(
        new (await s3Sdk()).ListObjectsV2Command({
          Bucket: this.#bucket(bucket),
          Prefix: prefix,
          ContinuationToken,
        }),
      );
      for (const object of page.Contents ?? []) {
        if (object.Key !== undefined) yield { key: object.Key, size: object.Size ?? 0 };
      }
      ContinuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (ContinuationToken);
  }

  async *listVersions(bucket: string, prefix: string): AsyncIterable<ObjectVersion> {
    let KeyMarker: string | undefined;
    let VersionIdMarker: string | undefined;
    do {
      let page: Awaited<ReturnType<typeof this.listVersionsPage>>;
      try {
        page = await this.listVersionsPage(bucket, prefix, KeyMarker, VersionIdMarker);
      } catch (error) {
        // s3rver has no versioning API; an unversioned store reports its current objects.
        const name = (error as { name?: string }).name;
        if (name !== 'NotImplemented' && name !== 'MethodNotAllowed') throw error;
        for await (const object of this.list(bucket, prefix)) {
          yield { key: object.key, versionId: 'null', isDeleteMarker: false, isLatest: true };
        }
        return;
      }
      for (const version of page.Versions ?? []) {
        if (version.Key === undefined) continue;
        yield {
          key: version.Key,
          versionId: version.VersionId ?? 'null',
          isDeleteMarker: false,
          isLatest: version.IsLatest ?? false,
        };
      }
      for (const marker of page.DeleteMarkers ?? []) {
        if (marker.Key === undefined) continue;
        yield {
          key: marker.Key,
          versionId: marker.VersionId ?? 'null',
          isDeleteMarker: true,
          isLatest: marker.IsLatest ?? false,
        };
      }
      KeyMarker = page.IsTruncated ? page.NextKeyMarker : undefined;
      VersionIdMarker = page.IsTruncated ? page.NextVersionIdMarker : undefined;
    } while (KeyMarker);
  }

  private async listVersionsPage(
    bucket: string,
    prefix: string,
    KeyMarker?: string,
    VersionIdMarker?: string,
  ) {
    return this.#client.send(
      new (await s3Sdk()).ListObjectVersionsCommand({
        Bucket: this.#bucket(bucket),
        Prefix: prefix,
        KeyMarker,
        VersionIdMarker,
      }),
    );
  }

  async deleteMany(
    bucket: string,
    refs: readonly ObjectRef[],
  ): Promise<{ readonly failed: readonly ObjectRef[] }> {
    if (refs.length === 0) return { failed: [] };
    if (refs.length > 1000) throw new RangeError(`deleteMany takes at most 1,000 refs, got ${refs.length}`);
    const out = await this.#client.send(
      new (await s3Sdk()).DeleteObjectsCommand({
        Bucket: this.#bucket(bucket),
        Delete: {
          Quiet: true,
          Objects: refs.map((ref) => ({
            Key: ref.key,
            // `null` too: the version of an object written while versioning was off or suspended. Left
            // out, a versioned bucket would only put a delete marker over it (s3rver ignores version ids).
            ...(ref.versionId ? { VersionId: ref.versionId } : {}),
          })),
        },
      }),
    );
    const failed = (out.Errors ?? []).map((e) => ({ key: e.Key ?? '', versionId: e.VersionId }));
    return { failed };
  }

  async copy(bucket: string, fromKey: string, toBucket: string, toKey: string): Promise<void> {
    await this.#client.send(
      new (await s3Sdk()).CopyObjectCommand({
        Bucket: this.#bucket(toBucket),
        Key: toKey,
        CopySource: copySource(this.#bucket(bucket), fromKey),
        ...this.#sse(toBucket),
      }),
    );
  }

  /**
   * A presigned POST whose policy pins everything Kura decided: the exact key, the size range,
   * the Content-Type, the SHA-256 checksum and (deployed) SSE-KMS with the platform key.
   */
  async presignPost(request: PresignedPostRequest): Promise<PresignedPost> {
    if (!Number.isInteger(request.maxBytes) || request.maxBytes < 1) {
      throw new RangeError(`maxBytes must be a positive integer, got ${request.maxBytes}`);
    }
    if (
      !Number.isInteger(request.expiresSeconds) ||
      request.expiresSeconds < 1 ||
      request.expiresSeconds > MAX_PRESIGN_SECONDS
    ) {
      throw new RangeError(`expiresSeconds must be 1–${MAX_PRESIGN_SECONDS}, got ${request.expiresSeconds}`);
    }
    if (request.key.includes(FILENAME_VARIABLE)) {
      // S3 would turn a trailing ${filename} into a starts-with condition: the client would pick the key.
      throw new RangeError(`A presigned key must not contain ${FILENAME_VARIABLE}`);
    }
    const Bucket = this.#bucket(request.bucket);
    const fields: Record<string, string> = {
      'Content-Type': request.contentType,
      'x-amz-checksum-algorithm': 'SHA256',
      'x-amz-checksum-sha256': request.checksumSha256,
    };
    if (request.kmsKeyId) {
      fields['x-amz-server-side-encryption'] = 'aws:kms';
      fields['x-amz-server-side-encryption-aws-kms-key-id'] = request.kmsKeyId;
    }
    const conditions: PresignConditions = [
      { bucket: Bucket },
      ['eq', '$key', request.key],
      ['content-length-range', 1, request.maxBytes],
      ...Object.entries(fields).map(([name, value]) => ({ [name]: value })),
    ];
    const post = await (await presignedPostSdk()).createPresignedPost(this.#client, {
      Bucket,
      Key: request.key,
      Conditions: conditions,
      Fields: fields,
      Expires: request.expiresSeconds,
    });
    return { url: post.url, fields: post.fields };
  }
}

type PresignConditions = NonNullable<Parameters<PresignedPostSdk['createPresignedPost']>[1]['Conditions']>;
