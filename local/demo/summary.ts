import { type Lang, msg, pick } from '../../functions/domain/i18n.ts';
import type { ObjectStore } from '../../functions/domain/ports/index.ts';
import { TOTAL } from '../../functions/domain/stats/catalog.ts';
import { readPublishedCells } from '../../functions/domain/stats/service.ts';
import { getStatistic } from '../../functions/domain/stats/statistics.ts';
import { renderPublishedTable } from '../cli/table.ts';
import type { DemoSummary } from './seed-demo.ts';

/** The statistic the summary prints: monthly overtime by industry and region, latest month. */
export const SUMMARY_STATISTIC = 'overtime_hours_monthly';

/** The short text `npm start` prints after seeding: upload outcomes and one statistics table. */
export async function renderDemoSummary(
  objects: ObjectStore,
  summary: DemoSummary,
  lang: Lang,
): Promise<string> {
  const { counts, release } = summary;
  const stat = getStatistic(SUMMARY_STATISTIC);
  const cells = await readPublishedCells(objects, release.releaseId, stat.name);
  const periods = [...new Set(cells.map((c) => String(c.period)))].sort();
  const latest = periods[periods.length - 1];
  const shown = cells
    .filter((c) => c.period === latest && c.size_band === TOTAL && c.geo_level !== 'prefecture')
    .sort(
      (a, b) =>
        String(a.geo_level).localeCompare(String(b.geo_level)) ||
        String(a.region).localeCompare(String(b.region)) ||
        String(a.industry).localeCompare(String(b.industry)),
    );
  const published = release.statistics.reduce((n, s) => n + s.cells - s.suppressedCells, 0);
  const total = release.statistics.reduce((n, s) => n + s.cells, 0);
  const rejected = summary.uploads.filter((u) => u.status === 'REJECTED');
  const lines = [
    pick(
      msg(
        `デモ投入: ${summary.tenants.length} 社、アップロード ${summary.uploads.length} 件 — 受理 ${counts.accepted}、一部受理 ${counts.partiallyAccepted}、不受理 ${counts.rejected}${counts.other ? `、未完了 ${counts.other}` : ''}`,
        `Demo seeded: ${summary.tenants.length} companies, ${summary.uploads.length} uploads — ${counts.accepted} accepted, ${counts.partiallyAccepted} partially accepted, ${counts.rejected} rejected${counts.other ? `, ${counts.other} unfinished` : ''}`,
      ),
      lang,
    ),
    ...rejected.map((u) => `  ${pick(msg('不受理', 'rejected'), lang)}: ${u.tenantId} ${u.fileName}`),
    pick(
      msg(
        `統計リリース ${release.releaseId}: ${release.statistics.length} 統計、${total} セル中 ${published} セルを公表（${total - published} セルは秘匿）`,
        `Statistics release ${release.releaseId}: ${release.statistics.length} statistics, ${published} of ${total} cells published (${total - published} suppressed)`,
      ),
      lang,
    ),
    '',
    renderPublishedTable(stat, shown, { lang, limit: 16 }),
  ];
  return lines.join('\n');
}
