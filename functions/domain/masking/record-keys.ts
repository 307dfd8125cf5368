/**
 * Record keys for the cell key method (docs/PRIVACY.md, "Perturbation"). Every anonymised row carries
 * two uniform pseudo-random integers in [0, 2^32):
 *
 * - `record_key`: the person's key (employee rows) or the company's key (company rows), the same for
 *   that person in every month and every release;
 * - `company_key`: the key of the company the row belongs to, the same in every month and release.
 *
 * Both are the first 32 bits of HMAC-SHA256 under the platform perturbation key (KeyStore id
 * `_platform`, never a tenant's key) of `person|<tenant>|<token>` or `company|<tenant>`. Without
 * that key nobody can compute a person's or a company's key from its token or tenant id, and a key
 * reveals neither: the anonymised zone holds no token. The statistics engine sums them into cell keys,
 * so the same cell content always gets the same noise, in every release.
 */

import { createHmac } from 'node:crypto';
import type { KeyStore } from '../ports/index.ts';
import { NotFoundError, PLATFORM_KEY_ID } from '../ports/index.ts';
import { sqlLiteral } from '../sql-text.ts';
import { tokenExpression } from './compile.ts';

/** Record keys are integers below this bound (32 bits). */
export const RECORD_KEY_MODULUS = 4_294_967_296;

/** The platform perturbation key, created on first use (KeyStore.create is idempotent). */
export async function platformPerturbationKey(keys: KeyStore): Promise<Uint8Array> {
  try {
    return await keys.get(PLATFORM_KEY_ID);
  } catch (error) {
    if (!(error instanceof NotFoundError)) throw error;
    await keys.create(PLATFORM_KEY_ID);
    return keys.get(PLATFORM_KEY_ID);
  }
}

const first32Bits = (hex: string) => Number.parseInt(hex.slice(0, 8), 16);

/** The company's record key (reference implementation; also what every row of the company carries). */
export function companyRecordKey(key: Uint8Array, tenantId: string): number {
  return first32Bits(createHmac('sha256', key).update(`company|${tenantId}`, 'utf8').digest('hex'));
}

/** A person's record key (reference implementation of `personRecordKeySql`). */
export function personRecordKey(key: Uint8Array, tenantId: string, token: string): number {
  return first32Bits(createHmac('sha256', key).update(`person|${tenantId}|${token}`, 'utf8').digest('hex'));
}

/**
 * DuckDB SQL of a person's record key from a token column. The text carries key material: run it
 * only as a CompiledQuery with the key's secrets, never log it.
 */
export function personRecordKeySql(key: Uint8Array, tenantId: string, tokenColumn: string): string {
  return personRecordKeyOfSql(key, sqlLiteral(tenantId), tokenColumn);
}

/**
 * DuckDB SQL of a person's record key from a tenant-id expression and a token expression (pooling many
 * tenants in one statement). Carries key material, as `personRecordKeySql`.
 */
export function personRecordKeyOfSql(key: Uint8Array, tenantSql: string, tokenSql: string): string {
  const message = `'person|' || ${tenantSql} || '|' || ${tokenSql}`;
  return `CAST(('0x' || substr(${tokenExpression(message, key)}, 1, 8)) AS BIGINT)`;
}
