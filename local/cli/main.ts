import { resolve } from 'node:path';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { ROLES, type Role } from '../../functions/domain/auth/principal.ts';
import { type Lang, langFromLocale, type Message, msg, pick } from '../../functions/domain/i18n.ts';
import { loadSigningKeys, mintToken, NoSigningKeyError } from '../tokens.ts';

/** A CLI failure the user can fix, in both languages. */
export class CliError extends Error {
  override readonly name = 'CliError';
  readonly userMessage: Message;
  constructor(userMessage: Message) {
    super(userMessage.en);
    this.userMessage = userMessage;
  }
}

const TENANT_ROLES: readonly Role[] = ['tenant', 'supporter'];
function parseRole(value: string): Role {
  const role = ROLES.find((r) => r === value);
  if (!role) throw new InvalidArgumentError(`use one of ${ROLES.join(', ')}`);
  return role;
}

function parseTtl(value: string): number {
  const seconds = Number.parseInt(value, 10);
  if (!Number.isInteger(seconds) || seconds < 60 || seconds > 86_400) {
    throw new InvalidArgumentError('use a number of seconds from 60 to 86400');
  }
  return seconds;
}

export interface CliIo {
  readonly write: (text: string) => void;
  readonly writeErr: (text: string) => void;
  readonly env: NodeJS.ProcessEnv;
}

const processIo: CliIo = {
  write: (text) => process.stdout.write(text),
  writeErr: (text) => process.stderr.write(text),
  env: process.env,
};

/** The `kura` command line; `argv` as process.argv. Resolves to the exit code. */
export async function runCli(argv: readonly string[], io: CliIo = processIo): Promise<number> {
  const defaultLang = langFromLocale(io.env.LANG);
  const program = new Command()
    .name('kura')
    .description('Kura (蔵) local tools / ローカル環境のツール')
    .addOption(
      new Option('--lang <lang>', 'message language / 表示言語').choices(['ja', 'en']).default(defaultLang),
    )
    .option('--data-dir <dir>', 'local data folder / データフォルダ', io.env.KURA_DATA_DIR ?? '.kura-data')
    .exitOverride()
    .configureOutput({ writeOut: io.write, writeErr: io.writeErr });

  program
    .command('token')
    .description('print a locally signed token for a demo user / デモ用のトークンを表示')
    .option('--tenant <tenantId>', 'company (tenant) id, e.g. demo-a / 会社 ID')
    .option('--role <role>', 'tenant | admin | supporter | support', parseRole, 'tenant' as Role)
    .option('--ttl <seconds>', 'lifetime in seconds / 有効期間（秒）', parseTtl, 3600)
    .action(async (options: { tenant?: string; role: Role; ttl: number }) => {
      const { dataDir } = program.opts<{ dataDir: string }>();
      if (TENANT_ROLES.includes(options.role) && !options.tenant) {
        throw new CliError(
          msg(
            `ロール ${options.role} には --tenant が必要です（例: --tenant demo-a）。`,
            `Role ${options.role} needs --tenant (e.g. --tenant demo-a).`,
          ),
        );
      }
      if (options.tenant && !/^[a-z0-9][a-z0-9-]{2,62}$/.test(options.tenant)) {
        throw new CliError(
          msg(
            '--tenant は英小文字・数字・ハイフンで 3〜63 文字にしてください。',
            '--tenant must be 3–63 lowercase letters, digits or hyphens.',
          ),
        );
      }
      let keys: Awaited<ReturnType<typeof loadSigningKeys>>;
      try {
        keys = await loadSigningKeys(resolve(dataDir));
      } catch (error) {
        if (!(error instanceof NoSigningKeyError)) throw error;
        throw new CliError(
          msg(
            `${resolve(dataDir)} に署名鍵がありません。先に npm start でローカル環境を起動してください。`,
            `No signing key in ${resolve(dataDir)}: start the local platform first (npm start).`,
          ),
        );
      }
      io.write(
        `${await mintToken(keys, { role: options.role, tenantId: options.tenant, expiresInSeconds: options.ttl })}\n`,
      );
    });

  try {
    await program.parseAsync([...argv]);
    return 0;
  } catch (error) {
    if (error instanceof CliError) {
      io.writeErr(`${pick(error.userMessage, program.opts<{ lang?: Lang }>().lang ?? defaultLang)}\n`);
      return 1;
    }
    // Commander has printed its own usage message.
    if (error instanceof CommanderError) return error.exitCode;
    throw error;
  }
}

/** Run as a program (bin/kura.js). */
export async function main(): Promise<void> {
  process.exitCode = await runCli(process.argv);
}
