/** SQL text built from the catalogue: literals and identifiers (values never enter SQL text). */

import { sqlIdentifier, sqlLiteral } from '../sql-text.ts';

/** A SQL string literal (domain/sql-text.ts). */
export const lit = sqlLiteral;
/** A SQL identifier (domain/sql-text.ts). */
export const ident = sqlIdentifier;
export const num = (value: number | undefined) => (value === undefined ? 'NULL' : String(value));
