/**
 * Withdrawing an upload sent by mistake: every version of its data is gone, the ledger records it
 * without personal values, the upload it had superseded is in force again, and the next release no
 * longer uses it.
 */
import { describe, expect, it } from 'vitest';
import { ConflictError, NotFoundError } from '../../../functions/domain/errors.ts';
import { readLedger } from '../../../functions/domain/ledger/ledger.ts';
import { UploadWithdrawnError } from '../../../functions/domain/masking/errors.ts';
import {
  buildTenantFacts,
  FACTS_MAX_ATTEMPTS,
  factKey,
  removeTenantFacts,
} from '../../../functions/domain/masking/facts.ts';
import { pseudonymise, pseudonymiseAccepted } from '../../../functions/domain/masking/pseudonymise.ts';
import { NotFoundError as StoreNotFoundError } from '../../../functions/domain/ports/index.ts';
import { buildRelease } from '../../../functions/domain/release/release.ts';
import { uploadRecordSchema } from '../../../functions/domain/uploads/model.ts';
import {
  WITHDRAWAL_CLAIM_MS,
  WithdrawalIncompleteError,
  withdrawUpload,
} from '../../../functions/domain/uploads/withdraw.ts';
import { factsPrefix, pseudonymisedKey } from '../../../functions/domain/zones.ts';
import { maskingOnFactsWrite, seedUpload } from './fixtures.ts';
import {
  company,
  FIRST,
  MISTAKE,
  pooledSales,
  salesFacts,
  TENANT,
  versionsOf,
  withdrawingWhen,
  world,
} from './withdrawal-world.ts';

describe('withdrawing an upload', () => {
  it('deletes every version of its data, records it, and puts the upload it superseded back in force', async () => {
    // Prepare
    const ports = await world();
    expect(await salesFacts(ports)).toEqual([
      ['2026-04', 987_654_321],
      ['2026-05', 987_654_321],
    ]);
    expect(await ports.table.get('uploads', { tenantId: TENANT, uploadId: FIRST })).toMatchObject({
      supersededBy: { '2026-04': MISTAKE },
    });

    // Act
    const result = await withdrawUpload(ports, company, MISTAKE);

    // Assess
    expect(result).toMatchObject({
      uploadId: MISTAKE,
      status: 'WITHDRAWN',
      deleted: { landing: 2, raw: 2, report: 1, pseudonymised: 2, 'support-exports': 1 },
    });
    expect(await versionsOf(ports, MISTAKE)).toEqual([]);
    expect(await versionsOf(ports, FIRST)).not.toEqual([]);
    const record = uploadRecordSchema.parse(
      await ports.table.get('uploads', { tenantId: TENANT, uploadId: MISTAKE }),
    );
    expect(record).toMatchObject({
      status: 'WITHDRAWN',
      withdrawnBy: 'sub-w',
      withdrawalRef: result.ledgerRef,
    });
    expect(record.errors).toBeUndefined();
    const first = uploadRecordSchema.parse(
      await ports.table.get('uploads', { tenantId: TENANT, uploadId: FIRST }),
    );
    expect(first.supersededBy).toBeUndefined();
    expect(await salesFacts(ports)).toEqual([['2026-04', 1_000_000]]);
    const entry = (await readLedger(ports.table, { tenantId: TENANT })).find(
      (e) => e.action === 'upload.withdrawn',
    );
    expect(entry).toMatchObject({
      details: { uploadId: MISTAKE, dataset: 'sales', deleted_raw: 2, deleted_pseudonymised: 2 },
    });
    expect(JSON.stringify(entry)).not.toContain('987654321');
  });

  it('deletes the former versions of the company’s facts, which held the upload’s figures', async () => {
    // Prepare: the facts hold the mistake's figures
    const ports = await world();
    const factVersions = async () => {
      const found = [];
      for await (const v of ports.objects.listVersions('curated', factsPrefix(TENANT)))
        if (v.key.includes('/fact=')) found.push(v);
      return found;
    };
    expect(await salesFacts(ports)).toContainEqual(['2026-05', 987_654_321]);

    // Act
    const result = await withdrawUpload(ports, company, MISTAKE);

    // Assess: one version of each fact is left, the current one, and none holds the mistake's figures
    const left = await factVersions();
    expect(left.map((v) => [v.key, v.isLatest, v.isDeleteMarker]).sort()).toEqual(
      [factKey(TENANT, 'company_month'), factKey(TENANT, 'employee_month')].map((key) => [key, true, false]),
    );
    expect(await salesFacts(ports)).toEqual([['2026-04', 1_000_000]]);
    expect(result.deleted['facts-versions']).toBeGreaterThan(0);
  });

  it('keeps it out of the next release', async () => {
    // Prepare
    const ports = await world();
    const before = await buildRelease(ports, {
      now: new Date('2026-11-10T00:00:00.000Z'),
      reason: 'on-demand',
    });

    // Act
    await withdrawUpload(ports, company, MISTAKE);
    const after = await buildRelease(ports, {
      now: new Date('2026-11-11T00:00:00.000Z'),
      reason: 'on-demand',
    });

    // Assess
    expect(await pooledSales(ports, before.releaseId)).toContain(987_654_321);
    expect(await pooledSales(ports, after.releaseId)).not.toContain(987_654_321);
  });

  it('keeps it out of a release that runs before a failed withdrawal is finished', async () => {
    // Prepare: a store that refuses to delete the mistake's objects (the run fails before the facts are
    // rebuilt; the record already says WITHDRAWN, as the API wrote it)
    const ports = await world();
    const objects = new Proxy(ports.objects, {
      get(target, name, receiver) {
        const value = Reflect.get(target, name, receiver);
        if (typeof value !== 'function') return value;
        if (name !== 'deleteMany') return value.bind(target);
        return async (bucket: string, refs: readonly { key: string; versionId?: string }[]) => {
          const refused = refs.filter((r) => r.key.includes(MISTAKE));
          const done = await target.deleteMany(
            bucket,
            refs.filter((r) => !r.key.includes(MISTAKE)),
          );
          return { failed: [...refused, ...done.failed] };
        };
      },
    });
    const failed = await withdrawUpload({ ...ports, objects }, company, MISTAKE).catch((e: unknown) => e);

    // Act: the monthly release runs before anyone withdraws again
    const release = await buildRelease(ports, {
      now: new Date('2026-11-11T00:00:00.000Z'),
      reason: 'on-demand',
    });

    // Assess: the withdrawal failed, and no release pooled the withdrawn upload's figures; once withdrawn
    // again, the company's facts are back without it
    expect(failed).toBeInstanceOf(WithdrawalIncompleteError);
    expect(await pooledSales(ports, release.releaseId)).not.toContain(987_654_321);
    await withdrawUpload(ports, company, MISTAKE);
    expect(await salesFacts(ports)).toEqual([['2026-04', 1_000_000]]);
  });

  it('keeps it out of a release when the run that finishes the withdrawal never started', async () => {
    // Prepare: the record says WITHDRAWN, but the mask function was never reached (throttled, or the
    // API died after its commit), so nothing removed or rebuilt the facts (outside review of 37b8b4f)
    const ports = await world();
    const failed = await withdrawUpload(
      {
        ...ports,
        withdrawals: {
          finish: async (request) => {
            throw new WithdrawalIncompleteError(request.uploadId);
          },
        },
      },
      company,
      MISTAKE,
    ).catch((e: unknown) => e);

    // Act
    const release = await buildRelease(ports, {
      now: new Date('2026-11-11T00:00:00.000Z'),
      reason: 'on-demand',
    });

    // Assess: the company is left out until its withdrawal is finished, then back without the upload
    expect(failed).toBeInstanceOf(WithdrawalIncompleteError);
    expect(release.contributingTenants).toBe(0);
    expect(await pooledSales(ports, release.releaseId)).not.toContain(987_654_321);
    await withdrawUpload(ports, company, MISTAKE);
    const later = await buildRelease(ports, {
      now: new Date('2026-11-12T00:00:00.000Z'),
      reason: 'on-demand',
    });
    expect(later.contributingTenants).toBe(1);
  });

  it('completes a release that reads a company’s facts just as a withdrawal removes them', async () => {
    // Prepare: the company's facts are removed (as a withdrawal's first step does) right after the
    // release first looks at them
    const ports = await world();
    let removed = false;
    const watched = factKey(TENANT, 'employee_month');
    const objects = new Proxy(ports.objects, {
      get(target, name, receiver) {
        const value = Reflect.get(target, name, receiver);
        if (typeof value !== 'function') return value;
        if (name !== 'head' && name !== 'get') return value.bind(target);
        return async (bucket: string, key: string) => {
          const answer = await value.call(target, bucket, key);
          if (key === watched && !removed) {
            removed = true;
            await removeTenantFacts(target, TENANT);
          }
          return answer;
        };
      },
    });

    // Act
    const release = await buildRelease(
      { ...ports, objects },
      { now: new Date('2026-11-10T00:00:00.000Z'), reason: 'on-demand' },
    ).catch((e: unknown) => e);

    // Assess: the release did not fail on facts gone between two reads of them
    expect(removed).toBe(true);
    expect(release).not.toBeInstanceOf(Error);
  });

  it('finishes a withdrawal again without a second ledger entry', async () => {
    // Prepare
    const ports = await world();
    const first = await withdrawUpload(ports, company, MISTAKE);

    // Act
    const again = await withdrawUpload(ports, company, MISTAKE);

    // Assess: the first run's answer, deletion counts included
    expect(again.ledgerRef).toBe(first.ledgerRef);
    expect(again.deleted).toEqual(first.deleted);
    expect(Object.values(first.deleted).reduce((n, v) => n + v, 0)).toBeGreaterThan(0);
    expect(
      (await readLedger(ports.table, { tenantId: TENANT })).filter((e) => e.action === 'upload.withdrawn'),
    ).toHaveLength(1);
  });

  it('answers "not finished yet" while another run finishes it, and takes over a run that died 15 minutes ago', async () => {
    // Prepare: the record says WITHDRAWN and a run claimed it just now (as a run in the mask function does)
    const ports = await world();
    const record = await ports.table.get('uploads', { tenantId: TENANT, uploadId: MISTAKE });
    const claim = (at: Date) =>
      ports.table.put('uploads', {
        ...record,
        status: 'WITHDRAWN',
        withdrawnAt: at.toISOString(),
        withdrawalClaimedAt: at.toISOString(),
      });
    await claim(ports.clock());

    // Act
    const busy = await withdrawUpload(ports, company, MISTAKE).catch((e: unknown) => e);
    const leftWhileBusy = await versionsOf(ports, MISTAKE);
    await claim(new Date(ports.clock().getTime() - WITHDRAWAL_CLAIM_MS - 1000));
    const takenOver = await withdrawUpload(ports, company, MISTAKE);

    // Assess
    expect(busy).toBeInstanceOf(WithdrawalIncompleteError);
    expect(leftWhileBusy.length).toBeGreaterThan(0);
    expect(takenOver.status).toBe('WITHDRAWN');
    expect(await versionsOf(ports, MISTAKE)).toEqual([]);
    expect(
      (await readLedger(ports.table, { tenantId: TENANT })).filter((e) => e.action === 'upload.withdrawn'),
    ).toHaveLength(1);
    const stored = uploadRecordSchema.parse(
      await ports.table.get('uploads', { tenantId: TENANT, uploadId: MISTAKE }),
    );
    expect(stored.withdrawalClaimedAt).toBeUndefined();
    expect(stored.withdrawalDeleted).toEqual(takenOver.deleted);
  });

  it('refuses an upload still being read, and another company’s upload', async () => {
    // Prepare
    const ports = await world();
    const record = await ports.table.get('uploads', { tenantId: TENANT, uploadId: FIRST });
    await ports.table.put('uploads', { ...record, status: 'VALIDATING', maskedAt: undefined });

    // Act
    const busy = await withdrawUpload(ports, company, FIRST).catch((e: unknown) => e);
    const foreign = await withdrawUpload(ports, { ...company, tenantId: 'tenant-x' }, MISTAKE).catch(
      (e: unknown) => e,
    );

    // Assess
    expect(busy).toBeInstanceOf(ConflictError);
    expect(foreign).toBeInstanceOf(NotFoundError);
    expect(await versionsOf(ports, MISTAKE)).not.toEqual([]);
  });
});

describe('withdrawing an upload while masking rebuilds the facts', () => {
  it('masking finishes when an object it was about to read was withdrawn, and the facts leave it out', async () => {
    // Prepare: a redelivered masking of the mistake, withdrawn just as its facts rebuild reads its objects
    const ports = await world();
    const race = withdrawingWhen(
      ports,
      'get',
      (key) => key.includes(`/${MISTAKE}.parquet`) && key.includes('pseudonymised'),
    );

    // Act
    const masked = await pseudonymise(race.ports, { tenantId: TENANT, uploadId: MISTAKE }).then(
      (r) => r,
      (e: unknown) => e,
    );

    // Assess
    expect(race.fired()).toBe(true);
    expect(masked).toMatchObject({ uploadId: MISTAKE, facts: { uploads: [FIRST] } });
    expect(await salesFacts(ports)).toEqual([['2026-04', 1_000_000]]);
    expect(await versionsOf(ports, MISTAKE)).toEqual([]);
    const first = uploadRecordSchema.parse(
      await ports.table.get('uploads', { tenantId: TENANT, uploadId: FIRST }),
    );
    expect(first.supersededBy).toBeUndefined();
  });

  it('leaves nothing when the withdrawal commits while masking reads the raw objects back', async () => {
    // Prepare: a re-mask of the mistake (no objects from ingestion's pass), withdrawn after it masked its
    // first period and before it puts it (the withdrawal finds nothing of that period to delete)
    const ports = await world();
    const pseudonymisedOfMistake = (key: string) =>
      key.startsWith('pseudonymised/') && key.endsWith(`/${MISTAKE}.parquet`);
    const race = withdrawingWhen(ports, 'put', pseudonymisedOfMistake);

    // Act
    const masked = await pseudonymise(race.ports, { tenantId: TENANT, uploadId: MISTAKE }).catch(
      (e: unknown) => e,
    );

    // Assess
    expect(race.fired()).toBe(true);
    expect(masked).toBeInstanceOf(UploadWithdrawnError);
    expect(await versionsOf(ports, MISTAKE)).toEqual([]);
    expect(await salesFacts(ports)).toEqual([['2026-04', 1_000_000]]);
  });

  it('does not take the clean-up of a withdrawn upload for done when the store refuses a deletion', async () => {
    // Prepare: the mistake withdrawn, and its objects put again (as ingestion's pass puts them) into a
    // store that refuses to delete them
    const ports = await world();
    await withdrawUpload(ports, company, MISTAKE);
    const keys = ['2026-04', '2026-05'].map((p) => pseudonymisedKey(TENANT, 'sales', p, MISTAKE));
    for (const key of keys) await ports.objects.put('curated', key, 'pseudonymised rows');
    const objects = new Proxy(ports.objects, {
      get(target, name, receiver) {
        const value = Reflect.get(target, name, receiver);
        if (typeof value !== 'function') return value;
        if (name !== 'deleteMany') return value.bind(target);
        return async (_bucket: string, refs: readonly { key: string }[]) => ({ failed: refs });
      },
    });

    // Act
    const masked = await pseudonymiseAccepted(
      { ...ports, objects },
      { tenantId: TENANT, uploadId: MISTAKE, maskedInPass: keys },
    ).catch((e: unknown) => e);

    // Assess: a failure, so the delivery is retried, not a finished withdrawal
    expect(masked).toBeInstanceOf(Error);
    expect(masked).not.toBeInstanceOf(UploadWithdrawnError);
    expect(await versionsOf(ports, MISTAKE)).not.toEqual([]);
  });

  it('still fails when an object in force is gone although nothing withdrew it', async () => {
    // Prepare: the first upload's pseudonymised object lost, its record unchanged
    const ports = await world();
    const lost = [];
    for await (const v of ports.objects.listVersions('curated', ''))
      if (v.key.includes(`/${FIRST}.parquet`)) lost.push({ key: v.key, versionId: v.versionId });
    await ports.objects.deleteMany('curated', lost);
    await withdrawUpload(ports, company, MISTAKE).catch(() => undefined);

    // Act
    const rebuilt = await buildTenantFacts(ports, TENANT).catch((e: unknown) => e);

    // Assess: a real loss is not taken for a withdrawal
    expect(lost.length).toBeGreaterThan(0);
    expect(rebuilt).toBeInstanceOf(StoreNotFoundError);
  });

  it('facts written with the withdrawn upload after the withdrawal rebuilt them are written again without it', async () => {
    // Prepare: masking read the mistake's objects, and the withdrawal commits and rebuilds before it writes
    const ports = await world();
    const race = withdrawingWhen(ports, 'put', (key) => key === factKey(TENANT, 'employee_month'));

    // Act
    await pseudonymise(race.ports, { tenantId: TENANT, uploadId: MISTAKE });

    // Assess: the facts written last follow the records
    expect(race.fired()).toBe(true);
    expect(await salesFacts(ports)).toEqual([['2026-04', 1_000_000]]);
    expect(await versionsOf(ports, MISTAKE)).toEqual([]);
  });

  it('asks to withdraw again when the company’s uploads keep changing through every facts rebuild, and that finishes it', async () => {
    // Prepare: more sales months, one masked (with its own facts rebuild) just as each rebuild of the
    // withdrawal writes its facts, for every rebuild it may make
    const ports = await world();
    const months = Array.from(
      { length: FACTS_MAX_ATTEMPTS },
      (_, i) => `2027-${String(i + 1).padStart(2, '0')}`,
    );
    const ids = months.map((_, i) => `aaaaaaaa-aaaa-4aaa-8aaa-${String(i).padStart(12, '0')}`);
    for (const [i, month] of months.entries())
      await seedUpload(
        ports,
        TENANT,
        ids[i] as string,
        'sales',
        { [month]: [{ period_month: month, sales_amount: 5_000 }] },
        { sequence: 3 + i },
      );
    const pending = [...ids];
    const objects = maskingOnFactsWrite(ports, TENANT, pending);

    // Act
    const interrupted = await withdrawUpload({ ...ports, objects }, company, MISTAKE).catch(
      (e: unknown) => e,
    );
    const finished = await withdrawUpload(ports, company, MISTAKE);

    // Assess: a 503 asking to withdraw again (not an internal error), then the withdrawal completes
    expect(pending).toEqual([]);
    expect(interrupted).toBeInstanceOf(WithdrawalIncompleteError);
    expect(finished).toMatchObject({ uploadId: MISTAKE, status: 'WITHDRAWN' });
    expect(await versionsOf(ports, MISTAKE)).toEqual([]);
    expect((await salesFacts(ports)).map(([period]) => period)).toEqual(['2026-04', ...months]);
  });
});
