import type { Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { tenantRecordSchema } from '../../../functions/domain/tenants/model.ts';
import { createPurgeHandler } from '../../../functions/purge/handler.ts';
import { makeWorld, NOW, seedTenant } from './fixtures.ts';

const context = {
  functionName: 'kura-purge',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:ap-northeast-1:123456789012:function:kura-purge',
  memoryLimitInMB: '1024',
  awsRequestId: 'request-1',
  getRemainingTimeInMillis: () => 15 * 60 * 1000,
} as unknown as Context;

async function world() {
  const w = makeWorld();
  await seedTenant(w, 'expired');
  await seedTenant(w, 'held', { legalHold: true });
  await seedTenant(w, 'current', { state: 'ACTIVE', contract: { start: '2024-04-01' } });
  return w;
}

const stateOf = async (w: Awaited<ReturnType<typeof world>>, tenantId: string) =>
  tenantRecordSchema.parse(await w.tables.get('tenants', { tenantId })).state;

describe('purge handler', () => {
  it('purges every tenant due on a scheduled event, reporting the held one', async () => {
    // Prepare
    const w = await world();
    const handler = createPurgeHandler(() => w.ports());

    // Act
    const summary = await handler({ 'detail-type': 'Scheduled Event', source: 'aws.scheduler' }, context);

    // Assess
    expect(summary).toMatchObject({
      kind: 'scheduled',
      summary: {
        purged: [{ tenantId: 'expired' }],
        blocked: [{ tenantId: 'held' }],
        failed: [],
        more: false,
      },
    });
    expect([await stateOf(w, 'expired'), await stateOf(w, 'held'), await stateOf(w, 'current')]).toEqual([
      'PURGED',
      'TERMINATED',
      'ACTIVE',
    ]);
  });

  it('runs a dry run for one tenant on direct invocation', async () => {
    // Prepare
    const w = await world();
    const handler = createPurgeHandler(() => w.ports());

    // Act
    const result = await handler({ tenantId: 'expired', dryRun: true }, context);

    // Assess
    expect(result).toMatchObject({
      kind: 'tenant',
      result: { outcome: 'dry-run', plan: { tenantId: 'expired', keys: 1 } },
    });
    expect(await stateOf(w, 'expired')).toBe('TERMINATED');
  });

  it('answers a refused purge with the bilingual reason', async () => {
    // Prepare
    const w = await world();
    const handler = createPurgeHandler(() => w.ports());

    // Act
    const result = await handler(
      { tenantId: 'held', actor: { subject: 'idp|admin-1', roles: ['admin'] } },
      context,
    );

    // Assess
    expect(result).toMatchObject({ kind: 'refused', error: { code: 'CONFLICT' } });
    expect(JSON.stringify(result)).toContain('legal hold');
    expect((await w.ledgerEntries()).at(-1)).toMatchObject({
      action: 'purge.refused',
      actor: { subject: 'idp|admin-1' },
    });
  });

  it('purges one tenant now on direct invocation', async () => {
    // Prepare
    const w = await world();
    const handler = createPurgeHandler(() => w.ports());

    // Act
    const result = await handler({ tenantId: 'expired' }, context);

    // Assess
    expect(result).toMatchObject({
      kind: 'tenant',
      result: { outcome: 'purged', done: true, certificate: { tenantId: 'expired' } },
    });
    if (result.kind !== 'tenant' || result.result.outcome !== 'purged') throw new Error('not purged');
    expect(NOW.getTime()).toBeLessThan(Date.parse(result.result.certificate.finishedAt));
    expect(await w.tables.get('jobs', { jobId: result.jobId })).toMatchObject({
      state: 'SUCCEEDED',
      kind: 'purge',
      result: { outcome: 'purged', certificateId: result.result.certificate.certificateId },
    });
  });

  it('asks again for a release when purged tenants still wait for one', async () => {
    // Prepare: a purge certified earlier whose release never started.
    const w = makeWorld();
    await seedTenant(w, 'gone', { state: 'PURGED', releasePending: true });
    const handler = createPurgeHandler(() => w.ports());

    // Act
    const result = await handler({}, context);

    // Assess
    expect(result).toMatchObject({
      kind: 'scheduled',
      summary: { purged: [], releaseRequested: expect.any(String) },
    });
    expect(w.releases).toEqual([undefined]);
  });
});
