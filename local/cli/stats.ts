import type { Command } from 'commander';
import { type Message, msg } from '../../functions/domain/i18n.ts';
import { type Benchmark, noDataMessage } from '../../functions/domain/stats/benchmark.ts';
import { benchmarkText } from '../../functions/domain/stats/benchmark-text.ts';
import { getStatistic, STATISTICS } from '../../functions/domain/stats/statistics.ts';
import { period, wholeNumber } from './arguments.ts';
import type { CliContext } from './context.ts';
import { renderPublishedTable, renderTable } from './table.ts';

type Json = Record<string, unknown>;
const asArray = (value: unknown): Json[] => (Array.isArray(value) ? (value as Json[]) : []);

/** The cells of a `GET /stats/{name}` answer, whatever envelope it uses (`cells`, `rows` or a bare array). */
export function cellsOf(body: unknown): Json[] {
  if (Array.isArray(body)) return body as Json[];
  const object = (body ?? {}) as Json;
  return asArray(object.cells ?? object.rows ?? object.items);
}

/** `kura stats [name]` and `kura benchmark <name>`. */
export function registerStatsCommands(program: Command, context: () => CliContext): void {
  program
    .command('stats')
    .description('published statistics of the latest release / 最新の公表統計')
    .argument('[name]', `statistic: ${STATISTICS.map((s) => s.name).join(', ')}`)
    .option('--limit <rows>', 'rows to show / 表示する行数', wholeNumber(1, 1_000_000), 40)
    .action(async (name: string | undefined, options: { limit: number }) => {
      const ctx = context();
      // An unknown statistic is a usage error, found before anything is sent.
      const stat = name === undefined ? undefined : getStatistic(name);
      const client = await ctx.client('tenant');
      if (!name || !stat) {
        const body = await client.get<Json>('/stats');
        ctx.emit(body);
        const listed = asArray(body.statistics);
        ctx.say(
          [
            body.releaseId ? `${ctx.t(msg('リリース', 'Release'))} ${String(body.releaseId)}` : '',
            renderTable(
              ctx.lang === 'ja'
                ? ['統計', '名称', 'セル数', '秘匿セル数']
                : ['statistic', 'title', 'cells', 'suppressed'],
              listed.map((s) => {
                const known = STATISTICS.find((k) => k.name === s.name);
                return [
                  s.name,
                  known ? known.title[ctx.lang] : s.title,
                  s.cells,
                  s.suppressedCells ?? s.suppressed,
                ];
              }),
            ),
          ]
            .filter(Boolean)
            .join('\n'),
        );
        return;
      }
      // The API pages a statistic (`next` while more remain): follow every page.
      const path = `/stats/${encodeURIComponent(name)}`;
      let body = await client.get<unknown>(path);
      const cells = cellsOf(body);
      for (
        let next = (body as { next?: unknown }).next;
        typeof next === 'string';
        next = (body as { next?: unknown }).next
      ) {
        body = await client.get<unknown>(`${path}?cursor=${encodeURIComponent(next)}`);
        cells.push(...cellsOf(body));
      }
      const whole = { ...(body as Record<string, unknown>), cells };
      delete (whole as { next?: unknown }).next;
      ctx.emit(whole);
      ctx.say(
        cells.length === 0
          ? ctx.t(noDataMessage(null))
          : renderPublishedTable(stat, cells, { lang: ctx.lang, limit: options.limit }),
      );
    });

  program
    .command('benchmark')
    .description("your company beside its segment's published figures / 自社と同業他社の比較")
    .argument('<name>', 'statistic / 統計')
    .option('--period <period>', 'period, e.g. 2025-06 or 2025 / 期間', period)
    .action(async (name: string, options: { period?: string }) => {
      const ctx = context();
      const stat = getStatistic(name);
      const client = await ctx.client('tenant');
      const query = options.period ? `?period=${encodeURIComponent(options.period)}` : '';
      const body = await client.get<Benchmark>(`/stats/${encodeURIComponent(name)}/benchmark${query}`);
      ctx.emit(body);
      // The same words as the preview page's benchmark table (functions/domain/stats/benchmark-text.ts).
      const text = benchmarkText(stat, body, ctx.lang);
      const rows: Array<[Message, string]> = [
        [msg('統計', 'Statistic'), stat.title[ctx.lang]],
        [msg('期間', 'Period'), text.period],
        [msg('比べる値', 'Figure compared'), text.what],
        [msg('自社', 'Your company'), text.own],
        [msg('同業他社', 'Peers'), text.peers],
        [msg('位置（四分位）', 'Position (quartile band)'), text.position],
        [msg('比較した区分', 'Segment compared'), text.segment],
      ];
      ctx.say(
        `${renderTable(
          ctx.lang === 'ja' ? ['項目', '値'] : ['field', 'value'],
          rows.filter(([, value]) => value !== '').map(([label, value]) => [ctx.t(label), value]),
        )}\n${ctx.t(msg('説明', 'Explanation'))}: ${text.explanation}`,
      );
    });
}
