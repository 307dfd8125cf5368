/** What the directory tells of one company's user accounts. */
export interface TenantUserCounts {
  /** Accounts that can still sign in. */
  readonly enabled: number;
  /** Accounts disabled (they cannot sign in). */
  readonly disabled: number;
}

/**
 * The identity provider's user accounts (deployed: the Cognito user pool; locally: the accounts tokens
 * were minted for). A company's accounts are those whose tenant attribute (`custom:tenant_id`) names it.
 */
export interface UserDirectory {
  countTenantUsers(tenantId: string): Promise<TenantUserCounts>;
  /**
   * Ends the sessions of every enabled account of the company (refresh tokens revoked) and disables it,
   * so nobody can sign in for the company again. Idempotent; returns how many accounts it disabled now.
   */
  disableTenantUsers(tenantId: string): Promise<number>;
}
