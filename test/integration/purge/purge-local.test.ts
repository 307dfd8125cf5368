import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Runtime } from '../../../functions/adapters/runtime.ts';
import { appendLedger, readLedger, verifyLedger } from '../../../functions/domain/ledger/ledger.ts';
import {
  type DeletionCertificate,
  getCertificate,
  purgeTenant,
  verifyCertificateChain,
} from '../../../functions/domain/purge/index.ts';
import { type TenantRecord, tenantRecordSchema } from '../../../functions/domain/tenants/model.ts';
import {
  landingKey,
  pseudonymisedKey,
  rawKey,
  reportKey,
  tenantPrefixes,
  tenantQueryResultsPrefix,
} from '../../../functions/domain/zones.ts';
import { composePurge } from '../../../functions/purge/runtime.ts';
import { type LocalStorage, startLocalStorage } from '../local-storage.ts';

let storage: LocalStorage;
let runtime: Runtime;
const releases: Array<string | undefined> = [];
const NOW = new Date('2026-11-22T03:00:00Z');

beforeAll(async () => {
  storage = await startLocalStorage('purge');
  runtime = storage.runtime;
});

afterAll(async () => {
  await storage?.stop();
});

/** The purge composed as the function is; the release it starts afterwards is recorded, not run. */
const ports = () => ({
  ...composePurge(runtime),
  requestRelease: async ({ tenantId }: { tenantId?: string }) => {
    releases.push(tenantId);
    return { jobId: '00000000-0000-4000-8000-000000000001' };
  },
});

function tenant(tenantId: string, overrides: Partial<TenantRecord> = {}): TenantRecord {
  return {
    tenantId,
    name: `株式会社${tenantId}`,
    profile: { industry: 'E', prefecture: '27', sizeBand: '5-19' },
    contract: { start: '2024-04-01', end: '2026-09-30' },
    state: 'TERMINATED',
    legalHold: false,
    createdAt: '2024-04-01T00:00:00.000Z',
    updatedAt: '2026-10-01T00:00:00.000Z',
    ...overrides,
  };
}

async function seed(tenantId: string, overrides: Partial<TenantRecord> = {}) {
  await runtime.table.put('tenants', tenant(tenantId, overrides));
  await runtime.keys.create(tenantId);
  for (const uploadId of ['u-1', 'u-2', 'u-3']) {
    await runtime.objects.put(
      'landing',
      landingKey(tenantId, 'employees', uploadId, '社員名簿.csv'),
      `${tenantId}-${uploadId}`,
    );
    await runtime.objects.put(
      'raw',
      rawKey(tenantId, 'employees', '2026-08', uploadId),
      `raw-${tenantId}-${uploadId}`,
    );
    await runtime.objects.put('raw', reportKey(tenantId, uploadId), `report-${tenantId}`);
    await runtime.objects.put('curated', pseudonymisedKey(tenantId, 'employees', '2026-08', uploadId), 'p');
    await runtime.table.put('uploads', { tenantId, uploadId, status: 'ACCEPTED' });
  }
  await runtime.objects.put('query-results', `${tenantQueryResultsPrefix(tenantId)}q-1.csv`, 'q');
  await appendLedger(
    { table: runtime.table, clock: runtime.clock },
    { action: 'upload.requested', actor: { subject: 'idp|u', roles: ['uploader'] }, tenantId, details: {} },
  );
}

async function keysUnder(tenantId: string): Promise<string[]> {
  const keys: string[] = [];
  for (const { bucket, prefix } of tenantPrefixes(tenantId)) {
    for await (const version of runtime.objects.listVersions(bucket, prefix))
      keys.push(`${bucket}/${version.key}`);
  }
  return keys;
}

async function rowsOf(tenantId: string) {
  return (await runtime.table.query({ table: 'uploads', partition: { name: 'tenantId', value: tenantId } }))
    .items;
}

describe('purge on the local platform (s3rver, dynalite, file keys)', () => {
  const certificates: DeletionCertificate[] = [];

  it('removes all of a tenant from unversioned local buckets and leaves its neighbour whole', async () => {
    // Prepare
    await seed('osaka-kogyo');
    await seed('osaka-kogyo-2', { state: 'ACTIVE', contract: { start: '2024-04-01' } });
    const neighbourBefore = await keysUnder('osaka-kogyo-2');
    const neighbourBody = await runtime.objects.get(
      'raw',
      rawKey('osaka-kogyo-2', 'employees', '2026-08', 'u-1'),
    );

    // Act
    const result = await purgeTenant(ports(), { tenantId: 'osaka-kogyo', now: NOW });

    // Assess
    if (result.outcome !== 'purged') throw new Error(`purge did not finish: ${result.outcome}`);
    certificates.push(result.certificate);
    expect(await keysUnder('osaka-kogyo')).toEqual([]);
    expect(await rowsOf('osaka-kogyo')).toEqual([]);
    expect(await runtime.keys.exists('osaka-kogyo')).toBe(false);
    expect(await keysUnder('osaka-kogyo-2')).toEqual(neighbourBefore);
    expect(await runtime.objects.get('raw', rawKey('osaka-kogyo-2', 'employees', '2026-08', 'u-1'))).toEqual(
      neighbourBody,
    );
    expect(await rowsOf('osaka-kogyo-2')).toHaveLength(3);
    expect(await runtime.keys.exists('osaka-kogyo-2')).toBe(true);
    expect(result.certificate.deleted.totals).toEqual({
      objects: 13,
      versions: 13,
      deleteMarkers: 0,
      rows: 3,
      keys: 1,
    });
    expect(await getCertificate(ports(), 'osaka-kogyo')).toEqual(result.certificate);
    expect(
      tenantRecordSchema.parse(await runtime.table.get('tenants', { tenantId: 'osaka-kogyo' })).state,
    ).toBe('PURGED');
    expect(verifyLedger(await readLedger(runtime.table)).ok).toBe(true);
    expect(releases).toContain('osaka-kogyo');
  });

  it('resumes across invocations with the checkpoint stored in dynalite, extending the certificate chain', async () => {
    // Prepare
    await seed('kyoto-shoji');
    const results: boolean[] = [];

    // Act
    for (let invocation = 0; invocation < 50 && results.at(-1) !== true; invocation++) {
      const result = await purgeTenant(ports(), {
        tenantId: 'kyoto-shoji',
        now: NOW,
        batchSize: 2,
        budget: { maxBatches: 1 },
      });
      results.push(result.done);
      if (result.outcome === 'purged') certificates.push(result.certificate);
    }

    // Assess
    expect(results.at(-1)).toBe(true);
    expect(results.length).toBeGreaterThan(3);
    expect(await keysUnder('kyoto-shoji')).toEqual([]);
    expect(certificates.at(-1)?.deleted.totals).toEqual({
      objects: 13,
      versions: 13,
      deleteMarkers: 0,
      rows: 3,
      keys: 1,
    });
    expect(verifyCertificateChain(certificates)).toEqual({ valid: true, problems: [] });
    expect(certificates.at(-1)?.previousHash).toBe(certificates[0]?.hash);
  });
});
