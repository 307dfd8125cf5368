import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import type { TableDefinition } from '../../functions/domain/ports/table.ts';
import { tableArn } from '../naming.ts';

/** Properties of {@link KuraTable}. */
export interface KuraTableProps {
  /** Physical table name (see `infra/naming.ts`). */
  readonly tableName: string;
  /** Key schema, TTL and indexes, shared with the local platform. */
  readonly definition: TableDefinition;
  /** Customer-managed key the table is encrypted with. */
  readonly encryptionKey: kms.IKey;
  /**
   * Refuse `DeleteTable` until protection is turned off (prod).
   * @default true
   */
  readonly deletionProtection?: boolean;
  /**
   * What happens to the table when the stack is deleted.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

const stringAttribute = (name: string): dynamodb.Attribute => ({ name, type: dynamodb.AttributeType.STRING });

/**
 * A DynamoDB table built from a {@link TableDefinition}: on-demand, point-in-time recovery, encrypted with
 * a customer-managed key, TTL where the definition names an attribute.
 */
export class KuraTable extends Construct {
  readonly table: dynamodb.Table;
  readonly encryptionKey: kms.IKey;
  /** Physical name as a plain string, usable in any stack without an export. */
  readonly tableName: string;
  /** ARN as a plain string, usable in any stack without an export. */
  readonly tableArn: string;

  constructor(scope: Construct, id: string, props: KuraTableProps) {
    super(scope, id);
    const { definition } = props;
    const stack = Stack.of(this);
    this.encryptionKey = props.encryptionKey;
    this.tableName = props.tableName;
    this.tableArn = tableArn(props.tableName, stack.account, stack.region);
    this.table = new dynamodb.Table(this, 'Table', {
      tableName: props.tableName,
      partitionKey: stringAttribute(definition.partitionKey),
      sortKey: definition.sortKey ? stringAttribute(definition.sortKey) : undefined,
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED,
      encryptionKey: props.encryptionKey,
      timeToLiveAttribute: definition.timeToLiveAttribute,
      deletionProtection: props.deletionProtection ?? true,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });
    for (const index of definition.globalIndexes ?? []) {
      this.table.addGlobalSecondaryIndex({
        indexName: index.name,
        partitionKey: stringAttribute(index.partitionKey),
        sortKey: index.sortKey ? stringAttribute(index.sortKey) : undefined,
        projectionType: dynamodb.ProjectionType.ALL,
      });
    }
  }
}
