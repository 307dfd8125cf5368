/**
 * One zod, the light one (issue 19: cold starts). Every function bundles functions/domain/zod.ts, which is
 * zod/mini with zod's English messages set. The full build ('zod') costs every function about 30–50 ms of
 * module import on the 2-core machine (its namespace and per-schema methods are built whether used or
 * not), so a single import of it anywhere in the code that ships would bring that back. The naive
 * baseline of the bench (bench/naive-child.ts) uses the full build on purpose: it is the usual way.
 */
import { describe, expect, it } from 'vitest';
import * as z from '../../../functions/domain/zod.ts';
import { codeFiles, repoPath, specifiers } from './source-files.ts';

const HOME = 'functions/domain/zod.ts';
const NAIVE_BASELINE = 'bench/naive-child.ts';

describe('zod', () => {
  it('is imported from functions/domain/zod.ts only, as a namespace the bundler can trim', () => {
    const files = codeFiles().map((f) => ({ ...f, path: repoPath(f.path) }));
    const direct = files
      .filter((f) => f.path !== HOME && f.path !== NAIVE_BASELINE)
      .filter((f) => specifiers(f.text).some((s) => s === 'zod' || s.startsWith('zod/')))
      .map((f) => f.path);
    const users = files.filter((f) => specifiers(f.text).some((s) => s.endsWith('/zod.ts')));
    const named = users
      .filter((f) => !/import (type )?\* as z from '[./]*(?:[a-z]+\/)*zod\.ts'/.test(f.text))
      .map((f) => f.path);

    expect(users.length).toBeGreaterThan(30);
    expect(direct).toEqual([]);
    expect(named).toEqual([]);
  });

  it('words its own messages in English, as the full build does (errors.ts falls back to them)', () => {
    // Act
    const parsed = z.string().check(z.minLength(2)).safeParse('a');

    // Assess
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues[0]?.message).toBe('Too small: expected string to have >=2 characters');
  });
});
