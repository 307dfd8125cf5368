/**
 * Ingestion benchmark (issue 4): a 1,000,000-row attendance CSV through `ingestObject` (decode,
 * validate, normalise, write Parquet) against DuckDB's bare `COPY (SELECT * FROM read_csv(...)) TO
 * parquet` of the same file, side by side, each in its own process so peak RSS (VmHWM) is its own.
 *
 *   npx tsx bench/ingest.ts [--rows 1000000] [--style slash|era] [--encoding sjis|utf8] [--pairs 5]
 *
 * Runs interleave (bare, ingest, bare, ingest, …); the ratio is the median of the pairs' ratios.
 *
 * `slash` writes canonical cells (2025/4/1, 8.00); `era` writes 令和7年4月1日 and full-width digits
 * in every tenth row, so the full rules run on those. Timings live here, never in tests.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, readFileSync } from 'node:fs';
import { copyFile, mkdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import iconv from 'iconv-lite';
import { MemoryTable } from '../functions/adapters/memory/index.ts';
import type { Body, ObjectHead, ObjectStore } from '../functions/adapters/ports.ts';
import { NotFoundError } from '../functions/adapters/ports.ts';
import { ingestObject } from '../functions/domain/ingest/ingest.ts';
import { defaultSettings } from '../functions/domain/settings.ts';
import { landingKey } from '../functions/domain/zones.ts';

const { values: args } = parseArgs({
  options: {
    rows: { type: 'string', default: '1000000' },
    style: { type: 'string', default: 'slash' },
    encoding: { type: 'string', default: 'sjis' },
    child: { type: 'string' },
    file: { type: 'string' },
    pairs: { type: 'string', default: '5' },
  },
});

const peakMiB = () => {
  const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  return match ? Number(match[1]) / 1024 : Number.NaN;
};

/** Writes the benchmark CSV (streamed, so the generator's own memory stays small). */
async function generate(path: string, rows: number, style: string, encoding: string): Promise<void> {
  const out = createWriteStream(path);
  const encode = (text: string) =>
    encoding === 'sjis' ? iconv.encode(text, 'cp932') : Buffer.from(text, 'utf8');
  const header =
    '社員番号,勤務日,所定労働時間,実労働時間,残業時間,深夜労働時間,休日労働時間,有給休暇取得日数\r\n';
  let chunk = header;
  const employees = 4000;
  for (let i = 0; i < rows; i++) {
    const employee = String(1 + (i % employees)).padStart(6, '0');
    const day = new Date(Date.UTC(2019, 4, 1) + Math.floor(i / employees) * 86_400_000);
    const [y, m, d] = [day.getUTCFullYear(), day.getUTCMonth() + 1, day.getUTCDate()];
    const actual = (7 + (i % 7) * 0.5).toFixed(2);
    const overtime = ((i % 5) * 0.25).toFixed(2);
    const realistic = style === 'era' && i % 10 === 0;
    const date = realistic ? `令和${y - 2018 === 1 ? '元' : y - 2018}年${m}月${d}日` : `${y}/${m}/${d}`;
    const code = realistic
      ? employee.replace(/[0-9]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 0xfee0))
      : employee;
    chunk += `${code},${date},8.00,${actual},${overtime},0.00,0.00,${i % 20 === 0 ? '1' : '0'}\r\n`;
    if (chunk.length > 1 << 20) {
      if (!out.write(encode(chunk))) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
      chunk = '';
    }
  }
  out.write(encode(chunk));
  await new Promise<void>((resolve, reject) =>
    out.end((error?: Error | null) => (error ? reject(error) : resolve())),
  );
}

/** An ObjectStore over a local directory (bucket = subdirectory): the landing file is never held in memory. */
class DirectoryObjectStore implements ObjectStore {
  constructor(private readonly root: string) {}
  private path(bucket: string, key: string) {
    return join(this.root, bucket, key);
  }
  async put(bucket: string, key: string, body: Body): Promise<void> {
    const path = this.path(bucket, key);
    await mkdir(dirname(path), { recursive: true });
    if (typeof body === 'string' || body instanceof Uint8Array) return writeFile(path, body);
    const out = createWriteStream(path);
    await new Promise<void>((resolve, reject) => {
      (body as Readable).pipe(out).on('finish', resolve).on('error', reject);
    });
  }
  async get(bucket: string, key: string): Promise<Uint8Array> {
    return readFileSync(this.path(bucket, key));
  }
  async getStream(bucket: string, key: string): Promise<Readable> {
    if (!existsSync(this.path(bucket, key))) throw new NotFoundError(key);
    return createReadStream(this.path(bucket, key), { highWaterMark: 1 << 20 });
  }
  async head(bucket: string, key: string): Promise<ObjectHead | undefined> {
    if (!existsSync(this.path(bucket, key))) return undefined;
    return { key, size: (await stat(this.path(bucket, key))).size, contentType: 'text/csv', metadata: {} };
  }
  async *list(): AsyncIterable<never> {}
  async *listVersions(): AsyncIterable<never> {}
  async deleteMany(bucket: string, refs: readonly { key: string }[]) {
    for (const ref of refs) await rm(this.path(bucket, ref.key), { force: true });
    return { failed: [] };
  }
  async copy(bucket: string, fromKey: string, toBucket: string, toKey: string): Promise<void> {
    await mkdir(dirname(this.path(toBucket, toKey)), { recursive: true });
    await copyFile(this.path(bucket, fromKey), this.path(toBucket, toKey));
  }
  async presignPost(): Promise<never> {
    throw new Error('not used');
  }
}

async function childBare(file: string) {
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const out = join(dirname(file), 'bare.parquet');
  const started = performance.now();
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  await connection.run(`COPY (SELECT * FROM read_csv('${file}')) TO '${out}' (FORMAT parquet)`);
  const ms = performance.now() - started;
  connection.closeSync();
  instance.closeSync();
  return { ms, peakMiB: peakMiB() };
}

async function childIngest(file: string) {
  const root = join(dirname(file), 'store');
  await rm(root, { recursive: true, force: true });
  const objects = new DirectoryObjectStore(root);
  const table = new MemoryTable();
  const key = landingKey('t-bench', 'attendance', 'u-bench', 'kintai.csv');
  await objects.copy('.', file.slice(dirname(file).length + 1), 'landing', key).catch(async () => {
    await mkdir(dirname(join(root, 'landing', key)), { recursive: true });
    await copyFile(file, join(root, 'landing', key));
  });
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  const size = (await stat(file)).size;
  const now = new Date().toISOString();
  await table.put('uploads', {
    tenantId: 't-bench',
    uploadId: 'u-bench',
    dataset: 'attendance',
    fileName: 'kintai.csv',
    key,
    contentType: 'text/csv',
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
    const now = performance.now();
    phases[phase] = Math.round(now - last);
    last = now;
  };
  const result = await ingestObject(
    { objects, table, workDir: join(dirname(file), 'work'), trace },
    defaultSettings,
    { bucket: 'bench', key, size, sequencer: '01' },
  );
  const ms = performance.now() - started;
  const record = await table.get('uploads', { tenantId: 't-bench', uploadId: 'u-bench' });
  return {
    ms,
    peakMiB: peakMiB(),
    result,
    rows: record?.rows,
    outputs: Array.isArray(record?.outputs) ? record.outputs.length : 0,
    phases,
  };
}

async function main() {
  if (args.child && args.file) {
    const report = args.child === 'bare' ? await childBare(args.file) : await childIngest(args.file);
    process.stdout.write(`${JSON.stringify(report)}\n`);
    return;
  }
  const rows = Number(args.rows);
  const dir = join(tmpdir(), 'kura-bench-ingest');
  await mkdir(dir, { recursive: true });
  const file = join(dir, `attendance-${rows}-${args.style}-${args.encoding}.csv`);
  if (!existsSync(file)) await generate(file, rows, args.style ?? 'slash', args.encoding ?? 'sjis');
  const tsx = join(dirname(fileURLToPath(import.meta.url)), '..', 'node_modules', '.bin', 'tsx');
  const run = (mode: string) => {
    const child = spawnSync(tsx, [fileURLToPath(import.meta.url), '--child', mode, '--file', file], {
      encoding: 'utf8',
      maxBuffer: 1 << 24,
    });
    if (child.status !== 0) throw new Error(`${mode} failed: ${child.stderr}`);
    return JSON.parse(child.stdout.trim().split('\n').pop() ?? '{}');
  };
  // DuckDB reads a UTF-8 copy (it has no CP932 reader): the fairest bare conversion of the same rows.
  let bareFile = file;
  if (args.encoding === 'sjis') {
    bareFile = file.replace(/\.csv$/, '.utf8.csv');
    if (!existsSync(bareFile)) await writeFile(bareFile, iconv.decode(readFileSync(file), 'cp932'));
  }
  const size = (await stat(file)).size;
  // Interleaved pairs, so a burst of load on a shared machine hits both sides alike.
  const pairs = Number(args.pairs);
  const bareRuns: { ms: number; peakMiB: number }[] = [];
  const ingestRuns: {
    ms: number;
    peakMiB: number;
    phases: Record<string, number>;
    result: unknown;
    rows: unknown;
  }[] = [];
  for (let i = 0; i < pairs; i++) {
    const child = spawnSync(tsx, [fileURLToPath(import.meta.url), '--child', 'bare', '--file', bareFile], {
      encoding: 'utf8',
    });
    bareRuns.push(JSON.parse(child.stdout.trim().split('\n').pop() ?? '{}'));
    ingestRuns.push(run('ingest'));
  }
  const median = (values: number[]) =>
    [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN;
  const ratios = ingestRuns.map((r, i) => r.ms / (bareRuns[i]?.ms ?? Number.NaN));
  const bare = median(bareRuns.map((r) => r.ms));
  const ingest = median(ingestRuns.map((r) => r.ms));
  console.log(
    JSON.stringify(
      {
        rows,
        style: args.style,
        encoding: args.encoding,
        fileMiB: Math.round((size / 1024 ** 2) * 10) / 10,
        bareCopyMs: Math.round(bare),
        ingestMs: Math.round(ingest),
        ratio: Math.round(median(ratios) * 100) / 100,
        pairRatios: ratios.map((r) => Math.round(r * 100) / 100),
        ingestPeakMiB: Math.round(Math.max(...ingestRuns.map((r) => r.peakMiB))),
        bareCopyPeakMiB: Math.round(Math.max(...bareRuns.map((r) => r.peakMiB))),
        ingestRuns: ingestRuns.map((r) => Math.round(r.ms)),
        bareRuns: bareRuns.map((r) => Math.round(r.ms)),
        outcome: ingestRuns[0]?.result,
        phasesMs: ingestRuns[ingestRuns.length - 1]?.phases,
        counts: ingestRuns[0]?.rows,
      },
      null,
      2,
    ),
  );
}

await main();
