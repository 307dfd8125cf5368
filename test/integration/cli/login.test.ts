/**
 * `kura login` / `kura logout` and the token cache, offline: a stub on 127.0.0.1 speaks Cognito's JSON
 * protocol (X-Amz-Target: AWSCognitoIdentityProviderService.*) and serves GET /profiles as the API, so the
 * test sees the Authorization header a later command sends. Every value here is an obvious fake.
 */
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { cacheFile } from '../../../local/cli/token-cache.ts';
import { runKuraWith } from '../../support/cli.ts';

const PASSWORD = 'fake-password-Aa1!';
const MFA_CODE = '123456';
const CLIENT_ID = 'fakeclientid0000000000000';

interface Stub {
  refreshAllowed: boolean;
  expiresIn: number;
  issued: number;
  readonly calls: string[];
  readonly authorizations: string[];
}
const stub: Stub = { refreshAllowed: true, expiresIn: 3600, issued: 0, calls: [], authorizations: [] };

const body = (req: IncomingMessage): Promise<Record<string, unknown>> =>
  new Promise((resolve) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(chunks.length ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : {}));
  });

function tokens(withRefresh: boolean) {
  stub.issued += 1;
  return {
    AuthenticationResult: {
      IdToken: `fake-id-token-${stub.issued}`,
      AccessToken: `fake-access-token-${stub.issued}`,
      ...(withRefresh ? { RefreshToken: 'fake-refresh-token' } : {}),
      ExpiresIn: stub.expiresIn,
      TokenType: 'Bearer',
    },
  };
}

let server: Server;
let url: string;
let cacheDirectory: string;
let dataDir: string;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  server = createServer(async (req, res) => {
    const target = String(req.headers['x-amz-target'] ?? '').replace(
      'AWSCognitoIdentityProviderService.',
      '',
    );
    const reply = (status: number, value: unknown, type?: string) => {
      res.writeHead(status, {
        'content-type': 'application/x-amz-json-1.1',
        ...(type ? { 'x-amzn-errortype': type } : {}),
      });
      res.end(JSON.stringify(value));
    };
    const fail = (type: string, message: string) => reply(400, { __type: type, message }, type);
    if (!target) {
      stub.authorizations.push(String(req.headers.authorization ?? ''));
      return reply(200, { profiles: [] });
    }
    const input = await body(req);
    const params = (input.AuthParameters ?? input.ChallengeResponses ?? {}) as Record<string, string>;
    stub.calls.push(`${target}${input.AuthFlow ? `:${input.AuthFlow}` : ''}`);
    if (input.ClientId !== undefined && input.ClientId !== CLIENT_ID)
      return fail('ResourceNotFoundException', 'no client');
    if (target === 'InitiateAuth' && input.AuthFlow === 'USER_PASSWORD_AUTH') {
      if (params.PASSWORD !== PASSWORD)
        return fail('NotAuthorizedException', 'Incorrect username or password.');
      return reply(200, {
        ChallengeName: 'SOFTWARE_TOKEN_MFA',
        Session: 'fake-session',
        ChallengeParameters: { USER_ID_FOR_SRP: params.USERNAME },
      });
    }
    if (target === 'RespondToAuthChallenge') {
      if (params.SOFTWARE_TOKEN_MFA_CODE !== MFA_CODE || input.Session !== 'fake-session') {
        return fail('CodeMismatchException', 'Invalid code received for user');
      }
      return reply(200, tokens(true));
    }
    if (target === 'InitiateAuth' && input.AuthFlow === 'REFRESH_TOKEN_AUTH') {
      if (!stub.refreshAllowed || params.REFRESH_TOKEN !== 'fake-refresh-token') {
        return fail('NotAuthorizedException', 'Refresh Token has expired');
      }
      return reply(200, tokens(false));
    }
    if (target === 'GlobalSignOut') return reply(200, {});
    return fail('InvalidParameterException', `stub does not speak ${target}`);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

beforeEach(async () => {
  const root = await mkdtemp(join(tmpdir(), 'kura-login-'));
  cacheDirectory = join(root, 'cache');
  dataDir = join(root, 'data');
  env = { KURA_CACHE_DIR: cacheDirectory, KURA_COGNITO_ENDPOINT: url, KURA_COGNITO_CLIENT_ID: CLIENT_ID };
  Object.assign(stub, { refreshAllowed: true, expiresIn: 3600, issued: 0 });
  stub.calls.length = 0;
  stub.authorizations.length = 0;
});
afterEach(async () => {
  await rm(join(cacheDirectory, '..'), { recursive: true, force: true });
});

const login = (secrets: readonly string[], ...extra: string[]) =>
  runKuraWith(dataDir, { env, secrets }, '--endpoint', url, 'login', '--username', 'fake-user', ...extra);

const SECRETS = /fake-(id|access|refresh)-token|fake-password|fake-session/;

describe('kura login', () => {
  it('answers the MFA challenge, caches the tokens 0600 in a 0700 folder and prints no secret', async () => {
    const result = await login([PASSWORD, MFA_CODE]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.prompts).toEqual(['Password: ', 'MFA code (6 digits): ']);
    expect(stub.calls).toEqual(['InitiateAuth:USER_PASSWORD_AUTH', 'RespondToAuthChallenge']);
    expect(`${result.stdout}${result.stderr}`).not.toMatch(SECRETS);
    const file = cacheFile(cacheDirectory, url);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect((await stat(cacheDirectory)).mode & 0o777).toBe(0o700);
    expect(JSON.parse(await readFile(file, 'utf8'))).toMatchObject({
      endpoint: url,
      clientId: CLIENT_ID,
      region: 'ap-northeast-1',
      idToken: 'fake-id-token-1',
      accessToken: 'fake-access-token-1',
      refreshToken: 'fake-refresh-token',
    });
  });

  it('takes the MFA code from --mfa-code for scripts', async () => {
    const result = await login([PASSWORD], '--mfa-code', MFA_CODE);
    expect(result.code).toBe(0);
    expect(result.prompts).toEqual(['Password: ']);
  });

  it('a later command sends the cached id token', async () => {
    expect((await login([PASSWORD, MFA_CODE])).code).toBe(0);
    const result = await runKuraWith(dataDir, { env }, '--endpoint', url, 'profiles', '--json');
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(stub.authorizations).toEqual(['Bearer fake-id-token-1']);
  });

  it('refreshes a token that expires within 5 minutes and rewrites the cache', async () => {
    stub.expiresIn = 240;
    expect((await login([PASSWORD, MFA_CODE])).code).toBe(0);
    stub.expiresIn = 3600;
    const result = await runKuraWith(dataDir, { env }, '--endpoint', url, 'profiles', '--json');
    expect(result.code).toBe(0);
    expect(stub.calls.at(-1)).toBe('InitiateAuth:REFRESH_TOKEN_AUTH');
    expect(stub.authorizations).toEqual(['Bearer fake-id-token-2']);
    const cached = JSON.parse(await readFile(cacheFile(cacheDirectory, url), 'utf8'));
    expect(cached).toMatchObject({ idToken: 'fake-id-token-2', refreshToken: 'fake-refresh-token' });
    expect(Date.parse(cached.expiresAt)).toBeGreaterThan(Date.now() + 50 * 60_000);
    expect((await stat(cacheFile(cacheDirectory, url))).mode & 0o777).toBe(0o600);
  });

  it('a refused refresh tells the user to run kura login again (exit 1)', async () => {
    stub.expiresIn = 60;
    expect((await login([PASSWORD, MFA_CODE])).code).toBe(0);
    stub.refreshAllowed = false;
    const result = await runKuraWith(dataDir, { env }, '--endpoint', url, 'profiles');
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('sign in again with kura login');
    expect(result.stderr).not.toMatch(SECRETS);
    expect(stub.authorizations).toEqual([]);
  });

  it('a wrong MFA code is a clear error and caches nothing', async () => {
    const result = await login([PASSWORD, '000000']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('The MFA code is wrong or expired');
    await expect(readdir(cacheDirectory)).rejects.toThrow();
  });

  it('refuses a region outside Japan before asking for the password (exit 2)', async () => {
    const result = await login([PASSWORD, MFA_CODE], '--region', 'us-east-1');
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('Kura keeps data in Japan');
    expect(result.prompts).toEqual([]);
  });
});

describe('kura logout', () => {
  it('signs out and deletes the cache file', async () => {
    expect((await login([PASSWORD, MFA_CODE])).code).toBe(0);
    const result = await runKuraWith(dataDir, { env }, '--endpoint', url, 'logout');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Signed out');
    expect(stub.calls.at(-1)).toBe('GlobalSignOut');
    await expect(stat(cacheFile(cacheDirectory, url))).rejects.toThrow();
    const again = await runKuraWith(dataDir, { env }, '--endpoint', url, 'profiles');
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('sign in first with kura login');
  });
});
