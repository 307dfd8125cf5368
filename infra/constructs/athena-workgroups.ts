import { Stack } from 'aws-cdk-lib';
import * as athena from 'aws-cdk-lib/aws-athena';
import type * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import {
  WORKGROUP_KEYS,
  type WorkgroupKey,
  workgroupName,
  workgroupResultsPrefix,
} from '../../functions/domain/athena-names.ts';
import type { SecureBucket } from './secure-bucket.ts';

/**
 * Kura's Athena workgroups: `etl` (statistics materialisation, CTAS / ADD PARTITION, by the release
 * function), `bi` (BI tools reading published statistics), `admin` (platform administrators analysing
 * pseudonymised data). Names carry the stage (functions/domain/athena-names.ts).
 */
export type Workgroup = WorkgroupKey;

const GIB = 1024 ** 3;
/** Per-query bytes-scanned cutoff of each workgroup: a runaway query is cancelled, not billed. */
export const BYTES_SCANNED_CUTOFF: Readonly<Record<Workgroup, number>> = {
  etl: 200 * GIB,
  bi: 1 * GIB,
  admin: 20 * GIB,
};

/**
 * Workgroups whose configuration (result location, encryption, cutoff) overrides the client's.
 * `etl` cannot be enforced: its CTAS statements name `external_location` (the stats prefixes), which
 * Athena refuses in a workgroup that enforces its configuration. Its results are still encrypted with
 * the data key, and the bucket policy refuses any other key.
 */
export const ENFORCED: Readonly<Record<Workgroup, boolean>> = {
  etl: false,
  bi: true,
  admin: true,
};

/** Key prefix of a workgroup's results in the query-results bucket (zones.ts: `results/<workgroup>/`). */
export const resultsPrefix = (stage: string, workgroup: Workgroup) =>
  workgroupResultsPrefix(stage, workgroup);

/** ARN of a stage's workgroup. */
export const workgroupArn = (stack: Stack, stage: string, workgroup: Workgroup) =>
  `arn:aws:athena:${stack.region}:${stack.account}:workgroup/${workgroupName(stage, workgroup)}`;

/** Properties of {@link AthenaWorkgroups}. */
export interface AthenaWorkgroupsProps {
  /** Stage whose workgroups these are (their names carry it). */
  readonly stage: string;
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
    for (const workgroup of WORKGROUP_KEYS) {
      workgroups[workgroup] = new athena.CfnWorkGroup(this, `${workgroup}Workgroup`, {
        name: workgroupName(props.stage, workgroup),
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
            outputLocation: `s3://${props.queryResults.bucketName}/${resultsPrefix(props.stage, workgroup)}`,
            encryptionConfiguration: { encryptionOption: 'SSE_KMS', kmsKey: props.dataKey.keyArn },
            expectedBucketOwner: Stack.of(this).account,
          },
        },
      });
    }
    this.workgroups = workgroups;
  }
}
