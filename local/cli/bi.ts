import { resolve } from 'node:path';
import type { Command } from 'commander';
import { msg } from '../../functions/domain/i18n.ts';
import type { CliContext } from './context.ts';
import { operatorRuntime } from './operator.ts';

/** Where `kura bi export` writes unless told (.gitignore keeps it out of the repository). */
export const DEFAULT_BI_EXPORT = 'kura-bi.duckdb';

/** `kura bi export`: the published statistics as a DuckDB file with Athena's BI views (docs/BI.md). */
export function registerBiCommands(program: Command, context: () => CliContext): void {
  const bi = program.command('bi').description('BI tools / BI ツール向け');
  bi.command('export')
    .description(
      'write the published statistics as a DuckDB file with the BI views of Athena / 公表統計を Athena と同じ BI ビューを持つ DuckDB ファイルに書き出す',
    )
    .option('--out <file>', 'the DuckDB file to write / 書き出す DuckDB ファイル', DEFAULT_BI_EXPORT)
    .action(async (options: { out: string }) => {
      const ctx = context();
      const ports = await operatorRuntime(ctx);
      const out = resolve(options.out);
      ctx.note(ctx.t(msg(`${out} に書き出しています…`, `Writing ${out}…`)));
      const { exportBiDatabase } = await import('../../functions/domain/stats/bi-export.ts');
      const summary = await exportBiDatabase(ports.objects, out);
      ctx.emit(summary);
      const rows = Object.values(summary.rows).reduce((a, b) => a + b, 0);
      ctx.say(
        ctx.t(
          msg(
            `${summary.path} に書き出しました: リリース ${summary.releases.length} 件、ビュー ${summary.views.length} 個（${summary.views.join(', ')}）、${rows} 行。例: duckdb ${options.out} "SELECT * FROM overtime_hours_monthly_latest LIMIT 5"`,
            `Wrote ${summary.path}: ${summary.releases.length} release(s), ${summary.views.length} views (${summary.views.join(', ')}), ${rows} rows. Try: duckdb ${options.out} "SELECT * FROM overtime_hours_monthly_latest LIMIT 5"`,
          ),
        ),
      );
    });
}
