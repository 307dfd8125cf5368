import type { TenantUserCounts, UserDirectory } from '../../domain/ports/index.ts';

/** One account as the memory directory holds it. */
export interface MemoryUser {
  readonly userId: string;
  readonly tenantId: string | undefined;
  enabled: boolean;
  /** Sessions ended by the last disable (what AdminUserGlobalSignOut does). */
  signedOut: boolean;
}

/** An in-memory user directory with the semantics of the Cognito adapter, for tests and tools. */
export class MemoryUserDirectory implements UserDirectory {
  readonly #users = new Map<string, MemoryUser>();

  /** Adds an account (enabled), as an administrator creating a user would. */
  add(userId: string, tenantId?: string): void {
    this.#users.set(userId, { userId, tenantId, enabled: true, signedOut: false });
  }

  user(userId: string): Readonly<MemoryUser> | undefined {
    return this.#users.get(userId);
  }

  #ofTenant(tenantId: string): MemoryUser[] {
    return [...this.#users.values()].filter((user) => user.tenantId === tenantId);
  }

  async countTenantUsers(tenantId: string): Promise<TenantUserCounts> {
    const users = this.#ofTenant(tenantId);
    const enabled = users.filter((user) => user.enabled).length;
    return { enabled, disabled: users.length - enabled };
  }

  async disableTenantUsers(tenantId: string): Promise<number> {
    let disabled = 0;
    for (const user of this.#ofTenant(tenantId)) {
      if (!user.enabled) continue;
      user.signedOut = true;
      user.enabled = false;
      disabled++;
    }
    return disabled;
  }
}
