/**
 * A key that does not exist, read by a deployed function whose role may list the bucket only under a
 * prefix: S3 answers 403 rather than 404 to a caller that may not list, and does not document how a
 * prefix-limited grant counts. The S3 adapter tells the two apart with a one-key listing; this shows,
 * on AWS, that a release nobody published is "not found" (404) through the API, not an internal error.
 */
import { describe, expect, it } from 'vitest';
import { api, env } from './support.ts';

describe('a missing key read by a deployed function', () => {
  it('answers 404 for a release that was never published', async () => {
    // Act
    const response = await api(env.tenantToken, 'GET', '/public/notices/20991231T000000Z');

    // Assess
    expect(response.status).toBe(404);
  });
});
