import { describe, expect, it } from 'vitest';
import { MemoryKeyStore, MemoryTable } from '../../../functions/adapters/memory/index.ts';
import type { Principal } from '../../../functions/domain/auth/principal.ts';
import { ConflictError, NotFoundError, ValidationError } from '../../../functions/domain/errors.ts';
import { readLedger, verifyLedger } from '../../../functions/domain/ledger/ledger.ts';
import { registerTenant, updateTenant } from '../../../functions/domain/tenants/admin.ts';

const admin: Principal = { subject: 'admin-1', roles: ['admin'] };
const body = {
  tenantId: 'acme-kk',
  name: '株式会社アクメ',
  profile: { industry: 'E', prefecture: '13', sizeBand: '20-49' },
  contract: { start: '2026-04-01' },
};

function ports() {
  let tick = 0;
  return {
    table: new MemoryTable(),
    keys: new MemoryKeyStore(),
    clock: () => new Date(Date.UTC(2026, 4, 1, 9, 0, tick++)),
  };
}

describe('registerTenant', () => {
  it('registers an active tenant with its own pseudonymisation key', async () => {
    // Prepare
    const p = ports();

    // Act
    const record = await registerTenant(p, admin, body);

    // Assess
    expect(record).toMatchObject({ tenantId: 'acme-kk', state: 'ACTIVE', legalHold: false });
    expect(await p.table.get('tenants', { tenantId: 'acme-kk' })).toMatchObject({ name: '株式会社アクメ' });
    expect(await p.keys.exists('acme-kk')).toBe(true);
    expect((await readLedger(p.table)).map((e) => e.action)).toEqual(['tenant.registered']);
  });

  it('refuses a tenant id that is taken', async () => {
    // Prepare
    const p = ports();
    await registerTenant(p, admin, body);

    // Act
    const attempt = registerTenant(p, admin, { ...body, name: 'Other' });

    // Assess
    await expect(attempt).rejects.toBeInstanceOf(ConflictError);
  });

  it.each([
    ['a bad tenant id', { tenantId: 'Acme KK' }, 'tenantId'],
    ['an unknown prefecture', { profile: { ...body.profile, prefecture: '48' } }, 'profile.prefecture'],
    [
      'a contract ending before it starts',
      { contract: { start: '2026-04-01', end: '2026-03-31' } },
      'contract.end',
    ],
  ])('refuses %s, naming the field', async (_label, change, field) => {
    // Prepare
    const p = ports();

    // Act
    const attempt = registerTenant(p, admin, { ...body, ...change });

    // Assess
    await expect(attempt).rejects.toBeInstanceOf(ValidationError);
    await expect(attempt).rejects.toMatchObject({ field });
    expect(p.table.dump('tenants')).toEqual([]);
  });
});

describe('updateTenant', () => {
  it('sets contract dates and retention, and records a legal hold change on its own', async () => {
    // Prepare
    const p = ports();
    await registerTenant(p, admin, body);

    // Act
    const updated = await updateTenant(p, admin, 'acme-kk', {
      contract: { end: '2027-03-31', retentionDaysAfterEnd: 90 },
      legalHold: true,
    });

    // Assess
    expect(updated.contract).toEqual({ start: '2026-04-01', end: '2027-03-31', retentionDaysAfterEnd: 90 });
    expect(updated.legalHold).toBe(true);
    const ledger = await readLedger(p.table);
    expect(ledger.map((e) => e.action)).toEqual([
      'tenant.registered',
      'tenant.updated',
      'tenant.legal_hold_changed',
    ]);
    expect(ledger[2]?.details).toEqual({ legalHold: true });
    expect(verifyLedger(ledger).ok).toBe(true);
  });

  it('removes the end date when given null', async () => {
    // Prepare
    const p = ports();
    await registerTenant(p, admin, { ...body, contract: { start: '2026-04-01', end: '2026-12-31' } });

    // Act
    const updated = await updateTenant(p, admin, 'acme-kk', { contract: { end: null } });

    // Assess
    expect(updated.contract).toEqual({ start: '2026-04-01' });
  });

  it('answers NotFound for a tenant that is not registered', async () => {
    // Act
    const attempt = updateTenant(ports(), admin, 'nobody-kk', { legalHold: true });

    // Assess
    await expect(attempt).rejects.toBeInstanceOf(NotFoundError);
  });
});
