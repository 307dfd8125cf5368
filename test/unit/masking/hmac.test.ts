import { describe, expect, it } from 'vitest';
import { CompiledQuery, quoteLiteral, tokenExpression } from '../../../functions/domain/masking/compile.ts';
import { plainQuery, withDuckDb } from '../../../functions/domain/masking/duckdb-engine.ts';
import { hmacBlocksHex, keyHex, tokenOf } from '../../../functions/domain/masking/hmac.ts';
import { hmacVectors } from './hmac-vectors.ts';

describe('HMAC tokens shared by node:crypto, DuckDB and Athena', () => {
  it('matches RFC 4231 test case 2 in node:crypto', () => {
    // Prepare
    const key = new TextEncoder().encode('Jefe');

    // Act
    const token = tokenOf(key, 'what do ya want for nothing?');

    // Assess
    expect(token).toBe('5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843');
  });

  it('computes in DuckDB the very tokens node:crypto computes', async () => {
    // Prepare
    const vectors = hmacVectors();

    // Act
    const tokens = await withDuckDb(async (db) => {
      const out: unknown[] = [];
      for (const vector of vectors) {
        const sql = `SELECT ${tokenExpression('duckdb', quoteLiteral(vector.value), vector.key)} AS token`;
        const rows = await db.run(new CompiledQuery('duckdb', sql, 'vector', [keyHex(vector.key)]));
        out.push(rows[0]?.token);
      }
      return out;
    });

    // Assess
    expect(tokens).toEqual(vectors.map((v) => v.token));
  });

  it('gives a NULL token for a NULL code in DuckDB', async () => {
    // Prepare
    const key = hmacVectors()[0]?.key ?? new Uint8Array(32);

    // Act
    const rows = await withDuckDb((db) =>
      db.run(
        plainQuery(`SELECT ${tokenExpression('duckdb', 'CAST(NULL AS VARCHAR)', key)} AS token`, 'null'),
      ),
    );

    // Assess
    expect(rows[0]?.token).toBeNull();
  });

  it("builds Athena's expression from to_utf8, hmac_sha256 over the raw key, to_hex and lower", () => {
    // Prepare
    const vector = hmacVectors()[0];
    if (!vector) throw new Error('no vectors');

    // Act
    const sql = tokenExpression('athena', '"employee_id"', vector.key);

    // Assess
    expect(sql).toBe(`lower(to_hex(hmac_sha256(to_utf8("employee_id"), from_hex('${keyHex(vector.key)}'))))`);
    expect(keyHex(vector.key)).toMatch(/^[0-9a-f]{64}$/);
  });

  it('pads the key to a 64-byte block XOR 0x36 and 0x5c', () => {
    // Prepare
    const key = Uint8Array.from([0x00, 0xff]);

    // Act
    const { ipadHex, opadHex } = hmacBlocksHex(key);

    // Assess
    expect(ipadHex).toBe(`36c9${'36'.repeat(62)}`);
    expect(opadHex).toBe(`5ca3${'5c'.repeat(62)}`);
  });
});
