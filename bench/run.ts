/**
 * `npm run bench`: every benchmark of issue 9 side by side with its baselines, a console table, and
 * `bench/results.md` (machine, figures, baselines, ratios, targets met or MISSED, total run time).
 *
 *   npm run bench                          # all benchmarks, writes bench/results.md
 *   npm run bench -- --only ingest         # one (or a comma list: ingest,xlsx,stats,purge,packages)
 *   npm run bench -- --only ingest --rows 100000 --no-write   # a quick look, results.md untouched
 *
 * Generated data lives in a temp dir (KURA_BENCH_DIR or $TMPDIR/kura-bench), never in the repo.
 */
import { writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { runIngestBenchmark, runXlsxBenchmark } from './ingest.ts';
import { REPO_ROOT } from './lib/child.ts';
import { consoleTable, describeMachine, resultsMarkdown, round, type Section } from './lib/report.ts';
import { runPackagesBenchmark } from './packages.ts';
import { runPurgeBenchmarkIsolated } from './purge.ts';
import { runStatsBenchmark } from './stats.ts';

const BENCHMARKS = ['ingest', 'xlsx', 'stats', 'purge', 'packages'] as const;
type BenchmarkName = (typeof BENCHMARKS)[number];

const { values: args } = parseArgs({
  options: {
    only: { type: 'string' },
    rows: { type: 'string' },
    companies: { type: 'string' },
    objects: { type: 'string' },
    'no-write': { type: 'boolean', default: false },
  },
});

const started = performance.now();
const selected = (args.only ? args.only.split(',') : [...BENCHMARKS]).map((name) => {
  if (!(BENCHMARKS as readonly string[]).includes(name))
    throw new Error(`Unknown benchmark "${name}"; choose from ${BENCHMARKS.join(', ')}.`);
  return name as BenchmarkName;
});
const dir = process.env.KURA_BENCH_DIR ?? join(tmpdir(), 'kura-bench');
const machine = await describeMachine();
console.log(
  `Kura benchmarks on ${machine.cpu} (${machine.cores} cores), Node ${machine.node}, DuckDB ${machine.duckdb}`,
);
console.log(`Generated data: ${dir}`);

const sections: Section[] = [];
for (const name of selected) {
  console.log(`\n▶ ${name} …`);
  const section = await runOne(name);
  sections.push(section);
  console.log(consoleTable([section]));
}

async function runOne(name: BenchmarkName): Promise<Section> {
  switch (name) {
    case 'ingest':
      return runIngestBenchmark({ dir, ...(args.rows ? { rows: Number(args.rows) } : {}) });
    case 'xlsx':
      return runXlsxBenchmark({ dir, ...(args.rows ? { rows: Number(args.rows) } : {}) });
    case 'stats':
      return runStatsBenchmark({
        dir,
        ...(args.companies ? { sizes: args.companies.split(',').map(Number) } : {}),
      });
    case 'purge':
      return runPurgeBenchmarkIsolated({ dir, ...(args.objects ? { objects: Number(args.objects) } : {}) });
    case 'packages':
      return runPackagesBenchmark({ dir });
  }
}

machine.loadEnd = loadavg().map((l) => round(l, 2));
const totalSeconds = (performance.now() - started) / 1000;
console.log(`\n${consoleTable(sections)}`);
console.log(
  `\nTotal: ${round(totalSeconds, 1)} s; load average ${machine.loadStart.join('/')} → ${machine.loadEnd.join('/')}`,
);
const complete = selected.length === BENCHMARKS.length && !args.rows && !args.companies && !args.objects;
if (!args['no-write'] && complete) {
  const path = join(REPO_ROOT, 'bench', 'results.md');
  await writeFile(path, resultsMarkdown(machine, sections, totalSeconds, 'npm run bench'));
  console.log(`Wrote ${path}`);
} else if (!args['no-write']) {
  const path = join(dir, 'results-partial.md');
  await writeFile(
    path,
    resultsMarkdown(machine, sections, totalSeconds, `npm run bench -- ${process.argv.slice(2).join(' ')}`),
  );
  console.log(`Partial run: bench/results.md untouched; wrote ${path}`);
}
