/**
 * `kura login` and `kura logout`: signing in to a deployed stack's Cognito user pool (with TOTP MFA) and
 * keeping the tokens in a per-endpoint cache file (token-cache.ts) that every other command reads.
 */
import type { Command } from 'commander';
import { msg } from '../../functions/domain/i18n.ts';
import { isJapanRegion, JAPAN_REGIONS } from '../../functions/domain/stages.ts';
import {
  globalSignOut,
  MfaCodeRefusedError,
  SignInRefusedError,
  signIn,
  UnsupportedChallengeError,
} from './cognito.ts';
import { type CliContext, CliError } from './context.ts';
import { cognitoEndpointOf } from './session.ts';
import { cacheDir, deleteSignIn, normaliseEndpoint, readSignIn, writeSignIn } from './token-cache.ts';

interface LoginOptions {
  readonly userPoolClientId?: string;
  readonly region?: string;
  readonly username: string;
  readonly mfaCode?: string;
}

/** The endpoint to sign in to: --endpoint / KURA_ENDPOINT (there is nothing to sign in to locally). */
function requireEndpoint(ctx: CliContext, command: string): string {
  const endpoint = ctx.options.endpoint;
  if (!endpoint) {
    throw new CliError(
      msg(
        `${command} には --endpoint（デプロイした API の URL。スタック出力 ApiUrl）が必要です。ローカル環境ではサインインは不要です。`,
        `${command} needs --endpoint (the deployed API's URL, the stack output ApiUrl); the local platform needs no sign-in.`,
      ),
      2,
    );
  }
  return normaliseEndpoint(endpoint);
}

/** The Cognito app client and region: flags, else KURA_COGNITO_CLIENT_ID / KURA_COGNITO_REGION. */
export function cognitoSettings(
  options: Pick<LoginOptions, 'userPoolClientId' | 'region'>,
  env: NodeJS.ProcessEnv,
): { readonly clientId: string; readonly region: string } {
  const clientId = options.userPoolClientId ?? env.KURA_COGNITO_CLIENT_ID;
  if (!clientId) {
    throw new CliError(
      msg(
        '--user-pool-client-id（または KURA_COGNITO_CLIENT_ID）に Cognito アプリクライアント ID を指定してください（API スタックの出力 UserPoolClientId）。',
        'Pass the Cognito app client id with --user-pool-client-id (or KURA_COGNITO_CLIENT_ID): the API stack output UserPoolClientId.',
      ),
      2,
    );
  }
  const region = options.region ?? env.KURA_COGNITO_REGION ?? 'ap-northeast-1';
  if (!isJapanRegion(region)) {
    throw new CliError(
      msg(
        `リージョン ${region} は使えません。Kura のデータは日本国内に置きます: ${JAPAN_REGIONS.join('、')}`,
        `Region ${region} is not allowed: Kura keeps data in Japan (${JAPAN_REGIONS.join(' or ')}).`,
      ),
      2,
    );
  }
  return { clientId, region };
}

async function readSecret(ctx: CliContext, prompt: string): Promise<string> {
  if (!ctx.io.readSecret) {
    throw new CliError(
      msg(
        'パスワードを読み取れません（端末か標準入力が必要です）。',
        'Cannot read a password: no terminal or stdin.',
      ),
    );
  }
  return ctx.io.readSecret(prompt);
}

export function registerLoginCommands(program: Command, context: () => CliContext): void {
  program
    .command('login')
    .description(
      'sign in to a deployed stack (Cognito, TOTP MFA) and cache the tokens / デプロイ環境にサインイン',
    )
    .requiredOption('--username <name>', 'Cognito user name / ユーザー名')
    .option(
      '--user-pool-client-id <id>',
      'Cognito app client id (stack output UserPoolClientId; KURA_COGNITO_CLIENT_ID)',
    )
    .option(
      '--region <region>',
      'ap-northeast-1 | ap-northeast-3 (KURA_COGNITO_REGION; default ap-northeast-1)',
    )
    .option(
      '--mfa-code <code>',
      'the 6-digit code of the authenticator app, for scripts / 認証アプリの 6 桁のコード',
    )
    .action(async (options: LoginOptions) => {
      const ctx = context();
      const endpoint = requireEndpoint(ctx, 'kura login');
      const { clientId, region } = cognitoSettings(options, ctx.io.env);
      const password = await readSecret(ctx, ctx.t(msg('パスワード: ', 'Password: ')));
      if (password === '') {
        throw new CliError(
          msg(
            'パスワードが空です。端末で入力するか、標準入力から 1 行で渡してください（フラグでは渡せません）。',
            'The password is empty: type it at the prompt or pipe it as one line on stdin (never as a flag).',
          ),
          2,
        );
      }
      let tokens: Awaited<ReturnType<typeof signIn>>;
      try {
        tokens = await signIn({
          clientId,
          region,
          cognitoEndpoint: cognitoEndpointOf(ctx.io.env),
          username: options.username,
          password,
          mfaCode: async () =>
            options.mfaCode ??
            (await readSecret(ctx, ctx.t(msg('MFA コード（6 桁）: ', 'MFA code (6 digits): ')))),
        });
      } catch (error) {
        throw loginFailure(error);
      }
      if (!tokens.refreshToken) throw new Error('Cognito returned no refresh token');
      const file = await writeSignIn(cacheDir(ctx.io.env), {
        endpoint,
        clientId,
        region,
        idToken: tokens.idToken,
        accessToken: tokens.accessToken,
        refreshToken: tokens.refreshToken,
        expiresAt: tokens.expiresAt.toISOString(),
      });
      ctx.emit({ endpoint, signedIn: true, cacheFile: file, expiresAt: tokens.expiresAt.toISOString() });
      ctx.say(
        ctx.t(
          msg(
            `${endpoint} にサインインしました（${file} に保存。トークンは自動で更新します）。`,
            `Signed in to ${endpoint} (saved in ${file}; tokens are refreshed automatically).`,
          ),
        ),
      );
    });

  program
    .command('logout')
    .description('sign out of a deployed stack and delete the cached tokens / サインアウト')
    .action(async () => {
      const ctx = context();
      const endpoint = requireEndpoint(ctx, 'kura logout');
      const dir = cacheDir(ctx.io.env);
      const cached = await readSignIn(dir, endpoint);
      if (cached) {
        try {
          await globalSignOut({ ...cached, cognitoEndpoint: cognitoEndpointOf(ctx.io.env) });
        } catch {
          // Best effort: the tokens may have expired or been revoked already; the cache goes either way.
        }
      }
      const deleted = await deleteSignIn(dir, endpoint);
      ctx.emit({ endpoint, signedOut: deleted });
      ctx.say(
        ctx.t(
          deleted
            ? msg(`${endpoint} からサインアウトしました。`, `Signed out of ${endpoint}.`)
            : msg(`${endpoint} にはサインインしていません。`, `Not signed in to ${endpoint}.`),
        ),
      );
    });
}

/** The bilingual message for a failed sign-in. */
function loginFailure(error: unknown): unknown {
  if (error instanceof MfaCodeRefusedError) {
    return new CliError(
      msg(
        'MFA コードが正しくないか、期限切れです。認証アプリの新しいコードで kura login をやり直してください。',
        'The MFA code is wrong or expired: run kura login again with a fresh code from your authenticator app.',
      ),
    );
  }
  if (error instanceof SignInRefusedError) {
    return new CliError(
      msg('ユーザー名またはパスワードが正しくありません。', 'The user name or password is not right.'),
    );
  }
  if (error instanceof UnsupportedChallengeError) {
    return new CliError(
      msg(
        `Cognito が kura login では対応していない認証手順（${error.challenge}）を求めています。初回のパスワード変更や MFA の登録はブラウザーで済ませてから、もう一度実行してください。`,
        `Cognito asks for a step kura login does not support (${error.challenge}): finish it first (e.g. set a new password or register MFA in the browser), then run kura login again.`,
      ),
    );
  }
  return error;
}
