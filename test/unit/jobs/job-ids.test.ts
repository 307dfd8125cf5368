/**
 * Job ids (functions/domain/jobs/jobs.ts jobIdOf): the id an event names, one id per schedule firing (so
 * that a retry of the firing is the same job), or a new one.
 */
import { describe, expect, it } from 'vitest';
import { jobEventSchema, jobIdOf, nameBasedUuid } from '../../../functions/domain/jobs/jobs.ts';
import * as z from '../../../functions/domain/zod.ts';

const fresh = () => 'new-id';

describe('job ids', () => {
  it('computes name-based UUIDs as RFC 9562 does (its version 5 example)', () => {
    // RFC 9562 appendix A.4: the DNS namespace and the name www.example.com
    expect(nameBasedUuid('6ba7b810-9dad-11d1-80b4-00c04fd430c8', 'www.example.com')).toBe(
      '2ed6657d-e927-568b-95e1-2665a8aea6a2',
    );
  });

  it('gives one job per kind and schedule firing, and a new job to an event without either', () => {
    const release = jobIdOf({ scheduledAt: '2026-12-20T01:00:00Z' }, 'release', fresh);

    expect(z.safeParse(z.uuid(), release).success).toBe(true);
    expect(jobIdOf({ scheduledAt: '2026-12-20T01:00:00.000Z' }, 'release', fresh)).toBe(release);
    expect(jobIdOf({ scheduledAt: '2027-01-20T01:00:00Z' }, 'release', fresh)).not.toBe(release);
    expect(jobIdOf({ scheduledAt: '2026-12-20T01:00:00Z' }, 'purge', fresh)).not.toBe(release);
    expect(jobIdOf({ jobId: 'named', scheduledAt: '2026-12-20T01:00:00Z' }, 'release', fresh)).toBe('named');
    expect(jobIdOf({}, 'release', fresh)).toBe('new-id');
  });

  it('takes a fire time written with an offset as the same instant', () => {
    const event = jobEventSchema.parse({ scheduledAt: '2026-12-20T10:00:00+09:00' });

    expect(jobIdOf(event, 'release', fresh)).toBe(
      jobIdOf({ scheduledAt: '2026-12-20T01:00:00Z' }, 'release', fresh),
    );
    expect(jobEventSchema.safeParse({ scheduledAt: 'next month' }).success).toBe(false);
  });
});
