import { describe, expect, it } from 'vitest';
import { MemoryTable } from '../../../functions/adapters/memory/index.ts';
import { contributingTenants } from '../../../functions/domain/release/release.ts';

const tenant = (tenantId: string, state: string, contract: Record<string, unknown>) => ({
  tenantId,
  name: `${tenantId} 株式会社`,
  profile: { industry: 'E', prefecture: '13', sizeBand: '20-49' },
  contract,
  state,
  legalHold: false,
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
});

describe('contributingTenants', () => {
  it('takes only tenants whose record is ACTIVE and whose contract runs today', async () => {
    // Prepare
    const table = new MemoryTable();
    await table.put('tenants', tenant('running', 'ACTIVE', { start: '2026-01-01' }));
    await table.put('tenants', tenant('ends-today', 'ACTIVE', { start: '2026-01-01', end: '2026-11-22' }));
    await table.put('tenants', tenant('ended', 'ACTIVE', { start: '2026-01-01', end: '2026-11-21' }));
    await table.put('tenants', tenant('not-started', 'ACTIVE', { start: '2026-12-01' }));
    await table.put('tenants', tenant('terminated', 'TERMINATED', { start: '2026-01-01' }));
    await table.put('tenants', tenant('purging', 'PURGING', { start: '2026-01-01' }));
    await table.put('tenants', tenant('purged', 'PURGED', { start: '2026-01-01' }));
    await table.put('tenants', { tenantId: '_purge-certificate-chain', sequence: 1, hash: 'x' });

    // Act
    const ids = await contributingTenants(table, new Date('2026-11-22T03:00:00.000Z'));

    // Assess
    expect(ids).toEqual(['ends-today', 'running']);
  });
});
