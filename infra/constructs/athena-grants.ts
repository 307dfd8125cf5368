import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { IConstruct } from 'constructs';
import { acknowledgeWildcardResource } from '../nag.ts';
import { type GlueDatabase, glueArns } from './analytics-catalog.ts';
import { WORKGROUPS, type Workgroup, workgroupArn } from './athena-workgroups.ts';
import type { KuraFunction } from './kura-function.ts';

/** Running and reading queries in one workgroup. */
export const ATHENA_QUERY_ACTIONS = [
  'athena:StartQueryExecution',
  'athena:StopQueryExecution',
  'athena:GetQueryExecution',
  'athena:GetQueryResults',
  'athena:GetWorkGroup',
];
/** Query history of a workgroup: denied on `masking` to everyone but the mask function. */
export const QUERY_HISTORY_ACTIONS = [
  'athena:GetQueryExecution',
  'athena:BatchGetQueryExecution',
  'athena:ListQueryExecutions',
];
/** Reading table definitions and partitions. */
export const GLUE_READ_ACTIONS = [
  'glue:GetDatabase',
  'glue:GetTable',
  'glue:GetTables',
  'glue:GetPartition',
  'glue:GetPartitions',
  'glue:BatchGetPartition',
];
/** CTAS, DROP TABLE and ADD PARTITION. */
export const GLUE_WRITE_ACTIONS = [
  'glue:CreateTable',
  'glue:UpdateTable',
  'glue:DeleteTable',
  'glue:CreatePartition',
  'glue:BatchCreatePartition',
  'glue:DeletePartition',
  'glue:BatchDeletePartition',
];

/** Which Glue databases a principal reads and which it may change. */
export interface GlueAccess {
  readonly read: readonly GlueDatabase[];
  /** @default - none */
  readonly write?: readonly GlueDatabase[];
}

/**
 * Statements for querying through one workgroup over the given Glue databases (catalog, databases and
 * their tables; nothing else). S3 and KMS access to the data and result prefixes is granted separately.
 */
export function athenaStatements(
  stack: Stack,
  workgroup: Workgroup,
  glue: GlueAccess,
): iam.PolicyStatement[] {
  const arns = glueArns(stack);
  const onDatabases = (names: readonly GlueDatabase[]) => [
    arns.catalog,
    ...names.map(arns.database),
    ...names.map(arns.tables),
  ];
  const statements = [
    new iam.PolicyStatement({ actions: ATHENA_QUERY_ACTIONS, resources: [workgroupArn(stack, workgroup)] }),
    new iam.PolicyStatement({ actions: GLUE_READ_ACTIONS, resources: onDatabases(glue.read) }),
  ];
  if (glue.write && glue.write.length > 0) {
    statements.push(
      new iam.PolicyStatement({ actions: GLUE_WRITE_ACTIONS, resources: onDatabases(glue.write) }),
    );
  }
  return statements;
}

/**
 * The explicit deny that keeps the `masking` workgroup's query history (whose CTAS text holds a tenant
 * key in hex, see functions/domain/masking/athena-mask.ts) from every principal but the mask function.
 * IAM has no "everyone except" for identity policies, so the deny is attached to every Kura policy that
 * can use Athena (BI, admin, the stats-release and purge functions); an explicit deny wins over any
 * allow a principal might collect elsewhere.
 */
export const maskingHistoryDeny = (stack: Stack) =>
  new iam.PolicyStatement({
    sid: 'DenyMaskingQueryHistory',
    effect: iam.Effect.DENY,
    actions: QUERY_HISTORY_ACTIONS,
    resources: [workgroupArn(stack, 'masking')],
  });

/** Acknowledges the per-database table wildcards of {@link athenaStatements}. */
export function acknowledgeGlueTables(scope: IConstruct, stack: Stack, glue: GlueAccess): void {
  const arns = glueArns(stack);
  for (const name of new Set([...glue.read, ...(glue.write ?? [])])) {
    acknowledgeWildcardResource(
      scope,
      arns.tables(name),
      `Tables of the ${name} Glue database are added per statistic and release; the wildcard covers that one database only.`,
    );
  }
}

/**
 * Lets a function run Athena queries in `workgroup` over the given databases and sets
 * `KURA_ATHENA_WORKGROUP`. Grant the S3 prefixes (data and `resultsPrefix(workgroup)`) with grantBucket.
 */
export function grantAthena(fn: KuraFunction, workgroup: Workgroup, glue: GlueAccess): void {
  const stack = Stack.of(fn);
  for (const statement of athenaStatements(stack, workgroup, glue)) fn.addToRolePolicy(statement);
  if (workgroup !== 'masking') fn.addToRolePolicy(maskingHistoryDeny(stack));
  fn.addEnvironment('KURA_ATHENA_WORKGROUP', WORKGROUPS[workgroup]);
  acknowledgeGlueTables(fn.role, stack, glue);
}

/** Athena asks where buckets are before reading or writing them. */
export const bucketLocationStatement = (bucketArns: readonly string[]) =>
  new iam.PolicyStatement({ actions: ['s3:GetBucketLocation'], resources: [...bucketArns] });
