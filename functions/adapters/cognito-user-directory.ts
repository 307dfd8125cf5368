/**
 * The user directory over the Cognito user pool: a company's accounts are the users whose
 * `custom:tenant_id` names it. Cognito cannot filter ListUsers on a custom attribute, so the pool is
 * listed (60 users a page, only that attribute returned) and filtered here; Kura's pools hold the users
 * of SMEs, thousands at most. Nothing personal is returned or logged: the usernames stay inside.
 */
import type { CognitoIdentityProviderClient, UserType } from '@aws-sdk/client-cognito-identity-provider';
import { TENANT_CLAIM } from '../domain/auth/principal.ts';
import type { TenantUserCounts, UserDirectory } from '../domain/ports/index.ts';

type CognitoSdk = typeof import('@aws-sdk/client-cognito-identity-provider');
/** The SDK module, loaded on the first call (see runtime.ts): only the purge ever loads it. */
let cognitoSdkModule: Promise<CognitoSdk> | undefined;
const cognitoSdk = (): Promise<CognitoSdk> =>
  (cognitoSdkModule ??= import('@aws-sdk/client-cognito-identity-provider'));

/** ListUsers returns at most 60 users a page. */
const PAGE_SIZE = 60;

export interface CognitoUserDirectoryOptions {
  readonly client: CognitoIdentityProviderClient;
  /** The user pool's id (KURA_USER_POOL_ID), read on first use. */
  readonly userPoolId: () => string;
}

const errorName = (error: unknown) => (error as { name?: string })?.name;

export class CognitoUserDirectory implements UserDirectory {
  readonly #client: CognitoIdentityProviderClient;
  readonly #userPoolId: () => string;

  constructor(options: CognitoUserDirectoryOptions) {
    this.#client = options.client;
    this.#userPoolId = options.userPoolId;
  }

  async *#tenantUsers(tenantId: string): AsyncIterable<UserType> {
    const { ListUsersCommand } = await cognitoSdk();
    let token: string | undefined;
    do {
      const page = await this.#client.send(
        new ListUsersCommand({
          UserPoolId: this.#userPoolId(),
          AttributesToGet: [TENANT_CLAIM],
          Limit: PAGE_SIZE,
          ...(token ? { PaginationToken: token } : {}),
        }),
      );
      for (const user of page.Users ?? []) {
        if (user.Attributes?.some((a) => a.Name === TENANT_CLAIM && a.Value === tenantId)) yield user;
      }
      token = page.PaginationToken;
    } while (token);
  }

  async countTenantUsers(tenantId: string): Promise<TenantUserCounts> {
    let enabled = 0;
    let disabled = 0;
    for await (const user of this.#tenantUsers(tenantId)) {
      if (user.Enabled === false) disabled++;
      else enabled++;
    }
    return { enabled, disabled };
  }

  async disableTenantUsers(tenantId: string): Promise<number> {
    const { AdminDisableUserCommand, AdminUserGlobalSignOutCommand } = await cognitoSdk();
    const usernames: string[] = [];
    for await (const user of this.#tenantUsers(tenantId)) {
      if (user.Enabled !== false && user.Username) usernames.push(user.Username);
    }
    let disabled = 0;
    for (const Username of usernames) {
      const UserPoolId = this.#userPoolId();
      // Sessions first (refresh tokens revoked), while the account can still be signed out; then the
      // account, so it can never sign in again. A user deleted meanwhile is simply gone.
      try {
        await this.#client.send(new AdminUserGlobalSignOutCommand({ UserPoolId, Username }));
        await this.#client.send(new AdminDisableUserCommand({ UserPoolId, Username }));
        disabled++;
      } catch (error) {
        if (errorName(error) !== 'UserNotFoundException') throw error;
      }
    }
    return disabled;
  }
}
