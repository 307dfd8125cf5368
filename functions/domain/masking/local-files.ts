/**
 * The I/O around DuckDB, kept out of the SQL compiler: objects are downloaded through the
 * ObjectStore port into a private temp dir (DuckDB reads local files only), and outputs are uploaded
 * whole. S3 makes an object visible only once its PUT completes, and we PUT a finished local file, so
 * no reader ever sees a half-written object.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { ObjectStore } from '../ports/index.ts';

/** A private working directory, removed afterwards whatever happens (it may hold personal data). */
export async function withWorkDir<T>(work: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'kura-mask-'));
  try {
    return await work(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Downloads an object to `<dir>/<key>` (mirroring the key, so Hive partitions survive) and returns the path. */
export async function download(
  objects: ObjectStore,
  bucket: string,
  key: string,
  dir: string,
): Promise<string> {
  const path = join(dir, 'in', key);
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, await objects.get(bucket, key), { mode: 0o600 });
  return path;
}

/** Writes rows as newline-delimited JSON to `<dir>/<name>` (private to this process); returns the path. */
export async function writeJsonLines(dir: string, name: string, rows: readonly object[]): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, rows.map((row) => `${JSON.stringify(row)}\n`).join(''), { mode: 0o600 });
  return path;
}

/** A local output path for a key. */
export async function outputPath(dir: string, key: string): Promise<string> {
  const path = join(dir, 'out', key);
  await mkdir(dirname(path), { recursive: true });
  return path;
}

/** Uploads a finished local file as one object. */
export async function upload(objects: ObjectStore, bucket: string, key: string, path: string): Promise<void> {
  await objects.put(bucket, key, new Uint8Array(await readFile(path)), {
    contentType: 'application/vnd.apache.parquet',
  });
}

/** Every key under a prefix. */
export async function listKeys(objects: ObjectStore, bucket: string, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const summary of objects.list(bucket, prefix)) keys.push(summary.key);
  return keys.sort();
}

/** The value of a `name=value` segment in a Hive-style key, if present. */
export function hivePart(key: string, name: string): string | undefined {
  const segment = key.split('/').find((s) => s.startsWith(`${name}=`));
  return segment?.slice(name.length + 1);
}
