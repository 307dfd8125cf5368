/**
 * The Athena path of pseudonymisation, for uploads above `limits.athenaThresholdBytes`: a CTAS from
 * the raw Glue table writes one Parquet file per period (bucket_count 1) to an empty staging prefix;
 * each is then copied whole to its `pseudonymisedKey` (a copy appears atomically, so no reader sees a
 * partial object), and the staging table and objects are removed.
 *
 * Keys and Athena query history (text for docs/PRIVACY.md):
 *
 *   Trino's `hmac_sha256` takes the key as a literal, so the CTAS text holds the tenant key in hex.
 *   Athena keeps every query's text in its query history (45 days; GetQueryExecution and
 *   ListQueryExecutions on the workgroup) and CloudTrail records StartQueryExecution with its
 *   request parameters. Anyone who can read either could recompute that tenant's tokens.
 *   Mitigations: (1) the Athena path runs only above the threshold (default 512 MiB per upload);
 *   everything else is masked by DuckDB inside Lambda, where the key never leaves the process;
 *   (2) it runs only in a dedicated `masking` workgroup whose query history only the mask function's
 *   role may read (explicit deny of athena:GetQueryExecution / BatchGetQueryExecution /
 *   ListQueryExecutions on that workgroup for every other principal, admin and BI included);
 *   (3) CloudTrail event history and trail files are readable only by the security-audit role
 *   (cloudtrail:LookupEvents denied to others; trail bucket KMS-encrypted, Object Lock);
 *   (4) the compiled query never prints its text (redacted toString/toJSON/inspect) and engine
 *   errors are redacted before they are thrown or logged; (5) when a tenant is purged its key is
 *   destroyed, so history older than the purge no longer matters once the data is gone, and the
 *   45-day history expires by itself. Residual risk: a principal with those read rights within 45
 *   days (90 in CloudTrail event history) can learn the key. Planned hardening: compute tokens for
 *   the upload's distinct linking codes in Lambda (node:crypto) and let Athena join a short-lived
 *   code→token table instead of receiving the key.
 */
import type { ObjectStore, QueryRunner } from '../../adapters/ports.ts';
import type { DatasetDef } from '../catalog/index.ts';
import { pseudonymisedKey } from '../zones.ts';
import {
  type AthenaCtasTarget,
  type CompiledQuery,
  compileAthenaPseudonymiseCtas,
  quoteIdent,
} from './compile.ts';
import { MaskingQueryError } from './duckdb-engine.ts';
import { rawTableName } from './glue-tables.ts';
import { hivePart, listKeys } from './local-files.ts';

/** Where the Athena path works: Glue databases and a staging prefix in a bucket Athena writes to. */
export interface AthenaMaskingConfig {
  readonly runner: QueryRunner;
  readonly rawDatabase: string;
  readonly workDatabase: string;
  /** Logical bucket and its real name, for the CTAS staging location. */
  readonly stagingBucket: string;
  readonly stagingBucketName: string;
}

/** Staging prefix of one CTAS run (must be empty before the run). */
export const athenaStagingPrefix = (tenantId: string, dataset: string, uploadId: string) =>
  `ctas/pseudonymised/tenant=${tenantId}/dataset=${dataset}/upload=${uploadId}/`;

async function runRedacted(runner: QueryRunner, query: CompiledQuery): Promise<void> {
  try {
    await runner.run(query.sqlForExecution());
  } catch (error) {
    // Athena's failure reasons can quote the statement; never let key material out.
    const reason = String(error instanceof Error ? error.message : error).split('\n')[0] ?? 'unknown error';
    throw new MaskingQueryError(`${query.describe()} failed: ${query.redact(reason)}`);
  }
}

/** Pseudonymises one upload with Athena CTAS; returns the pseudonymised keys written. */
export async function pseudonymiseWithAthena(
  config: AthenaMaskingConfig,
  objects: ObjectStore,
  request: {
    readonly tenantId: string;
    readonly uploadId: string;
    readonly dataset: DatasetDef;
    readonly key: Uint8Array;
  },
): Promise<string[]> {
  const { tenantId, uploadId, dataset, key } = request;
  const prefix = athenaStagingPrefix(tenantId, dataset.name, uploadId);
  const leftovers = await listKeys(objects, config.stagingBucket, prefix);
  if (leftovers.length > 0) {
    const { failed } = await objects.deleteMany(
      config.stagingBucket,
      leftovers.map((k) => ({ key: k })),
    );
    if (failed.length > 0)
      throw new MaskingQueryError(`staging prefix for upload ${uploadId} could not be emptied`);
  }
  const target: AthenaCtasTarget = {
    sourceDatabase: config.rawDatabase,
    sourceTable: rawTableName(dataset.name),
    targetDatabase: config.workDatabase,
    targetTable: `ctas_${dataset.name}_${uploadId.replace(/[^a-zA-Z0-9]/g, '_')}`.toLowerCase(),
    externalLocation: `s3://${config.stagingBucketName}/${prefix}`,
  };
  const ctas = compileAthenaPseudonymiseCtas({ dataset, key, tenantId, uploadId, target });
  const drop = `DROP TABLE IF EXISTS ${quoteIdent(target.targetDatabase)}.${quoteIdent(target.targetTable)}`;
  await config.runner.run(drop);
  try {
    await runRedacted(config.runner, ctas);
    const staged = (await listKeys(objects, config.stagingBucket, prefix)).filter((k) => !k.endsWith('/'));
    const outputs: string[] = [];
    const periods = new Set<string>();
    for (const stagedKey of staged) {
      const period = hivePart(stagedKey, 'period');
      if (!period) continue;
      if (periods.has(period)) {
        throw new MaskingQueryError(
          `Athena wrote more than one file for period ${period} of upload ${uploadId}`,
        );
      }
      periods.add(period);
      const finalKey = pseudonymisedKey(tenantId, dataset.name, period, uploadId);
      await objects.copy(config.stagingBucket, stagedKey, 'curated', finalKey);
      outputs.push(finalKey);
    }
    return outputs.sort();
  } finally {
    await config.runner.run(drop);
    const staged = await listKeys(objects, config.stagingBucket, prefix);
    if (staged.length > 0)
      await objects.deleteMany(
        config.stagingBucket,
        staged.map((k) => ({ key: k })),
      );
  }
}
