import { createHash, randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
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
} from '../../domain/ports/index.ts';
import { bodyToBytes, bytesToStream } from './body.ts';

/** S3's limit on keys in one DeleteObjects request. */
export const MAX_DELETE_REFS = 1000;

/** The version id S3 reports for objects in an unversioned bucket. */
export const NULL_VERSION_ID = 'null';

interface StoredVersion {
  readonly versionId: string;
  readonly isDeleteMarker: boolean;
  readonly bytes: Uint8Array;
  readonly contentType?: string | undefined;
  readonly metadata: Readonly<Record<string, string>>;
}

/** One stored version with its bytes, for assertions that compare a store before and after. */
export interface VersionSnapshot {
  readonly bucket: string;
  readonly key: string;
  readonly versionId: string;
  readonly isDeleteMarker: boolean;
  readonly isLatest: boolean;
  readonly sha256: string;
}

export interface MemoryObjectStoreOptions {
  /**
   * `enabled` keeps every version and writes delete markers as a versioned S3 bucket does;
   * `disabled` behaves like an unversioned bucket (and like s3rver): one object per key, version id `null`.
   * @default 'enabled'
   */
  readonly versioning?: 'enabled' | 'disabled';
}

/** Raised when a request breaks an S3 limit the real service would also enforce. */
export class MemoryStoreRequestError extends Error {
  override readonly name = 'MemoryStoreRequestError';
}

/**
 * In-memory ObjectStore that keeps versions and delete markers exactly as S3 does, so the version-aware
 * paths (purge, verification) are tested without AWS:
 * - `put` adds a new version that becomes the latest;
 * - `delete` without a version id adds a delete marker (the object disappears from `list`, its versions stay);
 * - `delete` with a version id removes that version (or marker) for good;
 * - `listVersions` returns every version and marker, keys ascending, newest version first;
 * - `list` returns keys whose latest version is not a delete marker.
 * Buckets spring into existence on first write.
 */
export class MemoryObjectStore implements ObjectStore {
  readonly versioning: 'enabled' | 'disabled';
  readonly #buckets = new Map<string, Map<string, StoredVersion[]>>();
  /**
   * Each bucket's keys in UTF-8 byte order with their bytes, built on the first listing after the set
   * of keys changed (a new key or a removed one; a new version of a key changes nothing). A listing
   * then finds its prefix by binary search: a release lists each of 50,000 companies' facts in a bucket
   * of 100,000 keys, and filtering and sorting every key per listing kept the bench's 50,000-company
   * release listing for more than ten minutes before it pooled anything.
   */
  readonly #sortedKeys = new Map<string, ReadonlyArray<{ readonly key: string; readonly bytes: Buffer }>>();
  #nextVersion = 1;

  constructor(options: MemoryObjectStoreOptions = {}) {
    this.versioning = options.versioning ?? 'enabled';
  }

  async put(bucket: string, key: string, body: Body, options: PutOptions = {}): Promise<void> {
    const bytes = await bodyToBytes(body);
    this.#write(bucket, key, {
      versionId: this.#newVersionId(),
      isDeleteMarker: false,
      bytes,
      contentType: options.contentType,
      metadata: { ...(options.metadata ?? {}) },
    });
  }

  async get(bucket: string, key: string): Promise<Uint8Array> {
    const latest = this.#latest(bucket, key);
    if (!latest || latest.isDeleteMarker) throw new NotFoundError(`No object ${bucket}/${key}`);
    return new Uint8Array(latest.bytes);
  }

  async getStream(bucket: string, key: string): Promise<Readable> {
    return bytesToStream(await this.get(bucket, key));
  }

  async head(bucket: string, key: string): Promise<ObjectHead | undefined> {
    const latest = this.#latest(bucket, key);
    if (!latest || latest.isDeleteMarker) return undefined;
    return {
      key,
      size: latest.bytes.byteLength,
      contentType: latest.contentType,
      metadata: { ...latest.metadata },
      versionId: latest.versionId,
      etag: `"${createHash('md5').update(latest.bytes).digest('hex')}"`,
      checksumSha256: createHash('sha256').update(latest.bytes).digest('base64'),
    };
  }

  async *list(bucket: string, prefix: string): AsyncIterable<ObjectSummary> {
    for (const [key, versions] of this.#keysUnder(bucket, prefix)) {
      const latest = versions[0];
      if (latest && !latest.isDeleteMarker) yield { key, size: latest.bytes.byteLength };
    }
  }

  async *listVersions(bucket: string, prefix: string): AsyncIterable<ObjectVersion> {
    for (const [key, versions] of this.#keysUnder(bucket, prefix)) {
      for (const [index, version] of versions.entries()) {
        yield {
          key,
          versionId: version.versionId,
          isDeleteMarker: version.isDeleteMarker,
          isLatest: index === 0,
        };
      }
    }
  }

  async deleteMany(
    bucket: string,
    refs: readonly ObjectRef[],
  ): Promise<{ readonly failed: readonly ObjectRef[] }> {
    if (refs.length > MAX_DELETE_REFS) {
      throw new MemoryStoreRequestError(
        `deleteMany got ${refs.length} refs; S3 accepts at most ${MAX_DELETE_REFS} per request`,
      );
    }
    for (const ref of refs) this.#deleteOne(bucket, ref);
    return { failed: [] };
  }

  async copy(bucket: string, fromKey: string, toBucket: string, toKey: string): Promise<void> {
    const latest = this.#latest(bucket, fromKey);
    if (!latest || latest.isDeleteMarker) throw new NotFoundError(`No object ${bucket}/${fromKey}`);
    this.#write(toBucket, toKey, { ...latest, versionId: this.#newVersionId() });
  }

  async presignPost(request: PresignedPostRequest): Promise<PresignedPost> {
    return {
      url: `memory://${request.bucket}`,
      fields: { key: request.key, 'Content-Type': request.contentType },
    };
  }

  /** Every version and delete marker in every bucket, with a SHA-256 of its bytes (test helper). */
  snapshot(): VersionSnapshot[] {
    const rows: VersionSnapshot[] = [];
    for (const bucket of [...this.#buckets.keys()].sort()) {
      for (const [key, versions] of this.#keysUnder(bucket, '')) {
        for (const [index, version] of versions.entries()) {
          rows.push({
            bucket,
            key,
            versionId: version.versionId,
            isDeleteMarker: version.isDeleteMarker,
            isLatest: index === 0,
            sha256: createHash('sha256').update(version.bytes).digest('hex'),
          });
        }
      }
    }
    return rows;
  }

  #deleteOne(bucket: string, ref: ObjectRef): void {
    const keys = this.#buckets.get(bucket);
    const versions = keys?.get(ref.key);
    if (this.versioning === 'disabled') {
      // An unversioned bucket ignores the version id `null` and removes the object.
      if (keys?.delete(ref.key)) this.#sortedKeys.delete(bucket);
      return;
    }
    if (ref.versionId === undefined || ref.versionId === '') {
      this.#write(bucket, ref.key, {
        versionId: this.#newVersionId(),
        isDeleteMarker: true,
        bytes: new Uint8Array(),
        metadata: {},
      });
      return;
    }
    if (!keys || !versions) return; // Deleting a version that does not exist succeeds, as in S3.
    const remaining = versions.filter((version) => version.versionId !== ref.versionId);
    if (remaining.length === 0) {
      keys.delete(ref.key);
      this.#sortedKeys.delete(bucket);
    } else keys.set(ref.key, remaining);
  }

  #write(bucket: string, key: string, version: StoredVersion): void {
    let keys = this.#buckets.get(bucket);
    if (!keys) {
      keys = new Map();
      this.#buckets.set(bucket, keys);
    }
    if (this.versioning === 'disabled' && version.isDeleteMarker) {
      if (keys.delete(key)) this.#sortedKeys.delete(bucket);
      return;
    }
    if (!keys.has(key)) this.#sortedKeys.delete(bucket);
    if (this.versioning === 'disabled') {
      keys.set(key, [{ ...version, versionId: NULL_VERSION_ID }]);
      return;
    }
    keys.set(key, [version, ...(keys.get(key) ?? [])]);
  }

  #latest(bucket: string, key: string): StoredVersion | undefined {
    return this.#buckets.get(bucket)?.get(key)?.[0];
  }

  /** Keys under a prefix in S3's (UTF-8 binary) order, each with its versions newest first. */
  #keysUnder(bucket: string, prefix: string): Array<[string, StoredVersion[]]> {
    const keys = this.#buckets.get(bucket);
    if (!keys) return [];
    let sorted = this.#sortedKeys.get(bucket);
    if (!sorted) {
      sorted = [...keys.keys()]
        .map((key) => ({ key, bytes: Buffer.from(key) }))
        .sort((a, b) => Buffer.compare(a.bytes, b.bytes));
      this.#sortedKeys.set(bucket, sorted);
    }
    // The first key not below the prefix; every key under it follows, in one run.
    const wanted = Buffer.from(prefix);
    let low = 0;
    let high = sorted.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (Buffer.compare((sorted[middle] as { bytes: Buffer }).bytes, wanted) < 0) low = middle + 1;
      else high = middle;
    }
    const found: Array<[string, StoredVersion[]]> = [];
    for (let i = low; i < sorted.length; i++) {
      const { key } = sorted[i] as { key: string };
      if (!key.startsWith(prefix)) break;
      found.push([key, keys.get(key) as StoredVersion[]]);
    }
    return found;
  }

  #newVersionId(): string {
    // Unique and opaque like S3's; the counter keeps ordering readable when debugging.
    return `v${String(this.#nextVersion++).padStart(8, '0')}-${randomUUID().slice(0, 8)}`;
  }
}
