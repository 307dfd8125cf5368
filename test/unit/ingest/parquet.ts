import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';

/** Rows of a Parquet object (bytes), read with DuckDB; BIGINT as number, DATE as ISO text. */
export async function readParquet(bytes: Uint8Array): Promise<Record<string, unknown>[]> {
  const dir = await mkdtemp(join(tmpdir(), 'kura-test-parquet-'));
  const path = join(dir, 'file.parquet');
  await writeFile(path, bytes);
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    const reader = await connection.runAndReadAll(`SELECT * FROM read_parquet('${path}')`);
    return reader
      .getRowObjectsJS()
      .map((row) =>
        Object.fromEntries(
          Object.entries(row).map(([name, value]) => [
            name,
            typeof value === 'bigint'
              ? Number(value)
              : value instanceof Date
                ? value.toISOString().slice(0, 10)
                : value,
          ]),
        ),
      );
  } finally {
    connection.closeSync();
    instance.closeSync();
    await rm(dir, { recursive: true, force: true });
  }
}
