import { describe, expect, it } from 'vitest';
import { CompiledQuery, quoteLiteral, tokenExpression } from '../../../functions/domain/masking/compile.ts';
import { plainQuery, withDuckDb } from '../../../functions/domain/masking/duckdb-engine.ts';
import { hmacBlocksHex, keyHex, tokenOf } from '../../../functions/domain/masking/hmac.ts';
import { hmacVectors } from './hmac-vectors.ts';

describe('HMAC tokens shared by node:crypto and DuckDB', () => {
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
        const sql = `SELECT ${tokenExpression(quoteLiteral(vector.value), vector.key)} AS token`;
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
      db.run(plainQuery(`SELECT ${tokenExpression('CAST(NULL AS VARCHAR)', key)} AS token`, 'null')),
    );

    // Assess
    expect(rows[0]?.token).toBeNull();
  });

  it('never writes the raw key into the SQL, only its inner and outer pads', () => {
    // Act + Assess: every vector's key (there is no engine that would be given the key itself)
    for (const vector of hmacVectors()) {
      const sql = tokenExpression('"employee_id"', vector.key);
      const { ipadHex, opadHex } = hmacBlocksHex(vector.key);
      expect(sql).not.toContain(keyHex(vector.key));
      expect(sql).toContain(ipadHex);
      expect(sql).toContain(opadHex);
    }
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
