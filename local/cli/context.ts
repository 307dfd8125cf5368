import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Role } from '../../functions/domain/auth/principal.ts';
import { type Lang, type Message, msg, pick } from '../../functions/domain/i18n.ts';
import { KuraClient } from '../client.ts';
import { loadSigningKeys, mintAccountToken, NoSigningKeyError } from '../tokens.ts';
import { cachedIdToken, SessionExpiredError } from './session.ts';

/** A CLI failure the user can fix, in both languages; `exitCode` 1 (failure) unless a usage error (2). */
export class CliError extends Error {
  override readonly name: string = 'CliError';
  readonly userMessage: Message;
  readonly exitCode: number;
  constructor(userMessage: Message, exitCode = 1) {
    super(userMessage.en);
    this.userMessage = userMessage;
    this.exitCode = exitCode;
  }
}

/** The command finished and its outcome is a failure (an upload not accepted, a tampered ledger). */
export class CliOutcomeError extends CliError {
  override readonly name = 'CliOutcomeError';
}

export interface CliIo {
  readonly write: (text: string) => void;
  readonly writeErr: (text: string) => void;
  readonly env: NodeJS.ProcessEnv;
  /** Where progress bars are drawn (a terminal gets a bar); absent, progress is plain lines on writeErr. */
  readonly progressStream?: NodeJS.WritableStream & { isTTY?: boolean };
  /** Reads a secret (password, MFA code) without echo on a terminal, else a line of stdin. */
  readonly readSecret?: (prompt: string) => Promise<string>;
}

/** Global options every command reads. */
export interface GlobalOptions {
  readonly lang: Lang;
  readonly dataDir: string;
  readonly endpoint?: string;
  readonly token?: string;
  readonly tenant?: string;
  readonly json?: boolean;
}

/** Where the running local platform listens (written by `npm start` into the data folder). */
export interface LocalPlatformInfo {
  readonly apiUrl: string;
  readonly s3Url: string;
  readonly dynamoUrl: string;
}
export const PLATFORM_INFO_FILE = 'platform.json';

/** Default demo company for local tenant tokens (the first synthetic company, which has data). */
export const DEFAULT_LOCAL_TENANT = 'demo-0001';

export class CliContext {
  readonly io: CliIo;
  readonly options: GlobalOptions;
  constructor(io: CliIo, options: GlobalOptions) {
    this.io = io;
    this.options = options;
  }

  get lang(): Lang {
    return this.options.lang;
  }
  get json(): boolean {
    return this.options.json === true;
  }
  /** Against the local platform (no --endpoint / KURA_ENDPOINT). */
  get local(): boolean {
    return !this.options.endpoint;
  }
  t(message: Message): string {
    return pick(message, this.lang);
  }

  /** Human output (suppressed with --json). */
  say(text: string): void {
    if (!this.json) this.io.write(text.endsWith('\n') ? text : `${text}\n`);
  }
  /** Machine output (only with --json). */
  emit(value: unknown): void {
    if (this.json) this.io.write(`${JSON.stringify(value, null, 2)}\n`);
  }
  /** Progress and notes go to stderr, so stdout stays the result. */
  note(text: string): void {
    this.io.writeErr(text.endsWith('\n') ? text : `${text}\n`);
  }

  async platformInfo(): Promise<LocalPlatformInfo> {
    const dir = resolve(this.options.dataDir);
    try {
      return JSON.parse(await readFile(join(dir, PLATFORM_INFO_FILE), 'utf8')) as LocalPlatformInfo;
    } catch {
      throw new CliError(
        msg(
          `${dir} でローカル環境が動いていません。別のターミナルで npm start を実行するか、--endpoint と --token で接続先を指定してください。`,
          `No local platform is running for ${dir}: run npm start in another terminal, or pass --endpoint and --token.`,
        ),
      );
    }
  }

  async endpoint(): Promise<string> {
    return this.options.endpoint ?? (await this.platformInfo()).apiUrl;
  }

  /**
   * A token: --token / KURA_TOKEN; with --endpoint, else the id token `kura login` cached (refreshed when it
   * expires within five minutes); locally, one minted with the data folder's key for the role.
   */
  async token(role: Role): Promise<string> {
    if (this.options.token) return this.options.token;
    if (this.options.endpoint) {
      let cached: string | undefined;
      try {
        cached = await cachedIdToken(this.io.env, this.options.endpoint);
      } catch (error) {
        if (!(error instanceof SessionExpiredError)) throw error;
        throw new CliError(
          msg(
            `${this.options.endpoint} へのサインインの有効期限が切れました。kura login --endpoint ${this.options.endpoint} --username <ユーザー名> でもう一度サインインしてください。`,
            `Your sign-in to ${this.options.endpoint} has expired: sign in again with kura login --endpoint ${this.options.endpoint} --username <name>.`,
          ),
        );
      }
      if (cached) return cached;
      throw new CliError(
        msg(
          '--endpoint を指定したときは、先に kura login でサインインするか、--token（または KURA_TOKEN）で Cognito の ID トークンを指定してください。',
          'With --endpoint, sign in first with kura login, or pass --token (or KURA_TOKEN): a Cognito ID token.',
        ),
        2,
      );
    }
    const dir = resolve(this.options.dataDir);
    try {
      const keys = await loadSigningKeys(dir);
      const tenantId =
        role === 'tenant' || role === 'supporter' ? (this.options.tenant ?? DEFAULT_LOCAL_TENANT) : undefined;
      return await mintAccountToken(dir, keys, { role, tenantId });
    } catch (error) {
      if (!(error instanceof NoSigningKeyError)) throw error;
      throw new CliError(
        msg(
          `${dir} に署名鍵がありません。先に npm start でローカル環境を起動してください。`,
          `No signing key in ${dir}: start the local platform first (npm start).`,
        ),
      );
    }
  }

  async client(role: Role): Promise<KuraClient> {
    return new KuraClient({
      endpoint: await this.endpoint(),
      token: await this.token(role),
      lang: this.lang,
    });
  }
}
