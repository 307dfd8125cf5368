/**
 * SQL quoting, the one home of the rule (the same in DuckDB and Trino/Athena): a string literal in
 * single quotes with each quote doubled, an identifier in double quotes with each double quote
 * doubled. Kura builds SQL text from the catalogue, settings and object keys only; values of personal
 * data never enter SQL text.
 */

/** A SQL string literal. */
export function sqlLiteral(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

/** A SQL identifier. */
export function sqlIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}
