/**
 * What every benchmark reports: figures with their baseline from the same run, the ratio and the
 * target, and the helpers that turn them into the console table and `bench/results.md`.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';

/** One measured figure, side by side with the baseline measured in the same run. */
export interface Figure {
  readonly benchmark: string;
  readonly figure: string;
  readonly value: number;
  readonly unit: string;
  /** What the figure is compared with, e.g. `DuckDB bare COPY`. */
  readonly baseline?: string;
  readonly baselineValue?: number;
  /** value / baselineValue unless the benchmark defines it otherwise (say so in `ratioNote`). */
  readonly ratio?: number;
  readonly ratioNote?: string;
  /** Human-readable target, e.g. `ratio ≤ 4`. */
  readonly target?: string;
  /** Whether the target is met; undefined when the figure has no target. */
  readonly met?: boolean;
}

/** A benchmark's figures plus what it generated and what it measured. */
export interface Section {
  readonly name: string;
  readonly figures: readonly Figure[];
  readonly notes: readonly string[];
  readonly seconds: number;
}

export const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[middle] ?? Number.NaN)
    : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
};

/** Peak resident set of this process (VmHWM), MiB: each measured run is its own process. */
export function peakRssMiB(): number {
  const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  return match ? Number(match[1]) / 1024 : process.resourceUsage().maxRSS / 1024;
}

export const round = (value: number, places = 2) => {
  if (!Number.isFinite(value)) return value;
  const factor = 10 ** places;
  return Math.round(value * factor) / factor;
};

/** Formats a number for the tables: thousands separators, at most three significant decimals. */
export function formatNumber(value: number | undefined): string {
  if (value === undefined) return '';
  if (!Number.isFinite(value)) return String(value);
  const abs = Math.abs(value);
  const places = abs >= 1000 ? 0 : abs >= 100 ? 1 : abs >= 1 ? 2 : 3;
  return value.toLocaleString('en-US', { maximumFractionDigits: places, minimumFractionDigits: 0 });
}

export interface Machine {
  readonly cpu: string;
  readonly cores: number;
  readonly memoryGiB: number;
  readonly node: string;
  readonly duckdb: string;
  readonly os: string;
  readonly date: string;
  readonly loadStart: readonly number[];
  loadEnd?: readonly number[];
}

/** The machine the figures were measured on, from /proc/cpuinfo, os and the DuckDB library itself. */
export async function describeMachine(): Promise<Machine> {
  const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
  const model = /model name\s*:\s*(.+)/.exec(cpuinfo)?.[1]?.trim() ?? cpus()[0]?.model ?? 'unknown';
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  const version = (await connection.runAndReadAll('SELECT version() AS v')).getRowObjects()[0]?.v;
  connection.closeSync();
  instance.closeSync();
  let os = `${process.platform} ${process.arch}`;
  try {
    os = execFileSync('uname', ['-sr'], { encoding: 'utf8' }).trim();
  } catch {}
  return {
    cpu: model,
    cores: cpus().length,
    memoryGiB: round(totalmem() / 1024 ** 3, 1),
    node: process.version,
    duckdb: `${String(version)} (@duckdb/node-api ${await packageVersion('@duckdb/node-api')})`,
    os,
    date: new Date().toISOString(),
    loadStart: loadavg().map((l) => round(l, 2)),
  };
}

async function packageVersion(name: string): Promise<string> {
  const { createRequire } = await import('node:module');
  const require = createRequire(import.meta.url);
  const pkg = JSON.parse(readFileSync(require.resolve(`${name}/package.json`), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

const status = (figure: Figure) => (figure.met === undefined ? '—' : figure.met ? 'met' : 'MISSED');

/** The figures as a fixed-width console table. */
export function consoleTable(sections: readonly Section[]): string {
  const header = ['Benchmark', 'Figure', 'Kura', 'Baseline', 'Ratio', 'Target', 'Status'];
  const rows = sections.flatMap((s) =>
    s.figures.map((f) => [
      f.benchmark,
      f.figure,
      `${formatNumber(f.value)} ${f.unit}`,
      f.baseline ? `${formatNumber(f.baselineValue)} ${f.unit} (${f.baseline})` : '',
      f.ratio === undefined ? '' : `${formatNumber(f.ratio)}×`,
      f.target ?? '',
      status(f),
    ]),
  );
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

const cell = (text: string) => text.replace(/\|/g, '\\|');

/** `bench/results.md`: machine, every figure with baseline, ratio, target and status, then notes. */
export function resultsMarkdown(
  machine: Machine,
  sections: readonly Section[],
  totalSeconds: number,
  command: string,
): string {
  const figures = sections.flatMap((s) => s.figures);
  const missed = figures.filter((f) => f.met === false);
  const lines = [
    '# Kura benchmark results',
    '',
    `Generated by \`${command}\` (bench/run.ts) on ${machine.date}. Do not edit by hand; rerun instead.`,
    'Every figure is measured side by side with its baseline in the same run (see bench/README.md).',
    '',
    '## Machine',
    '',
    '| | |',
    '|---|---|',
    `| CPU | ${cell(machine.cpu)} |`,
    `| Cores | ${machine.cores} |`,
    `| Memory | ${machine.memoryGiB} GiB |`,
    `| OS | ${cell(machine.os)} |`,
    `| Node.js | ${machine.node} |`,
    `| DuckDB | ${cell(machine.duckdb)} |`,
    `| Date | ${machine.date} |`,
    `| Load average at start (1/5/15 min) | ${machine.loadStart.join(' / ')} |`,
    `| Load average at end (1/5/15 min) | ${(machine.loadEnd ?? []).join(' / ')} |`,
    `| Total run time | ${formatNumber(totalSeconds)} s (target: under 600 s) — ${totalSeconds < 600 ? 'met' : 'MISSED'} |`,
    '',
    '## Targets',
    '',
    missed.length === 0
      ? `All ${figures.filter((f) => f.met !== undefined).length} targets are met.`
      : `**${missed.length} target(s) MISSED:** ${missed.map((f) => `${f.benchmark} — ${f.figure} (${formatNumber(f.value)} ${f.unit}; target ${f.target})`).join('; ')}.`,
    '',
    '## Results',
    '',
    '| Benchmark | Figure | Kura | Baseline | Baseline value | Ratio | Target | Status |',
    '|---|---|--:|---|--:|--:|---|---|',
    ...figures.map(
      (f) =>
        `| ${cell(f.benchmark)} | ${cell(f.figure)} | ${formatNumber(f.value)} ${f.unit} | ${cell(f.baseline ?? '—')} | ${f.baseline ? `${formatNumber(f.baselineValue)} ${f.unit}` : '—'} | ${f.ratio === undefined ? '—' : `${formatNumber(f.ratio)}×${f.ratioNote ? ` (${cell(f.ratioNote)})` : ''}`} | ${cell(f.target ?? '—')} | ${f.met === false ? '**MISSED**' : status(f)} |`,
    ),
    '',
    '## What each benchmark generated and measured',
    '',
    ...sections.flatMap((s) => [
      `### ${s.name} (${formatNumber(s.seconds)} s)`,
      '',
      ...s.notes.map((n) => `- ${n}`),
      '',
    ]),
  ];
  return `${lines.join('\n').trimEnd()}\n`;
}
