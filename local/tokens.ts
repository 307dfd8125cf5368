import { randomUUID } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { exportJWK, generateKeyPair, importJWK, type JWK, jwtVerify, SignJWT } from 'jose';
import { localUserDirectory } from '../functions/adapters/file-user-directory.ts';
import { GROUPS_CLAIM, type Role, TENANT_CLAIM } from '../functions/domain/auth/principal.ts';

/**
 * Local identity: a signing key generated once under the data folder stands in for Cognito. Tokens
 * carry the same claims Cognito's would (`sub`, `custom:tenant_id`, `cognito:groups`), so the API's
 * authorisation code cannot tell them apart. The key is never printed.
 */
export const LOCAL_ISSUER = 'kura-local';
export const LOCAL_AUDIENCE = 'kura-api';
const KEY_FILE = 'local-signing-key.json';
const ALGORITHM = 'ES256';

type SigningKey = Awaited<ReturnType<typeof importJWK>>;

export interface LocalKeys {
  readonly privateKey: SigningKey;
  readonly publicKey: SigningKey;
}

/** Raised when the data folder has no signing key yet (the platform was never started there). */
export class NoSigningKeyError extends Error {
  override readonly name = 'NoSigningKeyError';
}

/** Reads the data folder's signing key; with `create`, generates it (mode 0600) when missing. */
export async function loadSigningKeys(
  dataDir: string,
  options: { readonly create?: boolean } = {},
): Promise<LocalKeys> {
  const path = join(dataDir, KEY_FILE);
  let jwk: JWK;
  try {
    jwk = JSON.parse(await readFile(path, 'utf8')) as JWK;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    if (!options.create) {
      throw new NoSigningKeyError(
        `No local signing key in ${dataDir}: start the platform once (npm start) to create it.`,
      );
    }
    const pair = await generateKeyPair(ALGORITHM, { extractable: true });
    jwk = { ...(await exportJWK(pair.privateKey)), alg: ALGORITHM };
    await mkdir(dataDir, { recursive: true, mode: 0o700 });
    try {
      await writeFile(path, JSON.stringify(jwk), { mode: 0o600, flag: 'wx' });
    } catch (writeError) {
      // Another process created it first: use theirs.
      if ((writeError as NodeJS.ErrnoException).code !== 'EEXIST') throw writeError;
      jwk = JSON.parse(await readFile(path, 'utf8')) as JWK;
    }
  }
  const { d: _private, ...publicJwk } = jwk;
  return { privateKey: await importJWK(jwk, ALGORITHM), publicKey: await importJWK(publicJwk, ALGORITHM) };
}

export interface TokenRequest {
  readonly role: Role;
  /** Required for tenant and supporter tokens. */
  readonly tenantId?: string | undefined;
  /** @default 3600 */
  readonly expiresInSeconds?: number;
  /** @default a stable id per role and tenant, e.g. `local-tenant-demo-a` */
  readonly subject?: string;
}

/** The subject a token gets when the request names none: stable per role and tenant. */
const subjectOf = (request: TokenRequest) =>
  request.subject ?? `local-${request.role}-${request.tenantId ?? 'platform'}`;

/**
 * A token for a company's account, registered in the local user directory first (as an administrator
 * creating a Cognito user would), so a purge finds the account and disables it.
 */
export async function mintAccountToken(
  dataDir: string,
  keys: LocalKeys,
  request: TokenRequest,
): Promise<string> {
  if (request.tenantId) await localUserDirectory(dataDir).register(subjectOf(request), request.tenantId);
  return mintToken(keys, request);
}

/**
 * Verifies a token as `verifyToken` does, and refuses it when its account was disabled (a purged
 * company's): Cognito lets a disabled user neither sign in nor refresh a session.
 */
export async function verifyAccountToken(
  dataDir: string,
  keys: LocalKeys,
  token: string,
): Promise<Record<string, unknown> | undefined> {
  const claims = await verifyToken(keys, token);
  if (claims === undefined || typeof claims.sub !== 'string') return claims;
  return (await localUserDirectory(dataDir).isEnabled(claims.sub)) ? claims : undefined;
}

/** A token like Cognito would issue for a demo user. */
export async function mintToken(keys: LocalKeys, request: TokenRequest): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const claims: Record<string, unknown> = { [GROUPS_CLAIM]: [request.role], token_use: 'id' };
  if (request.tenantId) claims[TENANT_CLAIM] = request.tenantId;
  return new SignJWT(claims)
    .setProtectedHeader({ alg: ALGORITHM, typ: 'JWT' })
    .setIssuer(LOCAL_ISSUER)
    .setAudience(LOCAL_AUDIENCE)
    .setSubject(subjectOf(request))
    .setJti(randomUUID())
    .setIssuedAt(now)
    .setExpirationTime(now + (request.expiresInSeconds ?? 3600))
    .sign(keys.privateKey);
}

/** Verifies a token's signature, issuer, audience and expiry; returns its claims or undefined. */
export async function verifyToken(
  keys: LocalKeys,
  token: string,
): Promise<Record<string, unknown> | undefined> {
  try {
    const { payload } = await jwtVerify(token, keys.publicKey, {
      issuer: LOCAL_ISSUER,
      audience: LOCAL_AUDIENCE,
      algorithms: [ALGORITHM],
    });
    return payload;
  } catch {
    return undefined;
  }
}
