/**
 * `kura support …`: support access from the command line (issue 11). Every subcommand calls the
 * HTTP API; nothing here reads storage. Locally a token is minted with the data folder's key —
 * support commands as role `support`, decisions (approve/refuse/revoke) as a `tenant` user of the
 * grant's company; against a deployment pass `--endpoint` and `--token`.
 *
 * Exit codes as the rest of the CLI: 0 done, 1 the API refused or failed, 2 a usage error.
 */
import { writeFile } from 'node:fs/promises';
import { type Command, Option } from 'commander';
import { type Lang, msg } from '../../functions/domain/i18n.ts';
import { requireTenantId, wholeNumber } from './arguments.ts';
import { CliContext, CliError } from './context.ts';
import { renderTable } from './table.ts';
import { rowCountsLine, rowErrorLines, type UploadView } from './upload-view.ts';

type Json = Record<string, unknown>;
const enc = encodeURIComponent;

/** --tenant (the program's global option), required by support commands. */
const tenantOf = (ctx: CliContext, value = ctx.options.tenant) => requireTenantId(value);

/** `90m`, `4h`, `1d` or a number of minutes → minutes (1 to 1440). */
export function parseDuration(value: string): number {
  const match = /^(\d+)\s*(m|min|h|d)?$/i.exec(value.trim());
  const amount = Number(match?.[1]);
  const unit = (match?.[2] ?? 'm').toLowerCase();
  const minutes = unit === 'h' ? amount * 60 : unit === 'd' ? amount * 1440 : amount;
  if (!match || !Number.isInteger(minutes) || minutes < 1 || minutes > 1440) {
    throw new CliError(
      msg(
        '--duration は 1 分〜24 時間で指定してください（例: 90m, 4h）。',
        '--duration must be from 1 minute to 24 hours (e.g. 90m, 4h).',
      ),
      2,
    );
  }
  return minutes;
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

const grantLine = (g: Json, lang: Lang) =>
  lang === 'ja'
    ? `サポートアクセス ${g.grantId}: ${g.status}${g.expiresAt ? `（期限 ${g.expiresAt}）` : ''}`
    : `Grant ${g.grantId}: ${g.status}${g.expiresAt ? ` (until ${g.expiresAt})` : ''}`;

/** Human output, or the JSON with --json. */
function show(ctx: CliContext, value: unknown, human: () => string): void {
  if (ctx.json) ctx.emit(value);
  else ctx.say(human());
}

/** A context acting as a user of one company (for local tenant tokens). */
const asTenant = (ctx: CliContext, tenantId: string) =>
  new CliContext(ctx.io, { ...ctx.options, tenant: tenantId });

/** `kura support inspect|request|approve|refuse|revoke|grants|export`. */
export function registerSupportCommands(program: Command, context: () => CliContext): void {
  // `--tenant` is the program's global option (kura support inspect --tenant demo-a works too).
  const group = program
    .command('support')
    .description(
      'support access: masked inspection, grants approved by the company, exports / サポートアクセス',
    );

  group
    .command('inspect')
    .description(
      'list uploads, show one with masked row errors, or its rows / アップロードの確認（マスク表示）',
    )
    .option('--upload <uploadId>', 'one upload / アップロード ID')
    .option('--rows', 'show the upload’s rows / 行を表示')
    .option('--offset <n>', 'first row / 開始行', wholeNumber(0, 10_000_000), 0)
    .option('--limit <n>', 'rows per page, at most 100 / 件数', wholeNumber(1, 100), 20)
    .action(async (options: { upload?: string; rows?: boolean; offset: number; limit: number }) => {
      const ctx = context();
      const base = `/support/tenants/${enc(tenantOf(ctx))}/uploads`;
      const client = await ctx.client('support');
      if (!options.upload) {
        const result = await client.get<Json>(base);
        const uploads = (result.uploads as Json[]) ?? [];
        show(ctx, result, () =>
          renderTable(
            ctx.lang === 'ja'
              ? ['アップロード ID', 'データセット', '状態', 'ファイル名', 'エラー']
              : ['upload id', 'dataset', 'status', 'file name', 'errors'],
            uploads.map((u) => [u.uploadId, u.dataset, u.status, u.fileName, u.errorCount]),
          ),
        );
        return;
      }
      if (options.rows) {
        const query = `?offset=${options.offset}&limit=${options.limit}`;
        const result = await client.get<Json>(`${base}/${enc(options.upload)}/rows${query}`);
        const columns = (result.columns as string[]) ?? [];
        const rows = (result.rows as Json[]) ?? [];
        const heading = result.masked
          ? ctx.t(msg('マスク表示', 'masked'))
          : ctx.t(
              msg(`サポートアクセス ${result.grantId} により表示`, `shown under grant ${result.grantId}`),
            );
        show(
          ctx,
          result,
          () =>
            `${heading} (${result.offset}+${rows.length}/${result.total})\n${renderTable(
              columns,
              rows.map((r) => columns.map((c) => r[c])),
            )}`,
        );
        return;
      }
      const upload = await client.get<UploadView>(`${base}/${enc(options.upload)}`);
      show(ctx, upload, () =>
        [
          `${ctx.t(msg('アップロード', 'Upload'))} ${upload.uploadId}  ${upload.dataset}  ${upload.status}`,
          ...(upload.rows ? [rowCountsLine(ctx, upload.rows)] : []),
          ...rowErrorLines(ctx, upload),
        ].join('\n'),
      );
    });

  group
    .command('request')
    .description('ask a company for unmasked access / 会社にサポートアクセスを依頼')
    .requiredOption('--purpose <text>', 'why access is needed, 10–500 characters / 目的')
    .option('--dataset <name>', 'a dataset in scope (repeatable) / 対象データセット', collect)
    .option('--upload <uploadId>', 'an upload in scope (repeatable) / 対象アップロード', collect)
    .option('--duration <d>', 'how long after approval, e.g. 90m, 4h (max 24h) / 期間', '1h')
    .action(async (options: { purpose: string; dataset?: string[]; upload?: string[]; duration: string }) => {
      const ctx = context();
      const body = {
        tenantId: tenantOf(ctx),
        purpose: options.purpose,
        scope: { datasets: options.dataset ?? [], uploadIds: options.upload ?? [] },
        durationMinutes: parseDuration(options.duration),
      };
      const client = await ctx.client('support');
      const { body: grant } = await client.call<Json>('POST', '/support/grants', body);
      show(ctx, grant, () => grantLine(grant, ctx.lang));
    });

  for (const [verb, en, ja] of [
    ['approve', 'approve a support request (company user)', '依頼を承認（会社の利用者）'],
    ['refuse', 'refuse a support request (company user)', '依頼を拒否（会社の利用者）'],
    ['revoke', 'end a grant now; its exports are deleted (company user)', '取り消し（エクスポートは削除）'],
  ] as const) {
    group
      .command(`${verb} <grantId>`)
      .description(`${en} / ${ja}`)
      .option('--note <text>', 'a note for the ledger, e.g. why it was refused / メモ')
      .action(async (grantId: string, options: { note?: string }) => {
        const ctx = context();
        const tenantId = tenantOf(ctx, ctx.options.tenant ?? grantId.split('.')[0]);
        const client = await asTenant(ctx, tenantId).client('tenant');
        const { body: grant } = await client.call<Json>(
          'POST',
          `/support/grants/${enc(grantId)}/${verb}`,
          options.note ? { note: options.note } : {},
        );
        show(ctx, grant, () => grantLine(grant, ctx.lang));
      });
  }

  group
    .command('grants')
    .description('list grants: support sees those it asked for; --as-tenant a company its own / 一覧')
    .option('--as-tenant', 'list as a user of --tenant / 会社の利用者として表示')
    .action(async (options: { asTenant?: boolean }) => {
      const ctx = context();
      const client = options.asTenant
        ? await asTenant(ctx, tenantOf(ctx)).client('tenant')
        : await ctx.client('support');
      const query = ctx.options.tenant && !options.asTenant ? `?tenantId=${enc(tenantOf(ctx))}` : '';
      const result = await client.get<Json>(`/support/grants${query}`);
      const grants = (result.grants as Json[]) ?? [];
      show(ctx, result, () =>
        renderTable(
          ['grantId', 'status', 'expiresAt', 'purpose'],
          grants.map((g) => [g.grantId, g.status, g.expiresAt, g.purpose]),
        ),
      );
    });

  group
    .command('export <grantId>')
    .description('export an upload under a grant as CSV / サポートアクセスで CSV を書き出し')
    .requiredOption('--upload <uploadId>', 'the upload / アップロード ID')
    .addOption(
      new Option('--kind <kind>', 'row_errors (the failing rows) or rows / 種類')
        .choices(['row_errors', 'rows'])
        .default('row_errors'),
    )
    .option('--out <file>', 'write the CSV to this file (default: stdout) / 出力先')
    .action(async (grantId: string, options: { upload: string; kind: string; out?: string }) => {
      const ctx = context();
      const client = await ctx.client('support');
      const { body: exported } = await client.call<Json>('POST', `/support/grants/${enc(grantId)}/exports`, {
        uploadId: options.upload,
        kind: options.kind,
      });
      const csv = String(exported.csv ?? '');
      if (!options.out) {
        // stdout gets the CSV itself (without the BOM, which only Excel needs), or the JSON.
        show(ctx, exported, () => csv.replace(/^\uFEFF/, '').replace(/\r\n$/, ''));
        return;
      }
      await writeFile(options.out, csv, { mode: 0o600 });
      const { csv: _csv, ...summary } = exported;
      show(ctx, summary, () =>
        ctx.t(
          msg(
            `${exported.rows} 行を ${options.out} に書き出しました（控えは ${exported.key}、サポートアクセス終了時に削除）。`,
            `Wrote ${exported.rows} rows to ${options.out} (Kura's copy, ${exported.key}, is deleted when the grant ends).`,
          ),
        ),
      );
    });
}
