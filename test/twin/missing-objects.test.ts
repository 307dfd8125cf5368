/**
 * Reading a key that does not exist, as the deployed functions do, under S3's rule: a caller that may
 * not list the bucket gets 403 for a missing key, not 404. Kura's functions may list only under their
 * own prefixes, which the twin (strictly) does not count for a GET, so the S3 adapter tells a missing
 * key from a refused read with a one-key listing. Without it the first ledger export, a release with a
 * company that has no facts yet, and the API asking whether a release is published all fail.
 */
import { describe, expect, it } from 'vitest';
import { factKey } from '../../functions/domain/masking/facts.ts';
import { NotFoundError } from '../../functions/domain/ports/index.ts';
import { pseudonymisedKey } from '../../functions/domain/zones.ts';
import { twinPerSuite } from './harness/per-suite.ts';

const STAGE = 'dev';

describe(`reading a missing key through the twin of ${STAGE}`, () => {
  const twin = twinPerSuite(STAGE);

  const denied = () => twin().iam.denials.map((d) => `${d.request.action} ${d.request.resource}`);

  it('tells the release role a company has no facts, and reads the facts of one that has', async () => {
    // Prepare: one company's facts written as masking writes them; another company has none yet
    const mask = twin().deployedRuntime('kura-mask');
    await mask.objects.put('curated', factKey('tenant-with-facts', 'employee_month'), 'facts');
    const release = twin().deployedRuntime('kura-stats-release');
    const before = denied().length;

    // Act
    const present = await release.objects.get('curated', factKey('tenant-with-facts', 'employee_month'));
    const missing = await release.objects
      .get('curated', factKey('tenant-without-facts', 'employee_month'))
      .catch((e: unknown) => e);
    const head = await release.objects.head('curated', factKey('tenant-without-facts', 'company_month'));

    // Assess
    expect(new TextDecoder().decode(present)).toBe('facts');
    expect(missing).toBeInstanceOf(NotFoundError);
    expect(head).toBeUndefined();
    expect(denied().slice(before)).toEqual([]);
  });

  it('answers 404 through the deployed API for a release that was never published', async () => {
    // Act
    const notice = await twin().api('GET /public/notices/{releaseId}', {
      path: { releaseId: '20991231T000000Z' },
      lang: 'en',
    });

    // Assess
    expect(notice.statusCode, JSON.stringify(notice.json)).toBe(404);
  });

  it('still refuses a read the role is not granted, whether or not the key exists', async () => {
    // Prepare: a pseudonymised object (the release role may read facts only)
    const mask = twin().deployedRuntime('kura-mask');
    const existing = pseudonymisedKey('tenant-with-facts', 'attendance', '2026-10', 'u-1');
    await mask.objects.put('curated', existing, 'pseudonymised rows');
    const release = twin().deployedRuntime('kura-stats-release');

    // Act
    const refused = await release.objects.get('curated', existing).catch((e: unknown) => e);
    const refusedMissing = await release.objects
      .get('curated', pseudonymisedKey('tenant-with-facts', 'attendance', '2026-11', 'u-1'))
      .catch((e: unknown) => e);

    // Assess: refusals, not "missing" (the release role may not list pseudonymised/ either)
    for (const outcome of [refused, refusedMissing]) {
      expect(outcome).toBeInstanceOf(Error);
      expect(outcome).not.toBeInstanceOf(NotFoundError);
      expect((outcome as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode).toBe(403);
    }
  });
});
