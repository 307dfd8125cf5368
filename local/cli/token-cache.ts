/**
 * The sign-in cache of `kura login`, kept like the AWS CLI's SSO cache: one JSON file per API endpoint
 * under ~/.kura/cache/ (KURA_CACHE_DIR overrides), named by the SHA-256 of the endpoint, readable only by
 * its owner (file 0600 in a 0700 folder). Tokens are never printed; only this file holds them.
 */
import { createHash } from 'node:crypto';
import { chmod, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import * as z from '../../functions/domain/zod.ts';

export const cachedSignInSchema = z.object({
  endpoint: z.string(),
  clientId: z.string(),
  region: z.string(),
  idToken: z.string(),
  accessToken: z.string(),
  refreshToken: z.string(),
  /** When the id and access tokens expire (ISO 8601). */
  expiresAt: z.string(),
});
export type CachedSignIn = z.infer<typeof cachedSignInSchema>;

/** Tokens expiring within this many milliseconds are refreshed before use. */
export const REFRESH_MARGIN_MS = 5 * 60 * 1000;

/** The cache folder: KURA_CACHE_DIR, else ~/.kura/cache. */
export function cacheDir(env: NodeJS.ProcessEnv): string {
  return env.KURA_CACHE_DIR || join(homedir(), '.kura', 'cache');
}

/** The same API with or without a trailing slash is one endpoint. */
export function normaliseEndpoint(endpoint: string): string {
  return endpoint.trim().replace(/\/+$/, '');
}

/** The cache file of an endpoint: `<dir>/<sha256(endpoint)>.json`. */
export function cacheFile(dir: string, endpoint: string): string {
  return join(dir, `${createHash('sha256').update(normaliseEndpoint(endpoint)).digest('hex')}.json`);
}

/** True when the tokens expire within the margin of `now` (or already have). */
export function needsRefresh(signIn: Pick<CachedSignIn, 'expiresAt'>, now: Date): boolean {
  const expiresAt = Date.parse(signIn.expiresAt);
  return !Number.isFinite(expiresAt) || expiresAt - now.getTime() <= REFRESH_MARGIN_MS;
}

/** The cached sign-in for an endpoint, or undefined when there is none (or it is unreadable). */
export async function readSignIn(dir: string, endpoint: string): Promise<CachedSignIn | undefined> {
  let text: string;
  try {
    text = await readFile(cacheFile(dir, endpoint), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  try {
    const parsed = cachedSignInSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** Writes the sign-in (0600 in a 0700 folder), replacing the file in one rename. */
export async function writeSignIn(dir: string, signIn: CachedSignIn): Promise<string> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await chmod(dir, 0o700);
  const file = cacheFile(dir, signIn.endpoint);
  const temporary = `${file}.${process.pid}.tmp`;
  await writeFile(temporary, `${JSON.stringify(signIn, null, 2)}\n`, { mode: 0o600 });
  await chmod(temporary, 0o600);
  await rename(temporary, file);
  return file;
}

/** Deletes the endpoint's cache file; true when there was one. */
export async function deleteSignIn(dir: string, endpoint: string): Promise<boolean> {
  const file = cacheFile(dir, endpoint);
  try {
    await readFile(file);
  } catch {
    return false;
  }
  await rm(file, { force: true });
  return true;
}
