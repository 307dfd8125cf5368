/**
 * The statistics API as its callers meet it: the APPI notice of every release without sign-in, a
 * statistic in pages, and a company's benchmark with the company left out of its peers.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { Runtime } from '../../../functions/adapters/runtime.ts';
import { PUBLIC_ROUTE_KEYS, routeHttpEvent } from '../../../functions/api/routes.ts';
import { defaultSettings } from '../../../functions/domain/settings.ts';
import { readPublishedCells, tenantBenchmark } from '../../../functions/domain/stats/service.ts';
import { memoryRuntime } from '../../support/memory-runtime.ts';
import { type CraftedCompany, craftedWorld, OVERTIME, publishCrafted, SALES } from './crafted.ts';

const silent = { error() {} };
const world = craftedWorld();
// The API's ports over the crafted world's stores.
const ports: Runtime = { ...memoryRuntime(), objects: world.objects, table: world.table, keys: world.keys };
const at = (prefecture: string, industry: 'E' | 'G' = 'E') => ({
  industry,
  prefecture,
  sizeBand: '20-49' as const,
});
const companies: CraftedCompany[] = [
  ...Array.from({ length: 4 }, (_, i) => ({
    tenantId: `tokyo-${i}`,
    profile: at('13'),
    employees: Array.from({ length: 6 }, (_, j) => ({ id: `e${j}`, overtime: 12 + 3 * i + j })),
    sales: 40_000_000 + 1_000_000 * i,
    headcount: 40,
  })),
  // Kanagawa, smaller than Tokyo: suppressed beside Saitama (secondary), so Tokyo stays published.
  ...Array.from({ length: 3 }, (_, i) => ({
    tenantId: `kanagawa-${i}`,
    profile: at('14'),
    employees: Array.from({ length: 5 }, (_, j) => ({ id: `e${j}`, overtime: 15 + 2 * i + j })),
    sales: 39_000_000 + 1_000_000 * i,
    headcount: 40,
  })),
  // Alone in Saitama: its prefecture cell is suppressed, so its benchmark falls back to Kanto.
  {
    tenantId: 'saitama-0',
    profile: at('11'),
    employees: Array.from({ length: 5 }, (_, j) => ({ id: `e${j}`, overtime: 20 + j })),
    sales: 41_000_000,
    headcount: 40,
  },
];
const call = (
  routeKey: string,
  options: { path?: Record<string, string>; query?: Record<string, string> } = {},
) =>
  routeHttpEvent(
    {
      routeKey,
      headers: {},
      requestContext: {},
      ...(options.path ? { pathParameters: options.path } : {}),
      ...(options.query ? { queryStringParameters: options.query } : {}),
    },
    ports,
    silent,
  ).then((r) => ({ status: r.statusCode, json: JSON.parse(r.body) }));

beforeAll(async () => {
  await publishCrafted(world, '20261001T000000Z', companies.slice(0, 7), [OVERTIME, SALES]);
  await publishCrafted(world, '20261101T000000Z', companies, [OVERTIME, SALES]);
}, 240_000);

describe('public APPI notices', () => {
  it('marks the notice routes public and no other', () => {
    expect([...PUBLIC_ROUTE_KEYS].sort()).toEqual(['GET /public/notices', 'GET /public/notices/{releaseId}']);
  });

  it('lists every release and serves each one’s notice without sign-in, in Japanese or English', async () => {
    // Act: no authorizer claims at all
    const list = await call('GET /public/notices');
    const latest = await call('GET /public/notices/{releaseId}', {
      path: { releaseId: 'latest' },
      query: { lang: 'en' },
    });
    const first = await call('GET /public/notices/{releaseId}', { path: { releaseId: '20261001T000000Z' } });
    // Assess
    expect(list.status).toBe(200);
    expect(list.json.releases.map((r: { releaseId: string }) => r.releaseId)).toEqual([
      '20261101T000000Z',
      '20261001T000000Z',
    ]);
    expect(latest.status).toBe(200);
    expect(latest.json.releaseId).toBe('20261101T000000Z');
    expect(latest.json.processingMethod.join(' ')).toMatch(/perturbation table/);
    expect(latest.json.perturbation.countNoiseMax).toBe(2);
    expect(first.status).toBe(200);
    expect(first.json.releaseId).toBe('20261001T000000Z');
    expect(first.json.processingMethod.join('')).toMatch(/摂動表/);
  });

  it('still refuses a statistic without sign-in', async () => {
    const response = await call('GET /stats/{name}', { path: { name: OVERTIME.name } });
    expect(response.status).toBe(401);
  });
});

describe('GET /stats/{name} in pages', () => {
  const claims = { sub: 'sub-a', 'custom:tenant_id': 'tokyo-0', 'cognito:groups': '[tenant]' };
  const page = (query: Record<string, string>) =>
    routeHttpEvent(
      {
        routeKey: 'GET /stats/{name}',
        headers: {},
        pathParameters: { name: OVERTIME.name },
        queryStringParameters: query,
        requestContext: { authorizer: { jwt: { claims } } },
      },
      ports,
      silent,
    ).then((r) => ({ status: r.statusCode, json: JSON.parse(r.body) }));

  it('walks every cell once through `next`, and refuses a cursor that is not one', async () => {
    // Act
    const seen: unknown[] = [];
    let response = await page({ limit: '7' });
    const total = response.json.totalCells as number;
    seen.push(...response.json.cells);
    while (response.json.next) {
      expect(response.json.cells).toHaveLength(7);
      response = await page({ limit: '7', cursor: response.json.next });
      seen.push(...response.json.cells);
    }
    // Assess
    expect(total).toBeGreaterThan(7);
    expect(seen).toHaveLength(total);
    expect(new Set(seen.map((c) => JSON.stringify(c))).size).toBe(total);
    expect((await page({ cursor: 'not-a-cursor' })).status).toBe(422);
    expect((await page({ limit: '0' })).status).toBe(422);
  });
});

describe('benchmarks without the company itself', () => {
  it('leaves the company out of its peers and falls back from a suppressed prefecture to the region', async () => {
    // Act
    const saitama = await tenantBenchmark(world, {
      tenantId: 'saitama-0',
      profile: at('11'),
      statistic: OVERTIME.name,
    });
    const tokyo = await tenantBenchmark(world, {
      tenantId: 'tokyo-0',
      profile: at('13'),
      statistic: OVERTIME.name,
    });
    // Assess
    expect(saitama.status).toBe('published');
    if (saitama.status !== 'published' || tokyo.status !== 'published') return;
    expect(saitama.fallbacks[0]).toEqual({ level: 'prefecture', reason: 'suppressed' });
    expect(saitama.segment.level).not.toBe('prefecture');
    expect(saitama.comparedWith.en).toMatch(/besides yours/);
    expect(saitama.excludesOwn).toBe(true);
    // Tokyo's own prefecture cell: published count minus its own 6 employees.
    const cells = await readPublishedCells(world.objects, '20261101T000000Z', OVERTIME.name);
    const own = cells.find(
      (c) =>
        c.geo_level === 'prefecture' &&
        c.prefecture === '13' &&
        c.industry === 'E' &&
        c.size_band === '20-49' &&
        c.period === tokyo.period,
    );
    expect(tokyo.segment.level).toBe('prefecture');
    expect(tokyo.excludesOwn).toBe(true);
    expect(tokyo.peers.employees).toBe(Number(own?.employees) - 6);
    expect(tokyo.peers.employees).toBeGreaterThanOrEqual(defaultSettings.disclosure.minIndividuals);
  });
});
