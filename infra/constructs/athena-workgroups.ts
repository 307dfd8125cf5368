import { Stack } from 'aws-cdk-lib';
import * as athena from 'aws-cdk-lib/aws-athena';
import type * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { STATS_ETL_WORKGROUP } from '../../functions/domain/stats/publish.ts';
import type { SecureBucket } from './secure-bucket.ts';

/** Kura's Athena workgroups (fixed names, like the Glue databases the SQL names). */
export const WORKGROUPS = {
  /** Statistics materialisation (CTAS / ADD PARTITION) by the stats-release function. */
  etl: STATS_ETL_WORKGROUP,
  /** BI tools reading published statistics. */
  bi: 'bi',
  /** Platform administrators analysing pseudonymised data. */
  admin: 'admin',
  /** The Athena path of pseudonymisation (its query text holds a tenant key: see athena-mask.ts). */
  masking: 'masking',
} as const;
export type Workgroup = keyof typeof WORKGROUPS;

const GIB = 1024 ** 3;
/** Per-query bytes-scanned cutoff of each workgroup: a runaway query is cancelled, not billed. */
export const BYTES_SCANNED_CUTOFF: Readonly<Record<Workgroup, number>> = {
  etl: 200 * GIB,
  bi: 1 * GIB,
  admin: 20 * GIB,
  masking: 200 * GIB,
};

/**
 * Workgroups whose configuration (result location, encryption, cutoff) overrides the client's.
 * `etl` and `masking` cannot be enforced: their CTAS statements name `external_location` (the stats
 * and staging prefixes), which Athena refuses in a workgroup that enforces its configuration. Their
 * results are still encrypted with the data key, and the bucket policy refuses any other key.
 */
export const ENFORCED: Readonly<Record<Workgroup, boolean>> = {
  etl: false,
  bi: true,
  admin: true,
  masking: false,
};

/** Key prefix of a workgroup's results in the query-results bucket (zones.ts: `results/<workgroup>/`). */
export const resultsPrefix = (workgroup: Workgroup) => `results/${WORKGROUPS[workgroup]}/`;

/** ARN of a workgroup by logical name. */
export const workgroupArn = (stack: Stack, workgroup: Workgroup) =>
  `arn:aws:athena:${stack.region}:${stack.account}:workgroup/${WORKGROUPS[workgroup]}`;

/** Properties of {@link AthenaWorkgroups}. */
export interface AthenaWorkgroupsProps {
  readonly queryResults: SecureBucket;
  /** Key of the query-results bucket: every result is SSE-KMS with it. */
  readonly dataKey: kms.IKey;
  /** Delete the workgroups' query history with the stack (dev). @default false */
  readonly recursiveDelete?: boolean;
}

/**
 * The Athena workgroups: engine v3, results SSE-KMS under `results/<workgroup>/` of the query-results
 * bucket (which expires them after `retention.queryResultsDays`), CloudWatch metrics on (the alarms on
 * failed queries read them), a bytes-scanned cutoff per query.
 */
export class AthenaWorkgroups extends Construct {
  readonly workgroups: Readonly<Record<Workgroup, athena.CfnWorkGroup>>;

  constructor(scope: Construct, id: string, props: AthenaWorkgroupsProps) {
    super(scope, id);
    const workgroups = {} as Record<Workgroup, athena.CfnWorkGroup>;
    for (const workgroup of Object.keys(WORKGROUPS) as Workgroup[]) {
      workgroups[workgroup] = new athena.CfnWorkGroup(this, `${workgroup}Workgroup`, {
        name: WORKGROUPS[workgroup],
        description: `Kura ${workgroup} queries`,
        state: 'ENABLED',
        recursiveDeleteOption: props.recursiveDelete ?? false,
        workGroupConfiguration: {
          enforceWorkGroupConfiguration: ENFORCED[workgroup],
          publishCloudWatchMetricsEnabled: true,
          bytesScannedCutoffPerQuery: BYTES_SCANNED_CUTOFF[workgroup],
          requesterPaysEnabled: false,
          engineVersion: { selectedEngineVersion: 'Athena engine version 3' },
          resultConfiguration: {
            outputLocation: `s3://${props.queryResults.bucketName}/${resultsPrefix(workgroup)}`,
            encryptionConfiguration: { encryptionOption: 'SSE_KMS', kmsKey: props.dataKey.keyArn },
            expectedBucketOwner: Stack.of(this).account,
          },
        },
      });
    }
    this.workgroups = workgroups;
  }
}
