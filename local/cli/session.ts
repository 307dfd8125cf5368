/**
 * The id token for a deployed endpoint from `kura login`'s cache, refreshed (and the cache rewritten)
 * when it expires within five minutes.
 */
import { RefreshRefusedError, refreshTokens } from './cognito.ts';
import { cacheDir, needsRefresh, readSignIn, writeSignIn } from './token-cache.ts';

/** The cached sign-in could not be refreshed: the user signs in again. */
export class SessionExpiredError extends Error {
  override readonly name = 'SessionExpiredError';
}

/** Another Cognito endpoint than the region's own (tests only). */
export const cognitoEndpointOf = (env: NodeJS.ProcessEnv): string | undefined =>
  env.KURA_COGNITO_ENDPOINT || undefined;

/** The cached id token for `endpoint`, refreshed when needed; undefined when nobody has signed in. */
export async function cachedIdToken(
  env: NodeJS.ProcessEnv,
  endpoint: string,
  now: () => Date = () => new Date(),
): Promise<string | undefined> {
  const dir = cacheDir(env);
  const signIn = await readSignIn(dir, endpoint);
  if (!signIn) return undefined;
  if (!needsRefresh(signIn, now())) return signIn.idToken;
  try {
    const fresh = await refreshTokens({
      clientId: signIn.clientId,
      region: signIn.region,
      cognitoEndpoint: cognitoEndpointOf(env),
      refreshToken: signIn.refreshToken,
      now,
    });
    await writeSignIn(dir, {
      ...signIn,
      idToken: fresh.idToken,
      accessToken: fresh.accessToken,
      refreshToken: fresh.refreshToken ?? signIn.refreshToken,
      expiresAt: fresh.expiresAt.toISOString(),
    });
    return fresh.idToken;
  } catch (error) {
    if (error instanceof RefreshRefusedError) throw new SessionExpiredError('the cached sign-in expired');
    throw error;
  }
}
