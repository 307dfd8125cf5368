/**
 * The conventions `kura` keeps, as `gh` and `aws` do: exit codes (0 success, 1 failure, 2 usage
 * error) for every command, `--version`, the global options in every command's help, Japanese unless
 * English is asked for, and no stack trace for an error the user can act on. No platform runs here:
 * every command that needs one fails with exit 1.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../../local/cli/main.ts';

const KURA_BIN = fileURLToPath(new URL('../../../bin/kura.js', import.meta.url));
/** A file that exists, so that upload's usage errors are not about the file. */
const A_FILE = fileURLToPath(new URL('../../../package.json', import.meta.url));
const PACKAGE_VERSION: string = JSON.parse(
  await readFile(new URL('../../../package.json', import.meta.url), 'utf8'),
).version;

let dataDir: string;
beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'kura-cli-conventions-'));
});
afterAll(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

/** `kura <args>` in-process with an empty data folder (no platform) and the given environment. */
async function kura(args: readonly string[], env: NodeJS.ProcessEnv = { LANG: 'en_US.UTF-8' }) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(['node', 'kura', '--data-dir', dataDir, ...args], {
    write: (text) => void out.push(text),
    writeErr: (text) => void err.push(text),
    env,
  });
  return { code, stdout: out.join(''), stderr: err.join('') };
}

/** The real program, as `npx kura` runs it. */
function kuraProcess(args: readonly string[], env: NodeJS.ProcessEnv) {
  const { FORCE_TTY: _tty, VITEST: _vitest, KURA_LANG: _lang, ...inherited } = process.env;
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    execFile(
      process.execPath,
      [KURA_BIN, '--data-dir', dataDir, ...args],
      { env: { ...inherited, LANG: '', LC_ALL: '', LC_MESSAGES: '', ...env } },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : null) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

const STACK_TRACE = /\n\s+at .+\(.+:\d+:\d+\)/;

/** Every usage error of every command: exit 2 and a message, before anything is sent. */
const USAGE_ERRORS: ReadonlyArray<readonly [string, readonly string[]]> = [
  ['an unknown command', ['frobnicate']],
  ['an unknown option', ['--frob', 'status']],
  ['a language that is neither ja nor en', ['--lang', 'fr', 'status']],
  ['a global option without its value', ['status', '--data-dir']],
  ['token: an unknown role', ['token', '--role', 'nope']],
  ['token: a lifetime that is not a number', ['token', '--ttl', 'abc']],
  ['token: a lifetime out of range', ['token', '--ttl', '5']],
  ['token: a tenant role without --tenant', ['token']],
  ['token: a malformed --tenant', ['--tenant', 'Bad_Id!', 'token']],
  ['upload: no file', ['upload']],
  ['upload: no --dataset', ['upload', 'x.csv']],
  ['upload: --wait that is not a number', ['upload', A_FILE, '--dataset', 'sales', '--wait', 'abc']],
  [
    'upload: part of the consent',
    ['upload', A_FILE, '--dataset', 'employees', '--consent-method', 'written'],
  ],
  [
    'upload: an unknown consent method',
    [
      'upload',
      A_FILE,
      '--dataset',
      'employees',
      '--consent-method',
      'fax',
      '--consent-date',
      '2026-04-01',
      '--attested-by',
      '人事部長',
    ],
  ],
  ['upload: a file that cannot be read', ['upload', '/nonexistent/x.csv', '--dataset', 'sales']],
  ['upload: an unknown --profile', ['upload', A_FILE, '--dataset', 'sales', '--profile', 'nope']],
  ['mapping set: no --column', ['mapping', 'set', 'attendance']],
  ['mapping set: a --column without "="', ['mapping', 'set', 'attendance', '--column', '社員CD']],
  ['status: too many arguments', ['status', 'a', 'b']],
  ['withdraw: no upload id', ['withdraw']],
  ['stats: --limit that is not a number', ['stats', '--limit', 'abc']],
  ['stats: --limit below 1', ['stats', '--limit', '0']],
  ['stats: an unknown statistic', ['stats', 'no_such_statistic']],
  ['benchmark: no statistic', ['benchmark']],
  ['benchmark: an unknown statistic', ['benchmark', 'no_such_statistic']],
  ['benchmark: a malformed --period', ['benchmark', 'overtime_hours_monthly', '--period', '2025-13']],
  ['purge: no --tenant', ['purge']],
  ['purge: a malformed --tenant', ['purge', '--tenant', 'X!']],
  ['release: an extra argument', ['release', 'now']],
  ['certificate: no tenant id', ['certificate']],
  ['certificate: a malformed tenant id', ['certificate', 'Bad!']],
  ['ledger: no subcommand', ['ledger']],
  ['ledger: an unknown subcommand', ['ledger', 'frob']],
  ['ledger verify: an extra argument', ['ledger', 'verify', 'now']],
  ['ledger export: an unknown option', ['ledger', 'export', '--force']],
  ['admin: an unknown subcommand', ['admin', 'frob']],
  ['admin tenants: --limit that is not a number', ['admin', 'tenants', '--limit', 'abc']],
  ['support inspect: no --tenant', ['support', 'inspect']],
  ['support inspect: --limit above 100', ['support', 'inspect', '--tenant', 'demo-a', '--limit', '500']],
  ['support request: no --purpose', ['support', 'request', '--tenant', 'demo-a']],
  [
    'support request: a duration above 24 hours',
    ['support', 'request', '--tenant', 'demo-a', '--purpose', 'Find why it fails', '--duration', '2d'],
  ],
  ['support approve: no grant id', ['support', 'approve']],
  ['support refuse: no grant id', ['support', 'refuse']],
  ['support revoke: no grant id', ['support', 'revoke']],
  ['support export: no --upload', ['support', 'export', 'demo-a.grant']],
  ['support export: an unknown --kind', ['support', 'export', 'g', '--upload', 'u', '--kind', 'everything']],
  ['support grants --as-tenant: no --tenant', ['support', 'grants', '--as-tenant']],
  ['--endpoint without --token', ['--endpoint', 'https://api.example.invalid', 'status']],
];

/** Commands that need something that is not there: exit 1 with a message saying what to do. */
const FAILURES: ReadonlyArray<readonly [string, readonly string[], RegExp]> = [
  ['status without a running platform', ['status'], /No local platform is running/],
  ['stats without a running platform', ['stats'], /No local platform is running/],
  ['admin tenants without a running platform', ['admin', 'tenants'], /No local platform is running/],
  ['ledger verify without a running platform', ['ledger', 'verify'], /No local platform is running/],
  ['ledger export without a running platform', ['ledger', 'export'], /No local platform is running/],
  ['token without a signing key', ['token', '--tenant', 'demo-a'], /No signing key/],
  [
    'ledger verify against a deployed stack without its environment',
    ['--endpoint', 'https://api.example.invalid', '--token', 't', 'ledger', 'verify'],
    /KURA_STAGE is not set.*KURA_TABLE_LEDGER, KURA_BUCKET_AUDIT/s,
  ],
  [
    'status against an API nobody listens on',
    ['--endpoint', 'http://127.0.0.1:1', '--token', 't', 'status'],
    /Cannot connect/,
  ],
];

describe('kura exit codes', () => {
  it.each(USAGE_ERRORS)('exits 2 on a usage error: %s', async (_case, args) => {
    // Act
    const result = await kura(args);

    // Assess
    expect(result.code).toBe(2);
    expect(result.stderr.trim()).not.toBe('');
    expect(result.stderr).not.toMatch(STACK_TRACE);
  });

  it("names what a usage error is missing in the user's language first, then Commander's own line", async () => {
    // Act
    const ja = await kura(['upload', 'x.csv'], { LANG: 'ja_JP.UTF-8' });
    const en = await kura(['upload', 'x.csv']);

    // Assess
    expect(ja.stderr.split('\n')[0]).toBe(
      '必須のオプションが指定されていません: --dataset <name>。使い方は kura <コマンド> --help で表示します。',
    );
    expect(ja.stderr).toContain("error: required option '--dataset <name>' not specified");
    expect(en.stderr.split('\n')[0]).toBe(
      'A required option is missing: --dataset <name>. See kura <command> --help for usage.',
    );
  });

  it('names a missing argument before a missing option (the file before --dataset, the grant before --upload)', async () => {
    // Act
    const upload = await kura(['upload'], { LANG: 'ja_JP.UTF-8' });
    const exported = await kura(['support', 'export']);

    // Assess
    expect(upload.code).toBe(2);
    expect(upload.stderr.split('\n')[0]).toBe(
      '必要な引数がありません: file。使い方は kura <コマンド> --help で表示します。',
    );
    expect(exported.code).toBe(2);
    expect(exported.stderr.split('\n')[0]).toBe(
      'A required argument is missing: grantId. See kura <command> --help for usage.',
    );
  });

  it.each(FAILURES)('exits 1 with what to do: %s', async (_case, args, says) => {
    // Act
    const result = await kura(args);

    // Assess
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(says);
    expect(result.stderr).not.toMatch(STACK_TRACE);
  });

  it.each([
    [['--help']],
    [['help']],
    [['help', 'stats']],
    [['stats', '--help']],
    [['support', 'export', '--help']],
  ])('exits 0 for help: %j', async (args) => {
    // Act
    const result = await kura(args);

    // Assess
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^Usage: kura/);
  });

  it('prints the version from package.json and exits 0, as a real process', async () => {
    // Act
    const long = await kuraProcess(['--version'], {});
    const short = await kuraProcess(['-V'], {});

    // Assess
    expect(PACKAGE_VERSION).toMatch(/^\d+\.\d+\.\d+/);
    expect(long).toMatchObject({ code: 0, stdout: `${PACKAGE_VERSION}\n` });
    expect(short).toMatchObject({ code: 0, stdout: `${PACKAGE_VERSION}\n` });
  });

  it('gives the process exit codes 2 and 1, with messages and no stack trace', async () => {
    // Act
    const usage = await kuraProcess(['stats', '--limit', 'abc'], {});
    const failure = await kuraProcess(['ledger', 'verify'], {});

    // Assess
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/--limit/);
    expect(failure.code).toBe(1);
    expect(failure.stderr).toContain('ローカル環境が動いていません');
    expect(failure.stderr).not.toMatch(STACK_TRACE);
  });
});

/** The names under "Commands:" in a help text (without `help` itself). */
function commandsIn(help: string): string[] {
  const section = help.split(/\nCommands:\n/)[1] ?? '';
  return section
    .split('\n')
    .map((line) => /^ {2}([a-z-]+)/.exec(line)?.[1])
    .filter((name): name is string => name !== undefined && name !== 'help');
}

describe('kura help', () => {
  it("lists the global options in every command's help", async () => {
    // Prepare: every command and subcommand, as the help lists them
    const paths: string[][] = [];
    for (const name of commandsIn((await kura(['--help'])).stdout)) {
      const subcommands = commandsIn((await kura([name, '--help'])).stdout);
      paths.push([name], ...subcommands.map((sub) => [name, sub]));
    }

    // Act
    const helps = await Promise.all(
      paths.map(async (path) => [path.join(' '), await kura([...path, '--help'])] as const),
    );

    // Assess
    expect(paths.map((p) => p.join(' '))).toEqual(
      expect.arrayContaining(['upload', 'stats', 'ledger verify', 'admin tenants', 'support export']),
    );
    for (const [path, help] of helps) {
      expect(help.code, path).toBe(0);
      for (const option of [
        'Global Options:',
        '--lang',
        '--data-dir',
        '--endpoint',
        '--token',
        '--tenant',
        '--json',
      ]) {
        expect(help.stdout, `${path} --help shows ${option}`).toContain(option);
      }
    }
  });
});

describe('kura language', () => {
  it.each([
    ['no locale', {}, 'ja'],
    ['LANG=C.UTF-8', { LANG: 'C.UTF-8' }, 'ja'],
    ['LANG=POSIX', { LANG: 'POSIX' }, 'ja'],
    ['LANG=ja_JP.UTF-8', { LANG: 'ja_JP.UTF-8' }, 'ja'],
    ['LANG=en_US.UTF-8', { LANG: 'en_US.UTF-8' }, 'en'],
    ['LC_ALL=en_GB.UTF-8 over LANG=ja_JP.UTF-8', { LANG: 'ja_JP.UTF-8', LC_ALL: 'en_GB.UTF-8' }, 'en'],
    ['KURA_LANG=en over LANG=ja_JP.UTF-8', { LANG: 'ja_JP.UTF-8', KURA_LANG: 'en' }, 'en'],
    ['KURA_LANG=ja over LANG=en_US.UTF-8', { LANG: 'en_US.UTF-8', KURA_LANG: 'ja' }, 'ja'],
  ] as const)('answers with %s in %s', async (_case, env, lang) => {
    // Act
    const result = await kura(['status'], env);

    // Assess
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      lang === 'ja' ? /ローカル環境が動いていません/ : /No local platform is running/,
    );
  });

  it('lets --lang win over KURA_LANG and the locale', async () => {
    // Act
    const english = await kura(['--lang', 'en', 'status'], { KURA_LANG: 'ja', LANG: 'ja_JP.UTF-8' });
    const japanese = await kura(['--lang', 'ja', 'status'], { KURA_LANG: 'en', LANG: 'en_US.UTF-8' });

    // Assess
    expect(english.stderr).toMatch(/No local platform is running/);
    expect(japanese.stderr).toMatch(/ローカル環境が動いていません/);
  });

  it('names an unknown statistic in Japanese by default', async () => {
    // Act
    const result = await kura(['stats', 'no_such_statistic'], { LANG: 'C.UTF-8' });

    // Assess
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('統計「no_such_statistic」はありません');
    expect(result.stderr).toContain('overtime_hours_monthly');
  });

  it('refuses a KURA_LANG it cannot read, in both languages, as a usage error', async () => {
    // Act
    const result = await kura(['status'], { KURA_LANG: 'fr' });

    // Assess
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('KURA_LANG には ja か en を指定してください');
    expect(result.stderr).toContain('KURA_LANG must be ja or en');
  });
});
