import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { IConstruct } from 'constructs';
import { workgroupName } from '../../functions/domain/athena-names.ts';
import { acknowledgeWildcardResource } from '../nag.ts';
import { glueArns } from './analytics-catalog.ts';
import { type Workgroup, workgroupArn } from './athena-workgroups.ts';
import type { KuraFunction } from './kura-function.ts';

/** Running and reading queries in one workgroup. */
export const ATHENA_QUERY_ACTIONS = [
  'athena:StartQueryExecution',
  'athena:StopQueryExecution',
  'athena:GetQueryExecution',
  'athena:GetQueryResults',
  'athena:GetWorkGroup',
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

/** Which Glue databases (physical names, functions/domain/athena-names.ts) a principal reads and changes. */
export interface GlueAccess {
  readonly read: readonly string[];
  /** @default - none */
  readonly write?: readonly string[];
}

/**
 * Statements for querying through one workgroup over the given Glue databases (catalog, databases and
 * their tables; nothing else). S3 and KMS access to the data and result prefixes is granted separately.
 */
export function athenaStatements(
  stack: Stack,
  stage: string,
  workgroup: Workgroup,
  glue: GlueAccess,
): iam.PolicyStatement[] {
  const arns = glueArns(stack);
  const onDatabases = (names: readonly string[]) => [
    arns.catalog,
    ...names.map(arns.database),
    ...names.map(arns.tables),
  ];
  const statements = [
    new iam.PolicyStatement({
      actions: ATHENA_QUERY_ACTIONS,
      resources: [workgroupArn(stack, stage, workgroup)],
    }),
    new iam.PolicyStatement({ actions: GLUE_READ_ACTIONS, resources: onDatabases(glue.read) }),
  ];
  if (glue.write && glue.write.length > 0) {
    statements.push(
      new iam.PolicyStatement({ actions: GLUE_WRITE_ACTIONS, resources: onDatabases(glue.write) }),
    );
  }
  return statements;
}

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
export function grantAthena(fn: KuraFunction, stage: string, workgroup: Workgroup, glue: GlueAccess): void {
  const stack = Stack.of(fn);
  for (const statement of athenaStatements(stack, stage, workgroup, glue)) fn.addToRolePolicy(statement);
  fn.addEnvironment('KURA_ATHENA_WORKGROUP', workgroupName(stage, workgroup));
  acknowledgeGlueTables(fn.role, stack, glue);
}

/** Athena asks where buckets are before reading or writing them. */
export const bucketLocationStatement = (bucketArns: readonly string[]) =>
  new iam.PolicyStatement({ actions: ['s3:GetBucketLocation'], resources: [...bucketArns] });
