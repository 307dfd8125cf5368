import { describe, expect, it } from 'vitest';
import { MemoryObjectStore } from '../../../functions/adapters/memory/index.ts';
import { verifyLedger } from '../../../functions/domain/ledger/ledger.ts';
import type { ObjectRef } from '../../../functions/domain/ports/index.ts';
import type { RetainedStore } from '../../../functions/domain/purge/certificate.ts';
import {
  CERTIFICATE_CHAIN_HEAD_ID,
  CertificateNotFoundError,
  ConcurrentPurgeError,
  type DeletionCertificate,
  getCertificate,
  LegalHoldError,
  type PurgeResult,
  purgeTenant,
  TenantNotTerminatedError,
  verifyCertificateChain,
} from '../../../functions/domain/purge/index.ts';
import { defaultSettings } from '../../../functions/domain/settings.ts';
import { tenantRecordSchema } from '../../../functions/domain/tenants/model.ts';
import { certificateKey, landingKey } from '../../../functions/domain/zones.ts';
import {
  everythingBut,
  makeWorld,
  NOW,
  purgeUntilDone,
  seedTenant,
  tenantInventory,
  tenantRecord,
  type World,
  wrapStore,
} from './fixtures.ts';

const TENANT = 'acme';
/** A neighbour whose id starts like the purged tenant's: prefixes must not bleed into it. */
const NEIGHBOUR = 'acme-two';

async function seededWorld(options: { versioning?: 'enabled' | 'disabled' } = {}) {
  const world = makeWorld(options);
  await seedTenant(world, TENANT);
  await seedTenant(world, NEIGHBOUR, { state: 'ACTIVE', contract: { start: '2024-04-01' } });
  return world;
}

function certificateOf(result: PurgeResult): DeletionCertificate {
  if (result.outcome !== 'purged') throw new Error(`expected a finished purge, got ${result.outcome}`);
  return result.certificate;
}

async function assertNothingLeft(world: World, tenantId: string) {
  expect(tenantInventory(world.objects, tenantId).rows).toEqual([]);
  expect(world.tables.dump('uploads').filter((item) => item.tenantId === tenantId)).toEqual([]);
  expect(await world.keys.exists(tenantId)).toBe(false);
}

describe('purgeTenant', () => {
  it('leaves nothing of the tenant in any store and takes nothing from its neighbour', async () => {
    // Prepare
    const world = await seededWorld();
    const before = tenantInventory(world.objects, TENANT);
    const neighbourObjects = everythingBut(world.objects, TENANT);
    const neighbourRows = world.tables.dump('uploads').filter((item) => item.tenantId === NEIGHBOUR);
    const uploadRows = world.tables.dump('uploads').filter((item) => item.tenantId === TENANT).length;

    // Act
    const certificate = certificateOf(await purgeTenant(world.ports(), { tenantId: TENANT, now: NOW }));

    // Assess
    await assertNothingLeft(world, TENANT);
    expect(everythingBut(world.objects, TENANT)).toEqual(neighbourObjects);
    expect(world.tables.dump('uploads').filter((item) => item.tenantId === NEIGHBOUR)).toEqual(neighbourRows);
    expect(await world.keys.exists(NEIGHBOUR)).toBe(true);
    expect(before.rows.some((row) => row.isDeleteMarker)).toBe(true);
    expect(before.rows.some((row) => !row.isLatest && !row.isDeleteMarker)).toBe(true);
    expect(certificate.deleted.buckets).toEqual(before.buckets);
    expect(certificate.deleted.tables).toEqual({ uploads: { rows: uploadRows } });
    expect(certificate.deleted.keys).toBe(1);
    expect(certificate.deleted.totals.versions).toBe(before.rows.filter((row) => !row.isDeleteMarker).length);
    expect(certificate.deleted.totals.deleteMarkers).toBe(
      before.rows.filter((row) => row.isDeleteMarker).length,
    );
    expect(certificate.verification.result).toBe('ZERO_RESIDUE');
  });

  it('marks the tenant PURGED as a tombstone without its name, and records the certificate', async () => {
    // Prepare
    const world = await seededWorld();

    // Act
    const certificate = certificateOf(await purgeTenant(world.ports(), { tenantId: TENANT, now: NOW }));

    // Assess
    const tenant = tenantRecordSchema.parse(await world.tables.get('tenants', { tenantId: TENANT }));
    expect(tenant.state).toBe('PURGED');
    expect(tenant.name).toBe(TENANT);
    expect(tenant.purge?.certificateId).toBe(certificate.certificateId);
    expect(tenant.purge?.checkpoint).toBeUndefined();
    const stored = JSON.parse(
      new TextDecoder().decode(
        await world.objects.get('audit', certificateKey(TENANT, certificate.certificateId)),
      ),
    );
    expect(stored).toEqual(certificate);
    const ledger = await world.ledgerEntries();
    expect(ledger.filter((entry) => entry.tenantId === TENANT).map((entry) => entry.action)).toEqual([
      'upload.requested',
      'purge.started',
      'purge.users_disabled',
      'purge.certified',
    ]);
    expect((await world.ledgerEntries(TENANT)).at(-1)?.details.hash).toBe(certificate.hash);
    expect(verifyLedger(ledger).ok).toBe(true);
    expect(world.releases).toEqual([TENANT]);
    expect(tenant.releasePending).toBe(true);
  });

  it('certifies before it asks for the release, and keeps the certificate when the release cannot start', async () => {
    // Prepare: the release function cannot be invoked.
    const world = await seededWorld();
    const ports = world.ports({
      requestRelease: async () => {
        throw new Error('Lambda refused the invocation');
      },
    });

    // Act
    const result = await purgeTenant(ports, { tenantId: TENANT, now: NOW });

    // Assess
    expect(result).toMatchObject({ outcome: 'purged', done: true, releaseJobId: undefined });
    const certificate = certificateOf(result);
    expect(
      await world.objects.head('audit', certificateKey(TENANT, certificate.certificateId)),
    ).toBeDefined();
    const tenant = tenantRecordSchema.parse(await world.tables.get('tenants', { tenantId: TENANT }));
    expect(tenant).toMatchObject({ state: 'PURGED', releasePending: true });
    await assertNothingLeft(world, TENANT);
  });

  it('deletes every version in the disaster-recovery copy too, which S3 replication never deletes', async () => {
    // Prepare: the DR copy of curated holds what replication copied, for the tenant and its neighbour.
    const world = await seededWorld();
    const replica = new MemoryObjectStore({ versioning: 'enabled' });
    for await (const version of world.objects.listVersions('curated', '')) {
      if (version.isDeleteMarker) continue;
      await replica.put('curated', version.key, await world.objects.get('curated', version.key));
    }
    const neighbourCopies = everythingBut(replica, TENANT);
    const copied = tenantInventory(replica, TENANT).rows.length;

    // Act
    const certificate = certificateOf(
      await purgeTenant(world.ports({ replica: { objects: replica, region: 'ap-northeast-3' } }), {
        tenantId: TENANT,
        now: NOW,
      }),
    );

    // Assess
    expect(copied).toBeGreaterThan(0);
    expect(tenantInventory(replica, TENANT).rows).toEqual([]);
    expect(everythingBut(replica, TENANT)).toEqual(neighbourCopies);
    expect(certificate.deleted.buckets['curated-replica']?.versions).toBe(copied);
    await assertNothingLeft(world, TENANT);
  });

  it('lists in the certificate everything it keeps and why, in both languages, earlier anonymised releases included', async () => {
    // Prepare
    const world = await seededWorld();

    // Act
    const certificate = certificateOf(await purgeTenant(world.ports(), { tenantId: TENANT, now: NOW }));

    // Assess
    expect(certificate.schemaVersion).toBe(3);
    const retained = certificate.retained as RetainedStore[];
    expect(retained.map((entry) => entry.store)).toEqual([
      'ledger',
      'audit-certificates',
      'tenants',
      'anonymised-releases',
      'release-audit-truths',
      'published-statistics',
      'user-accounts',
      'table-backups',
      'query-results',
      'jobs',
      'ingest-queue',
      'logs',
    ]);
    for (const entry of retained) {
      for (const text of [entry.holds, entry.why, entry.until]) {
        expect(text.ja).toMatch(/[\u3040-\u30ff\u4e00-\u9fff]/);
        expect(text.en).not.toMatch(/[\u3040-\u309f]/);
      }
    }
    const anonymised = retained.find((entry) => entry.store === 'anonymised-releases');
    expect(anonymised?.holds.en).toMatch(/exactly as it sent them/);
    expect(anonymised?.holds.en).toMatch(/recompute from the company id/);
    expect(retained.find((entry) => entry.store === 'ledger')?.until.en).toMatch(
      `${defaultSettings.retention.auditLockDays} days`,
    );
    expect(retained.find((entry) => entry.store === 'user-accounts')?.holds.en).toMatch(/personal data/);
    expect(certificate.statisticsRelease).toBeUndefined();
  });

  it('disables the company’s user accounts, ends their sessions and leaves other companies’ accounts alone', async () => {
    // Prepare
    const world = await seededWorld();

    // Act
    const certificate = certificateOf(await purgeTenant(world.ports(), { tenantId: TENANT, now: NOW }));

    // Assess
    for (const userId of [`idp|${TENANT}-user-1`, `idp|${TENANT}-user-2`])
      expect(world.users.user(userId)).toMatchObject({ enabled: false, signedOut: true });
    expect(await world.users.countTenantUsers(NEIGHBOUR)).toEqual({ enabled: 2, disabled: 0 });
    expect(certificate.userAccounts).toEqual({ disabled: 2 });
    expect(certificate.verification.residue).toEqual({ objectVersions: 0, rows: 0, keys: 0, users: 0 });
    const disabled = (await world.ledgerEntries(TENANT)).find(
      (entry) => entry.action === 'purge.users_disabled',
    );
    expect(disabled?.details).toMatchObject({ disabled: 2 });
  });

  it('does not certify while an account of the company can still sign in: one created during the purge is disabled too', async () => {
    // Prepare: an administrator creates an account for the company after the purge disabled the others.
    const world = await seededWorld();
    const paused = await purgeTenant(world.ports(), {
      tenantId: TENANT,
      now: NOW,
      budget: { maxBatches: 1 },
    });
    world.users.add(`idp|${TENANT}-late-user`, TENANT);

    // Act
    const results: PurgeResult[] = [];
    await purgeUntilDone(async () => {
      const result = await purgeTenant(world.ports(), { tenantId: TENANT, now: NOW });
      results.push(result);
      return result;
    });

    // Assess
    expect(paused.done).toBe(false);
    expect(results[0]).toMatchObject({ outcome: 'in-progress', residue: { users: 1 } });
    expect(world.users.user(`idp|${TENANT}-late-user`)).toMatchObject({ enabled: false });
    expect(certificateOf(results.at(-1) as PurgeResult).userAccounts).toEqual({ disabled: 3 });
  });

  it('deletes and records what appears of a purged company after its certificate when it is purged again', async () => {
    // Prepare: after the certificate, a file lands whose ingestion could not delete it, and a quarantine record.
    const world = await seededWorld();
    const first = certificateOf(await purgeTenant(world.ports(), { tenantId: TENANT, now: NOW }));
    await world.objects.put('landing', landingKey(TENANT, 'payroll', 'u-late', '給与_山田.csv'), 'late');
    await world.objects.put('landing', `quarantine/${TENANT}/u-late/quarantined.json`, '{}');
    await world.tables.put('uploads', { tenantId: TENANT, uploadId: 'u-late', status: 'REQUESTED' });

    // Act
    const again = await purgeTenant(world.ports(), { tenantId: TENANT, now: NOW });

    // Assess
    expect(again).toMatchObject({
      outcome: 'purged',
      alreadyPurged: true,
      residueDeleted: { objectVersions: 2, rows: 1, keys: 0, users: 0, stores: ['landing', 'uploads'] },
    });
    expect(certificateOf(again)).toEqual(first);
    await assertNothingLeft(world, TENANT);
    const recorded = (await world.ledgerEntries(TENANT)).at(-1);
    expect(recorded).toMatchObject({
      action: 'purge.residue_deleted',
      details: { certificateId: first.certificateId, objectVersions: 2, rows: 1 },
    });
    expect(JSON.stringify(recorded)).not.toMatch(/山田|給与/);
  });

  it('writes a certificate that holds no personal data: no company name, no object key, no file name', async () => {
    // Prepare
    const world = await seededWorld();
    const objectKeys = tenantInventory(world.objects, TENANT).rows.map((row) => row.key);

    // Act
    const certificate = certificateOf(await purgeTenant(world.ports(), { tenantId: TENANT, now: NOW }));

    // Assess
    const text = JSON.stringify(certificate);
    expect(text).not.toContain('商事');
    expect(text).not.toContain('山田');
    expect(text).not.toContain('佐藤');
    for (const key of objectKeys) expect(text).not.toContain(key);
  });

  it('chains certificates, and a tampered certificate breaks the chain', async () => {
    // Prepare
    const world = await seededWorld();
    await world.tables.put('tenants', {
      ...(await world.tables.get('tenants', { tenantId: NEIGHBOUR })),
      contract: { start: '2024-04-01', end: '2026-06-30' },
    });

    // Act
    const first = certificateOf(await purgeTenant(world.ports(), { tenantId: TENANT, now: NOW }));
    const second = certificateOf(await purgeTenant(world.ports(), { tenantId: NEIGHBOUR, now: NOW }));
    const tampered = { ...first, deleted: { ...first.deleted, keys: 0 } };

    // Assess
    expect(first.previousHash).toBeNull();
    expect(second.previousHash).toBe(first.hash);
    expect([first.sequence, second.sequence]).toEqual([1, 2]);
    expect(verifyCertificateChain([second, first])).toEqual({ valid: true, problems: [] });
    const broken = verifyCertificateChain([tampered, second]);
    expect(broken.valid).toBe(false);
    expect(broken.problems[0]?.message.en).toMatch(/altered/);
    expect(verifyCertificateChain([first]).valid).toBe(true);
    expect(verifyCertificateChain([second]).valid).toBe(true);
    expect(verifyCertificateChain([{ ...second, previousHash: first.previousHash }, first]).valid).toBe(
      false,
    );
  });

  it('returns the same certificate when run again, deleting and recording nothing more', async () => {
    // Prepare
    const world = await seededWorld();
    const first = certificateOf(await purgeTenant(world.ports(), { tenantId: TENANT, now: NOW }));
    const ledgerLength = (await world.ledgerEntries()).length;

    // Act
    const again = await purgeTenant(world.ports(), { tenantId: TENANT, now: NOW });

    // Assess
    expect(again.outcome === 'purged' && again.alreadyPurged).toBe(true);
    expect(certificateOf(again)).toEqual(first);
    expect(await world.ledgerEntries()).toHaveLength(ledgerLength);
    expect(await getCertificate(world.ports(), TENANT)).toEqual(first);
  });

  it('resumes a purge budgeted to one batch per invocation to the same end state', async () => {
    // Prepare
    const reference = await seededWorld();
    const expected = certificateOf(await purgeTenant(reference.ports(), { tenantId: TENANT, now: NOW }));
    const world = await seededWorld();
    const neighbour = everythingBut(world.objects, TENANT);
    const results: PurgeResult[] = [];

    // Act
    const { invocations } = await purgeUntilDone(async () => {
      const result = await purgeTenant(world.ports(), {
        tenantId: TENANT,
        now: NOW,
        budget: { maxBatches: 1 },
        batchSize: 2,
      });
      results.push(result);
      return result;
    });

    // Assess
    const certificate = certificateOf(results.at(-1) as PurgeResult);
    expect(invocations).toBeGreaterThan(5);
    expect(
      results.slice(0, -1).every((result) => result.outcome === 'in-progress' && result.batches <= 1),
    ).toBe(true);
    expect(certificate.deleted).toEqual(expected.deleted);
    await assertNothingLeft(world, TENANT);
    expect(everythingBut(world.objects, TENANT)).toEqual(neighbour);
  });

  it('stops at a time budget and resumes', async () => {
    // Prepare
    const world = await seededWorld();
    const ports = world.ports();
    const deadline = new Date(NOW.getTime() + 4000); // the fixture clock moves a second per reading

    // Act
    const first = await purgeTenant(ports, {
      tenantId: TENANT,
      now: NOW,
      budget: { deadline },
      batchSize: 1,
    });
    const rest = await purgeTenant(ports, { tenantId: TENANT, now: NOW });

    // Assess
    expect(first.done).toBe(false);
    expect(tenantRecordSchema.parse(await world.tables.get('tenants', { tenantId: TENANT })).state).toBe(
      'PURGED',
    );
    expect(rest.outcome).toBe('purged');
    await assertNothingLeft(world, TENANT);
  });

  it('resumes after a crash in the middle of a deleteMany, counting every version exactly once', async () => {
    // Prepare
    const reference = await seededWorld();
    const expected = certificateOf(await purgeTenant(reference.ports(), { tenantId: TENANT, now: NOW }));
    const world = await seededWorld();
    let deletesLeft = 7;
    const crashing = wrapStore(world.objects, {
      deleteMany: async (bucket: string, refs: readonly ObjectRef[]) => {
        const allowed = refs.slice(0, Math.max(deletesLeft, 0));
        deletesLeft -= refs.length;
        await world.objects.deleteMany(bucket, allowed);
        if (allowed.length < refs.length) throw new Error('Lambda timed out');
        return { failed: [] };
      },
    });

    // Act
    const interrupted = purgeTenant(world.ports({ objects: crashing }), {
      tenantId: TENANT,
      now: NOW,
      batchSize: 3,
    });
    await expect(interrupted).rejects.toThrow('Lambda timed out');
    const midway = tenantRecordSchema.parse(await world.tables.get('tenants', { tenantId: TENANT }));
    const resumed = await purgeTenant(world.ports(), { tenantId: TENANT, now: NOW, batchSize: 3 });

    // Assess
    expect(midway.state).toBe('PURGING');
    expect(certificateOf(resumed).deleted).toEqual(expected.deleted);
    await assertNothingLeft(world, TENANT);
  });

  it('retries throttled requests with growing backoff and still finishes', async () => {
    // Prepare
    const world = await seededWorld();
    let calls = 0;
    const throttling = wrapStore(world.objects, {
      deleteMany: async (bucket: string, refs: readonly ObjectRef[]) => {
        calls++;
        if (calls % 4 !== 0) {
          throw Object.assign(new Error('Please reduce your request rate.'), { name: 'SlowDown' });
        }
        return world.objects.deleteMany(bucket, refs);
      },
    });

    // Act
    const result = await purgeTenant(world.ports({ objects: throttling, random: () => 0.99 }), {
      tenantId: TENANT,
      now: NOW,
    });

    // Assess
    expect(result.outcome).toBe('purged');
    await assertNothingLeft(world, TENANT);
    expect(world.sleeps.slice(0, 3)).toEqual([99, 198, 396]);
  });

  it('deletes again the refs a deleteMany reports as failed', async () => {
    // Prepare
    const world = await seededWorld();
    let failOnce = true;
    const partial = wrapStore(world.objects, {
      deleteMany: async (bucket: string, refs: readonly ObjectRef[]) => {
        if (!failOnce || refs.length < 2) return world.objects.deleteMany(bucket, refs);
        failOnce = false;
        await world.objects.deleteMany(bucket, refs.slice(1));
        return { failed: refs.slice(0, 1) };
      },
    });

    // Act
    const result = await purgeTenant(world.ports({ objects: partial }), { tenantId: TENANT, now: NOW });

    // Assess
    expect(failOnce).toBe(false);
    expect(result.outcome).toBe('purged');
    await assertNothingLeft(world, TENANT);
  });

  it('refuses a tenant under legal hold, says so in both languages, records the refusal and deletes nothing', async () => {
    // Prepare
    const world = makeWorld();
    await seedTenant(world, TENANT, { legalHold: true });
    const before = world.objects.snapshot();

    // Act
    const attempt = purgeTenant(world.ports(), { tenantId: TENANT, now: NOW });

    // Assess
    const error = await attempt.catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(LegalHoldError);
    expect((error as LegalHoldError).userMessage.en).toMatch(/legal hold/);
    expect((error as LegalHoldError).userMessage.ja).toMatch(/訴訟ホールド/);
    expect((await world.ledgerEntries(TENANT)).at(-1)).toMatchObject({
      action: 'purge.refused',
      tenantId: TENANT,
      details: { reason: 'legal-hold' },
    });
    expect(world.objects.snapshot()).toEqual(before);
    expect(await world.keys.exists(TENANT)).toBe(true);
  });

  it('stops at the next batch when a legal hold is set while the purge runs, keeping the rest', async () => {
    // Prepare
    const world = await seededWorld();
    let batches = 0;
    const holding = wrapStore(world.objects, {
      deleteMany: async (bucket: string, refs: readonly ObjectRef[]) => {
        batches++;
        if (batches === 2) {
          // Legal sets a hold through the admin API while the purge is deleting.
          const record = tenantRecordSchema.parse(await world.tables.get('tenants', { tenantId: TENANT }));
          await world.tables.put('tenants', {
            ...record,
            legalHold: true,
            updatedAt: '2026-11-22T03:30:00.000Z',
          });
        }
        return world.objects.deleteMany(bucket, refs);
      },
    });

    // Act
    const attempt = purgeTenant(world.ports({ objects: holding }), {
      tenantId: TENANT,
      now: NOW,
      batchSize: 2,
    });

    // Assess
    await expect(attempt).rejects.toBeInstanceOf(LegalHoldError);
    expect(batches).toBe(2);
    expect(tenantInventory(world.objects, TENANT).rows.length).toBeGreaterThan(0);
    expect(await world.keys.exists(TENANT)).toBe(true);
    expect(tenantRecordSchema.parse(await world.tables.get('tenants', { tenantId: TENANT })).state).toBe(
      'PURGING',
    );
    expect((await world.ledgerEntries(TENANT)).at(-1)).toMatchObject({
      action: 'purge.refused',
      tenantId: TENANT,
    });
  });

  it('stops rather than interleave when another purge of the same tenant writes first', async () => {
    // Prepare
    const world = await seededWorld();
    let raced = false;
    const racing = wrapStore(world.objects, {
      deleteMany: async (bucket: string, refs: readonly ObjectRef[]) => {
        if (!raced) {
          raced = true;
          const record = await world.tables.get('tenants', { tenantId: TENANT });
          await world.tables.put('tenants', { ...record, updatedAt: '2026-11-22T03:30:00.000Z' });
        }
        return world.objects.deleteMany(bucket, refs);
      },
    });

    // Act
    const attempt = purgeTenant(world.ports({ objects: racing }), {
      tenantId: TENANT,
      now: NOW,
      batchSize: 2,
    });

    // Assess
    await expect(attempt).rejects.toBeInstanceOf(ConcurrentPurgeError);
    expect(tenantRecordSchema.parse(await world.tables.get('tenants', { tenantId: TENANT })).state).toBe(
      'PURGING',
    );
  });

  it('refuses a tenant whose contract still runs', async () => {
    // Prepare
    const world = makeWorld();
    await seedTenant(world, TENANT, {
      state: 'ACTIVE',
      contract: { start: '2024-04-01', end: '2027-03-31' },
    });

    // Act
    const attempt = purgeTenant(world.ports(), { tenantId: TENANT, now: NOW });

    // Assess
    await expect(attempt).rejects.toBeInstanceOf(TenantNotTerminatedError);
    expect(await world.keys.exists(TENANT)).toBe(true);
  });

  it('lists in a dry run what would be deleted, deleting nothing', async () => {
    // Prepare
    const world = await seededWorld();
    const before = world.objects.snapshot();
    const inventory = tenantInventory(world.objects, TENANT);

    // Act
    const result = await purgeTenant(world.ports(), { tenantId: TENANT, now: NOW, dryRun: true });

    // Assess
    if (result.outcome !== 'dry-run') throw new Error('expected a dry run');
    expect(result.plan.buckets).toEqual(inventory.buckets);
    expect(result.plan.tables).toEqual({ uploads: { rows: 4 } });
    expect(result.plan.keys).toBe(1);
    expect(result.plan.users).toEqual({ enabled: 2, disabled: 0 });
    expect(await world.users.countTenantUsers(TENANT)).toEqual({ enabled: 2, disabled: 0 });
    expect(result.plan.samples.landing).toContain(
      landingKey(TENANT, 'employees', 'u-0001', '山田太郎_社員名簿.csv'),
    );
    expect(
      Object.values(result.plan.samples)
        .flat()
        .every((key) => key.includes(TENANT)),
    ).toBe(true);
    expect(world.objects.snapshot()).toEqual(before);
    expect(tenantRecordSchema.parse(await world.tables.get('tenants', { tenantId: TENANT })).state).toBe(
      'TERMINATED',
    );
  });

  it('does not certify while something of the tenant is left: data written during the purge is deleted too', async () => {
    // Prepare
    const world = await seededWorld();
    const landingObjects = tenantInventory(world.objects, TENANT).buckets.landing?.objects ?? 0;
    const lateKey = landingKey(TENANT, 'payroll', 'u-late', 'late.csv');
    let written = false;
    const ports = world.ports({
      keys: {
        ...world.keys,
        create: (tenantId) => world.keys.create(tenantId),
        get: (tenantId) => world.keys.get(tenantId),
        exists: (tenantId) => world.keys.exists(tenantId),
        destroy: async (tenantId) => {
          // An upload lands after its prefix was already purged.
          if (!written) await world.objects.put('landing', lateKey, 'late');
          written = true;
          await world.keys.destroy(tenantId);
        },
      },
    });

    // Act
    const first = await purgeTenant(ports, { tenantId: TENANT, now: NOW });
    const stateAfterFirst = tenantRecordSchema.parse(
      await world.tables.get('tenants', { tenantId: TENANT }),
    ).state;
    const second = await purgeTenant(ports, { tenantId: TENANT, now: NOW });

    // Assess
    expect(first).toMatchObject({ done: false, residue: { objectVersions: 1, rows: 0, keys: 0 } });
    expect(stateAfterFirst).toBe('PURGING');
    expect(certificateOf(second).deleted.buckets.landing?.objects).toBe(landingObjects + 1);
    await assertNothingLeft(world, TENANT);
  });

  it('purges an unversioned store (local s3rver) the same way', async () => {
    // Prepare
    const world = await seededWorld({ versioning: 'disabled' });
    const before = tenantInventory(world.objects, TENANT);
    const neighbour = everythingBut(world.objects, TENANT);

    // Act
    const certificate = certificateOf(await purgeTenant(world.ports(), { tenantId: TENANT, now: NOW }));

    // Assess
    expect(certificate.deleted.buckets).toEqual(before.buckets);
    expect(certificate.deleted.totals.deleteMarkers).toBe(0);
    await assertNothingLeft(world, TENANT);
    expect(everythingBut(world.objects, TENANT)).toEqual(neighbour);
  });

  it('uses ceil(N / 1000) deleteMany requests for N object versions', async () => {
    // Prepare
    const world = makeWorld();
    await world.tables.put('tenants', tenantRecord(TENANT));
    for (let index = 0; index < 2500; index++) {
      await world.objects.put(
        'raw',
        `raw/tenant=${TENANT}/dataset=sales/period=2026-08/${index}.parquet`,
        'x',
      );
    }
    const requestSizes: number[] = [];
    const counting = wrapStore(world.objects, {
      deleteMany: (bucket: string, refs: readonly ObjectRef[]) => {
        requestSizes.push(refs.length);
        return world.objects.deleteMany(bucket, refs);
      },
    });

    // Act
    const certificate = certificateOf(
      await purgeTenant(world.ports({ objects: counting }), { tenantId: TENANT, now: NOW }),
    );

    // Assess
    expect(requestSizes).toEqual([1000, 1000, 500]);
    expect(certificate.deleted.totals.versions).toBe(2500);
  });
});

describe('getCertificate', () => {
  it('throws CertificateNotFoundError before a purge has finished', async () => {
    // Prepare
    const world = await seededWorld();

    // Act
    const attempt = getCertificate(world.ports(), TENANT);

    // Assess
    await expect(attempt).rejects.toBeInstanceOf(CertificateNotFoundError);
  });

  it('finds the certificate in the audit bucket even when the tenant record does not name it', async () => {
    // Prepare
    const world = await seededWorld();
    const certificate = certificateOf(await purgeTenant(world.ports(), { tenantId: TENANT, now: NOW }));
    await world.tables.delete('tenants', { tenantId: TENANT });

    // Act
    const found = await getCertificate(world.ports(), TENANT);

    // Assess
    expect(found).toEqual(certificate);
    expect(await world.tables.get('tenants', { tenantId: CERTIFICATE_CHAIN_HEAD_ID })).toMatchObject({
      hash: certificate.hash,
    });
  });
});
