import { describe, expect, it } from 'vitest';
import { MemoryTable } from '../../../functions/adapters/memory/index.ts';
import {
  authorize,
  parseGroups,
  principalFromClaims,
  tenantOf,
} from '../../../functions/domain/auth/principal.ts';
import { ForbiddenError, UnauthorizedError } from '../../../functions/domain/errors.ts';
import { readLedger } from '../../../functions/domain/ledger/ledger.ts';

const clock = () => new Date('2026-05-01T09:00:00.000Z');

describe('principalFromClaims', () => {
  it('takes subject, roles and tenant from the token claims', () => {
    // Act
    const principal = principalFromClaims({
      sub: 'a1b2',
      'custom:tenant_id': 'demo-a',
      'cognito:groups': '[tenant supporter]',
    });

    // Assess
    expect(principal).toEqual({ subject: 'a1b2', roles: ['tenant', 'supporter'], tenantId: 'demo-a' });
  });

  it.each([
    [
      ['admin', 'tenant'],
      ['admin', 'tenant'],
    ],
    ['[admin tenant]', ['admin', 'tenant']],
    ['["admin","tenant"]', ['admin', 'tenant']],
    ['admin', ['admin']],
    [undefined, []],
  ])('reads Cognito groups given as %j', (raw, expected) => {
    // Act
    const groups = parseGroups(raw);

    // Assess
    expect(groups).toEqual(expected);
  });

  it('ignores groups that are not Kura roles and tenant claims that are not tenant ids', () => {
    // Act
    const principal = principalFromClaims({
      sub: 'x',
      'cognito:groups': ['root', 'tenant'],
      'custom:tenant_id': '../b',
    });

    // Assess
    expect(principal).toEqual({ subject: 'x', roles: ['tenant'] });
  });

  it('refuses claims without a subject', () => {
    // Act
    const attempt = () => principalFromClaims({ 'custom:tenant_id': 'demo-a' });

    // Assess
    expect(attempt).toThrow(UnauthorizedError);
  });
});

describe('authorize', () => {
  it('records a refused attempt in the ledger and raises ForbiddenError', async () => {
    // Prepare
    const table = new MemoryTable();
    const principal = principalFromClaims({
      sub: 's-1',
      'cognito:groups': 'tenant',
      'custom:tenant_id': 'demo-a',
    });

    // Act
    const attempt = authorize({ table, clock }, principal, 'admin', 'POST /admin/tenants');

    // Assess
    await expect(attempt).rejects.toBeInstanceOf(ForbiddenError);
    const entries = await readLedger(table);
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({
      action: 'authorization.refused',
      actor: { subject: 's-1', roles: ['tenant'] },
      tenantId: 'demo-a',
      details: { attempted: 'POST /admin/tenants', required: 'admin' },
    });
  });

  it('lets a permitted caller through without writing anything', async () => {
    // Prepare
    const table = new MemoryTable();
    const principal = principalFromClaims({ sub: 's-2', 'cognito:groups': 'admin' });

    // Act
    await authorize({ table, clock }, principal, 'admin', 'POST /admin/tenants');

    // Assess
    expect(await readLedger(table)).toEqual([]);
  });

  it('gives a tenant member its tenant and refuses one without a tenant claim', () => {
    // Prepare
    const member = principalFromClaims({
      sub: 's',
      'cognito:groups': 'tenant',
      'custom:tenant_id': 'demo-b',
    });
    const staff = principalFromClaims({ sub: 's', 'cognito:groups': 'admin' });

    // Act + Assess
    expect(tenantOf(member)).toBe('demo-b');
    expect(() => tenantOf(staff)).toThrow(ForbiddenError);
  });
});
