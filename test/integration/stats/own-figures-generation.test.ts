/**
 * A company's own figures (its benchmark's left side, and what is taken out of its segment) come from
 * its facts only under the rules a release pools them by (release-companies.ts): no withdrawal of the
 * company unfinished, and the facts of the generation in force. Facts a rebuild wrote after a
 * withdrawal renewed the generation (from upload records read before it), and facts a withdrawal has not
 * yet rebuilt, still hold the withdrawn upload's rows: they are not the company's figures.
 */
import { describe, expect, it } from 'vitest';
import { buildTenantFacts } from '../../../functions/domain/masking/facts.ts';
import { renewFactsGeneration } from '../../../functions/domain/masking/facts-generation.ts';
import { ownFiguresFor } from '../../../functions/domain/stats/service.ts';
import { storedUploadSchema, updateUploadRecord } from '../../../functions/domain/uploads/supersession.ts';
import { memoryRuntime } from '../../support/memory-runtime.ts';
import { seedMaskedCompanies } from '../release/companies.ts';

describe("a company's own figures", () => {
  it('are withheld while its facts are not of the generation in force, and return after a rebuild', async () => {
    // Prepare: one company with facts of two months; its generation then renewed, as a withdrawal does
    // before it removes the facts (here a late rebuild's outdated facts stay in place)
    const runtime = memoryRuntime({ now: new Date('2026-11-20T01:00:00.000Z') });
    await seedMaskedCompanies(runtime, ['t-a']);
    const before = await ownFiguresFor(runtime, 't-a', 'headcount_by_age_gender', '2024-06');

    // Act
    await renewFactsGeneration(runtime.objects, 't-a');
    const outdated = await ownFiguresFor(runtime, 't-a', 'headcount_by_age_gender', '2024-06');
    await buildTenantFacts(runtime, 't-a');
    const rebuilt = await ownFiguresFor(runtime, 't-a', 'headcount_by_age_gender', '2024-06');

    // Assess: figures from current facts, none from outdated ones, the same again once rebuilt
    expect(before.figures?.rows).toBe(6);
    expect(outdated).toEqual({ value: null, figures: null });
    expect(rebuilt).toEqual(before);
  });

  it('are withheld while a withdrawal of the company is unfinished, and return once it is finished', async () => {
    // Prepare: one company with facts; one of its uploads then withdrawn (the record says WITHDRAWN) while
    // the run that deletes its data and rebuilds the facts has not finished (it failed, or has not started)
    const runtime = memoryRuntime({ now: new Date('2026-11-20T01:00:00.000Z') });
    await seedMaskedCompanies(runtime, ['t-a']);
    const before = await ownFiguresFor(runtime, 't-a', 'headcount_by_age_gender', '2024-06');
    const item = await runtime.table.get('uploads', { tenantId: 't-a', uploadId: 'att' });
    const record = storedUploadSchema.parse(item);

    // Act
    const withdrawn = await updateUploadRecord(runtime.table, new Date('2026-11-20T02:00:00.000Z'), record, {
      status: 'WITHDRAWN',
      withdrawnAt: '2026-11-20T02:00:00.000Z',
    });
    const unfinished = await ownFiguresFor(runtime, 't-a', 'headcount_by_age_gender', '2024-06');
    await updateUploadRecord(runtime.table, new Date('2026-11-20T02:01:00.000Z'), withdrawn, {
      withdrawalRef: 'ledger-entry',
    });
    const finished = await ownFiguresFor(runtime, 't-a', 'headcount_by_age_gender', '2024-06');

    // Assess: the facts (which still hold the withdrawn rows) count only once the withdrawal has finished
    expect(before.figures?.rows).toBe(6);
    expect(unfinished).toEqual({ value: null, figures: null });
    expect(finished).toEqual(before);
  });
});
