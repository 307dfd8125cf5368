import type { Command } from 'commander';
import { SIZE_BANDS } from '../../functions/domain/company.ts';
import { type Message, msg } from '../../functions/domain/i18n.ts';
import { registerTenantSchema } from '../../functions/domain/tenants/admin.ts';
import { JobFailedError, type JobView, runJob } from '../client.ts';
import { createPhaseProgress } from '../progress.ts';
import { requireTenantId, wholeNumber } from './arguments.ts';
import { type CliContext, CliError, CliOutcomeError } from './context.ts';
import { operatorRuntime } from './operator.ts';
import { renderTable } from './table.ts';

type Json = Record<string, unknown>;

const STATE_LABEL: Readonly<Record<JobView['state'], Message>> = {
  QUEUED: msg('受付済み', 'queued'),
  RUNNING: msg('実行中', 'running'),
  SUCCEEDED: msg('完了', 'done'),
  FAILED: msg('失敗', 'failed'),
  JOINED: msg('実行中の同じ処理に合流', 'joined the one already running'),
};

/** How far a job is, of three phases (queued, running, ended). */
const JOB_PHASE: Readonly<Record<JobView['state'], number>> = {
  QUEUED: 1,
  RUNNING: 2,
  JOINED: 2,
  SUCCEEDED: 3,
  FAILED: 3,
};

/**
 * Starts a job through the admin API and follows it to its end, printing each state; a failed job is
 * exit 1 with its bilingual reason.
 */
async function followJob(
  ctx: CliContext,
  role: 'admin',
  start: { readonly label: string; readonly path: string; readonly body?: unknown },
): Promise<JobView> {
  const client = await ctx.client(role);
  // A terminal gets a bar through the job's phases with the time so far; a pipe or log the plain lines.
  const terminal = ctx.io.progressStream?.isTTY ? ctx.io.progressStream : undefined;
  const bar = terminal && createPhaseProgress({ label: start.label, phases: 3, stream: terminal });
  try {
    return await runJob(client, start, {
      onState: (job) => {
        const text = `${job.kind} ${job.jobId}: ${ctx.t(STATE_LABEL[job.state])}`;
        if (bar) bar.update(JOB_PHASE[job.state], text);
        else ctx.note(text);
      },
    });
  } catch (error) {
    if (error instanceof JobFailedError) {
      throw new CliOutcomeError(error.job.error?.message ?? msg('処理が失敗しました。', 'The job failed.'));
    }
    throw error;
  } finally {
    bar?.stop();
  }
}

/** Names of the fields a job result or a record shows, as the reader reads them; others stay as they are. */
const FIELD_LABELS: Readonly<Record<string, Message>> = {
  jobId: msg('ジョブ ID', 'job id'),
  state: msg('状態', 'state'),
  outcome: msg('結果', 'outcome'),
  releaseId: msg('リリース ID', 'release id'),
  releaseJobId: msg('公表ジョブ ID', 'release job id'),
  contributingTenants: msg('対象の会社', 'companies allowed to contribute'),
  pooledCompanies: msg('集計した会社', 'companies pooled'),
  leftOut: msg('集計しなかった会社', 'companies left out'),
  withoutFacts: msg('データ未登録', 'no data yet'),
  withdrawalUnfinished: msg('取り下げ処理中', 'a withdrawal unfinished'),
  factsOutdated: msg('集計データが古い', 'facts outdated'),
};

const label = (ctx: CliContext, key: string) => {
  const known = FIELD_LABELS[key];
  return known ? ctx.t(known) : key;
};

/** A field's value as text: a nested record as `label value` pairs, other objects as JSON. */
function fieldValue(ctx: CliContext, value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  const entries = Object.entries(value as Json);
  if (!Array.isArray(value) && entries.every(([, v]) => v === null || typeof v !== 'object'))
    return entries.map(([k, v]) => `${label(ctx, k)} ${String(v)}`).join(ctx.lang === 'ja' ? '、' : ', ');
  return JSON.stringify(value);
}

/** An object's fields as a two-column table in the reader's language (fieldValue for nested values). */
const fieldsTable = (ctx: CliContext, object: Json) =>
  renderTable(
    ctx.lang === 'ja' ? ['項目', '値'] : ['field', 'value'],
    Object.entries(object).map(([k, v]) => [label(ctx, k), fieldValue(ctx, v)]),
  );

/** What the certificate says is kept, one store a paragraph, in the caller's language. */
function retainedList(ctx: CliContext, retained: unknown): string {
  if (!Array.isArray(retained) || retained.length === 0) return '';
  const say = (text: unknown) =>
    typeof text === 'object' && text !== null && 'ja' in text && 'en' in text ? ctx.t(text as Message) : '';
  const lines = retained.map((entry: Json) => {
    if (typeof entry.reason === 'string') return `- ${entry.store}: ${entry.reason}`;
    return `- ${entry.store}: ${say(entry.holds)}\n  ${say(entry.why)}\n  ${say(entry.until)}`;
  });
  return `\n${ctx.t(msg('削除後も保持するもの', 'Kept after the deletion'))}:\n${lines.join('\n')}`;
}

/** A tenant as `GET /admin/tenants` lists it (the fields the CLI shows). */
interface TenantView {
  readonly tenantId: string;
  readonly name: string;
  readonly state: string;
  readonly legalHold?: boolean;
  readonly contract?: {
    readonly start?: string;
    readonly end?: string;
    readonly retentionDaysAfterEnd?: number;
  };
}

const TENANT_STATE_LABEL: Readonly<Record<string, Message>> = {
  ACTIVE: msg('有効', 'active'),
  TERMINATED: msg('契約終了', 'terminated'),
  PURGING: msg('削除中', 'purging'),
  PURGED: msg('削除済み', 'purged'),
};

/**
 * `kura purge`, `kura certificate`, `kura ledger verify`, `kura ledger export` and `kura admin tenants`
 * (administrator commands).
 */
export function registerAdminCommands(program: Command, context: () => CliContext): void {
  const admin = program.command('admin').description('operator commands / 運用者向けのコマンド');
  admin
    .command('tenants')
    .description('list the companies (tenants): id, name, state, contract / 会社（テナント）の一覧')
    .option('--limit <n>', 'at most this many companies / 表示する最大件数', wholeNumber(1, 100_000), 1000)
    .action(async (options: { limit: number }) => {
      const ctx = context();
      const client = await ctx.client('admin');
      const tenants: TenantView[] = [];
      let cursor: string | undefined;
      do {
        const page = await client.get<{ tenants: TenantView[]; cursor?: string }>(
          `/admin/tenants?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
        );
        tenants.push(...page.tenants);
        cursor = page.cursor;
      } while (cursor && tenants.length < options.limit);
      const shown = tenants.sort((a, b) => (a.tenantId < b.tenantId ? -1 : 1)).slice(0, options.limit);
      ctx.emit({ tenants: shown });
      ctx.say(
        shown.length === 0
          ? ctx.t(msg('登録された会社はありません。', 'No companies are registered.'))
          : renderTable(
              ctx.lang === 'ja'
                ? ['ID', '会社名', '状態', '契約開始', '契約終了', '終了後の保存日数', '法的保全']
                : [
                    'id',
                    'name',
                    'state',
                    'contract start',
                    'contract end',
                    'kept after end (days)',
                    'legal hold',
                  ],
              shown.map((t) => [
                t.tenantId,
                t.name,
                TENANT_STATE_LABEL[t.state] ? ctx.t(TENANT_STATE_LABEL[t.state] as Message) : t.state,
                t.contract?.start,
                t.contract?.end,
                t.contract?.retentionDaysAfterEnd,
                t.legalHold ? ctx.t(msg('あり', 'yes')) : '',
              ]),
            ),
      );
    });

  admin
    .command('onboard')
    .description(
      'register a company (tenant): profile and contract; prints how to create its users / 会社（テナント）を登録し、利用者の作り方を表示',
    )
    .requiredOption('--name <name>', "the company's name / 会社名")
    .requiredOption(
      '--industry <letter>',
      'JSIC major group, A–T (e.g. E) / 日本標準産業分類の大分類（例: E）',
    )
    .requiredOption('--prefecture <code>', 'JIS prefecture code, 01–47 (e.g. 13) / 都道府県コード（例: 13）')
    .requiredOption('--size-band <band>', `employees: ${Object.keys(SIZE_BANDS).join(', ')} / 従業員規模`)
    .requiredOption('--contract-start <date>', 'first day of the contract, YYYY-MM-DD / 契約開始日')
    .option('--contract-end <date>', 'last day of the contract, YYYY-MM-DD / 契約終了日')
    .option(
      '--retention-days <days>',
      'days its data is kept after the contract ends / 契約終了後にデータを保存する日数',
      wholeNumber(0, 3650),
    )
    .action(
      async (options: {
        name: string;
        industry: string;
        prefecture: string;
        sizeBand: string;
        contractStart: string;
        contractEnd?: string;
        retentionDays?: number;
      }) => {
        const ctx = context();
        const tenantId = requireTenantId(ctx.options.tenant);
        // The API's own schema, checked here first: a mistyped value is a usage error, nothing is sent.
        const parsed = registerTenantSchema.safeParse({
          tenantId,
          name: options.name,
          profile: { industry: options.industry, prefecture: options.prefecture, sizeBand: options.sizeBand },
          contract: {
            start: options.contractStart,
            ...(options.contractEnd ? { end: options.contractEnd } : {}),
            ...(options.retentionDays === undefined ? {} : { retentionDaysAfterEnd: options.retentionDays }),
          },
        });
        if (!parsed.success) {
          const issue = parsed.error.issues[0];
          const where = issue?.path.join('.') ?? '';
          throw new CliError(
            msg(
              `${where} の値が正しくありません: ${issue?.message ?? ''}（kura admin onboard --help を参照）`,
              `${where} is not valid: ${issue?.message ?? ''} (see kura admin onboard --help)`,
            ),
            2,
          );
        }
        const client = await ctx.client('admin');
        const { body } = await client.call<Json>('POST', '/admin/tenants', parsed.data);
        ctx.emit(body);
        const user = ctx.t(msg('<利用者のメールアドレス>', '<user email>'));
        const pool = ctx.t(
          msg('<UserPoolId（Api スタックの出力）>', "<UserPoolId (the Api stack's output)>"),
        );
        ctx.say(
          [
            ctx.t(msg(`会社 ${tenantId} を登録しました。`, `Registered company ${tenantId}.`)),
            fieldsTable(ctx, body),
            '',
            ctx.t(
              msg(
                `次に利用者を作ります。ローカル環境ではトークンで代用します: npx kura token --tenant ${tenantId}
デプロイした環境では Cognito に利用者を作り、tenant グループに入れます（初回サインイン時に MFA を設定します）:`,
                `Next, create its users. Locally a token stands in for them: npx kura token --tenant ${tenantId}
On a deployed stage, create each user in Cognito and add it to the tenant group (MFA is set up at first sign-in):`,
              ),
            ),
            `  aws cognito-idp admin-create-user --user-pool-id ${pool} --username ${user} --user-attributes Name=email,Value=${user} Name=email_verified,Value=true Name=custom:tenant_id,Value=${tenantId}`,
            `  aws cognito-idp admin-add-user-to-group --user-pool-id ${pool} --username ${user} --group-name tenant`,
            ctx.t(
              msg(
                '手順の全体: docs/guides/operator-onboarding.md',
                'The whole procedure (in Japanese): docs/guides/operator-onboarding.md',
              ),
            ),
          ].join('\n'),
        );
      },
    );

  program
    .command('purge')
    .description(
      "purge --tenant <id>: delete a company's data now (a job of the purge function), or list what would be deleted / 会社のデータを今すぐ削除",
    )
    .option('--dry-run', 'count what would be deleted without deleting / 削除せずに対象を数える')
    .action(async (options: { dryRun?: boolean }) => {
      const ctx = context();
      // --tenant is the global option (the same flag names the company for local tokens).
      const tenantId = requireTenantId(ctx.options.tenant);
      const job = await followJob(ctx, 'admin', {
        label: options.dryRun ? 'purge --dry-run' : 'purge',
        path: `/admin/tenants/${encodeURIComponent(tenantId)}/purge`,
        body: { dryRun: options.dryRun === true },
      });
      ctx.emit(job);
      ctx.say(fieldsTable(ctx, { jobId: job.jobId, state: job.state, ...(job.result ?? {}) }));
    });

  program
    .command('release')
    .description(
      'publish a statistics release now (a job of the release function) / 統計を今すぐ公表（公表処理のジョブ）',
    )
    .action(async () => {
      const ctx = context();
      const job = await followJob(ctx, 'admin', { label: 'release', path: '/admin/releases' });
      ctx.emit(job);
      ctx.say(fieldsTable(ctx, { jobId: job.jobId, state: job.state, ...(job.result ?? {}) }));
    });

  program
    .command('certificate')
    .description("a purged tenant's deletion certificate and its chain verification / 削除証明書")
    .argument('<tenantId>', 'company (tenant) id / 会社 ID')
    .action(async (tenantIdArg: string) => {
      const ctx = context();
      const tenantId = requireTenantId(tenantIdArg, 'tenantId');
      const client = await ctx.client('admin');
      const body = await client.get<Json>(`/admin/certificates/${encodeURIComponent(tenantId)}`);
      ctx.emit(body);
      const { retained, ...certificate } = (body.certificate ?? body) as Json;
      const verification = (body.verification ?? body.chain) as Json | undefined;
      ctx.say(
        [
          fieldsTable(ctx, certificate),
          retainedList(ctx, retained),
          verification
            ? `\n${ctx.t(msg('証明書チェーンの検証', 'Certificate chain verification'))}: ${verification.valid === true ? ctx.t(msg('正常', 'valid')) : ctx.t(msg('異常', 'INVALID'))}${problemList(verification.problems)}`
            : '',
        ].join(''),
      );
      if (verification && verification.valid === false) {
        throw new CliOutcomeError(
          msg('証明書チェーンの検証に失敗しました。', 'The certificate chain does not verify.'),
        );
      }
    });

  const ledger = program.command('ledger').description('the tamper-evident ledger / 改ざん検知台帳');
  const ledgerPorts = operatorRuntime;
  ledger
    .command('verify')
    .description(
      'check every chain and compare it with the exports in the audit bucket / 台帳の全チェーンを検証し監査用エクスポートと照合',
    )
    .action(async () => {
      const ctx = context();
      const { auditLedger } = await import('../../functions/domain/ledger/verify.ts');
      const result = await auditLedger(await ledgerPorts(ctx));
      ctx.emit(result);
      if (result.ok) {
        ctx.say(
          ctx.t(
            msg(
              `台帳は正常です: ${result.chains} チェーン、${result.count} 件。監査用エクスポート ${result.exports.files} ファイル（${result.exports.entries} 件）と一致しました。`,
              `The ledger verifies: ${result.count} entries in ${result.chains} chains, matching ${result.exports.entries} entries in ${result.exports.files} export file(s) in the audit bucket.`,
            ),
          ),
        );
        if (result.exports.files === 0) {
          ctx.say(
            ctx.t(
              msg(
                '注意: 監査用エクスポートがまだないため、末尾の記録の削除や全体の書き換えは検出できません。kura ledger export（運用環境では日次の自動エクスポート）を実行してください。',
                'Note: there is no export yet, so removed last entries or a rewritten chain cannot be detected. Run kura ledger export (deployed: the daily export).',
              ),
            ),
          );
        }
        return;
      }
      const reasons = {
        hash_mismatch: msg('内容が書き換えられています', 'its content was changed'),
        broken_link: msg(
          '前の記録とのつながりが切れています（削除または並べ替え）',
          'its link to the previous entry is broken (removed or reordered)',
        ),
        sequence_gap: msg('連番が欠けています（削除）', 'the sequence has a gap (an entry was removed)'),
        truncated: msg(
          '監査用エクスポートにある記録が台帳にありません（末尾の記録の削除）',
          'an entry in the audit export is missing from the ledger (the last entries were removed)',
        ),
        differs_from_export: msg(
          '監査用エクスポートの記録と一致しません（以降のハッシュを計算し直した書き換え）',
          'it differs from the audit export (rewritten, with every later hash recomputed)',
        ),
        export_corrupt: msg('監査用エクスポートの記録が壊れています', 'the audit export itself is damaged'),
      } as const;
      throw new CliOutcomeError(
        msg(
          `台帳が改ざんされています: チェーン ${result.chain} の連番 ${result.firstBadSeq} — ${reasons[result.reason].ja}${result.exportKey ? `（${result.exportKey}）` : ''}`,
          `The ledger has been tampered with: chain ${result.chain}, seq ${result.firstBadSeq} — ${reasons[result.reason].en}${result.exportKey ? ` (${result.exportKey})` : ''}`,
        ),
      );
    });
  ledger
    .command('export')
    .description(
      'anchor every chain and export new entries to the audit bucket (deployed: daily) / 台帳を監査用バケットへエクスポート',
    )
    .action(async () => {
      const ctx = context();
      const ports = await ledgerPorts(ctx);
      const { exportLedger } = await import('../../functions/domain/ledger/export.ts');
      const { composeLedgerExport } = await import('../../functions/ledger-export/runtime.ts');
      const result = await exportLedger(composeLedgerExport(ports));
      ctx.emit(result);
      ctx.say(
        ctx.t(
          result.outcome === 'exported'
            ? msg(
                `エクスポートしました: ${result.key}（${result.header.count} 件、${result.header.chains.length} チェーン）`,
                `Exported ${result.header.count} entries of ${result.header.chains.length} chain(s) to ${result.key}`,
              )
            : msg('新しい記録はありません。', 'Nothing new to export.'),
        ),
      );
    });
}

/** The problems a chain verification found, one per line (nothing when there are none). */
function problemList(problems: unknown): string {
  if (!Array.isArray(problems) || problems.length === 0) return '';
  return problems
    .map((problem) => `\n- ${typeof problem === 'string' ? problem : JSON.stringify(problem)}`)
    .join('');
}
