/** SQL text built from the catalogue: literals and identifiers (values never enter SQL text). */

/** A SQL string literal. */
export const lit = (value: string) => `'${value.replace(/'/g, "''")}'`;
/** A SQL identifier. */
export const ident = (name: string) => `"${name.replace(/"/g, '""')}"`;
export const num = (value: number | undefined) => (value === undefined ? 'NULL' : String(value));
