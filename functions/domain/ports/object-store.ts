/**
 * Object storage as the domain needs it (S3-shaped): deployed over the AWS SDK, locally over s3rver,
 * in tests in memory (functions/adapters/). Buckets are logical names the adapter resolves.
 */
import type { Readable } from 'node:stream';

export type Body = Uint8Array | string | Readable;

export interface ObjectHead {
  readonly key: string;
  readonly size: number;
  readonly contentType?: string | undefined;
  readonly metadata: Readonly<Record<string, string>>;
  readonly versionId?: string | undefined;
  readonly etag?: string | undefined;
  /** When the object was written (S3's LastModified), where the store says. */
  readonly lastModified?: Date | undefined;
  /** Base64 SHA-256 checksum when S3 stored one (x-amz-checksum-sha256). */
  readonly checksumSha256?: string | undefined;
}

export interface ObjectSummary {
  readonly key: string;
  readonly size: number;
}

export interface ObjectVersion {
  readonly key: string;
  readonly versionId: string;
  readonly isDeleteMarker: boolean;
  readonly isLatest: boolean;
}

export interface ObjectRef {
  readonly key: string;
  readonly versionId?: string | undefined;
}

export interface PutOptions {
  readonly contentType?: string;
  readonly metadata?: Readonly<Record<string, string>>;
}

export interface PresignedPostRequest {
  readonly bucket: string;
  readonly key: string;
  readonly contentType: string;
  readonly maxBytes: number;
  /** Base64 SHA-256 of the file (x-amz-checksum-sha256). */
  readonly checksumSha256: string;
  /** KMS key the object must be encrypted with (deployed); absent locally. */
  readonly kmsKeyId?: string | undefined;
  readonly expiresSeconds: number;
}

export interface PresignedPost {
  readonly url: string;
  readonly fields: Readonly<Record<string, string>>;
}

/** S3-shaped object storage. Buckets are logical names resolved by the adapter. */
export interface ObjectStore {
  put(bucket: string, key: string, body: Body, options?: PutOptions): Promise<void>;
  /** Whole object; throws NotFoundError when absent. */
  get(bucket: string, key: string): Promise<Uint8Array>;
  /** Object as a stream; throws NotFoundError when absent. */
  getStream(bucket: string, key: string): Promise<Readable>;
  head(bucket: string, key: string): Promise<ObjectHead | undefined>;
  list(bucket: string, prefix: string): AsyncIterable<ObjectSummary>;
  /** Every version and delete marker under a prefix (an unversioned store reports current objects). */
  listVersions(bucket: string, prefix: string): AsyncIterable<ObjectVersion>;
  /** Deletes at most 1,000 objects or versions in one request; returns the refs that failed. */
  deleteMany(bucket: string, refs: readonly ObjectRef[]): Promise<{ readonly failed: readonly ObjectRef[] }>;
  copy(bucket: string, fromKey: string, toBucket: string, toKey: string): Promise<void>;
  presignPost(request: PresignedPostRequest): Promise<PresignedPost>;
}
