/**
 * Real, empty anonymised tables (Parquet with the contract's columns and no rows) for tests whose
 * Athena is a recording fake: the release audit reads the anonymised tables itself, in-process.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ANONYMISED_COLUMNS,
  ANONYMISED_TABLES,
  anonymisedTableKey,
} from '../../../functions/domain/masking/anonymised-schema.ts';
import type { ObjectStore } from '../../../functions/domain/ports/index.ts';
import { withStatsDuckDb } from '../../../functions/domain/stats/duckdb-runner.ts';
import { sqlString } from '../../../functions/domain/stats/sql.ts';

export async function storeEmptyAnonymisedRelease(objects: ObjectStore, releaseId: string): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'kura-empty-anon-'));
  try {
    await withStatsDuckDb(async (db) => {
      for (const table of ANONYMISED_TABLES) {
        const path = join(dir, `${table}.parquet`);
        const columns = ANONYMISED_COLUMNS[table].map(([name, type]) => `CAST(NULL AS ${type}) AS ${name}`);
        await db.run(
          `COPY (SELECT ${columns.join(', ')} WHERE false) TO ${sqlString(path)} (FORMAT PARQUET)`,
        );
        await objects.put('curated', anonymisedTableKey(releaseId, table), await readFile(path));
      }
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
