/**
 * The local platform's user directory: local tokens stand in for Cognito, so the accounts are the
 * subjects tokens were minted for (registered at minting) with their tenant, kept in one JSON file in the
 * data folder. The local API refuses a token whose account is disabled, as Cognito refuses a sign-in.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { TenantUserCounts, UserDirectory } from '../domain/ports/index.ts';
import * as z from '../domain/zod.ts';

const directorySchema = z.object({
  accounts: z.record(
    z.string(),
    z.object({ tenantId: z.optional(z.string()), enabled: z.boolean(), disabledAt: z.optional(z.string()) }),
  ),
});
type Directory = z.infer<typeof directorySchema>;

export class FileUserDirectory implements UserDirectory {
  constructor(private readonly file: string) {}

  async #read(): Promise<Directory> {
    try {
      return directorySchema.parse(JSON.parse(await readFile(this.file, 'utf8')));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { accounts: {} };
      throw error;
    }
  }

  async #write(directory: Directory): Promise<void> {
    await mkdir(dirname(this.file), { recursive: true, mode: 0o700 });
    const temporary = `${this.file}.${process.pid}.tmp`;
    await writeFile(temporary, JSON.stringify(directory, null, 2), { mode: 0o600 });
    await rename(temporary, this.file);
  }

  /** Records the account a token is minted for (enabled unless it was disabled before). */
  async register(subject: string, tenantId: string | undefined): Promise<void> {
    const directory = await this.#read();
    if (directory.accounts[subject]) return;
    directory.accounts[subject] = { ...(tenantId ? { tenantId } : {}), enabled: true };
    await this.#write(directory);
  }

  /** False for a disabled account; an account never registered is enabled (older data folders). */
  async isEnabled(subject: string): Promise<boolean> {
    return (await this.#read()).accounts[subject]?.enabled ?? true;
  }

  async countTenantUsers(tenantId: string): Promise<TenantUserCounts> {
    const accounts = Object.values((await this.#read()).accounts).filter((a) => a.tenantId === tenantId);
    const enabled = accounts.filter((a) => a.enabled).length;
    return { enabled, disabled: accounts.length - enabled };
  }

  async disableTenantUsers(tenantId: string): Promise<number> {
    const directory = await this.#read();
    let disabled = 0;
    for (const account of Object.values(directory.accounts)) {
      if (account.tenantId !== tenantId || !account.enabled) continue;
      account.enabled = false;
      account.disabledAt = new Date().toISOString();
      disabled++;
    }
    if (disabled > 0) await this.#write(directory);
    return disabled;
  }
}

/** The local platform's accounts: the subjects local tokens were minted for (`<dataDir>/users.json`). */
export const localUserDirectory = (dataDir: string) => new FileUserDirectory(join(dataDir, 'users.json'));
