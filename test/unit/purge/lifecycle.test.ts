import { describe, expect, it } from 'vitest';
import { MemoryTable } from '../../../functions/adapters/memory/index.ts';
import type { Table } from '../../../functions/domain/ports/index.ts';
import { CERTIFICATE_CHAIN_HEAD_ID, findTenantsDue } from '../../../functions/domain/purge/index.ts';
import { defaultSettings, platformSettingsSchema } from '../../../functions/domain/settings.ts';
import {
  canTransition,
  effectiveState,
  isPurgeDue,
  purgeDueAt,
  purgeDueDate,
  TableScanUnsupportedError,
} from '../../../functions/domain/tenants/rules.ts';
import { tenantRecord } from './fixtures.ts';

describe('purge due date', () => {
  it('is the contract end plus the default retention when the contract names none', () => {
    // Prepare
    const settings = platformSettingsSchema.parse({ retention: { afterContractDays: 30 } });

    // Act
    const due = purgeDueDate({ start: '2024-04-01', end: '2026-12-15' }, settings);

    // Assess
    expect(due).toBe('2027-01-14');
  });

  it('follows the retention the contract names', () => {
    // Prepare
    const contract = { start: '2024-04-01', end: '2026-02-28', retentionDaysAfterEnd: 0 };

    // Act
    const due = purgeDueDate(contract, defaultSettings);

    // Assess
    expect(due).toBe('2026-02-28');
  });

  it('has no due date while the contract has no end', () => {
    // Prepare
    const contract = { start: '2024-04-01' };

    // Act
    const due = purgeDueAt(contract, defaultSettings);

    // Assess
    expect(due).toBeUndefined();
  });

  it('becomes due at midnight Japan time on the due date', () => {
    // Prepare
    const tenant = tenantRecord('acme', {
      contract: { start: '2024-04-01', end: '2026-10-01', retentionDaysAfterEnd: 10 },
    });
    const midnightJst = new Date('2026-10-10T15:00:00Z');

    // Act
    const before = isPurgeDue(tenant, defaultSettings, new Date(midnightJst.getTime() - 1));
    const at = isPurgeDue(tenant, defaultSettings, midnightJst);

    // Assess
    expect([before, at]).toEqual([false, true]);
  });
});

describe('tenant lifecycle', () => {
  it('moves only forward: ACTIVE → TERMINATED → PURGING → PURGED', () => {
    // Prepare
    const forward = [
      ['ACTIVE', 'TERMINATED'],
      ['TERMINATED', 'PURGING'],
      ['PURGING', 'PURGED'],
    ] as const;

    // Act
    const allowed = forward.map(([from, to]) => canTransition(from, to));
    const backwards = [
      canTransition('PURGED', 'ACTIVE'),
      canTransition('PURGING', 'ACTIVE'),
      canTransition('ACTIVE', 'PURGED'),
    ];

    // Assess
    expect(allowed).toEqual([true, true, true]);
    expect(backwards).toEqual([false, false, false]);
  });

  it('counts an ACTIVE tenant whose contract has ended as TERMINATED', () => {
    // Prepare
    const tenant = tenantRecord('acme', {
      state: 'ACTIVE',
      contract: { start: '2024-04-01', end: '2026-10-31' },
    });

    // Act
    const onLastDay = effectiveState(tenant, new Date('2026-10-31T14:59:59Z'));
    const dayAfter = effectiveState(tenant, new Date('2026-10-31T15:00:00Z'));

    // Assess
    expect([onLastDay, dayAfter]).toEqual(['ACTIVE', 'TERMINATED']);
  });
});

describe('findTenantsDue', () => {
  it('finds tenants past retention and unfinished purges first, skipping the rest', async () => {
    // Prepare
    const tables = new MemoryTable();
    const ended = { start: '2024-04-01', end: '2026-06-30' };
    await tables.put('tenants', tenantRecord('due-terminated', { contract: ended }));
    await tables.put('tenants', tenantRecord('due-active', { state: 'ACTIVE', contract: ended }));
    await tables.put('tenants', tenantRecord('held', { contract: ended, legalHold: true }));
    await tables.put(
      'tenants',
      tenantRecord('zz-purging', { state: 'PURGING', purge: { startedAt: '2026-11-01T00:00:00Z' } }),
    );
    await tables.put('tenants', tenantRecord('purged', { state: 'PURGED', contract: ended }));
    await tables.put(
      'tenants',
      tenantRecord('running', { state: 'ACTIVE', contract: { start: '2024-04-01' } }),
    );
    await tables.put(
      'tenants',
      tenantRecord('in-retention', { contract: { start: '2024-04-01', end: '2026-11-10' } }),
    );
    await tables.put('tenants', { tenantId: CERTIFICATE_CHAIN_HEAD_ID, sequence: 1, hash: 'x' });

    // Act
    const due = await findTenantsDue({ tables, settings: defaultSettings }, new Date('2026-11-22T00:00:00Z'));

    // Assess
    expect(due.map((tenant) => tenant.tenantId)).toEqual([
      'zz-purging',
      'due-active',
      'due-terminated',
      'held',
    ]);
  });

  it('says which adapter is missing scan() instead of failing obscurely', async () => {
    // Prepare
    const memory = new MemoryTable();
    const withoutScan: Table = {
      get: (...args) => memory.get(...args),
      put: (...args) => memory.put(...args),
      query: (...args) => memory.query(...args),
      delete: (...args) => memory.delete(...args),
    };

    // Act
    const attempt = findTenantsDue({ tables: withoutScan, settings: defaultSettings }, new Date());

    // Assess
    await expect(attempt).rejects.toBeInstanceOf(TableScanUnsupportedError);
  });
});
