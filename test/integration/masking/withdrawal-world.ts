/**
 * The company of the withdrawal tests (withdraw.test.ts, withdraw-generations.test.ts): a first sales
 * upload and a mistaken one, both masked, and what the mistake left in the other stores; with readers of
 * its facts and of a release's pooled sales, and a store that runs a withdrawal at a chosen moment.
 */
import { MemoryObjectStore } from '../../../functions/adapters/memory/index.ts';
import type { Principal } from '../../../functions/domain/auth/principal.ts';
import { anonymisedTableKey } from '../../../functions/domain/masking/anonymised-schema.ts';
import { factKey } from '../../../functions/domain/masking/facts.ts';
import { pseudonymise } from '../../../functions/domain/masking/pseudonymise.ts';
import { defaultSettings } from '../../../functions/domain/settings.ts';
import { withdrawUpload } from '../../../functions/domain/uploads/withdraw.ts';
import { landingKey, reportKey, supportExportPrefix } from '../../../functions/domain/zones.ts';
import { readCells, seedTenant, seedUpload, testPorts } from './fixtures.ts';

export const TENANT = 'tenant-w';
export const FIRST = '11111111-1111-4111-8111-111111111111';
export const MISTAKE = '99999999-9999-4999-8999-999999999999';
export const company: Principal = { subject: 'sub-w', roles: ['tenant'], tenantId: TENANT };

/** A company with a first sales upload and a mistaken one (a value no other upload has), both masked. */
export async function world() {
  let tick = Date.parse('2026-11-02T00:00:00.000Z');
  const ports = {
    ...testPorts(),
    // Versioned, as the deployed buckets are: a withdrawal must remove every version.
    objects: new MemoryObjectStore(),
    settings: defaultSettings,
    clock: () => {
      tick += 1000;
      return new Date(tick);
    },
    newId: () => crypto.randomUUID(),
  };
  await seedTenant(ports, TENANT, { industry: 'E', prefecture: '13', sizeBand: '20-49' });
  await seedUpload(
    ports,
    TENANT,
    FIRST,
    'sales',
    { '2026-04': [{ period_month: '2026-04', sales_amount: 1_000_000 }] },
    { sequence: 1 },
  );
  // The mistake: another file for April (and May), with a value no other upload has
  await seedUpload(
    ports,
    TENANT,
    MISTAKE,
    'sales',
    {
      '2026-04': [{ period_month: '2026-04', sales_amount: 987_654_321 }],
      '2026-05': [{ period_month: '2026-05', sales_amount: 987_654_321 }],
    },
    { sequence: 2 },
  );
  // What else it left: the landing object (an older version too), its report, a support export of it
  for (const body of ['v1', 'v2'])
    await ports.objects.put('landing', landingKey(TENANT, 'sales', MISTAKE, 'sales.csv'), body);
  await ports.objects.put('raw', reportKey(TENANT, MISTAKE), '{"errors":[]}');
  await ports.objects.put('raw', `${supportExportPrefix(TENANT, 'g-1')}rows-${MISTAKE}-abcd1234.csv`, 'x');
  await ports.objects.put('raw', `${supportExportPrefix(TENANT, 'g-1')}rows-${FIRST}-abcd1234.csv`, 'x');
  for (const uploadId of [FIRST, MISTAKE]) await pseudonymise(ports, { tenantId: TENANT, uploadId });
  return ports;
}

/** Every stored version (current or not, delete markers included) that names the upload. */
export async function versionsOf(ports: Awaited<ReturnType<typeof world>>, uploadId: string) {
  const found: string[] = [];
  for (const bucket of ['landing', 'raw', 'curated']) {
    for await (const v of ports.objects.listVersions(bucket, ''))
      if (v.key.includes(uploadId)) found.push(`${bucket}/${v.key}`);
  }
  return found;
}

export const salesFacts = async (ports: Awaited<ReturnType<typeof world>>) =>
  (await readCells(await ports.objects.get('curated', factKey(TENANT, 'company_month'))))
    .filter((r) => r.sales_amount !== null)
    .map((r) => [r.period, Number(r.sales_amount)]);

/** The sales of a release's anonymised company months. */
export const pooledSales = async (ports: Awaited<ReturnType<typeof world>>, releaseId: string) =>
  (
    await readCells(await ports.objects.get('curated', anonymisedTableKey(releaseId, 'anon_company_month')))
  ).map((r) => Number(r.sales_amount));

/**
 * The store masking sees, with one step of a withdrawal run at a chosen moment: just before masking reads
 * (get) or writes (put) the first object whose key `matches`. The withdrawal itself uses the plain store.
 */
export function withdrawingWhen(
  ports: Awaited<ReturnType<typeof world>>,
  method: 'get' | 'put',
  matches: (key: string) => boolean,
) {
  let fired = false;
  const objects = new Proxy(ports.objects, {
    get(target, name, receiver) {
      const value = Reflect.get(target, name, receiver);
      if (typeof value !== 'function') return value;
      if (name !== method) return value.bind(target);
      return async (bucket: string, key: string, ...rest: unknown[]) => {
        if (!fired && matches(key)) {
          fired = true;
          await withdrawUpload(ports, company, MISTAKE);
        }
        return value.call(target, bucket, key, ...rest);
      };
    },
  });
  return { ports: { ...ports, objects }, fired: () => fired };
}
