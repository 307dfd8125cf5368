/**
 * How the functions' in-process DuckDB sessions are set up: one home for the rules, used by ingestion,
 * statistics (publishing and the audit) and masking (pseudonymising, facts, anonymisation).
 *
 * Threads: how many an in-process DuckDB gets for the input in front of it.
 *
 * DuckDB divides a scan among its threads by row group (122,880 rows), so an input smaller than one
 * row group is read by one thread whatever the setting; a second thread then only adds the cost of
 * running pipelines in parallel (partitioned hash tables, merging thread-local states). Measured on
 * the 2-core machine (2026-12-07, one sitting, two runs each): publishing a 200-row release used 3.0 s
 * and 2.5 s of CPU on two threads, 2.3 s and 1.9 s on one, in the same wall time; the bench's
 * 24-company release (about 8,600 rows) took 1.58/1.69 s for its cells on two threads and 2.04/1.67 s
 * on one, its audit 7.46/7.39 s and 6.89/6.71 s. Larger inputs get the functions' two vCPUs.
 */

/** Rows of one DuckDB row group: the unit it divides a scan by. */
export const DUCKDB_ROW_GROUP_ROWS = 122_880;

/** Threads of the functions' DuckDB (their memory size gives them two vCPUs). */
export const DUCKDB_THREADS = 2;

/** Threads for work whose largest input holds `rows` rows. */
export function duckdbThreadsFor(rows: number): number {
  return rows < DUCKDB_ROW_GROUP_ROWS ? 1 : DUCKDB_THREADS;
}

/** The statement that fits a DuckDB session's threads to an input of `rows` rows. */
export const fitThreadsSql = (rows: number) => `SET threads = ${duckdbThreadsFor(rows)}`;

/**
 * Options of the sessions that read each input file once (ingestion and masking, which includes a
 * release's anonymisation), besides their own (threads, memory, spill directory).
 *
 * `enable_external_file_cache` off: DuckDB (since 1.3, on by default) copies what it reads from files into
 * its buffer pool in case the same file is read again. These sessions read each input file once (a
 * release reads each company's facts once: 10,000 files at 5,000 companies), so the cache only allocates.
 * Measured on the bench machine, 2026-12-08, alternating runs: reading 5,000 of the statistics bench's
 * facts files into a table took 3.85–3.92 s without it against 5.55–5.80 s with it (system CPU time
 * 2.1 s against 4.1 s); anonymising 5,000 companies 18.2–20.4 s against 20.4–22.6 s. An ingest + mask
 * of the bench's 1M-row CSV showed no difference beyond the runs' spread (2.7–3.2 s either way).
 * Publishing keeps DuckDB's default: it reads the same anonymised tables again for every statistic, and
 * its cells took 24.8 s without the cache against 20.9 s with it (one run each).
 */
export const DUCKDB_SESSION_OPTIONS: Readonly<Record<string, string>> = {
  enable_external_file_cache: 'false',
};
