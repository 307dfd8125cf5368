/**
 * Facts generations (masking/facts-generation.ts): the generation a facts file was stamped with is read
 * back from its footer; files written before generations existed count as the first; a renewed
 * generation is new.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryObjectStore } from '../../../functions/adapters/memory/index.ts';
import { plainQuery, withDuckDb } from '../../../functions/domain/masking/duckdb-engine.ts';
import {
  FIRST_GENERATION,
  generationCopyOption,
  readFactsGeneration,
  renewFactsGeneration,
  stampedGenerations,
} from '../../../functions/domain/masking/facts-generation.ts';

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

describe('facts generations', () => {
  it('reads back the generation each file was stamped with, and the first for a file without one', async () => {
    // Prepare
    const dir = await mkdtemp(join(tmpdir(), 'kura-generation-'));
    dirs.push(dir);
    const stamped = join(dir, "it's stamped.parquet");
    const plain = join(dir, 'plain.parquet');

    // Act
    const generations = await withDuckDb(async (db) => {
      await db.run(
        plainQuery(
          `COPY (SELECT 1 AS n) TO '${stamped.replaceAll("'", "''")}' (FORMAT parquet, ${generationCopyOption("g-'1")})`,
          'stamped',
        ),
      );
      await db.run(plainQuery(`COPY (SELECT 1 AS n) TO '${plain}' (FORMAT parquet)`, 'plain'));
      return stampedGenerations(db, [stamped, plain]);
    });

    // Assess
    expect(Object.fromEntries(generations)).toEqual({ [stamped]: "g-'1", [plain]: FIRST_GENERATION });
  });

  it('starts at the first generation and renews it to a new one each time', async () => {
    // Prepare
    const objects = new MemoryObjectStore();
    const first = await readFactsGeneration(objects, 't-1');

    // Act
    await renewFactsGeneration(objects, 't-1');
    const second = await readFactsGeneration(objects, 't-1');
    await renewFactsGeneration(objects, 't-1');
    const third = await readFactsGeneration(objects, 't-1');

    // Assess
    expect(first).toBe(FIRST_GENERATION);
    expect(new Set([first, second, third]).size).toBe(3);
    expect(await readFactsGeneration(objects, 't-2')).toBe(FIRST_GENERATION);
  });
});
