/**
 * Facts generations (masking/facts-generation.ts) against the schedules that defeat a withdrawal or a
 * company's place in releases: a masking that wrote stale facts and died before its re-check; a masking
 * and a withdrawal interleaved, neither dying; two withdrawals of one company at once; a withdrawal
 * committed while a release reads the company, before the run that finishes it started. The last three
 * came from an outside review of the first version of the generations.
 */
import { describe, expect, it } from 'vitest';
import { readLedger } from '../../../functions/domain/ledger/ledger.ts';
import { buildTenantFacts, factKey } from '../../../functions/domain/masking/facts.ts';
import { factsGenerationKey } from '../../../functions/domain/masking/facts-generation.ts';
import { pseudonymise } from '../../../functions/domain/masking/pseudonymise.ts';
import type { QueryRequest } from '../../../functions/domain/ports/index.ts';
import { buildRelease } from '../../../functions/domain/release/release.ts';
import { IN_FLIGHT_INDEX } from '../../../functions/domain/uploads/in-flight.ts';
import {
  finishWithdrawal,
  WithdrawalIncompleteError,
  type WithdrawalRequest,
  withdrawUpload,
} from '../../../functions/domain/uploads/withdraw.ts';
import { factsPrefix } from '../../../functions/domain/zones.ts';
import { seedUpload } from './fixtures.ts';
import {
  company,
  FIRST,
  MISTAKE,
  pooledSales,
  salesFacts,
  TENANT,
  withdrawingWhen,
  world,
} from './withdrawal-world.ts';

type World = Awaited<ReturnType<typeof world>>;

/** The details of the ledger entry that records a release. */
const releaseLedgerDetails = async (ports: World, releaseId: string) =>
  (await readLedger(ports.table)).find(
    (e) => e.action === 'stats.release_published' && e.details?.releaseId === releaseId,
  )?.details;

const releaseOn = (ports: World, day: number) =>
  buildRelease(ports, { now: new Date(Date.UTC(2026, 10, day)), reason: 'on-demand' });

/**
 * The store, with `step` run once right after the first read of the company's facts generation: after
 * its listing when that finds none, after reading it otherwise (readFactsGeneration).
 */
function afterGenerationRead(ports: World, step: () => Promise<unknown>) {
  let fired = false;
  const fire = async () => {
    if (fired) return;
    fired = true;
    await step();
  };
  const key = factsGenerationKey(TENANT);
  const objects = new Proxy(ports.objects, {
    get(target, name, receiver) {
      const value = Reflect.get(target, name, receiver);
      if (typeof value !== 'function') return value;
      if (name === 'get')
        return async (bucket: string, got: string, ...rest: unknown[]) => {
          try {
            return await value.call(target, bucket, got, ...rest);
          } finally {
            if (got === key) await fire();
          }
        };
      if (name === 'list')
        return (bucket: string, prefix: string, ...rest: unknown[]) => {
          const listing = value.call(target, bucket, prefix, ...rest) as AsyncIterable<{ key: string }>;
          if (prefix !== key) return listing;
          return (async function* () {
            let found = false;
            try {
              for await (const item of listing) {
                found ||= item.key === key;
                yield item;
              }
            } finally {
              if (!found) await fire();
            }
          })();
        };
      return value.bind(target);
    },
  });
  return { objects, fired: () => fired };
}

/**
 * The stores a release sees: the API commits the mistake's withdrawal as the release first reads the
 * company's facts, with the run that finishes it held back (`request()` gives what that run needs);
 * `onQuery` runs before each query the release makes.
 */
function committingOnFirstRead(
  ports: World,
  onQuery: (query: QueryRequest) => Promise<void> = async () => {},
) {
  let request: WithdrawalRequest | undefined;
  const later = {
    finish: async (r: WithdrawalRequest) => {
      request = r;
      throw new WithdrawalIncompleteError(r.uploadId);
    },
  };
  const objects = new Proxy(ports.objects, {
    get(target, name, receiver) {
      const value = Reflect.get(target, name, receiver);
      if (typeof value !== 'function') return value;
      if (name !== 'get') return value.bind(target);
      return async (bucket: string, key: string, ...rest: unknown[]) => {
        if (key === factKey(TENANT, 'employee_month') && request === undefined)
          await withdrawUpload({ ...ports, withdrawals: later }, company, MISTAKE).catch(() => undefined);
        return value.call(target, bucket, key, ...rest);
      };
    },
  });
  const table = new Proxy(ports.table, {
    get(target, name, receiver) {
      const value = Reflect.get(target, name, receiver);
      if (typeof value !== 'function') return value;
      if (name === 'query')
        return async (query: QueryRequest) => {
          await onQuery(query);
          return value.call(target, query);
        };
      return value.bind(target);
    },
  });
  return { ports: { ...ports, objects, table }, request: () => request };
}

describe('facts generations keep withdrawn rows out of releases and companies in them', () => {
  it('facts written with the withdrawn upload by a masking that died before it checked them stay out of every release', async () => {
    // Prepare: masking read the mistake's objects, the withdrawal commits and finishes before masking writes
    // its facts, and masking dies right after writing them, before the check that would rebuild them
    const ports = await world();
    const race = withdrawingWhen(ports, 'put', (key) => key === factKey(TENANT, 'employee_month'));
    let dead = false;
    const objects = new Proxy(race.ports.objects, {
      get(target, name, receiver) {
        const value = Reflect.get(target, name, receiver);
        if (typeof value !== 'function') return value;
        if (name !== 'put') return value.bind(target);
        return async (bucket: string, key: string, ...rest: unknown[]) => {
          if (dead) throw new Error('killed');
          await value.call(target, bucket, key, ...rest);
          dead = key === factKey(TENANT, 'company_month');
        };
      },
    });
    const table = new Proxy(ports.table, {
      get(target, name, receiver) {
        const value = Reflect.get(target, name, receiver);
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          if (dead) throw new Error('killed');
          return value.apply(target, args);
        };
      },
    });
    const died = await pseudonymise(
      { ...race.ports, objects, table },
      { tenantId: TENANT, uploadId: MISTAKE },
    ).catch((e: unknown) => e);

    // Act
    const release = await releaseOn(ports, 11);

    // Assess: the stale facts are there, and no release pools them; the next rebuild (the delivery
    // retried) brings the company back without the upload
    expect(race.fired()).toBe(true);
    expect(died).toBeInstanceOf(Error);
    expect((await salesFacts(ports)).map(([, value]) => value)).toContain(987_654_321);
    expect(await pooledSales(ports, release.releaseId)).not.toContain(987_654_321);
    // ...and says so: the company is counted as left out for outdated facts, in the result and the ledger
    expect(release.pooledCompanies).toBe(0);
    expect(release.leftOut).toEqual({ withoutFacts: 0, withdrawalUnfinished: 0, factsOutdated: 1 });
    expect(await releaseLedgerDetails(ports, release.releaseId)).toMatchObject({
      contributingTenants: 1,
      pooledCompanies: 0,
      leftOutWithoutFacts: 0,
      leftOutWithdrawalUnfinished: 0,
      leftOutFactsOutdated: 1,
    });
    await buildTenantFacts(ports, TENANT);
    const later = await releaseOn(ports, 12);
    expect(later.contributingTenants).toBe(1);
    expect(later.pooledCompanies).toBe(1);
    expect(later.leftOut).toEqual({ withoutFacts: 0, withdrawalUnfinished: 0, factsOutdated: 0 });
    expect(await pooledSales(ports, later.releaseId)).toEqual([1_000_000]);
  });

  it('keeps the company in releases when a masking and a withdrawal interleave and neither dies', async () => {
    // Prepare: a re-mask of the first upload; the whole withdrawal of the mistake runs right after that
    // masking's facts rebuild read the generation (so the rebuild reads the records after the commit)
    const ports = await world();
    const hook = afterGenerationRead(ports, () => withdrawUpload(ports, company, MISTAKE));
    await pseudonymise({ ...ports, objects: hook.objects }, { tenantId: TENANT, uploadId: FIRST });

    // Act
    const release = await releaseOn(ports, 11);

    // Assess: the facts follow the records, and the company is pooled with them
    expect(hook.fired()).toBe(true);
    expect(await salesFacts(ports)).toEqual([['2026-04', 1_000_000]]);
    expect(await pooledSales(ports, release.releaseId)).toEqual([1_000_000]);
  });

  it('leaves no version of the stale facts a masking wrote after the withdrawal deleted the former ones', async () => {
    // Prepare: a re-mask of the first upload read the records (the mistake in force); the whole withdrawal
    // of the mistake runs just before it writes its facts; it writes them (stale), sees the generation
    // renewed and builds again (second outside review: the stale version stayed for 7 days)
    const ports = await world();
    const race = withdrawingWhen(ports, 'put', (key) => key === factKey(TENANT, 'employee_month'));

    // Act
    await pseudonymise(race.ports, { tenantId: TENANT, uploadId: FIRST });

    // Assess: one version of each fact is left, the current one, without the mistake's figures
    expect(race.fired()).toBe(true);
    const versions = [];
    for await (const v of ports.objects.listVersions('curated', factsPrefix(TENANT)))
      if (v.key.includes('/fact=')) versions.push([v.key, v.isLatest, v.isDeleteMarker]);
    expect(versions.sort()).toEqual(
      [factKey(TENANT, 'company_month'), factKey(TENANT, 'employee_month')].map((key) => [key, true, false]),
    );
    expect(await salesFacts(ports)).toEqual([['2026-04', 1_000_000]]);
  });

  it('keeps the company in releases after two of its withdrawals ran at once', async () => {
    // Prepare: a third upload in force; the withdrawal of the first upload runs entirely inside the facts
    // rebuild of the mistake's withdrawal, right after that rebuild read the generation
    const ports = await world();
    const third = '33333333-3333-4333-8333-333333333333';
    await seedUpload(
      ports,
      TENANT,
      third,
      'sales',
      { '2026-06': [{ period_month: '2026-06', sales_amount: 3_000 }] },
      { sequence: 3 },
    );
    await pseudonymise(ports, { tenantId: TENANT, uploadId: third });
    const hook = afterGenerationRead(ports, () => withdrawUpload(ports, company, FIRST));
    const withdrawn = await withdrawUpload({ ...ports, objects: hook.objects }, company, MISTAKE);

    // Act
    const release = await releaseOn(ports, 11);

    // Assess: both withdrawals finished, and the company is pooled with what is left
    expect(hook.fired()).toBe(true);
    expect(withdrawn.status).toBe('WITHDRAWN');
    expect(await ports.table.get('uploads', { tenantId: TENANT, uploadId: FIRST })).toMatchObject({
      status: 'WITHDRAWN',
      withdrawalRef: expect.any(String),
    });
    expect(await salesFacts(ports)).toEqual([['2026-06', 3_000]]);
    expect(await pooledSales(ports, release.releaseId)).toEqual([3_000]);
  });

  it('leaves out an upload whose withdrawal is committed as the release reads the company and finished before the release asks again', async () => {
    // Prepare: the API commits the withdrawal just as the release reads this company; the run finishing it
    // starts a moment later and finishes entirely (renewal, removal, deletion, rebuild, ledger) after the
    // release read the company's facts and before it asks again which companies have a withdrawal
    // unfinished (second outside review: the release read the generation before asking, and pooled it)
    const ports = await world();
    let asked = 0;
    const { ports: seen, request } = committingOnFirstRead(ports, async (query) => {
      const run = request();
      if (query.index === IN_FLIGHT_INDEX && ++asked === 2 && run) await finishWithdrawal(ports, run);
    });

    // Act
    const release = await buildRelease(seen, { now: new Date(Date.UTC(2026, 10, 11)), reason: 'on-demand' });

    // Assess
    expect(asked).toBe(2);
    expect(await ports.table.get('uploads', { tenantId: TENANT, uploadId: MISTAKE })).toMatchObject({
      status: 'WITHDRAWN',
      withdrawalRef: expect.any(String),
    });
    expect(await pooledSales(ports, release.releaseId)).not.toContain(987_654_321);
    expect(release.leftOut).toEqual({ withoutFacts: 0, withdrawalUnfinished: 0, factsOutdated: 1 });
  });

  it('leaves out an upload whose withdrawal is committed while the release reads the company, before any run finishes it', async () => {
    // Prepare: after the release listed the companies with a withdrawal unfinished (none), and just as it
    // reads this company, the API commits the withdrawal; the run that finishes it starts only later
    // (a cold start, throttling, or the API died after its commit)
    const ports = await world();
    const { ports: seen, request } = committingOnFirstRead(ports);

    // Act
    const release = await buildRelease(seen, { now: new Date(Date.UTC(2026, 10, 11)), reason: 'on-demand' });
    const run = request();
    if (run) await finishWithdrawal(ports, run);

    // Assess: the withdrawal was committed during the release and finished after it; the release left the
    // company out rather than pool the withdrawn rows
    expect(run).toBeDefined();
    expect(await ports.table.get('uploads', { tenantId: TENANT, uploadId: MISTAKE })).toMatchObject({
      status: 'WITHDRAWN',
      withdrawalRef: expect.any(String),
    });
    expect(await pooledSales(ports, release.releaseId)).not.toContain(987_654_321);
    expect(release.leftOut).toEqual({ withoutFacts: 0, withdrawalUnfinished: 1, factsOutdated: 0 });
  });
});
