import { resolve } from 'node:path';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { ROLES, type Role } from '../../functions/domain/auth/principal.ts';
import { type Lang, langFromLocale, msg, pick } from '../../functions/domain/i18n.ts';
import { UnknownStatisticError } from '../../functions/domain/stats/catalog.ts';
import { KuraApiError } from '../client.ts';
import { loadSigningKeys, mintToken, NoSigningKeyError } from '../tokens.ts';
import { registerAdminCommands } from './admin.ts';
import { CliContext, CliError, type CliIo, type GlobalOptions } from './context.ts';
import { registerStatsCommands } from './stats.ts';
import { registerSupportCommands } from './support.ts';
import { registerUploadCommands } from './uploads.ts';

export { CliError, type CliIo } from './context.ts';

/**
 * Exit codes, as well-known CLIs use them: 0 success; 1 a failure or an outcome that is not a
 * success (an upload not accepted in full, a tampered ledger, an API error); 2 a usage error.
 */
export const EXIT = { ok: 0, failure: 1, usage: 2 } as const;

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

const processIo: CliIo = {
  write: (text) => process.stdout.write(text),
  writeErr: (text) => process.stderr.write(text),
  env: process.env,
  progressStream: process.stderr,
};

/** `kura token`: a locally signed token for a demo user. */
function registerTokenCommand(program: Command, context: () => CliContext): void {
  program
    .command('token')
    .description('print a locally signed token for a demo user / デモ用のトークンを表示')
    .option('--role <role>', 'tenant | admin | supporter | support', parseRole, 'tenant' as Role)
    .option('--ttl <seconds>', 'lifetime in seconds / 有効期間（秒）', parseTtl, 3600)
    .action(async (options: { role: Role; ttl: number }) => {
      const ctx = context();
      const tenant = ctx.options.tenant;
      if (TENANT_ROLES.includes(options.role) && !tenant) {
        throw new CliError(
          msg(
            `ロール ${options.role} には --tenant が必要です（例: --tenant demo-a）。`,
            `Role ${options.role} needs --tenant (e.g. --tenant demo-a).`,
          ),
        );
      }
      if (tenant && !/^[a-z0-9][a-z0-9-]{2,62}$/.test(tenant)) {
        throw new CliError(
          msg(
            '--tenant は英小文字・数字・ハイフンで 3〜63 文字にしてください。',
            '--tenant must be 3–63 lowercase letters, digits or hyphens.',
          ),
        );
      }
      let keys: Awaited<ReturnType<typeof loadSigningKeys>>;
      try {
        keys = await loadSigningKeys(resolve(ctx.options.dataDir));
      } catch (error) {
        if (!(error instanceof NoSigningKeyError)) throw error;
        throw new CliError(
          msg(
            `${resolve(ctx.options.dataDir)} に署名鍵がありません。先に npm start でローカル環境を起動してください。`,
            `No signing key in ${resolve(ctx.options.dataDir)}: start the local platform first (npm start).`,
          ),
        );
      }
      ctx.io.write(
        `${await mintToken(keys, { role: options.role, tenantId: tenant, expiresInSeconds: options.ttl })}\n`,
      );
    });
}

/**
 * Modules that add commands: `(program, context) => void`. Registration point for other parts of
 * Kura — e.g. support access adds ONE line here: `registerSupportCommands` from `./support.ts`.
 */
const COMMAND_MODULES: ReadonlyArray<(program: Command, context: () => CliContext) => void> = [
  registerTokenCommand,
  registerUploadCommands,
  registerStatsCommands,
  registerAdminCommands,
  registerSupportCommands,
];

/** The `kura` command line; `argv` as process.argv. Resolves to the exit code. */
export async function runCli(argv: readonly string[], io: CliIo = processIo): Promise<number> {
  const defaultLang = langFromLocale(io.env.LANG);
  const program = new Command()
    .name('kura')
    .description('Kura (蔵): uploads, statistics and administration / アップロード・統計・管理')
    .addOption(
      new Option('--lang <lang>', 'message language / 表示言語').choices(['ja', 'en']).default(defaultLang),
    )
    .option('--data-dir <dir>', 'local data folder / データフォルダ', io.env.KURA_DATA_DIR ?? '.kura-data')
    .option(
      '--endpoint <url>',
      'API of a deployed stack (default: the local platform) / 接続先 API',
      io.env.KURA_ENDPOINT,
    )
    .option('--token <jwt>', 'ID token for --endpoint / ID トークン', io.env.KURA_TOKEN)
    .option(
      '--tenant <tenantId>',
      'company for local tokens (default demo-0001) / 会社 ID',
      io.env.KURA_TENANT,
    )
    .option('--json', 'machine-readable output on stdout / JSON で出力')
    .showHelpAfterError()
    .exitOverride()
    .configureOutput({ writeOut: io.write, writeErr: io.writeErr });
  const context = () => new CliContext(io, program.opts<GlobalOptions>());
  for (const register of COMMAND_MODULES) register(program, context);
  // Subcommands report usage errors through the same override.
  for (const command of program.commands) {
    command.exitOverride().configureOutput({ writeOut: io.write, writeErr: io.writeErr });
    for (const sub of command.commands)
      sub.exitOverride().configureOutput({ writeOut: io.write, writeErr: io.writeErr });
  }

  const lang = (): Lang => program.opts<{ lang?: Lang }>().lang ?? defaultLang;
  try {
    await program.parseAsync([...argv]);
    return EXIT.ok;
  } catch (error) {
    if (error instanceof CliError) {
      io.writeErr(`${pick(error.userMessage, lang())}\n`);
      return error.exitCode;
    }
    if (error instanceof KuraApiError) {
      io.writeErr(`${pick(error.userMessage, lang())}\n`);
      return EXIT.failure;
    }
    if (error instanceof UnknownStatisticError) {
      io.writeErr(`${error.message}\n`);
      return EXIT.usage;
    }
    // Commander has printed its own message; help and version exit 0, the rest are usage errors.
    if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    if (error instanceof TypeError && /fetch failed/.test(error.message)) {
      io.writeErr(
        `${pick(msg('API に接続できません。ローカル環境（npm start）が動いているか、--endpoint を確認してください。', 'Cannot reach the API: is the local platform (npm start) running, or is --endpoint right?'), lang())}\n`,
      );
      return EXIT.failure;
    }
    throw error;
  }
}

/**
 * Resolves once everything written to `stream` so far has been handed to the operating system (a write's
 * callback runs after every earlier write's). On a pipe, Node writes asynchronously: what the reader has
 * not taken yet waits in the process, and `process.exit()` would drop it.
 */
function flushed(stream: NodeJS.WriteStream): Promise<void> {
  if (stream.destroyed || !stream.writable) return Promise.resolve();
  return new Promise((resolveFlush) => stream.write('', () => resolveFlush()));
}

/** Run as a program (bin/kura.js). */
export async function main(): Promise<void> {
  // The reader went away (`kura … | head`): nothing more can be delivered, which is not a failure.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPIPE') throw error;
      stream.destroy();
    });
  }
  process.exitCode = await runCli(process.argv);
  await Promise.all([flushed(process.stdout), flushed(process.stderr)]);
  // Only then exit: SDK clients and fetch keep sockets open that would hold the process for seconds.
  process.exit();
}
