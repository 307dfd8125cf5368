import { inspect } from 'node:util';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { getDataset } from '../../../functions/domain/catalog/index.ts';
import {
  type CompiledQuery,
  chooseEngine,
  compileAthenaPseudonymiseCtas,
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
import { defaultSettings } from '../../../functions/domain/settings.ts';
import { TEST_KEYS } from './hmac-vectors.ts';

const key = TEST_KEYS[0]?.key ?? new Uint8Array(32);
const secrets = [keyHex(key), hmacBlocksHex(key).ipadHex, hmacBlocksHex(key).opadHex];
const target = {
  sourceDatabase: 'kura_dev_raw',
  sourceTable: 'raw_employees',
  targetDatabase: 'kura_dev_work',
  targetTable: 'pseudo_employees_u1',
  externalLocation: 's3://kura-dev-curated/ctas/pseudonymised/tenant=t1/dataset=employees/u1/',
};

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
      compileAthenaPseudonymiseCtas({
        dataset: getDataset('employees'),
        key,
        tenantId: 't1',
        uploadId: 'u1',
        target,
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

  it('builds an Athena CTAS whose SELECT parses and whose WITH clause writes partitioned Parquet', async () => {
    // Act
    const ctas = compileAthenaPseudonymiseCtas({
      dataset: getDataset('employees'),
      key,
      tenantId: 't1',
      uploadId: 'u1',
      target,
    });
    const sql = ctas.sqlForExecution();

    // Assess: structure
    expect(sql).toMatch(/^CREATE TABLE "kura_dev_work"\."pseudo_employees_u1"\n/);
    expect(sql).toContain("format = 'PARQUET'");
    expect(sql).toContain(`external_location = '${target.externalLocation}'`);
    expect(sql).toContain("partitioned_by = ARRAY['period']");
    expect(sql).toContain("bucketed_by = ARRAY['employee_token'], bucket_count = 1");
    expect(sql).toContain('kura_src AS (SELECT * FROM "kura_dev_raw"."raw_employees" WHERE ');
    expect(sql).toMatch(/, kura_src\."period" FROM kura_src LEFT JOIN /);
    // HMAC once per distinct employee id, joined back to every row
    expect(sql).toContain(
      `SELECT v, lower(to_hex(hmac_sha256(to_utf8(v), from_hex('${keyHex(key)}')))) AS t FROM (SELECT DISTINCT CAST(kura_src."employee_id" AS varchar) AS v FROM kura_src)`,
    );
    expect(sql).toContain('kura_tok_0.t AS "employee_token"');
    for (const removed of ['"name"', '"name_kana"', '"address"', '"phone"', '"email"', '"bank_account"']) {
      expect(sql).not.toContain(removed);
    }
    // Assess: syntax of the SELECT (Trino and DuckDB agree on this subset; the WITH clause is Trino-only)
    const select = sql.slice(sql.indexOf('AS WITH') + 3);
    expect(await parsesInDuckDb(select)).toEqual({ error: false });
    expect((await parsesInDuckDb(`${select} WHERE`)).error).toBe(true);
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

  it('gives the same projection for DuckDB and Athena apart from the token function', () => {
    // Act
    const duck = compilePseudonymiseSelect({
      dialect: 'duckdb',
      dataset: getDataset('payroll'),
      key,
      from: 'x',
    });
    const athena = compilePseudonymiseSelect({
      dialect: 'athena',
      dataset: getDataset('payroll'),
      key,
      from: 'x',
    });
    const columns = (q: CompiledQuery) =>
      [...q.sqlForExecution().matchAll(/ AS "([a-z_]+)"/g)].map((m) => m[1]);

    // Assess
    expect(columns(duck)).toEqual(columns(athena));
    expect(columns(duck)).toContain('employee_token');
    expect(columns(duck)).not.toContain('bank_account');
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
          dialect: 'duckdb',
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

  it('sends data above the threshold to Athena and the rest to DuckDB', () => {
    // Prepare
    const limit = defaultSettings.limits.athenaThresholdBytes;

    // Act
    const engines = [0, limit, limit + 1].map((bytes) => chooseEngine(bytes, defaultSettings.limits));

    // Assess
    expect(engines).toEqual(['duckdb', 'duckdb', 'athena']);
  });
});
