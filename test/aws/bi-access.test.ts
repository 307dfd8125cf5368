/**
 * The BI role reads published statistics through the `bi` workgroup and nothing else: its S3 reads of raw
 * data and its Athena queries on kura_raw are refused by AWS (IAM policies on S3, Glue and Athena), which
 * no local server can show.
 */
import {
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectVersionsCommand,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawTableName } from '../../functions/domain/masking/glue-tables.ts';
import { statisticColumns } from '../../functions/domain/stats/catalog.ts';
import { STATISTICS } from '../../functions/domain/stats/statistics.ts';
import { rawKey } from '../../functions/domain/zones.ts';
import { api, asBiRole, athenaQuery, env, isAccessDenied, operator, physicalBucket } from './support.ts';

const probeKey = rawKey('aws-accept-probe', 'sales', '2025-01', '00000000-0000-4000-8000-0000000000bb');
let bi: Awaited<ReturnType<typeof asBiRole>>;

beforeAll(async () => {
  bi = await asBiRole();
  await operator.s3.send(
    new PutObjectCommand({
      Bucket: physicalBucket('raw'),
      Key: probeKey,
      Body: 'probe',
      ServerSideEncryption: 'aws:kms',
      SSEKMSKeyId: env.dataKeyArn,
    }),
  );
});

afterAll(async () => {
  const bucket = physicalBucket('raw');
  const versions = await operator.s3.send(
    new ListObjectVersionsCommand({ Bucket: bucket, Prefix: probeKey }),
  );
  for (const v of [...(versions.Versions ?? []), ...(versions.DeleteMarkers ?? [])]) {
    await operator.s3.send(
      new DeleteObjectCommand({ Bucket: bucket, Key: probeKey, VersionId: v.VersionId }),
    );
  }
});

describe('BI access', () => {
  it('queries the latest statistics view through the bi workgroup, with the documented columns', async () => {
    // Prepare
    const statistic = STATISTICS[0];
    if (!statistic) throw new Error('the statistics catalogue is empty');

    // Act
    const outcome = await athenaQuery(
      bi.athena,
      'bi',
      `SELECT * FROM kura_stats.${statistic.name}_latest LIMIT 5`,
    );

    // Assess
    expect(outcome.state, outcome.reason).toBe('SUCCEEDED');
    expect(outcome.columns).toEqual(expect.arrayContaining(statisticColumns(statistic).map((c) => c.name)));
  });

  it('shows in the latest views the release the API calls latest', async () => {
    // Prepare
    const latest = await api(env.tenantToken, 'GET', '/stats');
    expect(latest.status, JSON.stringify(latest.body)).toBe(200);
    const statistic = STATISTICS[0];
    if (!statistic) throw new Error('the statistics catalogue is empty');

    // Act
    const outcome = await athenaQuery(
      bi.athena,
      'bi',
      `SELECT DISTINCT release_id FROM kura_stats.${statistic.name}_latest`,
    );

    // Assess
    expect(outcome.state, outcome.reason).toBe('SUCCEEDED');
    expect(outcome.rows.map((row) => row[0])).toEqual([String(latest.body.releaseId)]);
  });

  it('queries every published statistic table through the bi workgroup', async () => {
    // Act
    const failures: string[] = [];
    for (const statistic of STATISTICS) {
      const outcome = await athenaQuery(
        bi.athena,
        'bi',
        `SELECT count(*) FROM kura_stats.${statistic.name}_all`,
      );
      if (outcome.state !== 'SUCCEEDED') failures.push(`${statistic.name}: ${outcome.reason}`);
    }

    // Assess
    expect(failures).toEqual([]);
  });

  it('is refused a raw object that exists', async () => {
    // Act
    const error = await bi.s3
      .send(new GetObjectCommand({ Bucket: physicalBucket('raw'), Key: probeKey }))
      .then(() => undefined)
      .catch((e: unknown) => e);

    // Assess
    expect(error).toBeDefined();
    expect(isAccessDenied(error)).toBe(true);
  });

  it('is refused an Athena query on kura_raw', async () => {
    // Act
    const outcome = await athenaQuery(
      bi.athena,
      'bi',
      `SELECT * FROM kura_raw.${rawTableName('sales')} LIMIT 1`,
    );

    // Assess
    expect(outcome.state).toBe('FAILED');
    expect(outcome.reason).toMatch(/denied|not authorized|permission/i);
  });

  it('is refused the admin suppression reasons', async () => {
    // Prepare
    const statistic = STATISTICS[0];
    if (!statistic) throw new Error('the statistics catalogue is empty');

    // Act
    const outcome = await athenaQuery(
      bi.athena,
      'bi',
      `SELECT * FROM kura_stats_admin.${statistic.name}_suppression LIMIT 1`,
    );

    // Assess
    expect(outcome.state).toBe('FAILED');
    expect(outcome.reason).toMatch(/denied|not authorized|permission/i);
  });
});
