/**
 * The CLI starts light: `kura --help` and the commands that go through the API load neither the AWS
 * SDK, nor DuckDB, nor the platform's functions. Those load in the commands that use them (operators'
 * commands, `bi export`, `login`), through `import()`. Measured on the 2-core machine (2026-12-07):
 * `node bin/kura.js --help` took 1.9 s with them loaded at start, 1.2–1.3 s without; README's
 * walkthrough runs the CLI about 25 times.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadedAtStart, ROOT, repoPath, resolveRelative } from './source-files.ts';

/** Every module `entry` loads at start (repository paths) and every package specifier among them. */
function startupGraph(entry: string): { files: Set<string>; packages: Map<string, string> } {
  const files = new Set<string>();
  const packages = new Map<string, string>();
  const queue = [join(ROOT, entry)];
  for (let file = queue.pop(); file !== undefined; file = queue.pop()) {
    if (files.has(repoPath(file))) continue;
    files.add(repoPath(file));
    for (const specifier of loadedAtStart(readFileSync(file, 'utf8'))) {
      const target = resolveRelative(file, specifier);
      if (target === undefined) {
        if (!specifier.startsWith('node:')) packages.set(specifier, repoPath(file));
      } else if (existsSync(target)) {
        queue.push(target);
      }
    }
  }
  return { files, packages };
}

describe('the CLI at start', () => {
  // bin/kura.js registers tsx and loads local/cli/main.ts: the CLI proper.
  const { files, packages } = startupGraph('local/cli/main.ts');

  it('reads its commands from the CLI’s sources (the graph is the real one)', () => {
    expect(files).toContain('local/cli/main.ts');
    expect(files).toContain('local/cli/uploads.ts');
    expect(files).toContain('local/tokens.ts');
    expect([...packages.keys()]).toContain('commander');
  });

  it('loads neither the AWS SDK nor DuckDB', () => {
    const heavy = [...packages].filter(
      ([name]) => name.startsWith('@aws-sdk/') || name.startsWith('@duckdb/'),
    );
    expect(heavy.map(([name, by]) => `${name} (loaded by ${by})`)).toEqual([]);
  });

  it('loads none of the platform’s runtimes, functions or queues', () => {
    const platform = [...files].filter(
      (f) =>
        /^functions\/(?!domain\/)[^/]+\/(handler|runtime)\.ts$/.test(f) ||
        f === 'functions/adapters/local-runtime.ts' ||
        f === 'functions/adapters/runtime.ts' ||
        f === 'local/dispatch.ts' ||
        f === 'local/jobs.ts' ||
        f === 'local/platform.ts',
    );
    expect(platform).toEqual([]);
  });
});
