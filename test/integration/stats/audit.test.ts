/**
 * The release audit gates publication: a deliberately unsafe release (perturbation switched off,
 * quantile rules relaxed) is refused with nothing of it visible, its findings stored for admins
 * without a value; the same companies under the default settings are published.
 */
import { describe, expect, it } from 'vitest';
import { platformSettingsSchema } from '../../../functions/domain/settings.ts';
import {
  auditReportKey,
  auditReportSchema,
  ReleaseAuditFailedError,
} from '../../../functions/domain/stats/audit.ts';
import { manifestKey, publishedMarkerKey } from '../../../functions/domain/stats/release.ts';
import { statsPrefix } from '../../../functions/domain/zones.ts';
import { type CraftedCompany, craftedWorld, OVERTIME, publishCrafted, SALES } from './crafted.ts';

const unsafe = platformSettingsSchema.parse({
  disclosure: {
    perturbation: { companyFactorMin: 0, companyFactorMax: 0 },
    quantiles: { minCompanies: 5, minIndividuals: 10, maxCompanyShare: 1 },
  },
});
const TOKYO = { industry: 'E' as const, prefecture: '13', sizeBand: '20-49' as const };
const fiveCompanies: CraftedCompany[] = [523, 547, 561, 588, 596].map((perHead, i) => ({
  tenantId: `audit-${i}`,
  profile: TOKYO,
  employees: [{ id: 'e', overtime: 10 }],
  headcount: 40,
  sales: 40 * perHead * 1000,
}));

async function keysUnder(world: ReturnType<typeof craftedWorld>, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const o of world.objects.list('stats', prefix)) keys.push(o.key);
  return keys;
}

describe('release audit', () => {
  it('refuses a release whose company quartiles are exact order statistics, and publishes nothing of it', async () => {
    // Prepare: five companies; noise off and the quantile rule relaxed to five companies
    const world = craftedWorld(unsafe);
    // Act
    const run = publishCrafted(world, 'unsafe-q', fiveCompanies, [SALES]);
    // Assess
    await expect(run).rejects.toThrow(ReleaseAuditFailedError);
    expect(await world.objects.head('stats', publishedMarkerKey('unsafe-q'))).toBeUndefined();
    expect(await world.objects.head('stats', manifestKey('unsafe-q'))).toBeUndefined();
    expect(await keysUnder(world, statsPrefix('unsafe-q'))).toEqual([]);
    const text = new TextDecoder().decode(await world.objects.get('stats', auditReportKey('unsafe-q')));
    const report = auditReportSchema.parse(JSON.parse(text));
    expect(report.passed).toBe(false);
    expect(report.failures.map((f) => f.check)).toContain('quantile');
    // Findings name cells and ratios, never a company's value.
    for (const c of fiveCompanies) expect(text).not.toContain(String((c.sales ?? 0) / 40));
  });

  it('refuses the release after a purge when the difference would pin the purged company (perturbation off)', async () => {
    // Prepare: six companies, then the same without the sixth (its purge)
    const world = craftedWorld(
      platformSettingsSchema.parse({
        disclosure: { perturbation: { companyFactorMin: 0, companyFactorMax: 0 } },
      }),
    );
    const companies: CraftedCompany[] = Array.from({ length: 6 }, (_, i) => ({
      tenantId: `purge-${i}`,
      profile: TOKYO,
      employees: Array.from({ length: 5 }, (_, j) => ({ id: `e${j}`, overtime: 30 + 7 * i + j })),
    }));
    await publishCrafted(world, 'before-purge', companies, [OVERTIME]);
    // Act
    const run = publishCrafted(world, 'after-purge', companies.slice(0, 5), [OVERTIME]);
    // Assess
    await expect(run).rejects.toThrow(ReleaseAuditFailedError);
    const report = auditReportSchema.parse(
      JSON.parse(new TextDecoder().decode(await world.objects.get('stats', auditReportKey('after-purge')))),
    );
    expect(report.earlierReleases).toEqual(['before-purge']);
    expect(report.failures.some((f) => f.check === 'difference' && f.against === 'before-purge')).toBe(true);
    expect(await world.objects.head('stats', publishedMarkerKey('after-purge'))).toBeUndefined();
  });

  it('refuses the release after a purge when a gap in the factors leaves each sign too narrow an interval', async () => {
    // Prepare: factors of 15–20 % up or down. The span of the purged company's interval is wide, but
    // the attacker who guesses the sign (right half the time) holds one piece of it, 4 % of the truth.
    const world = craftedWorld(
      platformSettingsSchema.parse({
        disclosure: { perturbation: { companyFactorMin: 0.15, companyFactorMax: 0.2 } },
      }),
    );
    const companies: CraftedCompany[] = Array.from({ length: 6 }, (_, i) => ({
      tenantId: `gap-${i}`,
      profile: TOKYO,
      employees: Array.from({ length: 5 }, (_, j) => ({ id: `e${j}`, overtime: 30 + 7 * i + j })),
    }));
    await publishCrafted(world, 'gap-1', companies, [OVERTIME]);
    // Act
    const run = publishCrafted(world, 'gap-2', companies.slice(0, 5), [OVERTIME]);
    // Assess
    await expect(run).rejects.toThrow(ReleaseAuditFailedError);
    const report = auditReportSchema.parse(
      JSON.parse(new TextDecoder().decode(await world.objects.get('stats', auditReportKey('gap-2')))),
    );
    expect(
      report.failures.some(
        (f) => f.check === 'difference' && f.against === 'gap-1' && f.measure !== 'employees',
      ),
    ).toBe(true);
  });

  it('publishes the same companies and the same purge under the default settings', async () => {
    // Prepare
    const world = craftedWorld();
    const companies: CraftedCompany[] = Array.from({ length: 6 }, (_, i) => ({
      tenantId: `safe-${i}`,
      profile: TOKYO,
      employees: Array.from({ length: 5 }, (_, j) => ({ id: `e${j}`, overtime: 30 + 7 * i + j })),
    }));
    // Act
    await publishCrafted(world, 'safe-1', companies, [OVERTIME]);
    await publishCrafted(world, 'safe-2', companies.slice(0, 5), [OVERTIME]);
    await publishCrafted(world, 'safe-q', fiveCompanies, [SALES]);
    // Assess
    for (const id of ['safe-1', 'safe-2', 'safe-q']) {
      expect(await world.objects.head('stats', publishedMarkerKey(id)), id).toBeDefined();
      const report = auditReportSchema.parse(
        JSON.parse(new TextDecoder().decode(await world.objects.get('stats', auditReportKey(id)))),
      );
      expect(report.passed, id).toBe(true);
    }
    const second = auditReportSchema.parse(
      JSON.parse(new TextDecoder().decode(await world.objects.get('stats', auditReportKey('safe-2')))),
    );
    expect(second.checked.differences).toBeGreaterThan(0);
  });
});
