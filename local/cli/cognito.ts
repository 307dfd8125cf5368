/**
 * Signing in to a deployed stack's Cognito user pool (USER_PASSWORD_AUTH, then the SOFTWARE_TOKEN_MFA
 * challenge), refreshing (REFRESH_TOKEN_AUTH) and signing out. These calls are unauthenticated: no AWS
 * credentials are needed. Each failure is a typed error; the CLI turns them into bilingual messages.
 */
import type {
  AuthenticationResultType,
  CognitoIdentityProviderClient,
} from '@aws-sdk/client-cognito-identity-provider';

/**
 * The Cognito SDK, loaded by the commands that sign in, refresh or sign out: every other command
 * starts without it.
 */
const cognitoSdk = () => import('@aws-sdk/client-cognito-identity-provider');

export interface CognitoTokens {
  readonly idToken: string;
  readonly accessToken: string;
  /** Absent on a refresh unless the pool rotates refresh tokens. */
  readonly refreshToken?: string;
  readonly expiresAt: Date;
}

/** The pool asked for a challenge the CLI cannot answer (new password, SMS, e-mail, passkey…). */
export class UnsupportedChallengeError extends Error {
  override readonly name = 'UnsupportedChallengeError';
  readonly challenge: string;
  constructor(challenge: string) {
    super(`Cognito asked for the ${challenge} challenge, which kura login does not answer`);
    this.challenge = challenge;
  }
}
/** The user name or password was refused. */
export class SignInRefusedError extends Error {
  override readonly name = 'SignInRefusedError';
}
/** The MFA code was refused (wrong or expired). */
export class MfaCodeRefusedError extends Error {
  override readonly name = 'MfaCodeRefusedError';
}
/** The refresh token was refused (expired or revoked). */
export class RefreshRefusedError extends Error {
  override readonly name = 'RefreshRefusedError';
}

export interface CognitoTarget {
  readonly clientId: string;
  readonly region: string;
  /** Another Cognito endpoint (tests); the region's own when absent. */
  readonly cognitoEndpoint?: string;
}

async function cognitoClient(target: CognitoTarget): Promise<CognitoIdentityProviderClient> {
  const { CognitoIdentityProviderClient } = await cognitoSdk();
  return new CognitoIdentityProviderClient({
    region: target.region,
    ...(target.cognitoEndpoint ? { endpoint: target.cognitoEndpoint } : {}),
    maxAttempts: 1,
  });
}

function tokensOf(result: AuthenticationResultType | undefined, now: Date): CognitoTokens {
  if (!result?.IdToken || !result.AccessToken) throw new Error('Cognito returned no tokens');
  return {
    idToken: result.IdToken,
    accessToken: result.AccessToken,
    ...(result.RefreshToken ? { refreshToken: result.RefreshToken } : {}),
    expiresAt: new Date(now.getTime() + (result.ExpiresIn ?? 3600) * 1000),
  };
}

const errorName = (error: unknown): string => (error as { name?: string } | undefined)?.name ?? '';
const REFUSED = ['NotAuthorizedException', 'UserNotFoundException'];

export interface SignInInput extends CognitoTarget {
  readonly username: string;
  readonly password: string;
  /** Asked only when the pool sends the SOFTWARE_TOKEN_MFA challenge. */
  readonly mfaCode: () => Promise<string>;
  readonly now?: () => Date;
}

/** Password sign-in answering the TOTP challenge; refuses every other challenge. */
export async function signIn(input: SignInInput): Promise<CognitoTokens> {
  const now = input.now ?? (() => new Date());
  const client = await cognitoClient(input);
  const { InitiateAuthCommand, RespondToAuthChallengeCommand } = await cognitoSdk();
  try {
    let response = await client
      .send(
        new InitiateAuthCommand({
          AuthFlow: 'USER_PASSWORD_AUTH',
          ClientId: input.clientId,
          AuthParameters: { USERNAME: input.username, PASSWORD: input.password },
        }),
      )
      .catch((error: unknown) => {
        if (REFUSED.includes(errorName(error))) throw new SignInRefusedError('user name or password refused');
        throw error;
      });
    if (response.ChallengeName) {
      if (response.ChallengeName !== 'SOFTWARE_TOKEN_MFA') {
        throw new UnsupportedChallengeError(response.ChallengeName);
      }
      const code = (await input.mfaCode()).trim();
      response = await client
        .send(
          new RespondToAuthChallengeCommand({
            ClientId: input.clientId,
            ChallengeName: 'SOFTWARE_TOKEN_MFA',
            Session: response.Session,
            ChallengeResponses: {
              USERNAME: response.ChallengeParameters?.USER_ID_FOR_SRP ?? input.username,
              SOFTWARE_TOKEN_MFA_CODE: code,
            },
          }),
        )
        .catch((error: unknown) => {
          const name = errorName(error);
          if (
            name === 'CodeMismatchException' ||
            name === 'ExpiredCodeException' ||
            name === 'NotAuthorizedException'
          ) {
            throw new MfaCodeRefusedError('MFA code refused');
          }
          throw error;
        });
      if (response.ChallengeName) throw new UnsupportedChallengeError(response.ChallengeName);
    }
    return tokensOf(response.AuthenticationResult, now());
  } finally {
    client.destroy();
  }
}

/** New id and access tokens from a refresh token. */
export async function refreshTokens(
  input: CognitoTarget & { readonly refreshToken: string; readonly now?: () => Date },
): Promise<CognitoTokens> {
  const client = await cognitoClient(input);
  const { InitiateAuthCommand } = await cognitoSdk();
  try {
    const response = await client
      .send(
        new InitiateAuthCommand({
          AuthFlow: 'REFRESH_TOKEN_AUTH',
          ClientId: input.clientId,
          AuthParameters: { REFRESH_TOKEN: input.refreshToken },
        }),
      )
      .catch((error: unknown) => {
        if (REFUSED.includes(errorName(error))) throw new RefreshRefusedError('refresh token refused');
        throw error;
      });
    return tokensOf(response.AuthenticationResult, (input.now ?? (() => new Date()))());
  } finally {
    client.destroy();
  }
}

/** Revokes the user's tokens everywhere (best effort: the caller deletes the cache either way). */
export async function globalSignOut(input: CognitoTarget & { readonly accessToken: string }): Promise<void> {
  const client = await cognitoClient(input);
  const { GlobalSignOutCommand } = await cognitoSdk();
  try {
    await client.send(new GlobalSignOutCommand({ AccessToken: input.accessToken }));
  } finally {
    client.destroy();
  }
}
