/** Per-tenant pseudonymisation keys, held apart from the data. */
export interface KeyStore {
  /** Creates the tenant's key; idempotent. */
  create(tenantId: string): Promise<void>;
  /** The tenant's 32-byte key; throws NotFoundError when it was never created or was destroyed. */
  get(tenantId: string): Promise<Uint8Array>;
  /** Destroys the key so its tokens can never be recomputed; idempotent. */
  destroy(tenantId: string): Promise<void>;
  exists(tenantId: string): Promise<boolean>;
}
