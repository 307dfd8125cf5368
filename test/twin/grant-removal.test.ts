import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { demoPlan } from '../../local/synthetic/plan.ts';
import { registerCompanies, uploadFiles } from './harness/scenario.ts';
import { Twin } from './harness/twin.ts';

/**
 * The twin's IAM is not a formality: take one grant out of a synthesized policy and the same scenario
 * that passes in lifecycle.test.ts fails with AccessDenied where AWS would refuse.
 */
describe('a scenario with one grant removed from the synthesized policies', () => {
  let twin: Twin;
  beforeAll(async () => {
    twin = await Twin.start('dev', inject('twinAssemblies').dev);
  });
  afterAll(async () => {
    await twin?.stop();
  });

  it('fails with AccessDenied when ingest loses secretsmanager:GetSecretValue, and masks nothing', async () => {
    // Prepare: one company and one small upload; the ingest role can no longer read tenant keys.
    const plan = demoPlan({ companies: 1, seed: 3, datasets: ['sales'], withRejectedFile: false });
    const ingest = twin.fn('kura-ingest');
    const removed = twin.iam.removeStatement(ingest.roleArn, 'secretsmanager:GetSecretValue');
    await registerCompanies(twin, plan);

    // Act
    await uploadFiles(twin, plan);
    await twin.settled();

    // Assess
    expect(removed).toBeGreaterThan(0);
    const denied = twin.iam.denials.map((d) => [d.request.principal, d.request.action]);
    expect(denied).toContainEqual([ingest.roleArn, 'secretsmanager:GetSecretValue']);
    expect(twin.lambda.logs.get(ingest.name)?.join('')).toContain('AccessDeniedException');
    const curated = twin.s3.bucketNames.find((name) => name.startsWith('kura-dev-curated-')) ?? '';
    expect(twin.s3.versions(curated, 'pseudonymised/')).toEqual([]);
    // The notification was retried as SQS redelivers it, then set aside in the dead-letter queue.
    expect(twin.events.deadLetters).toHaveLength(1);
  });
});
