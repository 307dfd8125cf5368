import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type DeletionCertificate,
  purgeTenant,
  verifyCertificateChain,
} from '../../../functions/domain/purge/index.ts';
import {
  anonymisedPrefix,
  factsPrefix,
  landingKey,
  pseudonymisedKey,
  rawKey,
  reportKey,
  statsPrefix,
  tenantQueryResultsPrefix,
} from '../../../functions/domain/zones.ts';
import { everythingBut, makeWorld, NOW, purgeUntilDone, tenantInventory, tenantRecord } from './fixtures.ts';

/** Ids that share prefixes, so a purge that matched `acme` against `acme-1/...` would show. */
const TENANTS = ['acme', 'acme-1', 'acmex'] as const;

/** Where an object can live: every zone that holds tenant data, and platform zones that must survive. */
const LOCATIONS: ReadonlyArray<(tenantId: string, name: string) => { bucket: string; key: string }> = [
  (t, n) => ({ bucket: 'landing', key: landingKey(t, 'employees', 'u-1', `${n}.csv`) }),
  (t, n) => ({ bucket: 'raw', key: rawKey(t, 'payroll', '2026-08', n) }),
  (t, n) => ({ bucket: 'raw', key: reportKey(t, n) }),
  (t, n) => ({ bucket: 'curated', key: pseudonymisedKey(t, 'employees', '2026-07', n) }),
  (t, n) => ({ bucket: 'curated', key: `${factsPrefix(t)}fact=headcount/${n}.parquet` }),
  (t, n) => ({ bucket: 'query-results', key: `${tenantQueryResultsPrefix(t)}${n}.csv` }),
  (_t, n) => ({ bucket: 'curated', key: `${anonymisedPrefix('2026-10')}dataset=x/${n}.parquet` }),
  (_t, n) => ({ bucket: 'stats', key: `${statsPrefix('2026-10')}statistic=wages/${n}.parquet` }),
];

const operation = fc.record({
  tenant: fc.constantFrom(...TENANTS),
  location: fc.nat({ max: LOCATIONS.length - 1 }),
  name: fc.stringMatching(/^[a-c]{1,2}$/),
  /** put: a new version; mark: a delete marker (S3 delete without version id). */
  action: fc.constantFrom('put', 'put', 'mark'),
  body: fc.string({ maxLength: 8 }),
});

describe('purge property', () => {
  it('leaves zero refs of the purged tenant and every other object intact, however it is batched', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(operation, { maxLength: 40 }),
        fc.constantFrom(...TENANTS),
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 3 }),
        fc.constantFrom('enabled' as const, 'disabled' as const),
        async (operations, target, batchSize, maxBatches, versioning) => {
          // Prepare
          const world = makeWorld({ versioning });
          for (const tenantId of TENANTS) {
            await world.tables.put('tenants', tenantRecord(tenantId));
            await world.keys.create(tenantId);
            await world.tables.put('uploads', { tenantId, uploadId: 'u-1' });
          }
          for (const { tenant, location, name, action, body } of operations) {
            const { bucket, key } = (LOCATIONS[location] ?? LOCATIONS[0])!(tenant, name);
            if (action === 'put') await world.objects.put(bucket, key, body);
            else await world.objects.deleteMany(bucket, [{ key }]);
          }
          const before = tenantInventory(world.objects, target);
          const others = everythingBut(world.objects, target);

          // Act
          let certificate: DeletionCertificate | undefined;
          await purgeUntilDone(async () => {
            const result = await purgeTenant(world.ports(), {
              tenantId: target,
              now: NOW,
              batchSize,
              budget: { maxBatches },
            });
            if (result.outcome === 'purged') certificate = result.certificate;
            return result;
          });

          // Assess
          expect(tenantInventory(world.objects, target).rows).toEqual([]);
          expect(everythingBut(world.objects, target)).toEqual(others);
          expect(await world.keys.exists(target)).toBe(false);
          expect(world.keys.tenants()).toEqual(TENANTS.filter((tenantId) => tenantId !== target));
          expect(world.tables.dump('uploads').map((item) => item.tenantId)).toEqual(
            TENANTS.filter((tenantId) => tenantId !== target),
          );
          expect(certificate?.deleted.buckets).toEqual(before.buckets);
          expect(verifyCertificateChain(certificate ? [certificate] : []).valid).toBe(true);
          expect(certificate?.verification.result).toBe('ZERO_RESIDUE');
        },
      ),
      { numRuns: 60 },
    );
  });
});
