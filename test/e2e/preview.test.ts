import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readReleaseManifest } from '../../functions/domain/stats/service.ts';
import { STATISTICS } from '../../functions/domain/stats/statistics.ts';
import { seedDemo } from '../../local/demo/seed-demo.ts';
import { type LocalPlatform, startLocalPlatform } from '../../local/platform.ts';
import { demoPlan } from '../../local/synthetic/plan.ts';
import { launchBrowser } from './browser.ts';
import { countColour, decodePng, distinctColours } from './png.ts';

let workDir: string;
let platform: LocalPlatform;
let browser: Browser;
// Three companies: the fewest for which national cells pass the 3-company threshold.
const plan = demoPlan({
  companies: 3,
  datasets: ['employees', 'attendance', 'payroll', 'sales'],
  withRejectedFile: false,
});

beforeAll(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'kura-e2e-'));
  platform = await startLocalPlatform({ dataDir: join(workDir, 'data'), port: 0, onError: () => undefined });
  const summary = await seedDemo(platform, {
    plan,
    progress: () => ({ update: () => undefined, stop: () => undefined }),
  });
  if (!summary.ok) throw new Error(`demo seed failed: ${JSON.stringify(summary.counts)}`);
  browser = await launchBrowser();
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await platform?.stop();
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

describe('BI preview page in headless Chromium', () => {
  it('draws every published statistic as a chart with data marks and suppressed markers, the benchmark and the notice', async () => {
    // Prepare
    const tenantId = plan.companies[0]?.tenantId ?? '';
    const { releaseId } = await readReleaseManifest(platform.ports.objects);
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });

    // Act
    const response = await page.goto(`${platform.previewUrl}?lang=en&tenant=${tenantId}`);
    const charts = await page.locator('svg.chart').count();
    const bars = await page.locator('svg.chart rect.bar').count();
    const trendPoints = await page.locator('svg.trend circle.point').count();
    const suppressedMarks = await page.locator('svg.chart [data-suppressed="true"]').count();
    const suppressedCells = await page.locator('td.suppressed').allTextContents();
    const benchmark = await page.locator('#benchmark').textContent();
    const notice = await page.locator('#notice').textContent();
    const requests: string[] = [];
    page.on('request', (request) => requests.push(request.url()));
    await page.reload();

    // Assess
    expect(response?.status()).toBe(200);
    expect(charts).toBe(STATISTICS.length);
    expect(bars).toBeGreaterThan(0);
    expect(trendPoints).toBeGreaterThan(0);
    expect(suppressedMarks).toBeGreaterThan(0);
    expect(suppressedCells.length).toBeGreaterThan(0);
    expect(suppressedCells.every((text) => text === 'x (suppressed)')).toBe(true);
    expect(benchmark).toContain(tenantId);
    expect(benchmark).toContain('Manufacturing'); // the company's industry by name, not its JSIC letter
    expect(notice).toContain(releaseId);
    expect(notice).not.toMatch(/^#|\n#|\n- /); // rendered, not Markdown
    // Nothing but the page itself: no CDN, no script, no network.
    expect(requests.every((url) => url.startsWith(platform.apiUrl))).toBe(true);
  });

  it('renders charts a screenshot can see: bars in the chart colour and hatched suppressed markers', async () => {
    // Prepare
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(`${platform.previewUrl}?lang=ja&tenant=${plan.companies[0]?.tenantId ?? ''}`);
    const path = join(workDir, 'preview.png');

    // Act
    await page.locator('svg.chart').first().screenshot({ path });
    const png = decodePng(await readFile(path));

    // Assess
    expect(png.width).toBeGreaterThan(300);
    expect(distinctColours(png)).toBeGreaterThan(10);
    expect(countColour(png, '#2563eb')).toBeGreaterThan(100); // bar fill
    expect(countColour(png, '#fef3c7') + countColour(png, '#d97706')).toBeGreaterThan(100); // hatch
  });

  it('keeps the company and period on the language links, and says when a period asked for has nothing published', async () => {
    // Prepare
    const tenantId = plan.companies[0]?.tenantId ?? '';

    // Act
    const html = await (
      await fetch(`${platform.previewUrl}?lang=ja&tenant=${tenantId}&period=2030-01`)
    ).text();
    const shown = /<option value="(\d{4}-\d{2})" selected>/.exec(html)?.[1];

    // Assess
    expect(shown).toMatch(/^\d{4}-\d{2}$/);
    expect(html).toContain(`2030-01 の統計は公表されていません。${shown} を表示しています。`);
    expect(html).toContain(`href="?lang=en&amp;tenant=${tenantId}&amp;period=${shown}"`);
  });

  it('says so when the company asked for is not there, and offers the companies that are', async () => {
    // Act
    const html = await (await fetch(`${platform.previewUrl}?lang=en&tenant=nobody`)).text();

    // Assess
    expect(html).toContain('There is no company nobody: choose one from the list below.');
    expect(html).toContain(`href="?tenant=${plan.companies[0]?.tenantId}&amp;lang=en`);
  });

  it('speaks Japanese by default, lets the reader choose the period, and downloads the table shown as CSV', async () => {
    // Prepare
    const tenantId = plan.companies[0]?.tenantId ?? '';
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
    await page.goto(`${platform.previewUrl}?tenant=${tenantId}`);
    const options = await page.locator('select#period option').allTextContents();
    const older = options[options.length - 1] ?? '';

    // Act: choose the oldest month, then download the first statistic's table
    await page.selectOption('select#period', older);
    await Promise.all([page.waitForURL(/period=/), page.locator('form.period button').click()]);
    const headers = await page
      .locator('section.statistic')
      .first()
      .locator('table.cells th')
      .allTextContents();
    const firstColumn = await page
      .locator('section.statistic')
      .first()
      .locator('table.cells tbody tr td:first-child')
      .allTextContents();
    const shownRows = await page.locator('section.statistic').first().locator('table.cells tbody tr').count();
    const places = await page
      .locator('section.statistic table.cells tbody td:nth-child(3)')
      .allTextContents();
    const benchmarkRows = await page
      .locator('#benchmark tbody tr[data-status="no_data"] td.suppressed')
      .count();
    const statuses = await page
      .locator('#benchmark tbody tr')
      .evaluateAll((rows) => rows.map((row) => row.getAttribute('data-status')));
    const noticeItems = await page.locator('#notice li').count();
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.locator('section.statistic').first().locator('a.csv').click(),
    ]);
    const csv = await readFile((await download.path()) ?? '', 'utf8');
    const png = decodePng(await page.screenshot({ fullPage: false }));

    // Assess
    expect(await page.locator('html').getAttribute('lang')).toBe('ja');
    expect(options.length).toBeGreaterThan(1);
    expect(options).toEqual([...options].sort().reverse());
    expect(await page.locator('select#period').inputValue()).toBe(older);
    expect(firstColumn.every((period) => period === older)).toBe(true);
    expect(headers.slice(0, 3)).toEqual(['期間', '地域区分', '地域']);
    expect(places.join(' ')).not.toMatch(/kanto|kinki|_total|_unspecified/);
    expect(places).toContain('合計');
    expect(benchmarkRows).toBe(0); // no_data never carries the 秘匿 mark
    expect(statuses).toHaveLength(STATISTICS.length);
    expect(statuses.every((s) => s === 'published' || s === 'suppressed' || s === 'no_data')).toBe(true);
    expect(noticeItems).toBeGreaterThan(3);
    expect(csv.startsWith('\uFEFF期間,地域区分,地域,')).toBe(true);
    expect(csv.split('\r\n').filter(Boolean)).toHaveLength(shownRows + 1);
    expect(csv.split('\r\n')[1]?.startsWith(older)).toBe(true);
    expect(download.suggestedFilename()).toMatch(new RegExp(`_${older}_.*\\.csv$`));
    // The screenshot is the viewport, not blank: the title band and the chart are both drawn.
    expect([png.width, png.height]).toEqual([1280, 900]);
    expect(distinctColours(png)).toBeGreaterThan(20);
    expect(countColour(png, '#2563eb')).toBeGreaterThan(200);
  });
});
