/**
 * The release audit's programs on worker threads (functions/adapters/audit-workers.ts) against the
 * same programs in this thread: the same intervals and program counts, from the TypeScript sources
 * (tsx in the workers) and from an esbuild bundle built as the release function's is (the worker runs
 * the bundle itself, highs.wasm beside it). A worker that fails a job fails the audit.
 */
import { execFile } from 'node:child_process';
import { copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { serialize } from 'node:v8';
import { build } from 'esbuild';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AuditWorkerError, WorkerSuppressionSolver } from '../../../functions/adapters/audit-workers.ts';
import { defaultSettings } from '../../../functions/domain/settings.ts';
import { inThreadSolver, type SuppressionJob } from '../../../functions/domain/stats/audit-checks.ts';
import { table, tables } from '../../unit/stats/linear-tables.ts';

const run = promisify(execFile);

/** Audit jobs from generated tables: counts, each suppressed cell with its own truth and largest share. */
function generatedJobs(seed: number, count: number): SuppressionJob[] {
  return fc.sample(tables({ min: 3, max: 7 }, 50), { seed, numRuns: count }).map((sample, n) => {
    const { system, targets } = table(sample.values, sample.suppressed, sample.noise);
    return {
      system,
      measure:
        n % 2 === 0
          ? { column: 'n_rows', kind: 'count', bound: sample.noise }
          : { column: 'sum_pay', kind: 'sum', bound: sample.noise },
      targets: targets.map((index, k) => ({
        index,
        largest: 10 + ((k * 37) % 90),
        single: k % 5 === 0,
        truth: (k * 13) % 50,
      })),
      settings: defaultSettings,
      exhaustive: false,
    } satisfies SuppressionJob;
  });
}

describe('the audit programs on worker threads', () => {
  it('solve to the same intervals as in this thread, whichever worker takes which job', async () => {
    // Prepare
    const jobs = generatedJobs(20261206, 24);
    expect(jobs.reduce((n, j) => n + j.targets.length, 0)).toBeGreaterThan(50);

    // Act
    const inThread = await inThreadSolver.solve(jobs);
    const onWorkers = await new WorkerSuppressionSolver({ workers: 2, minWeight: 0 }).solve(jobs);

    // Assess
    expect(onWorkers).toEqual(inThread);
    expect(inThread.some((s) => s.programs > 2)).toBe(true);
  });

  it('solve in the bundle esbuild makes of the release function, the bundle itself running the workers', async () => {
    // Prepare: an entry that solves jobs read from a file, bundled as KuraFunction bundles (ESM, node,
    // the createRequire banner, highs.wasm copied beside the bundle).
    const dir = await mkdtemp(join(tmpdir(), 'kura-audit-bundle-'));
    try {
      const jobs = generatedJobs(7, 8);
      // v8's serialisation, as worker messages use it (JSON would turn unbounded cells' ∞ into null).
      await writeFile(join(dir, 'jobs.bin'), serialize(jobs));
      await writeFile(
        join(dir, 'entry.ts'),
        [
          `import { readFileSync } from 'node:fs';`,
          `import { deserialize } from 'node:v8';`,
          `import { WorkerSuppressionSolver } from ${JSON.stringify(resolve('functions/adapters/audit-workers.ts'))};`,
          `import { isMainThread } from 'node:worker_threads';`,
          'if (isMainThread) {',
          '  const jobs = deserialize(readFileSync(process.argv[2]));',
          '  const solutions = await new WorkerSuppressionSolver({ workers: 2, minWeight: 0 }).solve(jobs);',
          '  process.stdout.write(JSON.stringify(solutions));',
          '}',
        ].join('\n'),
      );
      await build({
        entryPoints: [join(dir, 'entry.ts')],
        outfile: join(dir, 'index.mjs'),
        bundle: true,
        format: 'esm',
        platform: 'node',
        target: 'node20',
        mainFields: ['module', 'main'],
        minify: true,
        logLevel: 'warning',
        banner: {
          js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
        },
      });
      await copyFile(resolve('node_modules/highs/build/highs.wasm'), join(dir, 'highs.wasm'));

      // Act
      const { stdout } = await run(process.execPath, [join(dir, 'index.mjs'), join(dir, 'jobs.bin')], {
        cwd: dir,
      });

      // Assess
      const inThread = await inThreadSolver.solve(jobs);
      expect(JSON.parse(stdout)).toEqual(JSON.parse(JSON.stringify(inThread)));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('fail the audit when a worker cannot solve a job, and stop every worker', async () => {
    // Prepare: a job whose settings are missing (the worker's check of an interval throws)
    const [job] = generatedJobs(3, 1);
    if (!job) throw new Error('no job');
    const broken = { ...job, settings: undefined } as unknown as SuppressionJob;

    // Act
    const solving = new WorkerSuppressionSolver({ workers: 2, minWeight: 0 }).solve([job, broken, job]);

    // Assess
    await expect(solving).rejects.toThrow(AuditWorkerError);
  });
});
