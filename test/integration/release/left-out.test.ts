/**
 * A company a release leaves out for outdated facts is not left out silently: the release function
 * counts it (EMF `StatsCompaniesFactsOutdated`, which has an alarm) and logs its tenant id, and the
 * company's next facts rebuild brings it back.
 */
import { describe, expect, it } from 'vitest';
import { buildTenantFacts } from '../../../functions/domain/masking/facts.ts';
import { renewFactsGeneration } from '../../../functions/domain/masking/facts-generation.ts';
import { createReleaseHandler } from '../../../functions/stats-release/handler.ts';
import { composeRelease } from '../../../functions/stats-release/runtime.ts';
import { memoryRuntime } from '../../support/memory-runtime.ts';
import { stdoutOf } from '../../unit/observability/output.ts';
import { seedMaskedCompanies } from './companies.ts';

const context = {
  functionName: 'kura-stats-release',
  awsRequestId: 'r',
  getRemainingTimeInMillis: () => 900_000,
} as never;

/** The value of one metric in the EMF documents among the lines. */
function emfValue(lines: readonly string[], metric: string): number | undefined {
  for (const line of lines) {
    if (!line.startsWith('{')) continue;
    const document = JSON.parse(line) as Record<string, unknown>;
    if (document._aws !== undefined && metric in document) return Number(document[metric]);
  }
  return undefined;
}

/** The structured log entries among the lines whose message is `message`. */
const logged = (lines: readonly string[], message: string) =>
  lines
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((entry) => entry.message === message);

describe('companies a release leaves out for outdated facts', () => {
  it('are counted in a metric with an alarm and named in a warning, and come back after a rebuild', async () => {
    // Prepare: three companies with facts; t-b's generation is renewed after its facts were built (as by a
    // withdrawal whose facts rebuild has not run yet)
    const runtime = memoryRuntime({ now: new Date('2026-11-20T01:00:00.000Z') });
    await seedMaskedCompanies(runtime, ['t-a', 't-b', 't-c']);
    await renewFactsGeneration(runtime.objects, 't-b');
    const release = createReleaseHandler(() => composeRelease(runtime));

    // Act
    const first = await stdoutOf(() => release({}, context));
    await buildTenantFacts(runtime, 't-b');
    runtime.setNow(new Date('2026-11-21T01:00:00.000Z'));
    const second = await stdoutOf(() => release({}, context));

    // Assess: the first release counts and names t-b (its id only); the second pools every company
    expect(emfValue(first, 'StatsCompaniesFactsOutdated')).toBe(1);
    const [warning] = logged(
      first,
      'companies left out of the release: their facts are not of the generation in force',
    );
    expect(warning).toMatchObject({ level: 'WARN', tenantIds: ['t-b'] });
    expect(emfValue(second, 'StatsCompaniesFactsOutdated')).toBe(0);
    expect(
      logged(second, 'companies left out of the release: their facts are not of the generation in force'),
    ).toEqual([]);
  });
});
