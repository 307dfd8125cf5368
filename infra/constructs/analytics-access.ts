import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { glueDatabases } from '../../functions/domain/athena-names.ts';
import { acknowledgeWildcardResource } from '../nag.ts';
import {
  acknowledgeGlueTables,
  athenaStatements,
  bucketLocationStatement,
  type GlueAccess,
} from './athena-grants.ts';
import { resultsPrefix, type Workgroup } from './athena-workgroups.ts';
import type { SecureBucket } from './secure-bucket.ts';

/** Properties of {@link AnalyticsAccess}. */
export interface AnalyticsAccessProps {
  readonly stage: string;
  readonly stats: SecureBucket;
  readonly curated: SecureBucket;
  readonly queryResults: SecureBucket;
  /** Key of the data buckets (stats, curated, query results). */
  readonly dataKey: kms.IKey;
}

/** What one analysis audience may read: Glue databases and object prefixes, and its workgroup. */
interface Audience {
  readonly workgroup: Workgroup;
  readonly glue: GlueAccess;
  readonly reads: ReadonlyArray<{ readonly bucket: SecureBucket; readonly prefix: string }>;
}

/**
 * Managed policies and roles for people and tools that query Kura's data with Athena:
 *
 * - **BI** (`KuraBi`): the published statistics only — Glue `kura_<stage>_stats` (tables and views), objects under
 *   `stats/` of the stats bucket (never `stats-admin/`), the `bi` workgroup and its result prefix.
 *   Nothing in the raw, pseudonymised, anonymised or stats-admin databases or prefixes.
 * - **admin** (`KuraAnalysisAdmin`): pseudonymised analysis — the stage's `pseudonymised`, `anonymised`,
 *   `stats` and `stats_admin` databases, the matching curated and stats prefixes, the `admin` workgroup.
 *   Never raw data.
 *
 * Both roles trust this account; who may assume them is decided by the account's identity policies
 * (e.g. an IAM Identity Center permission set), not here.
 */
export class AnalyticsAccess extends Construct {
  readonly biPolicy: iam.ManagedPolicy;
  readonly biRole: iam.Role;
  readonly adminPolicy: iam.ManagedPolicy;
  readonly adminRole: iam.Role;

  constructor(scope: Construct, id: string, props: AnalyticsAccessProps) {
    super(scope, id);
    const { stats, curated } = props;
    const databases = glueDatabases(props.stage);
    this.biPolicy = this.policy(
      'BiPolicy',
      `kura-${props.stage}-bi`,
      'Read published statistics through the bi workgroup',
      props,
      {
        workgroup: 'bi',
        glue: { read: [databases.stats] },
        reads: [{ bucket: stats, prefix: 'stats/' }],
      },
    );
    this.adminPolicy = this.policy(
      'AdminPolicy',
      `kura-${props.stage}-analysis-admin`,
      'Analyse pseudonymised and anonymised data and suppression reasons through the admin workgroup',
      props,
      {
        workgroup: 'admin',
        glue: {
          read: [databases.pseudonymised, databases.anonymised, databases.stats, databases.statsAdmin],
        },
        reads: [
          { bucket: curated, prefix: 'pseudonymised/' },
          { bucket: curated, prefix: 'facts/' },
          { bucket: curated, prefix: 'anonymised/' },
          { bucket: stats, prefix: 'stats/' },
          { bucket: stats, prefix: 'stats-admin/' },
        ],
      },
    );
    const account = new iam.AccountPrincipal(Stack.of(this).account);
    this.biRole = new iam.Role(this, 'BiRole', {
      roleName: `kura-${props.stage}-bi`,
      description: `BI tools: published statistics only (${databases.stats}, stats/ prefix, bi workgroup)`,
      assumedBy: account,
      managedPolicies: [this.biPolicy],
    });
    this.adminRole = new iam.Role(this, 'AdminRole', {
      roleName: `kura-${props.stage}-analysis-admin`,
      description: 'Platform administrators: pseudonymised analysis through the admin workgroup',
      assumedBy: account,
      managedPolicies: [this.adminPolicy],
    });
  }

  private policy(
    id: string,
    name: string,
    description: string,
    props: AnalyticsAccessProps,
    audience: Audience,
  ): iam.ManagedPolicy {
    const stack = Stack.of(this);
    const results = resultsPrefix(props.stage, audience.workgroup);
    const statements = [
      ...athenaStatements(stack, props.stage, audience.workgroup, audience.glue),
      new iam.PolicyStatement({
        sid: 'ReadData',
        actions: ['s3:GetObject'],
        resources: audience.reads.map((read) => `${read.bucket.bucketArn}/${read.prefix}*`),
      }),
      ...[...new Set(audience.reads.map((read) => read.bucket))].map(
        (bucket) =>
          new iam.PolicyStatement({
            actions: ['s3:ListBucket'],
            resources: [bucket.bucketArn],
            conditions: {
              StringLike: {
                's3:prefix': audience.reads
                  .filter((read) => read.bucket === bucket)
                  .map((read) => `${read.prefix}*`),
              },
            },
          }),
      ),
      new iam.PolicyStatement({
        sid: 'WriteOwnResults',
        actions: ['s3:GetObject', 's3:PutObject', 's3:AbortMultipartUpload', 's3:ListMultipartUploadParts'],
        resources: [`${props.queryResults.bucketArn}/${results}*`],
      }),
      new iam.PolicyStatement({
        actions: ['s3:ListBucket'],
        resources: [props.queryResults.bucketArn],
        conditions: { StringLike: { 's3:prefix': [`${results}*`] } },
      }),
      bucketLocationStatement([
        ...new Set([...audience.reads.map((read) => read.bucket.bucketArn), props.queryResults.bucketArn]),
      ]),
      new iam.PolicyStatement({
        sid: 'DataKeyThroughS3',
        actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
        resources: [props.dataKey.keyArn],
        conditions: { StringEquals: { 'kms:ViaService': `s3.${stack.region}.amazonaws.com` } },
      }),
    ];
    const policy = new iam.ManagedPolicy(this, id, { managedPolicyName: name, description, statements });
    acknowledgeGlueTables(policy, stack, audience.glue);
    for (const resource of [
      ...audience.reads.map((read) => `${read.bucket.bucketArn}/${read.prefix}*`),
      `${props.queryResults.bucketArn}/${results}*`,
    ]) {
      acknowledgeWildcardResource(
        policy,
        resource,
        'Objects under one zone prefix are written per tenant, release and query; the wildcard covers that prefix only, the other prefixes of the bucket stay out of reach.',
      );
    }
    return policy;
  }
}
