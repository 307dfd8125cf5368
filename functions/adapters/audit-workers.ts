/**
 * The release audit's linear programs on worker threads (domain: stats/audit-checks.ts). The families
 * of programs (a statistic, a period, a measure) are independent and HiGHS is single-threaded, so a
 * release uses every core it has: a Lambda function of 3,008 MiB has two vCPUs. Each worker loads its
 * own HiGHS; jobs go to whichever worker is free, largest first. Verdicts are those of the in-thread
 * solver (a test compares them).
 *
 * A worker runs this very module: in a function's bundle that is the bundle itself (`import.meta.url`
 * is index.mjs), from the sources (local platform, tests) the TypeScript file through tsx. The module's
 * top level starts the worker loop only in a thread started with {@link WORKER_DATA}.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import {
  inThreadSolver,
  type SuppressionJob,
  type SuppressionSolution,
  type SuppressionSolver,
  solveSuppressionJob,
} from '../domain/stats/audit-checks.ts';
import { loadSolver } from '../domain/stats/feasibility.ts';

/** What marks a thread as an audit worker (any other thread that loads this module does nothing). */
export const WORKER_DATA = 'kura-audit-worker';

type Reply = { readonly solution: SuppressionSolution } | { readonly error: string };

if (!isMainThread && workerData === WORKER_DATA && parentPort) {
  const port = parentPort;
  port.on('message', (job: SuppressionJob) => {
    loadSolver()
      .then((highs) => port.postMessage({ solution: solveSuppressionJob(highs, job) } satisfies Reply))
      .catch((error: unknown) =>
        port.postMessage({
          error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
        } satisfies Reply),
      );
  });
}

/** Raised when a worker fails a job or exits; the audit fails closed (the release is not published). */
export class AuditWorkerError extends Error {
  override readonly name = 'AuditWorkerError';
}

export interface WorkerSolverOptions {
  /** Threads to start. @default the machine's available parallelism, at most 4 */
  readonly workers?: number;
  /**
   * Below this total weight of all jobs (`weight`: targets × (variables + equations)), the jobs are
   * solved in this thread: starting workers (each loading and compiling HiGHS) costs about what they
   * save. The bench's 24-company audit (110 jobs, weight 4.7 million) took 1.0–2.2 s in one thread
   * and 1.2–2.6 s on two workers from the bundle, and 1.8–3.3 s on two workers from the sources (tsx,
   * as `npm start` runs); its 1,000-company audit (weight 127 million) about 36 s in one thread.
   * @default 10 million
   */
  readonly minWeight?: number;
}

/** Job size: the programs a job may need grow with its targets and its system (0.2–0.6 s per million). */
const weight = (job: SuppressionJob) =>
  job.targets.length * (job.system.lower.length + job.system.rows.length);

/** Spreads a release's audit programs over worker threads. */
export class WorkerSuppressionSolver implements SuppressionSolver {
  readonly #workers: number;
  readonly #minWeight: number;

  constructor(options: WorkerSolverOptions = {}) {
    this.#workers = Math.max(1, options.workers ?? Math.min(4, availableParallelism()));
    this.#minWeight = options.minWeight ?? 10_000_000;
  }

  async solve(jobs: readonly SuppressionJob[]): Promise<SuppressionSolution[]> {
    const total = jobs.reduce((n, job) => n + weight(job), 0);
    const threads = Math.min(this.#workers, jobs.length);
    if (threads < 2 || total < this.#minWeight) return inThreadSolver.solve(jobs);
    const order = jobs.map((job, i) => ({ i, w: weight(job) })).sort((a, b) => b.w - a.w || a.i - b.i);
    const solutions: SuppressionSolution[] = new Array(jobs.length);
    const workers = Array.from({ length: threads }, () => startWorker());
    let next = 0;
    try {
      await Promise.all(
        workers.map(async (worker) => {
          for (let k = next++; k < order.length; k = next++) {
            const { i } = order[k] as { i: number };
            solutions[i] = await run(worker, jobs[i] as SuppressionJob);
          }
        }),
      );
    } finally {
      await Promise.all(workers.map((worker) => worker.terminate()));
    }
    return solutions;
  }
}

/** A worker running this module: the bundle as it is, or the TypeScript source through tsx. */
function startWorker(): Worker {
  const self = new URL(import.meta.url);
  if (!self.pathname.endsWith('.ts')) return new Worker(self, { workerData: WORKER_DATA });
  // From the sources: Node 20 applies no loader to a worker's own entry (`--import tsx` in execArgv
  // leaves `.ts` unknown), so the worker registers tsx's ESM hooks first, then imports this module.
  const bootstrap = `import(${JSON.stringify(tsxEsmApi())}).then(({ register }) => { register(); return import(${JSON.stringify(self.href)}); });`;
  return new Worker(bootstrap, { eval: true, workerData: WORKER_DATA });
}

/** tsx's ESM API, located from its package's export map (resolved from here, whatever the cwd). */
function tsxEsmApi(): string {
  const require = createRequire(import.meta.url);
  const manifest = require.resolve('tsx/package.json');
  const exportsMap = JSON.parse(readFileSync(manifest, 'utf8')).exports as Record<
    string,
    { import: { default: string } }
  >;
  const target = exportsMap['./esm/api']?.import.default;
  if (!target) throw new AuditWorkerError('tsx has no ESM API to run the audit workers from the sources');
  return pathToFileURL(join(dirname(manifest), target)).href;
}

/** One job on one worker: its answer, or the reason it gave none. */
function run(worker: Worker, job: SuppressionJob): Promise<SuppressionSolution> {
  return new Promise((resolve, reject) => {
    const cleanup = () => {
      worker.off('message', onMessage);
      worker.off('error', onError);
      worker.off('exit', onExit);
    };
    const onMessage = (reply: Reply) => {
      cleanup();
      if ('error' in reply) reject(new AuditWorkerError(`An audit worker failed a job: ${reply.error}`));
      else resolve(reply.solution);
    };
    const onError = (error: Error) => {
      cleanup();
      reject(new AuditWorkerError(`An audit worker failed: ${error.name}: ${error.message}`));
    };
    const onExit = (code: number) => {
      cleanup();
      reject(new AuditWorkerError(`An audit worker exited (code ${code}) before answering`));
    };
    worker.on('message', onMessage);
    worker.on('error', onError);
    worker.on('exit', onExit);
    worker.postMessage(job);
  });
}
