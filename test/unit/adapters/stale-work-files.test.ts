import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { removeStaleWorkFiles } from '../../../functions/adapters/runtime.ts';

let dir: string;
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('a cold start in a sandbox an invocation was cut short in', () => {
  it("removes Kura's work files from /tmp and nothing else", async () => {
    // Prepare
    dir = await mkdtemp(join(tmpdir(), 'sandbox-'));
    await mkdir(join(dir, 'kura-ingest-u1-x'));
    await writeFile(join(dir, 'kura-ingest-u1-x', 'clean.csv'), 'decoded rows');
    await mkdir(join(dir, 'kura-mask-spill-1'));
    await writeFile(join(dir, 'other-tool.lock'), '');

    // Act
    const removed = removeStaleWorkFiles(dir);

    // Assess
    expect(removed).toBe(2);
    expect(await readdir(dir)).toEqual(['other-tool.lock']);
  });
});
