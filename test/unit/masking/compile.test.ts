import { inspect } from 'node:util';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { getDataset } from '../../../functions/domain/catalog/index.ts';
import {
  type CompiledQuery,
  compileDuckdbPseudonymise,
  compilePseudonymiseSelect,
  quoteLiteral,
} from '../../../functions/domain/masking/compile.ts';
import {
  MaskingQueryError,
  plainQuery,
  withDuckDb,
} from '../../../functions/domain/masking/duckdb-engine.ts';
import { ageBandSql, completedYearsSql, periodEndSql } from '../../../functions/domain/masking/generalise.ts';
import { hmacBlocksHex, keyHex, tokenOf } from '../../../functions/domain/masking/hmac.ts';
import { TEST_KEYS } from './hmac-vectors.ts';

const key = TEST_KEYS[0]?.key ?? new Uint8Array(32);
const secrets = [keyHex(key), hmacBlocksHex(key).ipadHex, hmacBlocksHex(key).opadHex];
/** Parses SQL with DuckDB's parser only (no binding): catches syntax errors in Trino text where the grammars agree. */
async function parsesInDuckDb(sql: string): Promise<{ error: boolean; message?: string }> {
  const rows = await withDuckDb((db) =>
    db.run(plainQuery(`SELECT json_serialize_sql(${quoteLiteral(sql)}) AS tree`, 'parse only')),
  );
  const tree = JSON.parse(String(rows[0]?.tree));
  return { error: tree.error, message: tree.error_message };
}

const printed = (query: CompiledQuery) => [
  String(query),
  `${query}`,
  JSON.stringify({ query }),
  inspect(query),
  inspect({ nested: { query } }, { depth: 5 }),
  query.describe(),
];

describe('SQL compilation of the masking policy', () => {
  it('never prints key material from a compiled query', () => {
    // Prepare
    const queries = [
      compileDuckdbPseudonymise({
        dataset: getDataset('employees'),
        key,
        inputs: ['/tmp/in.parquet'],
        output: '/tmp/o.parquet',
      }),
    ];

    // Act
    const outputs = queries.flatMap(printed);

    // Assess
    for (const query of queries) expect(secrets.some((s) => query.sqlForExecution().includes(s))).toBe(true);
    for (const output of outputs) for (const secret of secrets) expect(output).not.toContain(secret);
    expect(outputs.join(' ')).toContain('key material redacted');
  });

  it('keeps key material out of engine errors', async () => {
    // Prepare
    const query = compileDuckdbPseudonymise({
      dataset: getDataset('employees'),
      key,
      inputs: ['/nonexistent/kura/in.parquet'],
      output: '/nonexistent/kura/out.parquet',
    });

    // Act
    const error = await withDuckDb((db) => db.run(query)).catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(MaskingQueryError);
    const text = `${String(error)} ${(error as Error).stack ?? ''}`;
    for (const secret of secrets) expect(text).not.toContain(secret);
    expect(text).not.toMatch(/[0-9a-f]{16,}/);
  });

  it('compiles the generalisation for Athena into SQL that parses', async () => {
    // Prepare
    const end = periodEndSql('athena', '"period"');

    // Act
    const sql = `SELECT ${ageBandSql(completedYearsSql('athena', '"birth_date"', end), 10)} AS age_band FROM "anon"."facts"`;

    // Assess
    expect(sql).toContain(
      'date_diff(\'year\', "birth_date", last_day_of_month(CAST("period" || \'-01\' AS DATE)))',
    );
    expect(await parsesInDuckDb(sql)).toEqual({ error: false });
  });

  it('projects tokens for linking codes and drops removed classes', () => {
    // Act
    const query = compilePseudonymiseSelect({ dataset: getDataset('payroll'), key, from: 'x' });
    const columns = [...query.sqlForExecution().matchAll(/ AS "([a-z_]+)"/g)].map((m) => m[1]);

    // Assess
    expect(columns).toContain('employee_token');
    expect(columns).not.toContain('bank_account');
  });

  it('gives every row the token of its own code when tokens are computed once per distinct code', async () => {
    const codes = fc.array(fc.option(fc.stringMatching(/^[0-9A-Za-z\-ー]{1,6}$/), { nil: null }), {
      minLength: 1,
      maxLength: 40,
    });
    await fc.assert(
      fc.asyncProperty(codes, fc.constantFrom(...TEST_KEYS.map((k) => k.key)), async (ids, tenantKey) => {
        // Prepare: duplicates and NULLs, as an attendance file has them
        const values = ids.map((id) => `(${id === null ? 'CAST(NULL AS VARCHAR)' : quoteLiteral(id)})`);
        const query = compilePseudonymiseSelect({
          dataset: getDataset('attendance'),
          key: tenantKey,
          from: `(VALUES ${values.join(', ')}) AS rows(employee_id)`,
          sourceColumns: new Set(['employee_id']),
        });

        // Act
        const rows = await withDuckDb((db) => db.run(query));

        // Assess: one output row per input row, each token the node:crypto HMAC of its code
        const expected = ids.map((id) => (id === null ? null : tokenOf(tenantKey, id)));
        const order = (list: (string | null)[]) =>
          [...list].sort((a, b) => String(a).localeCompare(String(b)));
        expect(order(rows.map((r) => (r.employee_token ?? null) as string | null))).toEqual(order(expected));
      }),
      { numRuns: 25 },
    );
  });
});
