import { describe, expect, it } from 'vitest';
import type { QueryRunner, SqlRow } from '../../../functions/adapters/ports.ts';
import {
  type AthenaMaskingConfig,
  athenaStagingPrefix,
} from '../../../functions/domain/masking/athena-mask.ts';
import { MaskingQueryError } from '../../../functions/domain/masking/duckdb-engine.ts';
import { keyHex } from '../../../functions/domain/masking/hmac.ts';
import { pseudonymise } from '../../../functions/domain/masking/pseudonymise.ts';
import { defaultSettings } from '../../../functions/domain/settings.ts';
import { pseudonymisedKey } from '../../../functions/domain/zones.ts';
import { rawParquet, seedTenant, seedUpload, type TestPorts, testPorts } from './fixtures.ts';

/** Stands in for Athena: records statements; a CTAS writes one Parquet file per period to its location. */
class FakeAthena implements QueryRunner {
  readonly engine = 'athena' as const;
  readonly statements: string[] = [];
  constructor(
    private readonly ports: TestPorts,
    private readonly failWith?: string,
  ) {}

  async run(sql: string): Promise<SqlRow[]> {
    this.statements.push(sql);
    if (!sql.startsWith('CREATE TABLE')) return [];
    if (this.failWith) throw new Error(this.failWith);
    const location = /external_location = 's3:\/\/[^/]+\/([^']+)'/.exec(sql)?.[1] ?? '';
    const body = await rawParquet('sales', [{ period_month: '2024-02', sales_amount: 42 }]);
    await this.ports.objects.put(
      'curated',
      `${location}period=2024-02/20240301_000000_00001_abcd_bucket-00000`,
      body,
    );
    return [];
  }
}

async function largeSalesUpload() {
  const ports = testPorts({
    ...defaultSettings,
    limits: { ...defaultSettings.limits, athenaThresholdBytes: 1 },
  });
  await seedTenant(ports, 'tenant-l', { industry: 'I', prefecture: '40', sizeBand: '50-99' });
  await seedUpload(ports, 'tenant-l', 'big-1', 'sales', {
    '2024-02': [{ period_month: '2024-02', sales_amount: 42 }],
  });
  return ports;
}

const config = (runner: QueryRunner): AthenaMaskingConfig => ({
  runner,
  rawDatabase: 'kura_raw',
  workDatabase: 'kura_work',
  stagingBucket: 'curated',
  stagingBucketName: 'kura-dev-curated',
});

describe('the Athena path of pseudonymisation', () => {
  it('runs a CTAS, copies one file per period to its pseudonymised key and clears the staging area', async () => {
    // Prepare
    const ports = await largeSalesUpload();
    const athena = new FakeAthena(ports);

    // Act
    const result = await pseudonymise(
      { ...ports, athena: config(athena) },
      { tenantId: 'tenant-l', uploadId: 'big-1' },
    );

    // Assess
    expect(result.engine).toBe('athena');
    expect(result.outputs).toEqual([pseudonymisedKey('tenant-l', 'sales', '2024-02', 'big-1')]);
    expect(await ports.objects.head('curated', result.outputs[0] ?? '')).toBeDefined();
    expect(athena.statements.map((s) => s.split(' ').slice(0, 2).join(' '))).toEqual([
      'DROP TABLE',
      'CREATE TABLE',
      'DROP TABLE',
    ]);
    expect(athena.statements[1]).toContain('FROM "kura_raw"."raw_sales"');
    const staged = [];
    for await (const o of ports.objects.list('curated', athenaStagingPrefix('tenant-l', 'sales', 'big-1')))
      staged.push(o);
    expect(staged).toEqual([]);
    expect(result.facts.companyMonths).toBe(1);
  });

  it('keeps the key out of the error when Athena fails and quotes the statement', async () => {
    // Prepare
    const ports = await largeSalesUpload();
    const key = keyHex(await ports.keys.get('tenant-l'));
    const athena = new FakeAthena(ports, `line 1:80: mismatched input near from_hex('${key}')`);

    // Act
    const error = await pseudonymise(
      { ...ports, athena: config(athena) },
      { tenantId: 'tenant-l', uploadId: 'big-1' },
    ).catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(MaskingQueryError);
    expect(String(error)).not.toContain(key);
    expect(String(error)).toContain('mismatched input');
    expect(athena.statements.at(-1)).toMatch(/^DROP TABLE/);
  });
});
