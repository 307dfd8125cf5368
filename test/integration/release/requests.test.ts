/**
 * What a release asks the stores for each company, the cost that grows with the number of companies:
 * on S3 and DynamoDB every request is a round trip, and a national release reads 50,000 companies.
 */
import { describe, expect, it } from 'vitest';
import { buildTenantFacts, factKey } from '../../../functions/domain/masking/facts.ts';
import {
  factsGenerationKey,
  renewFactsGeneration,
} from '../../../functions/domain/masking/facts-generation.ts';
import { buildRelease } from '../../../functions/domain/release/release.ts';
import { memoryRuntime } from '../../support/memory-runtime.ts';
import { seedMaskedCompanies } from './companies.ts';

const TENANTS = ['t-a', 't-b', 't-c', 't-d'];

/** The runtime's stores, recording each call as `method key-or-table`. */
function recorded(runtime: ReturnType<typeof memoryRuntime>) {
  const calls: string[] = [];
  const record = <T extends object>(target: T) =>
    new Proxy(target, {
      get(inner, name, receiver) {
        const value = Reflect.get(inner, name, receiver);
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          calls.push(`${String(name)} ${typeof args[1] === 'string' ? args[1] : String(args[0])}`);
          return value.apply(inner, args);
        };
      },
    });
  const { keys, settings, clock, newId } = runtime;
  const ports = {
    objects: record(runtime.objects),
    table: record(runtime.table),
    keys,
    settings,
    clock,
    newId,
  };
  return { ports, calls };
}

describe('what a release asks the stores for each company', () => {
  it('reads two facts and lists one generation per company, reads a generation only where a withdrawal wrote one, and never reads a tenant record again', async () => {
    // Prepare: four companies with facts; t-c once withdrew an upload (its generation was renewed, its
    // facts rebuilt since)
    const runtime = memoryRuntime({ now: new Date('2026-11-20T01:00:00.000Z') });
    await seedMaskedCompanies(runtime, TENANTS);
    await renewFactsGeneration(runtime.objects, 't-c');
    await buildTenantFacts(runtime, 't-c');
    const { ports, calls } = recorded(runtime);

    // Act
    const release = await buildRelease(ports, { now: runtime.clock(), reason: 'on-demand' });

    // Assess
    expect(release.pooledCompanies).toBe(TENANTS.length);
    for (const tenantId of TENANTS) {
      const facts = [factKey(tenantId, 'employee_month'), factKey(tenantId, 'company_month')];
      expect(calls.filter((c) => facts.some((key) => c === `get ${key}`))).toHaveLength(2);
      expect(calls.filter((c) => c === `list ${factsGenerationKey(tenantId)}`)).toHaveLength(1);
      expect(calls.filter((c) => c === `get ${factsGenerationKey(tenantId)}`)).toHaveLength(
        tenantId === 't-c' ? 1 : 0,
      );
    }
    expect(calls.filter((c) => c === 'get tenants')).toEqual([]);
  });
});
