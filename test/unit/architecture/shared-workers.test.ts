/**
 * The `unit` and `infra` tiers run their files in shared workers (vitest.config.ts, `isolate: false`):
 * a file must leave nothing behind in modules or the process for the next file to trip on. Read from
 * the test sources: no module mocks, stubbed environment or globals, fake timers or assignments to
 * process.env, and a file that spies restores its spies itself.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, repoPath, sources } from './source-files.ts';

const SHARED_TIERS = ['test/unit', 'test/infra'];

/** What a file may not do when the next file shares its modules, and why. */
const LEAKS: ReadonlyArray<readonly [RegExp, string]> = [
  [/\bvi\.(mock|doMock|hoisted)\s*\(/, 'mocks a module'],
  [/\bvi\.(stubEnv|stubGlobal)\s*\(/, 'stubs the environment or a global'],
  [/\bvi\.useFakeTimers\s*\(/, 'fakes timers'],
  [/process\.env(\.\w+|\[[^\]]+\])\s*=[^=]|delete\s+process\.env/, 'changes process.env'],
];

describe('tiers that share their workers', () => {
  const files = SHARED_TIERS.flatMap((tier) => sources(join(ROOT, tier)));

  it('hold test files (the rule reads the real tiers)', () => {
    expect(files.filter((f) => f.endsWith('.test.ts')).length).toBeGreaterThan(50);
  });

  it('leave nothing behind in modules, the environment or the process', () => {
    const found = files.flatMap((file) => {
      const text = readFileSync(file, 'utf8');
      const leaks = LEAKS.filter(([pattern]) => pattern.test(text)).map(([, what]) => what);
      if (/\bvi\.spyOn\s*\(/.test(text) && !/\.mockRestore\s*\(|vi\.restoreAllMocks\s*\(/.test(text)) {
        leaks.push('spies without restoring');
      }
      return leaks.map((what) => `${repoPath(file)} ${what}`);
    });
    expect(found).toEqual([]);
  });
});
