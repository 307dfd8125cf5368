/**
 * A company's own figures (its benchmark's left side, and what is taken out of its segment) come from
 * its facts only while they are of the generation in force, the rule a release pools them by
 * (release-companies.ts). Facts a rebuild wrote after a withdrawal renewed the generation (from upload
 * records read before it) still hold the withdrawn upload's rows: they are not the company's figures.
 */
import { describe, expect, it } from 'vitest';
import { buildTenantFacts } from '../../../functions/domain/masking/facts.ts';
import { renewFactsGeneration } from '../../../functions/domain/masking/facts-generation.ts';
import { ownFiguresFor } from '../../../functions/domain/stats/service.ts';
import { memoryRuntime } from '../../support/memory-runtime.ts';
import { seedMaskedCompanies } from '../release/companies.ts';

describe("a company's own figures", () => {
  it('are withheld while its facts are not of the generation in force, and return after a rebuild', async () => {
    // Prepare: one company with facts of two months; its generation then renewed, as a withdrawal does
    // before it removes the facts (here a late rebuild's outdated facts stay in place)
    const runtime = memoryRuntime({ now: new Date('2026-11-20T01:00:00.000Z') });
    await seedMaskedCompanies(runtime, ['t-a']);
    const before = await ownFiguresFor(runtime.objects, 't-a', 'headcount_by_age_gender', '2024-06');

    // Act
    await renewFactsGeneration(runtime.objects, 't-a');
    const outdated = await ownFiguresFor(runtime.objects, 't-a', 'headcount_by_age_gender', '2024-06');
    await buildTenantFacts(runtime, 't-a');
    const rebuilt = await ownFiguresFor(runtime.objects, 't-a', 'headcount_by_age_gender', '2024-06');

    // Assess: figures from current facts, none from outdated ones, the same again once rebuilt
    expect(before.figures?.rows).toBe(6);
    expect(outdated).toEqual({ value: null, figures: null });
    expect(rebuilt).toEqual(before);
  });
});
