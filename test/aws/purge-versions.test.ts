/**
 * A purge on versioned S3 leaves no version and no delete marker of the tenant, and its key secret is
 * gone (locally s3rver keeps no versions, so only AWS can show this). The suite registers a throwaway
 * tenant whose contract ended, writes versions and delete markers under its prefixes as the operator,
 * purges it through the admin API, then lists object versions itself.
 */

import { DeleteObjectCommand, ListObjectVersionsCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { DescribeSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { describe, expect, it } from 'vitest';
import { landingKey, rawKey, reportKey, tenantPrefixes } from '../../functions/domain/zones.ts';
import { keySecretPrefix } from '../../infra/naming.ts';
import { api, env, eventually, operator, physicalBucket } from './support.ts';

const tenantId = `aws-accept-${Date.now().toString(36)}`;

async function put(bucket: 'landing' | 'raw', key: string, body: string) {
  await operator.s3.send(
    new PutObjectCommand({
      Bucket: physicalBucket(bucket),
      Key: key,
      Body: body,
      ServerSideEncryption: 'aws:kms',
      SSEKMSKeyId: env.dataKeyArn,
    }),
  );
}

/** Every version and delete marker under the tenant's prefixes, as `bucket/key#version`. */
async function versionsLeft(): Promise<string[]> {
  const left: string[] = [];
  for (const { bucket, prefix } of tenantPrefixes(tenantId)) {
    let KeyMarker: string | undefined;
    let VersionIdMarker: string | undefined;
    do {
      const page = await operator.s3.send(
        new ListObjectVersionsCommand({
          Bucket: physicalBucket(bucket),
          Prefix: prefix,
          KeyMarker,
          VersionIdMarker,
        }),
      );
      for (const v of [...(page.Versions ?? []), ...(page.DeleteMarkers ?? [])])
        left.push(`${bucket}/${v.Key}#${v.VersionId}`);
      KeyMarker = page.NextKeyMarker;
      VersionIdMarker = page.NextVersionIdMarker;
    } while (KeyMarker);
  }
  return left;
}

describe('purge on versioned buckets', () => {
  it('leaves no object version, no delete marker and no key of the purged tenant', async () => {
    // Prepare
    const registered = await api(env.adminToken, 'POST', '/admin/tenants', {
      tenantId,
      name: `Acceptance ${tenantId}`,
      profile: { industry: 'E', prefecture: '13', sizeBand: '20-49' },
      contract: { start: '2024-04-01', end: '2025-03-31', retentionDaysAfterEnd: 0 },
    });
    expect(registered.status, JSON.stringify(registered.body)).toBe(201);
    const raw = rawKey(tenantId, 'sales', '2025-03', '00000000-0000-4000-8000-000000000001');
    await put('raw', raw, 'version 1');
    await put('raw', raw, 'version 2');
    await put('raw', reportKey(tenantId, '00000000-0000-4000-8000-000000000001'), '{}');
    const landed = landingKey(tenantId, 'sales', '00000000-0000-4000-8000-000000000002', 'uriage.csv');
    await put('landing', landed, 'a,b');
    await operator.s3.send(new DeleteObjectCommand({ Bucket: physicalBucket('landing'), Key: landed }));
    const before = await versionsLeft();

    // Act
    const purged = await eventually(
      async () => {
        const { status, body } = await api(env.adminToken, 'POST', `/admin/tenants/${tenantId}/purge`, {});
        if (status >= 400) throw new Error(`purge refused: ${status} ${JSON.stringify(body)}`);
        return body.outcome === 'purged' ? body : undefined;
      },
      { attempts: 30, everyMs: 2_000, what: `purge of ${tenantId}` },
    );
    const certificate = await api(env.adminToken, 'GET', `/admin/certificates/${tenantId}`);
    const secret = await new SecretsManagerClient({ region: env.region })
      .send(new DescribeSecretCommand({ SecretId: `${keySecretPrefix(env.stage)}${tenantId}` }))
      .then((described) => (described.DeletedDate ? 'scheduled for deletion' : 'present'))
      .catch((error: Error) => (error.name === 'ResourceNotFoundException' ? 'gone' : `error ${error.name}`));

    // Assess
    expect(before.length).toBeGreaterThanOrEqual(5);
    expect(purged.outcome).toBe('purged');
    expect(await versionsLeft()).toEqual([]);
    expect(certificate.status).toBe(200);
    expect(JSON.stringify(certificate.body)).toContain('ZERO_RESIDUE');
    expect(['gone', 'scheduled for deletion']).toContain(secret);
  });
});
