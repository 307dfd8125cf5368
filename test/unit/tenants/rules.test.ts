import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MemoryTable } from '../../../functions/adapters/memory/index.ts';
import type { Table } from '../../../functions/domain/ports/index.ts';
import type { TenantRecord } from '../../../functions/domain/tenants/model.ts';
import {
  ContractNotRunningError,
  contractRunningAt,
  contractRunningOn,
  guardedTenantWrite,
  japanDay,
  japanDayStart,
  requireTenantWrite,
  TenantNotRegisteredError,
  TenantPurgedError,
} from '../../../functions/domain/tenants/rules.ts';

const tenant = (
  state: TenantRecord['state'],
  contract: TenantRecord['contract'] = { start: '2025-04-01', end: '2026-03-31' },
): TenantRecord => ({
  tenantId: 'acme-kk',
  name: 'Company acme-kk',
  profile: { industry: 'E', prefecture: '13', sizeBand: '20-49' },
  contract,
  state,
  legalHold: false,
  createdAt: '2025-04-01T00:00:00.000Z',
  updatedAt: '2025-04-01T00:00:00.000Z',
});

describe("Japan's day", () => {
  it.each([
    ['2026-03-31T14:59:59.999Z', '2026-03-31'],
    ['2026-03-31T15:00:00.000Z', '2026-04-01'],
    ['2026-03-31T16:00:00.000Z', '2026-04-01'],
    ['2026-12-31T15:00:00.000Z', '2027-01-01'],
  ])('puts %s on %s', (instant, day) => {
    // Act
    const result = japanDay(new Date(instant));

    // Assess
    expect(result).toBe(day);
  });

  it('starts at 00:00 JST', () => {
    // Act
    const start = japanDayStart('2026-04-01');

    // Assess
    expect(start.toISOString()).toBe('2026-03-31T15:00:00.000Z');
  });

  it('agrees with the day an instant falls on in Asia/Tokyo (property)', () => {
    const format = new Intl.DateTimeFormat('en-CA', {
      timeZone: 'Asia/Tokyo',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
    });
    fc.assert(
      fc.property(
        fc.date({
          min: new Date('2000-01-01T00:00:00Z'),
          max: new Date('2099-12-31T00:00:00Z'),
          noInvalidDate: true,
        }),
        (instant) => japanDay(instant) === format.format(instant),
      ),
    );
  });
});

describe('contract running on day D', () => {
  it.each([
    ['the day before it starts', 'ACTIVE', '2025-03-31', false],
    ['its first day', 'ACTIVE', '2025-04-01', true],
    ['its last day', 'ACTIVE', '2026-03-31', true],
    ['the day after it ends', 'ACTIVE', '2026-04-01', false],
    ['a day inside it, when the company is TERMINATED', 'TERMINATED', '2025-10-01', false],
    ['a day inside it, when the company is PURGING', 'PURGING', '2025-10-01', false],
    ['a day inside it, when the company is PURGED', 'PURGED', '2025-10-01', false],
  ] as const)('on %s is %s', (_label, state, day, running) => {
    // Act
    const result = contractRunningOn(tenant(state), day);

    // Assess
    expect(result).toBe(running);
  });

  it('runs on without an end date', () => {
    // Act
    const result = contractRunningOn(tenant('ACTIVE', { start: '2025-04-01' }), '2099-12-31');

    // Assess
    expect(result).toBe(true);
  });

  it('ends at 00:00 JST after its last day, not at 00:00 UTC', () => {
    // Prepare: 2026-03-31T16:00Z is 01:00 on 1 April in Japan, still 31 March in UTC.
    const terminated = tenant('ACTIVE', { start: '2025-04-01', end: '2026-03-31' });

    // Act
    const lastMinute = contractRunningAt(terminated, new Date('2026-03-31T14:59:00Z'));
    const afterMidnightJst = contractRunningAt(terminated, new Date('2026-03-31T16:00:00Z'));

    // Assess
    expect(lastMinute).toBe(true);
    expect(afterMidnightJst).toBe(false);
  });

  it('is the rule on the Japanese day of every instant (property)', () => {
    fc.assert(
      fc.property(
        fc.date({
          min: new Date('2025-01-01T00:00:00Z'),
          max: new Date('2027-01-01T00:00:00Z'),
          noInvalidDate: true,
        }),
        (instant) => {
          const t = tenant('ACTIVE');
          return contractRunningAt(t, instant) === contractRunningOn(t, japanDay(instant));
        },
      ),
    );
  });
});

describe('writes under a tenant', () => {
  const now = new Date('2026-03-31T16:00:00Z');

  it.each([
    ['an unknown company', undefined, 'running-contract', TenantNotRegisteredError, 'TENANT_NOT_REGISTERED'],
    [
      'a company whose contract ended',
      tenant('ACTIVE'),
      'running-contract',
      ContractNotRunningError,
      'CONTRACT_NOT_RUNNING',
    ],
    ['a company being purged', tenant('PURGING'), 'data-held', TenantPurgedError, 'TENANT_PURGED'],
    ['a purged company', tenant('PURGED'), 'data-held', TenantPurgedError, 'TENANT_PURGED'],
  ] as const)('refuses %s', async (_label, record, rule, type, code) => {
    // Prepare
    const table = new MemoryTable();
    if (record) await table.put('tenants', record);

    // Act
    const refusal = await requireTenantWrite({ table }, 'acme-kk', rule, now).catch(
      (error: unknown) => error,
    );

    // Assess
    expect(refusal).toBeInstanceOf(type);
    expect(refusal).toMatchObject({ code });
    expect((refusal as ContractNotRunningError).userMessage.ja).toMatch(/acme-kk/);
  });

  it('lets a terminated company keep support grants while its data is held', async () => {
    // Prepare
    const table = new MemoryTable();
    await table.put('tenants', tenant('TERMINATED'));

    // Act
    const found = await requireTenantWrite({ table }, 'acme-kk', 'data-held', now);

    // Assess
    expect(found.tenantId).toBe('acme-kk');
  });

  it('undoes a write when the purge started while it was being made', async () => {
    // Prepare: the purge moves the tenant to PURGING between the check and the write.
    const table = new MemoryTable();
    await table.put('tenants', tenant('ACTIVE', { start: '2025-04-01' }));
    const racing: Table = table;

    // Act
    const outcome = await guardedTenantWrite({ table: racing }, 'acme-kk', 'running-contract', now, {
      write: async () => {
        await table.put('tenants', tenant('PURGING', { start: '2025-04-01' }));
        await table.put('uploads', { tenantId: 'acme-kk', uploadId: 'u-1' });
      },
      undo: () => table.delete('uploads', { tenantId: 'acme-kk', uploadId: 'u-1' }),
    }).catch((error: unknown) => error);

    // Assess
    expect(outcome).toBeInstanceOf(TenantPurgedError);
    expect(table.dump('uploads')).toEqual([]);
  });

  it('keeps a write made while the contract runs', async () => {
    // Prepare
    const table = new MemoryTable();
    await table.put('tenants', tenant('ACTIVE', { start: '2025-04-01' }));

    // Act
    await guardedTenantWrite({ table }, 'acme-kk', 'running-contract', now, {
      write: () => table.put('uploads', { tenantId: 'acme-kk', uploadId: 'u-1' }),
      undo: () => table.delete('uploads', { tenantId: 'acme-kk', uploadId: 'u-1' }),
    });

    // Assess
    expect(table.dump('uploads')).toHaveLength(1);
  });
});
