import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import { describe, expect, it } from 'vitest';
import { CognitoUserDirectory } from '../../../functions/adapters/cognito-user-directory.ts';
import { FileUserDirectory } from '../../../functions/adapters/file-user-directory.ts';

interface FakeUser {
  Username: string;
  Enabled: boolean;
  tenant?: string;
}

/** A Cognito client answering ListUsers (2 users a page), AdminUserGlobalSignOut and AdminDisableUser. */
function fakeCognito(users: FakeUser[]) {
  const calls: string[] = [];
  const client = {
    send: async (command: { constructor: { name: string }; input: Record<string, unknown> }) => {
      const name = command.constructor.name;
      const input = command.input;
      expect(input.UserPoolId).toBe('ap-northeast-1_Pool123');
      if (name === 'ListUsersCommand') {
        expect(input.AttributesToGet).toEqual(['custom:tenant_id']);
        const start = Number(input.PaginationToken ?? 0);
        const page = users.slice(start, start + 2);
        calls.push(`list@${start}`);
        return {
          Users: page.map((user) => ({
            Username: user.Username,
            Enabled: user.Enabled,
            Attributes: user.tenant ? [{ Name: 'custom:tenant_id', Value: user.tenant }] : [],
          })),
          ...(start + 2 < users.length ? { PaginationToken: String(start + 2) } : {}),
        };
      }
      const user = users.find((u) => u.Username === input.Username);
      if (!user) throw Object.assign(new Error('gone'), { name: 'UserNotFoundException' });
      calls.push(`${name}:${user.Username}`);
      if (name === 'AdminDisableUserCommand') user.Enabled = false;
      return {};
    },
  } as unknown as CognitoIdentityProviderClient;
  return { client, calls };
}

describe('CognitoUserDirectory', () => {
  it('finds a company’s accounts by their tenant attribute across pages, signs each out, then disables it', async () => {
    // Prepare
    const users: FakeUser[] = [
      { Username: 'u1', Enabled: true, tenant: 'acme-kk' },
      { Username: 'u2', Enabled: true, tenant: 'other-co' },
      { Username: 'u3', Enabled: false, tenant: 'acme-kk' },
      { Username: 'u4', Enabled: true, tenant: 'acme-kk' },
      { Username: 'admin', Enabled: true },
    ];
    const { client, calls } = fakeCognito(users);
    const directory = new CognitoUserDirectory({ client, userPoolId: () => 'ap-northeast-1_Pool123' });

    // Act
    const before = await directory.countTenantUsers('acme-kk');
    const disabled = await directory.disableTenantUsers('acme-kk');
    const after = await directory.countTenantUsers('acme-kk');

    // Assess
    expect(before).toEqual({ enabled: 2, disabled: 1 });
    expect(disabled).toBe(2);
    expect(after).toEqual({ enabled: 0, disabled: 3 });
    expect(calls.filter((call) => !call.startsWith('list'))).toEqual([
      'AdminUserGlobalSignOutCommand:u1',
      'AdminDisableUserCommand:u1',
      'AdminUserGlobalSignOutCommand:u4',
      'AdminDisableUserCommand:u4',
    ]);
    expect(users.find((u) => u.Username === 'u2')?.Enabled).toBe(true);
    expect(users.find((u) => u.Username === 'admin')?.Enabled).toBe(true);
  });

  it('disables nothing more when run again', async () => {
    // Prepare
    const { client } = fakeCognito([{ Username: 'u1', Enabled: true, tenant: 'acme-kk' }]);
    const directory = new CognitoUserDirectory({ client, userPoolId: () => 'ap-northeast-1_Pool123' });
    await directory.disableTenantUsers('acme-kk');

    // Act
    const again = await directory.disableTenantUsers('acme-kk');

    // Assess
    expect(again).toBe(0);
  });
});

describe('FileUserDirectory', () => {
  it('keeps a disabled account disabled when a token is minted for it again', async () => {
    // Prepare
    const dir = await mkdtemp(join(tmpdir(), 'kura-users-'));
    const directory = new FileUserDirectory(join(dir, 'users.json'));
    await directory.register('local-tenant-acme-kk', 'acme-kk');
    await directory.register('local-tenant-other-co', 'other-co');

    // Act
    const disabled = await directory.disableTenantUsers('acme-kk');
    await directory.register('local-tenant-acme-kk', 'acme-kk');

    // Assess
    expect(disabled).toBe(1);
    expect(await directory.isEnabled('local-tenant-acme-kk')).toBe(false);
    expect(await directory.isEnabled('local-tenant-other-co')).toBe(true);
    expect(await directory.countTenantUsers('acme-kk')).toEqual({ enabled: 0, disabled: 1 });
    await rm(dir, { recursive: true, force: true });
  });
});
