import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, stat, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { type KeyStore, NotFoundError, PLATFORM_KEY_ID } from '../domain/ports/index.ts';
import { isTenantId } from '../domain/tenants/model.ts';

type SecretsSdk = typeof import('@aws-sdk/client-secrets-manager');
/**
 * The SDK module, loaded on the first call rather than at module load: bundlers keep a dynamic
 * `import()` of an external package dynamic, so a Lambda that never calls this adapter never loads
 * the client (see runtime.ts).
 */
let secretsSdkModule: Promise<SecretsSdk> | undefined;
const secretsSdk = (): Promise<SecretsSdk> =>
  (secretsSdkModule ??= import('@aws-sdk/client-secrets-manager'));

/** Pseudonymisation keys are 256-bit HMAC-SHA256 keys. */
export const TENANT_KEY_BYTES = 32;

/** Tenant ids become secret names and file names: only the tenant id alphabet (or the platform key) is allowed. */
function checkTenantId(tenantId: string): string {
  if (tenantId !== PLATFORM_KEY_ID && !isTenantId(tenantId)) {
    throw new RangeError(`"${tenantId}" is not a tenant id (3–63 lowercase letters, digits or hyphens)`);
  }
  return tenantId;
}

const errorName = (error: unknown) => (error as { name?: string })?.name;

export interface SecretsManagerKeyStoreOptions {
  readonly client: SecretsManagerClient;
  /** Secret name prefix of tenant keys, e.g. `kura/dev/tenant-keys/` (KURA_KEY_SECRET_PREFIX). */
  readonly prefix: () => string;
  /**
   * Name of the platform perturbation key's secret, e.g. `kura/dev/platform-keys/perturbation`
   * (KURA_PLATFORM_KEY_SECRET): apart from the tenant keys, so no tenant purge can reach it.
   */
  readonly platformSecretName?: () => string;
  /** Platform KMS key that encrypts the secrets (KURA_DATA_KEY_ARN); AWS-managed key when absent. */
  readonly kmsKeyId?: string | undefined;
}

/**
 * Deployed key store: one Secrets Manager secret per tenant holding 32 random bytes, encrypted
 * with the platform KMS key. Destroying deletes without recovery, so tokens can never be recomputed.
 * Error messages name the tenant, never the key material.
 */
export class SecretsManagerKeyStore implements KeyStore {
  readonly #client: SecretsManagerClient;
  readonly #prefix: () => string;
  readonly #platformSecretName: (() => string) | undefined;
  readonly #kmsKeyId: string | undefined;

  constructor(options: SecretsManagerKeyStoreOptions) {
    this.#client = options.client;
    this.#prefix = options.prefix;
    this.#platformSecretName = options.platformSecretName;
    this.#kmsKeyId = options.kmsKeyId;
  }

  #name(tenantId: string) {
    if (tenantId === PLATFORM_KEY_ID) {
      if (!this.#platformSecretName) throw new RangeError('This key store holds no platform key');
      return this.#platformSecretName();
    }
    return `${this.#prefix()}${checkTenantId(tenantId)}`;
  }

  async create(tenantId: string): Promise<void> {
    try {
      await this.#client.send(
        new (await secretsSdk()).CreateSecretCommand({
          Name: this.#name(tenantId),
          SecretBinary: randomBytes(TENANT_KEY_BYTES),
          KmsKeyId: this.#kmsKeyId,
          // No tags: tagging at creation needs secretsmanager:TagResource, which the API role lacks.
          Description:
            tenantId === PLATFORM_KEY_ID
              ? 'Kura platform perturbation key (record keys of anonymised releases)'
              : `Kura pseudonymisation key of tenant ${tenantId}`,
        }),
      );
    } catch (error) {
      if (errorName(error) === 'ResourceExistsException') return;
      throw error;
    }
  }

  async get(tenantId: string): Promise<Uint8Array> {
    try {
      const out = await this.#client.send(
        new (await secretsSdk()).GetSecretValueCommand({ SecretId: this.#name(tenantId) }),
      );
      if (!out.SecretBinary || out.SecretBinary.length !== TENANT_KEY_BYTES) {
        throw new NotFoundError(`Tenant ${tenantId} has no usable pseudonymisation key`);
      }
      return out.SecretBinary;
    } catch (error) {
      if (
        errorName(error) === 'ResourceNotFoundException' ||
        errorName(error) === 'InvalidRequestException'
      ) {
        throw new NotFoundError(
          `Tenant ${tenantId} has no pseudonymisation key (never created or destroyed)`,
        );
      }
      throw error;
    }
  }

  async destroy(tenantId: string): Promise<void> {
    try {
      await this.#client.send(
        new (await secretsSdk()).DeleteSecretCommand({
          SecretId: this.#name(tenantId),
          ForceDeleteWithoutRecovery: true,
        }),
      );
    } catch (error) {
      if (errorName(error) === 'ResourceNotFoundException') return;
      throw error;
    }
  }

  async exists(tenantId: string): Promise<boolean> {
    try {
      const out = await this.#client.send(
        new (await secretsSdk()).DescribeSecretCommand({ SecretId: this.#name(tenantId) }),
      );
      return out.DeletedDate === undefined;
    } catch (error) {
      if (errorName(error) === 'ResourceNotFoundException') return false;
      throw error;
    }
  }
}

/**
 * Local key store: one file per tenant under `<dataDir>/keys/`, mode 0600 in a 0700 folder.
 * Destroying overwrites the file with random bytes before unlinking it.
 */
export class FileKeyStore implements KeyStore {
  readonly #dir: string;

  constructor(dir: string) {
    this.#dir = dir;
  }

  #path(tenantId: string) {
    return join(this.#dir, `${checkTenantId(tenantId)}.key`);
  }

  async create(tenantId: string): Promise<void> {
    const path = this.#path(tenantId);
    await mkdir(this.#dir, { recursive: true, mode: 0o700 });
    try {
      await writeFile(path, randomBytes(TENANT_KEY_BYTES), { flag: 'wx', mode: 0o600 });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') return;
      throw error;
    }
  }

  async get(tenantId: string): Promise<Uint8Array> {
    try {
      const key = await readFile(this.#path(tenantId));
      if (key.length !== TENANT_KEY_BYTES) throw new NotFoundError(`Tenant ${tenantId} has no usable key`);
      return new Uint8Array(key);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
        throw new NotFoundError(
          `Tenant ${tenantId} has no pseudonymisation key (never created or destroyed)`,
        );
      }
      throw error;
    }
  }

  async destroy(tenantId: string): Promise<void> {
    const path = this.#path(tenantId);
    let handle: Awaited<ReturnType<typeof open>>;
    try {
      handle = await open(path, 'r+');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw error;
    }
    try {
      const { size } = await handle.stat();
      await handle.write(randomBytes(Math.max(size, TENANT_KEY_BYTES)), 0, undefined, 0);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await unlink(path);
  }

  async exists(tenantId: string): Promise<boolean> {
    try {
      await stat(this.#path(tenantId));
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw error;
    }
  }
}
