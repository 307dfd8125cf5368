import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { CliError } from '../../../local/cli/context.ts';
import { cognitoSettings } from '../../../local/cli/login.ts';
import { stdinSecretReader } from '../../../local/cli/secret-input.ts';
import { cacheFile, needsRefresh } from '../../../local/cli/token-cache.ts';

describe('the token cache', () => {
  it('names one file per endpoint by its SHA-256, trailing slash or not', () => {
    const file = cacheFile('/fake/cache', 'https://api.example.invalid/');
    expect(file).toMatch(/^\/fake\/cache\/[0-9a-f]{64}\.json$/);
    expect(cacheFile('/fake/cache', 'https://api.example.invalid')).toBe(file);
    expect(cacheFile('/fake/cache', 'https://other.example.invalid')).not.toBe(file);
  });

  it('refreshes tokens expiring within 5 minutes, or unreadable expiry', () => {
    const now = new Date('2026-01-01T00:00:00Z');
    expect(needsRefresh({ expiresAt: '2026-01-01T00:05:01Z' }, now)).toBe(false);
    expect(needsRefresh({ expiresAt: '2026-01-01T00:05:00Z' }, now)).toBe(true);
    expect(needsRefresh({ expiresAt: '2025-12-31T23:00:00Z' }, now)).toBe(true);
    expect(needsRefresh({ expiresAt: 'not a date' }, now)).toBe(true);
  });
});

describe('cognitoSettings', () => {
  it('takes flags over KURA_COGNITO_CLIENT_ID / KURA_COGNITO_REGION, default ap-northeast-1', () => {
    expect(cognitoSettings({}, { KURA_COGNITO_CLIENT_ID: 'fake-env-client' })).toEqual({
      clientId: 'fake-env-client',
      region: 'ap-northeast-1',
    });
    expect(
      cognitoSettings(
        { userPoolClientId: 'fake-flag-client', region: 'ap-northeast-3' },
        { KURA_COGNITO_CLIENT_ID: 'fake-env-client', KURA_COGNITO_REGION: 'ap-northeast-1' },
      ),
    ).toEqual({ clientId: 'fake-flag-client', region: 'ap-northeast-3' });
  });

  it('refuses a missing client id and a region outside Japan as usage errors', () => {
    expect(() => cognitoSettings({}, {})).toThrow(CliError);
    expect(() => cognitoSettings({ userPoolClientId: 'x', region: 'us-east-1' }, {})).toThrow(/Japan/);
    expect(() => cognitoSettings({ userPoolClientId: 'x' }, { KURA_COGNITO_REGION: 'eu-west-1' })).toThrow(
      /Japan/,
    );
  });
});

describe('stdinSecretReader', () => {
  it('reads one line of piped stdin per secret, then empty', async () => {
    const stdin = new PassThrough() as unknown as NodeJS.ReadStream;
    const prompts = new PassThrough();
    const read = stdinSecretReader(stdin, prompts);
    (stdin as unknown as PassThrough).end('fake-password\n654321\n');
    expect(await read('Password: ')).toBe('fake-password');
    expect(await read('MFA code: ')).toBe('654321');
    expect(await read('more: ')).toBe('');
  });
});
