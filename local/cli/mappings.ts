/**
 * `kura mapping set|show|delete` (a company maps its own column names once; later uploads use the
 * mapping) and `kura profiles` (the built-in import profiles and how to export from each system).
 */
import type { Command } from 'commander';
import { TIME_FORMATS } from '../../functions/domain/catalog/schema.ts';
import { msg } from '../../functions/domain/i18n.ts';
import { type CliContext, CliError } from './context.ts';
import { renderTable } from './table.ts';

interface MappingView {
  readonly dataset: string;
  readonly columns: Readonly<Record<string, string>>;
  readonly profile?: string;
  readonly timeFormat?: string;
  readonly updatedAt: string;
}

interface ProfileView {
  readonly name: string;
  readonly ja: string;
  readonly en: string;
  readonly datasets: readonly string[];
  readonly timeFormat?: string;
  readonly encoding: string;
  readonly exportPath: { readonly ja: string; readonly en: string };
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

/** `社員CD=employee_id` → [header, column]; a usage error (exit 2) otherwise. */
function pairOf(text: string): [string, string] {
  const at = text.lastIndexOf('=');
  const header = text.slice(0, at).trim();
  const column = text.slice(at + 1).trim();
  if (at <= 0 || header === '' || column === '') {
    throw new CliError(
      msg(
        `--column は「自社の列名=Kura の列名」の形で指定してください（例: --column 社員CD=employee_id）: ${text}`,
        `--column takes "your header=Kura column" (e.g. --column 社員CD=employee_id): ${text}`,
      ),
      2,
    );
  }
  return [header, column];
}

function describeMapping(ctx: CliContext, mapping: MappingView): void {
  const extras = [
    mapping.profile ? `${ctx.t(msg('取り込み形式', 'Profile'))}: ${mapping.profile}` : undefined,
    mapping.timeFormat ? `${ctx.t(msg('時間の表示形式', 'Time format'))}: ${mapping.timeFormat}` : undefined,
  ].filter((line): line is string => line !== undefined);
  ctx.say(
    [
      ...extras,
      renderTable(
        ctx.lang === 'ja' ? ['自社の列名', 'Kura の列'] : ['your header', 'Kura column'],
        Object.entries(mapping.columns),
      ),
    ].join('\n'),
  );
}

export function registerMappingCommands(program: Command, context: () => CliContext): void {
  const mapping = program
    .command('mapping')
    .description("your company's column names mapped to Kura's, used by every later upload / 列の対応付け");

  mapping
    .command('set')
    .description('save (replace) the mapping for a dataset / 対応付けを保存（置き換え）')
    .argument('<dataset>', 'dataset name / データセット名')
    .option('--column <header=column>', 'one mapping, repeatable / 対応（複数指定可）', collect)
    .option('--profile <name>', 'the import profile your uploads use / 使う取り込み形式')
    .option(
      '--time-format <format>',
      `how your exports write hours: ${TIME_FORMATS.join(', ')} / 時間の表示形式`,
    )
    .action(
      async (dataset: string, options: { column?: string[]; profile?: string; timeFormat?: string }) => {
        const ctx = context();
        if (!options.column || options.column.length === 0) {
          throw new CliError(
            msg(
              '--column を 1 つ以上指定してください（例: --column 社員CD=employee_id）。',
              'Give at least one --column (e.g. --column 社員CD=employee_id).',
            ),
            2,
          );
        }
        const columns = Object.fromEntries(options.column.map(pairOf));
        const client = await ctx.client('tenant');
        const saved = (
          await client.call<MappingView>('PUT', `/mappings/${encodeURIComponent(dataset)}`, {
            columns,
            ...(options.profile ? { profile: options.profile } : {}),
            ...(options.timeFormat ? { timeFormat: options.timeFormat } : {}),
          })
        ).body;
        ctx.emit(saved);
        ctx.note(
          ctx.t(
            msg(
              `データセット「${saved.dataset}」の対応付けを保存しました。これからのアップロードに使います。`,
              `Saved the mapping for dataset ${saved.dataset}; later uploads use it.`,
            ),
          ),
        );
        describeMapping(ctx, saved);
      },
    );

  mapping
    .command('show')
    .description('the saved mapping for a dataset / 保存した対応付け')
    .argument('<dataset>', 'dataset name / データセット名')
    .action(async (dataset: string) => {
      const ctx = context();
      const client = await ctx.client('tenant');
      const saved = await client.get<MappingView>(`/mappings/${encodeURIComponent(dataset)}`);
      ctx.emit(saved);
      describeMapping(ctx, saved);
    });

  mapping
    .command('delete')
    .description('delete the saved mapping for a dataset / 対応付けを削除')
    .argument('<dataset>', 'dataset name / データセット名')
    .action(async (dataset: string) => {
      const ctx = context();
      const client = await ctx.client('tenant');
      const result = (
        await client.call<{ deleted: boolean }>('DELETE', `/mappings/${encodeURIComponent(dataset)}`)
      ).body;
      ctx.emit(result);
      ctx.say(
        ctx.t(
          result.deleted
            ? msg('対応付けを削除しました。', 'The mapping was deleted.')
            : msg('保存された対応付けはありませんでした。', 'There was no saved mapping.'),
        ),
      );
    });

  program
    .command('profiles')
    .description('the built-in import profiles and how to export from each system / 取り込み形式の一覧')
    .action(async () => {
      const ctx = context();
      const client = await ctx.client('tenant');
      const { profiles } = await client.get<{ profiles: ProfileView[] }>('/profiles');
      ctx.emit({ profiles });
      ctx.say(
        renderTable(
          ctx.lang === 'ja'
            ? ['名前', 'システム', 'データセット', '時間', '書き出し方']
            : ['name', 'system', 'datasets', 'hours', 'how to export'],
          profiles.map((p) => [
            p.name,
            ctx.lang === 'ja' ? p.ja : p.en,
            p.datasets.join(', '),
            p.timeFormat ?? ctx.t(msg('指定（--time-format）', 'declare (--time-format)')),
            ctx.t(p.exportPath),
          ]),
        ),
      );
    });
}
