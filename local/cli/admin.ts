import type { Command } from 'commander';
import { createLocalRuntime } from '../../functions/adapters/local-runtime.ts';
import { createDeployedRuntime } from '../../functions/adapters/runtime.ts';
import { msg } from '../../functions/domain/i18n.ts';
import { readLedger, verifyLedger } from '../../functions/domain/ledger/ledger.ts';
import { defaultSettings } from '../../functions/domain/settings.ts';
import { type CliContext, CliError, CliOutcomeError } from './context.ts';
import { renderTable } from './table.ts';

type Json = Record<string, unknown>;

const TENANT_ID = /^[a-z0-9][a-z0-9-]{2,62}$/;
function requireTenantId(value: string): string {
  if (!TENANT_ID.test(value)) {
    throw new CliError(
      msg(
        '会社 ID は英小文字・数字・ハイフンで 3〜63 文字です。',
        'A tenant id is 3–63 lowercase letters, digits or hyphens.',
      ),
      2,
    );
  }
  return value;
}

/** Scalars of an object as a two-column table (nested values as JSON). */
const fieldsTable = (ctx: CliContext, object: Json) =>
  renderTable(
    ctx.lang === 'ja' ? ['項目', '値'] : ['field', 'value'],
    Object.entries(object).map(([k, v]) => [k, v !== null && typeof v === 'object' ? JSON.stringify(v) : v]),
  );

/** `kura purge`, `kura certificate`, `kura ledger verify` (administrator commands). */
export function registerAdminCommands(program: Command, context: () => CliContext): void {
  program
    .command('purge')
    .description(
      "purge --tenant <id>: delete a company's data now, or list what would be deleted / 会社のデータを今すぐ削除",
    )
    .option('--dry-run', 'list what would be deleted without deleting / 削除せずに対象を表示')
    .option(
      '--max-rounds <n>',
      'stop after this many resumptions / 再開の上限',
      (v) => Number.parseInt(v, 10),
      1000,
    )
    .action(async (options: { dryRun?: boolean; maxRounds: number }) => {
      const ctx = context();
      // --tenant is the global option (the same flag names the company for local tokens).
      if (!ctx.options.tenant) {
        throw new CliError(
          msg('削除する会社を --tenant で指定してください。', 'Name the company to purge with --tenant.'),
          2,
        );
      }
      const tenantId = requireTenantId(ctx.options.tenant);
      const client = await ctx.client('admin');
      let answer = await client.call<Json>('POST', `/admin/tenants/${encodeURIComponent(tenantId)}/purge`, {
        dryRun: options.dryRun === true,
      });
      // 202: the purge stopped at its budget and is resumable; go on until it is done.
      for (let round = 1; answer.status === 202 && round < options.maxRounds; round++) {
        ctx.note(
          ctx.t(msg(`削除を続けています（${round + 1} 回目）…`, `Purge continues (round ${round + 1})…`)),
        );
        answer = await client.call<Json>('POST', `/admin/tenants/${encodeURIComponent(tenantId)}/purge`, {
          dryRun: options.dryRun === true,
        });
      }
      ctx.emit(answer.body);
      ctx.say(fieldsTable(ctx, answer.body));
      if (answer.status === 202) {
        throw new CliOutcomeError(
          msg(
            '削除は完了していません。もう一度実行してください。',
            'The purge has not finished: run the command again.',
          ),
        );
      }
    });

  program
    .command('certificate')
    .description("a purged tenant's deletion certificate and its chain verification / 削除証明書")
    .argument('<tenantId>', 'company (tenant) id / 会社 ID')
    .action(async (tenantIdArg: string) => {
      const ctx = context();
      const tenantId = requireTenantId(tenantIdArg);
      const client = await ctx.client('admin');
      const body = await client.get<Json>(`/admin/certificates/${encodeURIComponent(tenantId)}`);
      ctx.emit(body);
      const certificate = (body.certificate ?? body) as Json;
      const verification = (body.verification ?? body.chain) as Json | undefined;
      ctx.say(
        [
          fieldsTable(ctx, certificate),
          verification
            ? `\n${ctx.t(msg('証明書チェーンの検証', 'Certificate chain verification'))}: ${verification.valid === true ? ctx.t(msg('正常', 'valid')) : ctx.t(msg('異常', 'INVALID'))} ${JSON.stringify(verification.problems ?? [])}`
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
  ledger
    .command('verify')
    .description('read the whole ledger and check every hash link / 台帳のハッシュ連鎖を検証')
    .action(async () => {
      const ctx = context();
      const table = ctx.local
        ? createLocalRuntime({
            s3Endpoint: (await ctx.platformInfo()).s3Url,
            dynamoEndpoint: (await ctx.platformInfo()).dynamoUrl,
            dataDir: ctx.options.dataDir,
            settings: defaultSettings,
          }).table
        : createDeployedRuntime(ctx.io.env).table;
      const result = verifyLedger(await readLedger(table));
      ctx.emit(result);
      if (result.ok) {
        ctx.say(
          ctx.t(
            msg(
              `台帳は正常です: ${result.count} 件、先頭ハッシュ ${result.headHash}`,
              `The ledger verifies: ${result.count} entries, head hash ${result.headHash}`,
            ),
          ),
        );
        return;
      }
      const reasons = {
        hash_mismatch: msg('内容が書き換えられています', 'its content was changed'),
        broken_link: msg(
          '前の記録とのつながりが切れています（削除または並べ替え）',
          'its link to the previous entry is broken (removed or reordered)',
        ),
        sequence_gap: msg('連番が欠けています（削除）', 'the sequence has a gap (an entry was removed)'),
      } as const;
      throw new CliOutcomeError(
        msg(
          `台帳が改ざんされています: 連番 ${result.firstBadSeq} — ${reasons[result.reason].ja}`,
          `The ledger has been tampered with: seq ${result.firstBadSeq} — ${reasons[result.reason].en}`,
        ),
      );
    });
}
