/**
 * One measured ingestion run in its own process (spawned by bench/ingest.ts), printing one JSON line:
 *
 *   npx tsx bench/ingest-child.ts --mode bare|ingest|ingest+mask --file <csv> --work <dir>
 *
 * A `--file` ending in .xlsx is uploaded as an Excel workbook.
 * `bare` is DuckDB's `COPY (SELECT * FROM read_csv(...)) TO ... (FORMAT parquet)` of a UTF-8 file.
 * `ingest` is the production `ingestObject` (verify, decode, validate, normalise, write Parquet,
 * record, remove the landing object). `ingest+mask` adds what the deployed ingest runtime runs in
 * the same invocation (functions/ingest/runtime.ts `afterAccepted`): `pseudonymise` (HMAC tokens
 * under the tenant's key, pseudonymised Parquet, the tenant's derived facts).
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, readFileSync } from 'node:fs';
import { copyFile, mkdir, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import { MemoryKeyStore, MemoryTable } from '../functions/adapters/memory/index.ts';
import { ingestObject } from '../functions/domain/ingest/ingest.ts';
import type {
  Body,
  ObjectHead,
  ObjectStore,
  ObjectSummary,
  ObjectVersion,
} from '../functions/domain/ports/index.ts';
import { NotFoundError } from '../functions/domain/ports/index.ts';
import { defaultSettings } from '../functions/domain/settings.ts';
import { XLSX_CONTENT_TYPE } from '../functions/domain/uploads/content-type.ts';
import { landingKey } from '../functions/domain/zones.ts';
import { composeIngest } from '../functions/ingest/runtime.ts';
import { peakRssMiB } from './lib/report.ts';

/** Result line of one measured run. */
export interface IngestRun {
  readonly ms: number;
  readonly peakMiB: number;
  readonly status?: string;
  readonly rows?: unknown;
  readonly maskedRows?: number;
  readonly phases?: Record<string, number>;
}

/**
 * An ObjectStore over a local directory (bucket = subdirectory): the landing file is streamed from
 * disk, never held in memory, as S3 streams it in Lambda.
 */
export class DirectoryObjectStore implements ObjectStore {
  constructor(private readonly root: string) {}
  private path(bucket: string, key: string) {
    return join(this.root, bucket, key);
  }
  async put(bucket: string, key: string, body: Body): Promise<void> {
    const path = this.path(bucket, key);
    await mkdir(dirname(path), { recursive: true });
    if (typeof body === 'string' || body instanceof Uint8Array) return writeFile(path, body);
    await pipeline(body as Readable, createWriteStream(path));
  }
  async get(bucket: string, key: string): Promise<Uint8Array> {
    if (!existsSync(this.path(bucket, key))) throw new NotFoundError(key);
    return readFileSync(this.path(bucket, key));
  }
  async getStream(bucket: string, key: string): Promise<Readable> {
    if (!existsSync(this.path(bucket, key))) throw new NotFoundError(key);
    return createReadStream(this.path(bucket, key), { highWaterMark: 1 << 20 });
  }
  async head(bucket: string, key: string): Promise<ObjectHead | undefined> {
    if (!existsSync(this.path(bucket, key))) return undefined;
    const contentType = key.endsWith('.xlsx') ? XLSX_CONTENT_TYPE : 'text/csv';
    return { key, size: (await stat(this.path(bucket, key))).size, contentType, metadata: {} };
  }
  async *list(bucket: string, prefix: string): AsyncIterable<ObjectSummary> {
    const base = join(this.root, bucket);
    if (!existsSync(base)) return;
    const entries = await readdir(base, { recursive: true, withFileTypes: true });
    const keys = entries
      .filter((e) => e.isFile())
      .map((e) => relative(base, join(e.parentPath, e.name)))
      .filter((key) => key.startsWith(prefix))
      .sort();
    for (const key of keys) yield { key, size: (await stat(join(base, key))).size };
  }
  async *listVersions(bucket: string, prefix: string): AsyncIterable<ObjectVersion> {
    for await (const object of this.list(bucket, prefix))
      yield { key: object.key, versionId: 'null', isLatest: true, isDeleteMarker: false };
  }
  async deleteMany(bucket: string, refs: readonly { key: string }[]) {
    for (const ref of refs) await rm(this.path(bucket, ref.key), { force: true });
    return { failed: [] };
  }
  async copy(bucket: string, fromKey: string, toBucket: string, toKey: string): Promise<void> {
    await mkdir(dirname(this.path(toBucket, toKey)), { recursive: true });
    await copyFile(this.path(bucket, fromKey), this.path(toBucket, toKey));
  }
  async presignPost(): Promise<never> {
    throw new Error('presignPost is not used by the ingestion benchmark');
  }
}

async function bare(file: string, work: string): Promise<IngestRun> {
  const { DuckDBInstance } = await import('@duckdb/node-api');
  await mkdir(work, { recursive: true });
  const out = join(work, 'bare.parquet');
  const started = performance.now();
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  await connection.run(`COPY (SELECT * FROM read_csv('${file}')) TO '${out}' (FORMAT parquet)`);
  const ms = performance.now() - started;
  connection.closeSync();
  instance.closeSync();
  return { ms, peakMiB: peakRssMiB() };
}

async function ingest(file: string, work: string, mask: boolean): Promise<IngestRun> {
  const tenantId = 't-bench';
  const uploadId = 'u-bench';
  const root = join(work, 'store');
  await rm(root, { recursive: true, force: true });
  const objects = new DirectoryObjectStore(root);
  const table = new MemoryTable();
  const keys = new MemoryKeyStore();
  await keys.create(tenantId);
  // Only a company whose contract runs may send data (functions/domain/tenants/rules.ts).
  await table.put('tenants', {
    tenantId,
    name: 'Bench company',
    profile: { industry: 'E', prefecture: '13', sizeBand: '300+' },
    contract: { start: '2020-04-01' },
    state: 'ACTIVE',
    legalHold: false,
    createdAt: '2020-04-01T00:00:00.000Z',
    updatedAt: '2020-04-01T00:00:00.000Z',
  });
  const workbook = file.endsWith('.xlsx');
  const fileName = workbook ? 'kintai.xlsx' : 'kintai.csv';
  const key = landingKey(tenantId, 'attendance', uploadId, fileName);
  await mkdir(dirname(join(root, 'landing', key)), { recursive: true });
  await copyFile(file, join(root, 'landing', key));
  // The upload record as requestUpload writes it (size and checksum the client declared).
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  const size = (await stat(file)).size;
  const now = new Date().toISOString();
  await table.put('uploads', {
    tenantId,
    uploadId,
    dataset: 'attendance',
    fileName,
    key,
    contentType: workbook ? XLSX_CONTENT_TYPE : 'text/csv',
    sizeBytes: size,
    sha256: hash.digest('base64'),
    status: 'REQUESTED',
    requestedBy: 'bench',
    requestedAt: now,
    expiresAt: now,
    updatedAt: now,
  });
  const phases: Record<string, number> = {};
  const started = performance.now();
  let last = started;
  const trace = (phase: string) => {
    const at = performance.now();
    phases[phase] = Math.round(at - last);
    last = at;
  };
  // The ingest function's own composition root (functions/ingest/runtime.ts); without masking, its
  // masking steps are left out.
  const { ports } = composeIngest({
    objects,
    table,
    keys,
    settings: defaultSettings,
    clock: () => new Date(),
    tmpDir: join(work, 'tmp'),
  });
  const { afterAccepted, maskInPass, ...ingestOnly } = ports;
  const result = await ingestObject(
    {
      ...ingestOnly,
      trace,
      ...(mask && afterAccepted && maskInPass
        ? {
            maskInPass,
            afterAccepted: async (tenant: string, upload: string, inPass?: readonly string[]) => {
              await afterAccepted(tenant, upload, inPass);
              trace('mask');
            },
          }
        : {}),
    },
    defaultSettings,
    { bucket: 'bench', key, size, sequencer: '01' },
  );
  const ms = performance.now() - started;
  const record = await table.get('uploads', { tenantId, uploadId });
  const maskedRows = record?.maskedAt ? (record.rows as { accepted: number }).accepted : undefined;
  return {
    ms,
    peakMiB: peakRssMiB(),
    status: 'status' in result ? String(result.status) : result.kind,
    rows: record?.rows,
    ...(maskedRows === undefined ? {} : { maskedRows }),
    phases,
  };
}

const { values } = parseArgs({
  options: { mode: { type: 'string' }, file: { type: 'string' }, work: { type: 'string' } },
});
const { mode, file, work } = values;
if (!mode || !file || !work)
  throw new Error('usage: ingest-child.ts --mode bare|ingest|ingest+mask --file <csv> --work <dir>');
const report = mode === 'bare' ? await bare(file, work) : await ingest(file, work, mode === 'ingest+mask');
process.stdout.write(`${JSON.stringify(report)}\n`);
