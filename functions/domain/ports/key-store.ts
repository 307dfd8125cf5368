/**
 * KeyStore id of the platform perturbation key (functions/domain/masking/record-keys.ts). Tenant ids
 * never start with `_`, so no tenant can be given this key and no purge of a tenant destroys it.
 */
export const PLATFORM_KEY_ID = '_platform';

/** Per-tenant pseudonymisation keys (and the platform key, PLATFORM_KEY_ID), held apart from the data. */
export interface KeyStore {
  /** Creates the tenant's key; idempotent. */
  create(tenantId: string): Promise<void>;
  /** The tenant's 32-byte key; throws NotFoundError when it was never created or was destroyed. */
  get(tenantId: string): Promise<Uint8Array>;
  /** Destroys the key so its tokens can never be recomputed; idempotent. */
  destroy(tenantId: string): Promise<void>;
  exists(tenantId: string): Promise<boolean>;
}
