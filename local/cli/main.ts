import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { MissingEnvironmentError } from '../../functions/adapters/env.ts';
import { ROLES, type Role } from '../../functions/domain/auth/principal.ts';
import {
  type Lang,
  langFromEnvironment,
  type Message,
  msg,
  pick,
  UnknownLanguageError,
} from '../../functions/domain/i18n.ts';
import { STATISTICS, UnknownStatisticError } from '../../functions/domain/stats/statistics.ts';
import { KuraApiError } from '../client.ts';
import { loadSigningKeys, mintAccountToken, NoSigningKeyError } from '../tokens.ts';
import { registerAdminCommands } from './admin.ts';
import { requireTenantId } from './arguments.ts';
import { registerBiCommands } from './bi.ts';
import { CliContext, CliError, type CliIo, type GlobalOptions } from './context.ts';
import { registerLoginCommands } from './login.ts';
import { registerMappingCommands } from './mappings.ts';
import { SecretInputCancelledError, stdinSecretReader } from './secret-input.ts';
import { registerStatsCommands } from './stats.ts';
import { registerSupportCommands } from './support.ts';
import { registerUploadCommands } from './uploads.ts';

export { CliError, type CliIo } from './context.ts';

/**
 * Exit codes, as well-known CLIs use them: 0 success; 1 a failure or an outcome that is not a
 * success (an upload not accepted in full, a tampered ledger, an API error, no platform to talk to);
 * 2 a usage error (an unknown command or option, a missing or malformed value).
 */
export const EXIT = { ok: 0, failure: 1, usage: 2 } as const;

/** Kura's version, from package.json (`kura --version`). */
const VERSION: string = JSON.parse(
  readFileSync(new URL('../../package.json', import.meta.url), 'utf8'),
).version;

const TENANT_ROLES: readonly Role[] = ['tenant', 'supporter'];
function parseRole(value: string): Role {
  const role = ROLES.find((r) => r === value);
  if (!role)
    throw new InvalidArgumentError(`${ROLES.join('、')} のいずれか / use one of ${ROLES.join(', ')}`);
  return role;
}

function parseTtl(value: string): number {
  const seconds = /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isInteger(seconds) || seconds < 60 || seconds > 86_400) {
    throw new InvalidArgumentError(
      '60〜86400 の秒数にしてください / use a number of seconds from 60 to 86400',
    );
  }
  return seconds;
}

const processIo: CliIo = {
  write: (text) => process.stdout.write(text),
  writeErr: (text) => process.stderr.write(text),
  env: process.env,
  progressStream: process.stderr,
  readSecret: stdinSecretReader(),
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
          EXIT.usage,
        );
      }
      if (tenant !== undefined) requireTenantId(tenant);
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
        `${await mintAccountToken(resolve(ctx.options.dataDir), keys, { role: options.role, tenantId: tenant, expiresInSeconds: options.ttl })}\n`,
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
  registerMappingCommands,
  registerStatsCommands,
  registerAdminCommands,
  registerSupportCommands,
  registerBiCommands,
  registerLoginCommands,
];

/** `--lang ja|en` (or `--lang=…`) as written on the command line, before it is parsed. */
function langInArgv(argv: readonly string[]): Lang | undefined {
  for (const [index, arg] of argv.entries()) {
    const value = arg === '--lang' ? argv[index + 1] : arg.startsWith('--lang=') ? arg.slice(7) : undefined;
    if (value === 'ja' || value === 'en') return value;
  }
  return undefined;
}

/** What a usage error means, in the user's language, after Commander's own (English) line. */
const USAGE_HINTS: Readonly<Record<string, Message>> = {
  'commander.unknownOption': msg('そのオプションはありません。', 'There is no such option.'),
  'commander.unknownCommand': msg('そのコマンドはありません。', 'There is no such command.'),
  'commander.missingArgument': msg('必要な引数がありません。', 'A required argument is missing.'),
  'commander.optionMissingArgument': msg('オプションの値がありません。', 'An option is missing its value.'),
  'commander.missingMandatoryOptionValue': msg(
    '必須のオプションが指定されていません。',
    'A required option is missing.',
  ),
  'commander.invalidArgument': msg('値が正しくありません。', 'A value is not valid.'),
  'commander.excessArguments': msg('引数が多すぎます。', 'There are too many arguments.'),
};

const USAGE = msg('使い方は kura <コマンド> --help で表示します。', 'See kura <command> --help for usage.');

/**
 * A usage error in the user's language, naming what Commander's (English) line names: the first quoted
 * option, argument or command in it (`required option '--dataset <name>' not specified`).
 */
function usageMessage(hint: Message, commanderLine: string): Message {
  const named = /'([^']{1,80})'/.exec(commanderLine)?.[1];
  const ja = named ? `${hint.ja.replace(/。$/, '')}: ${named}。` : hint.ja;
  const en = named ? `${hint.en.replace(/\.$/, '')}: ${named}.` : hint.en;
  return msg(ja + USAGE.ja, `${en} ${USAGE.en}`);
}

/** A command and every command under it. */
function commandsOf(command: Command): Command[] {
  return [command, ...command.commands.flatMap(commandsOf)];
}

/**
 * Commander checks a command's required options before its arguments, so `kura upload` with nothing
 * after it complained about `--dataset` before the file it needs first. In a command with a required
 * argument, its required options are checked after the arguments instead (just before the action),
 * with Commander's own error, so the message is the same either way.
 */
function argumentsBeforeOptions(command: Command): void {
  if (!command.registeredArguments.some((argument) => argument.required)) return;
  const required = command.options.filter((option) => option.mandatory);
  if (required.length === 0) return;
  for (const option of required) option.mandatory = false;
  command.hook('preAction', () => {
    for (const option of required) {
      if (command.getOptionValue(option.attributeName()) === undefined) {
        command.error(`error: required option '${option.flags}' not specified`, {
          code: 'commander.missingMandatoryOptionValue',
        });
      }
    }
  });
}

/** Errors that mean "the platform or API could not be reached" (fetch, the AWS SDK, sockets). */
function isUnreachable(error: unknown): boolean {
  const codes = ['ECONNREFUSED', 'ENOTFOUND', 'ECONNRESET', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH'];
  const code = (e: unknown) => (e as { code?: unknown } | undefined)?.code;
  if (error instanceof TypeError && /fetch failed/.test(error.message)) return true;
  return codes.includes(String(code(error))) || codes.includes(String(code((error as Error)?.cause)));
}

/** The bilingual message and exit code for an error a command let through. */
function failureOf(error: unknown, io: CliIo): { readonly message: Message; readonly code: number } {
  if (error instanceof CliError) return { message: error.userMessage, code: error.exitCode };
  if (error instanceof KuraApiError) return { message: error.userMessage, code: EXIT.failure };
  if (error instanceof UnknownStatisticError) {
    const known = STATISTICS.map((stat) => stat.name).join(', ');
    return {
      message: msg(`統計「${error.statistic}」はありません。公表している統計: ${known}`, error.message),
      code: EXIT.usage,
    };
  }
  if (error instanceof UnknownLanguageError) return { message: error.userMessage, code: EXIT.usage };
  if (error instanceof SecretInputCancelledError) {
    return { message: msg('中止しました。', 'Cancelled.'), code: EXIT.failure };
  }
  if (error instanceof MissingEnvironmentError) {
    return {
      message: msg(
        `環境変数 ${error.variable} が設定されていません（または正しくありません）。運用環境（--endpoint）の台帳コマンドは台帳テーブルと監査用バケットを直接読むため、KURA_STAGE、KURA_TABLE_LEDGER、KURA_BUCKET_AUDIT、AWS_REGION と読み取り権限のある AWS 認証情報が必要です（docs/OPERATIONS.md）。ローカル環境なら --endpoint を付けずに実行してください。`,
        `${error.message} Against a deployed stack (--endpoint), ledger commands read the ledger table and the audit bucket directly: they need KURA_STAGE, KURA_TABLE_LEDGER, KURA_BUCKET_AUDIT, AWS_REGION and AWS credentials that may read both (docs/OPERATIONS.md). For the local platform, leave out --endpoint.`,
      ),
      code: EXIT.failure,
    };
  }
  if ((error as Error | undefined)?.name === 'CredentialsProviderError') {
    return {
      message: msg(
        'AWS の認証情報が見つかりません。AWS_PROFILE や aws sso login などで認証情報を用意してください。',
        'No AWS credentials were found: set up credentials (AWS_PROFILE, aws sso login, …) first.',
      ),
      code: EXIT.failure,
    };
  }
  if (isUnreachable(error)) {
    return {
      message: msg(
        '接続できません。ローカル環境（npm start）が動いているか、--endpoint が正しいかを確認してください。',
        'Cannot connect: is the local platform (npm start) running, or is --endpoint right?',
      ),
      code: EXIT.failure,
    };
  }
  const detail = error instanceof Error ? error.message : String(error);
  const stack = io.env.KURA_DEBUG && error instanceof Error && error.stack ? `\n${error.stack}` : '';
  return {
    message: msg(
      `予期しないエラーです: ${detail}（詳細は KURA_DEBUG=1 を付けて再実行）${stack}`,
      `Unexpected error: ${detail} (run again with KURA_DEBUG=1 for details)${stack}`,
    ),
    code: EXIT.failure,
  };
}

/** The `kura` command line; `argv` as process.argv. Resolves to the exit code. */
export async function runCli(argv: readonly string[], io: CliIo = processIo): Promise<number> {
  let defaultLang: Lang;
  try {
    defaultLang = langFromEnvironment(io.env);
  } catch (error) {
    if (!(error instanceof UnknownLanguageError)) throw error;
    // No language to choose from: both.
    io.writeErr(`${error.userMessage.ja}\n${error.userMessage.en}\n`);
    return EXIT.usage;
  }
  const argvLang = langInArgv(argv) ?? defaultLang;
  const program = new Command()
    .name('kura')
    .description('Kura (蔵): uploads, statistics and administration / アップロード・統計・管理')
    .version(VERSION, '-V, --version', 'show the version / バージョンを表示')
    .helpOption('-h, --help', 'show help / ヘルプを表示')
    .helpCommand('help [command]', 'show help for a command / コマンドのヘルプを表示')
    .addOption(
      new Option('--lang <lang>', 'message language: KURA_LANG, else LANG if ja_*/en_*, else ja / 表示言語')
        .choices(['ja', 'en'])
        .default(defaultLang),
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
    // Every subcommand's help lists these options too; the settings below are inherited by every
    // command added after them.
    .configureHelp({ showGlobalOptions: true })
    .exitOverride()
    // Commander's own error line (English) is held back, to follow the user's-language line below.
    .configureOutput({
      writeOut: io.write,
      writeErr: io.writeErr,
      outputError: (text) => {
        commanderError += text;
      },
    });
  let commanderError = '';
  const context = () => new CliContext(io, program.opts<GlobalOptions>());
  for (const register of COMMAND_MODULES) register(program, context);
  for (const command of commandsOf(program)) argumentsBeforeOptions(command);

  const lang = (): Lang => program.opts<{ lang?: Lang }>().lang ?? argvLang;
  try {
    await program.parseAsync([...argv]);
    return EXIT.ok;
  } catch (error) {
    // Commander has printed its own message; help and version exit 0, the rest are usage errors.
    if (error instanceof CommanderError) {
      if (error.exitCode === 0) return EXIT.ok;
      const hint = USAGE_HINTS[error.code];
      if (hint) io.writeErr(`${pick(usageMessage(hint, commanderError), argvLang)}\n`);
      if (commanderError) io.writeErr(commanderError);
      return EXIT.usage;
    }
    const failure = failureOf(error, io);
    io.writeErr(`${pick(failure.message, lang())}\n`);
    return failure.code;
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
