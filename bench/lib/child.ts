/**
 * Measured runs in their own processes, so one run's heap, DuckDB buffers and peak RSS never
 * pollute the next. A child prints one JSON line last; the parent parses it.
 */
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const TSX = join(REPO_ROOT, 'node_modules', '.bin', 'tsx');

/** Runs `tsx <script> ...args` and returns the JSON its last stdout line holds. */
export function runChild<T>(script: string, args: readonly string[], env: NodeJS.ProcessEnv = {}): T {
  const child = spawnSync(TSX, [script, ...args], {
    encoding: 'utf8',
    maxBuffer: 1 << 26,
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
  });
  if (child.status !== 0) {
    throw new Error(`${script} ${args.join(' ')} failed (exit ${child.status}):\n${child.stderr}`);
  }
  const last = child.stdout.trim().split('\n').pop() ?? '';
  return JSON.parse(last) as T;
}

/** Runs plain `node <args>` (no tsx), returning the JSON of its last stdout line. */
export function runNode<T>(args: readonly string[], cwd = REPO_ROOT, env: NodeJS.ProcessEnv = {}): T {
  const child = spawnSync(process.execPath, args, {
    encoding: 'utf8',
    maxBuffer: 1 << 24,
    cwd,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
  });
  if (child.status !== 0)
    throw new Error(`node ${args.join(' ')} failed (exit ${child.status}):\n${child.stderr}`);
  const last = child.stdout.trim().split('\n').pop() ?? '';
  return JSON.parse(last) as T;
}
