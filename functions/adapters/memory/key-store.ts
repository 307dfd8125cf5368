import { randomBytes } from 'node:crypto';
import { type KeyStore, NotFoundError } from '../../domain/ports/index.ts';

/**
 * In-memory KeyStore: random 32-byte keys per tenant. `destroy` forgets the key for good; a later
 * `create` makes a new, different key (a destroyed key is never brought back).
 */
export class MemoryKeyStore implements KeyStore {
  readonly #keys = new Map<string, Uint8Array>();

  async create(tenantId: string): Promise<void> {
    if (!this.#keys.has(tenantId)) this.#keys.set(tenantId, new Uint8Array(randomBytes(32)));
  }

  async get(tenantId: string): Promise<Uint8Array> {
    const key = this.#keys.get(tenantId);
    if (!key) throw new NotFoundError(`No pseudonymisation key for tenant ${tenantId}`);
    return new Uint8Array(key);
  }

  async destroy(tenantId: string): Promise<void> {
    const key = this.#keys.get(tenantId);
    key?.fill(0);
    this.#keys.delete(tenantId);
  }

  async exists(tenantId: string): Promise<boolean> {
    return this.#keys.has(tenantId);
  }

  /** Tenants that hold a key (test helper). */
  tenants(): string[] {
    return [...this.#keys.keys()].sort();
  }
}
