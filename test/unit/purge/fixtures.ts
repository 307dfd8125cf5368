import {
  MemoryKeyStore,
  MemoryObjectStore,
  MemoryTable,
  MemoryUserDirectory,
} from '../../../functions/adapters/memory/index.ts';
import {
  appendLedger,
  chainOf,
  type LedgerEntry,
  readLedger,
} from '../../../functions/domain/ledger/ledger.ts';
import type { ObjectStore } from '../../../functions/domain/ports/index.ts';
import type { PurgeJobPorts } from '../../../functions/domain/purge/job.ts';
import { purgeLedger } from '../../../functions/domain/purge/ledger.ts';
import { defaultSettings } from '../../../functions/domain/settings.ts';
import type { TenantRecord } from '../../../functions/domain/tenants/model.ts';
import {
  certificatesPrefix,
  factsPrefix,
  landingKey,
  pseudonymisedKey,
  quarantineKey,
  rawKey,
  reportKey,
  supportExportPrefix,
  tenantPrefixes,
  tenantQueryResultsPrefix,
} from '../../../functions/domain/zones.ts';
import { RecordingJobStarter } from '../../support/memory-runtime.ts';

export interface World {
  readonly objects: MemoryObjectStore;
  readonly tables: MemoryTable;
  readonly keys: MemoryKeyStore;
  readonly users: MemoryUserDirectory;
  /** Every ledger entry, in chain order. */
  /** Every chain's entries, or one tenant's (its chain) in the order they were appended. */
  ledgerEntries(tenantId?: string): Promise<LedgerEntry[]>;
  /** The tenants each release requested after a purge was for (`undefined`: one for every pending tenant). */
  readonly releases: Array<string | undefined>;
  readonly sleeps: number[];
  /** Jobs the purge started itself (a purge that goes on in a fresh invocation). */
  readonly jobs: RecordingJobStarter;
  ports(overrides?: Partial<PurgeJobPorts>): PurgeJobPorts;
}

export const NOW = new Date('2026-11-22T03:00:00Z');

export function makeWorld(options: { versioning?: 'enabled' | 'disabled' } = {}): World {
  const objects = new MemoryObjectStore({ versioning: options.versioning ?? 'enabled' });
  const tables = new MemoryTable();
  const keys = new MemoryKeyStore();
  const users = new MemoryUserDirectory();
  const releases: Array<string | undefined> = [];
  const sleeps: number[] = [];
  const jobs = new RecordingJobStarter();
  let tick = 0;
  let ids = 0;
  const clock = () => new Date(NOW.getTime() + 1000 * ++tick);
  return {
    objects,
    tables,
    keys,
    users,
    ledgerEntries: (tenantId) =>
      readLedger(tables, tenantId === undefined ? {} : { chain: chainOf(tenantId) }),
    releases,
    sleeps,
    jobs,
    ports: (overrides = {}) => ({
      objects,
      tables,
      table: tables,
      keys,
      users,
      ledger: purgeLedger({ table: tables, clock }),
      settings: defaultSettings,
      jobs,
      newId: () => `00000000-0000-4000-8000-${String(++ids).padStart(12, '0')}`,
      requestRelease: async ({ tenantId }) => {
        releases.push(tenantId);
        return { jobId: `10000000-0000-4000-8000-${String(releases.length).padStart(12, '0')}` };
      },
      // A clock that moves forward a second per reading, so start and end times differ.
      clock,
      sleep: async (milliseconds) => {
        sleeps.push(milliseconds);
      },
      random: () => 0.5,
      ...overrides,
    }),
  };
}

export function tenantRecord(tenantId: string, overrides: Partial<TenantRecord> = {}): TenantRecord {
  return {
    tenantId,
    name: `株式会社${tenantId}商事`,
    profile: { industry: 'E', prefecture: '13', sizeBand: '20-49' },
    contract: { start: '2024-04-01', end: '2026-09-30' },
    state: 'TERMINATED',
    legalHold: false,
    createdAt: '2024-04-01T00:00:00.000Z',
    updatedAt: '2026-10-01T00:00:00.000Z',
    ...overrides,
  };
}

/**
 * Seeds a tenant across every zone: current objects, noncurrent versions, delete markers, query results,
 * upload rows, a grant, ledger entries and its key. File names are personal on purpose (employees' names),
 * so tests can check certificates never carry them.
 */
export async function seedTenant(world: World, tenantId: string, overrides: Partial<TenantRecord> = {}) {
  const { objects, tables, keys } = world;
  await tables.put('tenants', tenantRecord(tenantId, overrides));
  await keys.create(tenantId);
  // Two user accounts of the company and a supporter's of another, which the purge must not touch.
  world.users.add(`idp|${tenantId}-user-1`, tenantId);
  world.users.add(`idp|${tenantId}-user-2`, tenantId);
  const put = (bucket: string, key: string, body: string) => objects.put(bucket, key, body);
  const uploads = ['u-0001', 'u-0002', 'u-0003'];
  for (const uploadId of uploads) {
    await put(
      'landing',
      landingKey(tenantId, 'employees', uploadId, '山田太郎_社員名簿.csv'),
      `${tenantId} landing ${uploadId}`,
    );
    await put('raw', rawKey(tenantId, 'employees', '2026-08', uploadId), `${tenantId} raw v1 ${uploadId}`);
    await put('raw', reportKey(tenantId, uploadId), `${tenantId} report ${uploadId}`);
    await put(
      'curated',
      pseudonymisedKey(tenantId, 'employees', '2026-08', uploadId),
      `${tenantId} pseudo ${uploadId}`,
    );
    await tables.put('uploads', { tenantId, uploadId, dataset: 'employees', status: 'ACCEPTED' });
  }
  // Noncurrent versions: reprocessed raw and pseudonymised outputs.
  await put('raw', rawKey(tenantId, 'employees', '2026-08', 'u-0001'), `${tenantId} raw v2`);
  await put('raw', rawKey(tenantId, 'employees', '2026-08', 'u-0001'), `${tenantId} raw v3`);
  await put('curated', pseudonymisedKey(tenantId, 'employees', '2026-08', 'u-0002'), `${tenantId} pseudo v2`);
  // Delete markers: an expired landing object and a quarantine record deleted after review.
  await objects.deleteMany('landing', [
    { key: landingKey(tenantId, 'employees', 'u-0003', '山田太郎_社員名簿.csv') },
  ]);
  await put('landing', quarantineKey(tenantId, 'u-0004'), 'quarantined');
  await objects.deleteMany('landing', [{ key: quarantineKey(tenantId, 'u-0004') }]);
  await put('curated', `${factsPrefix(tenantId)}fact=headcount/part-0.parquet`, `${tenantId} facts`);
  await put('query-results', `${tenantQueryResultsPrefix(tenantId)}q-1/result.csv`, `${tenantId} query`);
  await put('query-results', `${tenantQueryResultsPrefix(tenantId)}q-2/result.csv`, `${tenantId} query 2`);
  await put('raw', `${supportExportPrefix(tenantId, 'g-1')}export.csv`, `${tenantId} support export`);
  await tables.put('uploads', { tenantId, uploadId: 'grant#g-1', kind: 'support-grant' });
  await appendLedger(
    { table: tables, clock: () => NOW },
    {
      action: 'upload.requested',
      actor: { subject: 'idp|user-1', roles: ['uploader'] },
      tenantId,
      details: { uploadId: 'u-0001', dataset: 'employees' },
    },
  );
}

/** Object versions under a tenant's prefixes, as the purge would count them. */
export function tenantInventory(objects: MemoryObjectStore, tenantId: string) {
  const prefixes = tenantPrefixes(tenantId);
  const rows = objects
    .snapshot()
    .filter((row) =>
      prefixes.some(({ bucket, prefix }) => row.bucket === bucket && row.key.startsWith(prefix)),
    );
  const buckets: Record<string, { objects: number; versions: number; deleteMarkers: number }> = {};
  for (const { bucket } of prefixes) buckets[bucket] = { objects: 0, versions: 0, deleteMarkers: 0 };
  const seen = new Set<string>();
  for (const row of rows) {
    const counts = buckets[row.bucket] ?? { objects: 0, versions: 0, deleteMarkers: 0 };
    if (row.isDeleteMarker) counts.deleteMarkers++;
    else counts.versions++;
    if (!seen.has(`${row.bucket}/${row.key}`)) counts.objects++;
    seen.add(`${row.bucket}/${row.key}`);
    buckets[row.bucket] = counts;
  }
  return { rows, buckets };
}

/** Everything in the object store not under the tenant's prefixes (its certificates aside). */
export function everythingBut(objects: MemoryObjectStore, tenantId: string) {
  const prefixes = [...tenantPrefixes(tenantId), { bucket: 'audit', prefix: certificatesPrefix(tenantId) }];
  return objects
    .snapshot()
    .filter(
      (row) => !prefixes.some(({ bucket, prefix }) => row.bucket === bucket && row.key.startsWith(prefix)),
    );
}

/** Wraps an ObjectStore, overriding some methods (fault injection, request counting). */
export function wrapStore(inner: ObjectStore, overrides: Partial<ObjectStore>): ObjectStore {
  return {
    put: (...args) => inner.put(...args),
    get: (...args) => inner.get(...args),
    getStream: (...args) => inner.getStream(...args),
    head: (...args) => inner.head(...args),
    list: (...args) => inner.list(...args),
    listVersions: (...args) => inner.listVersions(...args),
    deleteMany: (...args) => inner.deleteMany(...args),
    copy: (...args) => inner.copy(...args),
    presignPost: (...args) => inner.presignPost(...args),
    ...overrides,
  };
}

/** Runs a purge to the end, invocation after invocation, as the scheduler would. */
export async function purgeUntilDone(
  run: () => Promise<{ done: boolean }>,
  maxInvocations = 1000,
): Promise<{ invocations: number }> {
  for (let invocations = 1; invocations <= maxInvocations; invocations++) {
    const result = await run();
    if (result.done) return { invocations };
  }
  throw new Error(`purge not done after ${maxInvocations} invocations`);
}
