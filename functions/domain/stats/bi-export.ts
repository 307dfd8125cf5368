/**
 * `kura bi export`: the published statistics as one DuckDB database file a BI tool opens (DuckDB's own
 * tools, DBeaver, Tableau or Power BI through DuckDB's ODBC/JDBC driver, Python, R), with the same
 * views and column names as Athena's `bi` views. Tables and views come from the descriptions the infra
 * stack declares in Glue (views.ts: `statsGlueTables`, `biViews`), so there is one source for both:
 * the tables are filled from the Parquet each published release lists (a release without its completion
 * marker is left out, as Athena's views leave it out), then each view is created with the very SELECT
 * Athena stores, in DuckDB's `main` schema instead of the stage's Glue database. Admin-only tables
 * (suppression reasons) are never exported. The file is self-contained: it holds the rows, not paths.
 */

import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { DUCKDB_THREADS } from '../duckdb-sessions.ts';
import type { ObjectStore } from '../ports/index.ts';
import { sqlIdentifier } from '../sql-text.ts';
import type { StatColumn } from './catalog.ts';
import { listPublishedReleases, readReleaseManifest } from './service.ts';
import { sqlString } from './sql.ts';
import { biViews, RELEASES_TABLE, type StatsDatabases, statsGlueTables } from './views.ts';

/** The databases the exported views name: DuckDB's default schema, so tools list them at the top. */
export const BI_VIEW_DATABASES: StatsDatabases = { stats: 'main', statsAdmin: 'main' };

const DUCKDB_TYPES: Record<StatColumn['type'], string> = {
  string: 'VARCHAR',
  bigint: 'BIGINT',
  double: 'DOUBLE',
  boolean: 'BOOLEAN',
};

/** The export could not be written (DuckDB refused a statement). */
export class BiExportError extends Error {
  override readonly name = 'BiExportError';
}

export interface BiExportSummary {
  /** The file written. */
  readonly path: string;
  /** Published releases exported, oldest first. */
  readonly releases: readonly string[];
  /** The views, as Athena names them within the database. */
  readonly views: readonly string[];
  /** Rows per statistics table. */
  readonly rows: Readonly<Record<string, number>>;
}

const quoteIdent = sqlIdentifier;

/**
 * Writes the BI database to `outPath` (replacing it only once the new file is complete). Reads the stats
 * zone only: published cells and completion markers.
 */
export async function exportBiDatabase(objects: ObjectStore, outPath: string): Promise<BiExportSummary> {
  const releases = (await listPublishedReleases(objects)).reverse();
  const tables = statsGlueTables(BI_VIEW_DATABASES).filter((t) => !t.adminOnly);
  const work = await mkdtemp(join(tmpdir(), 'kura-bi-export-'));
  // Written beside the target and renamed into place, so a tool never opens a half-written file.
  const partial = join(dirname(outPath), `.${Date.now()}-kura-bi.duckdb.partial`);
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const instance = await DuckDBInstance.create(partial, {
    threads: String(DUCKDB_THREADS),
    temp_directory: work,
  });
  const connection = await instance.connect();
  const run = async (sql: string) => {
    try {
      return (await connection.runAndReadAll(sql)).getRowObjectsJS();
    } catch (error) {
      const reason = String(error instanceof Error ? error.message : error).split('\n')[0];
      throw new BiExportError(`The BI export failed on DuckDB: ${reason}`);
    }
  };
  const rows: Record<string, number> = {};
  try {
    for (const table of tables) {
      const columns = [...table.columns, ...table.partitionKeys];
      await run(
        `CREATE TABLE ${quoteIdent(table.name)} (${columns.map((c) => `${quoteIdent(c.name)} ${DUCKDB_TYPES[c.type]}`).join(', ')})`,
      );
      if (table.name !== RELEASES_TABLE) rows[table.name] = 0;
    }
    for (const { releaseId, publishedAt } of releases) {
      await run(`INSERT INTO ${RELEASES_TABLE} VALUES (${sqlString(releaseId)}, ${sqlString(publishedAt)})`);
      const manifest = await readReleaseManifest(objects, releaseId);
      for (const entry of manifest.statistics) {
        const table = tables.find((t) => t.name === entry.name && t.format === 'parquet');
        if (!table) continue;
        for (const [i, key] of entry.files.entries()) {
          const path = join(work, `${releaseId}-${entry.name}-${i}.parquet`);
          await writeFile(path, await objects.get('stats', key));
          const select = table.columns
            .map((c) => `CAST(${quoteIdent(c.name)} AS ${DUCKDB_TYPES[c.type]})`)
            .join(', ');
          await run(
            `INSERT INTO ${quoteIdent(table.name)} SELECT ${select}, ${sqlString(releaseId)} FROM read_parquet(${sqlString(path)})`,
          );
          await rm(path);
        }
      }
    }
    for (const table of tables) {
      if (table.name === RELEASES_TABLE) continue;
      const [count] = await run(`SELECT count(*) AS n FROM ${quoteIdent(table.name)}`);
      rows[table.name] = Number(count?.n ?? 0);
    }
    const views = biViews(BI_VIEW_DATABASES);
    for (const view of views) {
      await run(view.ddl);
      await run(
        `COMMENT ON VIEW ${quoteIdent(view.name)} IS ${sqlString(`${view.description.ja} / ${view.description.en}`)}`,
      );
    }
    await run('CHECKPOINT');
    connection.closeSync();
    instance.closeSync();
    await rename(partial, outPath);
    return {
      path: outPath,
      releases: releases.map((r) => r.releaseId),
      views: views.map((v) => v.name),
      rows,
    };
  } finally {
    connection.closeSync();
    instance.closeSync();
    await rm(partial, { force: true });
    await rm(`${partial}.wal`, { force: true });
    await rm(work, { recursive: true, force: true });
  }
}
