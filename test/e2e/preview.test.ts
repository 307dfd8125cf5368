import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STATISTICS } from '../../functions/domain/stats/catalog.ts';
import { readReleaseManifest } from '../../functions/domain/stats/service.ts';
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
    expect(notice).toContain(releaseId);
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
});
