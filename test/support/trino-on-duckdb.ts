/**
 * The Trino functions Kura's Athena SQL calls that DuckDB lacks or spells differently, as DuckDB
 * macros, so the Athena text can run on DuckDB (the Athena SQL test and the twin's Athena).
 * - `approx_percentile`: Athena's is approximate (a quantile digest); DuckDB's exact `quantile_cont`
 *   stands in, so a quantile read from the twin is the exact one (docs/LIMITS.md, "The twin").
 * - The factor key of perturbation.ts (`measureKeySql`): Trino's md5 takes varbinary and `to_hex` gives
 *   capitals; DuckDB's md5 takes the text and gives lower-case hex, and `from_base(s, 16)` becomes a
 *   hexadecimal cast.
 */
export const TRINO_STAND_INS: readonly string[] = [
  'CREATE MACRO approx_percentile(x, p) AS quantile_cont(x, p)',
  'CREATE MACRO to_utf8(s) AS s',
  'CREATE MACRO to_hex(h) AS upper(h)',
  "CREATE MACRO from_base(s, radix) AS CAST('0x' || s AS BIGINT)",
];
