import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readTenantUploadRecords } from '../../../functions/domain/uploads/supersession.ts';
import { BUCKETS } from '../../../functions/domain/zones.ts';
import { type LocalPlatform, startLocalPlatform } from '../../../local/platform.ts';
import { csvBytes } from '../../../local/synthetic/csv.ts';
import { generateCompanies, generateSales } from '../../../local/synthetic/generate.ts';
import { runKura } from '../../support/cli.ts';

/**
 * `kura upload --check` (and `dryRun` on POST /uploads): the file goes the whole validation path, the
 * company sees the mapping, counts and first errors, and nothing of the file is stored: no Parquet, no
 * report, no pseudonymised data, no landing object; the upload in force stays in force.
 */
let dataDir: string;
let platform: LocalPlatform;
const tenantId = 'demo-a';

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'kura-dry-run-'));
  platform = await startLocalPlatform({ dataDir, port: 0, onError: () => undefined });
}, 60_000);
afterAll(async () => {
  await platform?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

const kura = (...args: string[]) => runKura(dataDir, '--tenant', tenantId, ...args);

async function everyKey(): Promise<string[]> {
  const keys: string[] = [];
  for (const bucket of BUCKETS) {
    for await (const version of platform.ports.objects.listVersions(bucket, '')) {
      keys.push(`${bucket}/${version.key}`);
    }
  }
  return keys;
}

describe('a dry run of an upload', () => {
  it('validates the file, shows what an upload would give, and stores nothing of it', async () => {
    // Prepare: a sales upload in force, then a corrected file for the same months, checked first.
    const company = generateCompanies(1, 21)[0];
    if (!company) throw new Error('no company');
    const sales = generateSales(company) as Iterable<Record<string, unknown>>;
    const real = join(dataDir, 'sales.csv');
    const checked = join(dataDir, 'sales-fixed.csv');
    await writeFile(real, csvBytes('sales', sales, { headers: 'ja', encoding: 'utf8', dates: 'iso' }));
    await writeFile(
      checked,
      csvBytes('sales', generateSales(company) as Iterable<Record<string, unknown>>, {
        headers: 'ja',
        encoding: 'sjis',
        dates: 'iso',
        badRows: 1,
      }),
    );
    const uploaded = await kura('upload', real, '--dataset', 'sales', '--json');
    expect(uploaded.code, uploaded.stderr).toBe(0);
    const inForce = JSON.parse(uploaded.stdout) as { uploadId: string };
    await platform.settled(); // its masking and facts
    const before = await everyKey();

    // Act
    const check = await kura('upload', checked, '--dataset', 'sales', '--check');
    const checkJson = await kura('upload', checked, '--dataset', 'sales', '--check', '--json');
    await platform.settled();
    const after = await everyKey();
    const records = await readTenantUploadRecords(platform.ports.table, tenantId);

    // Assess
    const dry = JSON.parse(checkJson.stdout) as Record<string, unknown> & { uploadId: string };
    expect(dry).toMatchObject({ status: 'CHECKED', checkedAs: 'REJECTED' });
    expect(dry.rows).toMatchObject({ rejected: 1 });
    expect(dry.columnMapping).toEqual(
      expect.arrayContaining([expect.objectContaining({ position: 1, column: expect.any(String) })]),
    );
    expect(check.stdout).toMatch(/As an upload it would be: REJECTED/);
    expect(check.code).toBe(1); // the file would be rejected (too many rows in error for a sales file)
    // Nothing of the checked files in any bucket: every key after was there before (the ledger aside).
    expect(after.filter((key) => !before.includes(key))).toEqual([]);
    const real0 = records.find((r) => r.uploadId === inForce.uploadId);
    expect(real0?.supersededBy).toBeUndefined();
    expect(records.filter((r) => r.status === 'CHECKED')).toHaveLength(2);
    for (const record of records.filter((r) => r.status === 'CHECKED')) {
      expect(record.outputs ?? []).toEqual([]);
      expect(record.maskedOutputs).toBeUndefined();
    }
  }, 120_000);
});
