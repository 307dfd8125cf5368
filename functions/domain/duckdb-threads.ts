/**
 * How many threads an in-process DuckDB gets for the input in front of it: one home for the rule, used
 * by statistics (publishing and the audit) and masking (pseudonymising, facts, anonymisation).
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
