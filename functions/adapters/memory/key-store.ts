import { createHash, randomBytes } from 'node:crypto';
import { type KeyStore, NotFoundError } from '../../domain/ports/index.ts';

/**
 * In-memory KeyStore: random 32-byte keys per tenant. `destroy` forgets the key for good; a later
 * `create` makes a new, different key (a destroyed key is never brought back).
 *
 * `seed` (property tests only) derives every key from the seed, the id and how many keys that id had
 * before, so a fast-check counterexample names its keys too and replays and shrinks as it failed.
 */
export class MemoryKeyStore implements KeyStore {
  readonly #keys = new Map<string, Uint8Array>();
  readonly #created = new Map<string, number>();
  readonly #seed: string | undefined;

  constructor(options: { readonly seed?: number } = {}) {
    this.#seed = options.seed === undefined ? undefined : String(options.seed);
  }

  async create(tenantId: string): Promise<void> {
    if (this.#keys.has(tenantId)) return;
    const generation = this.#created.get(tenantId) ?? 0;
    this.#created.set(tenantId, generation + 1);
    const key =
      this.#seed === undefined
        ? randomBytes(32)
        : createHash('sha256').update(`${this.#seed}|${generation}|${tenantId}`).digest();
    this.#keys.set(tenantId, new Uint8Array(key));
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
