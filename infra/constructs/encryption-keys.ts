import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';

/** Properties of {@link EncryptionKeys}. */
export interface EncryptionKeysProps {
  /** Stage name, used in aliases such as `alias/kura-dev-data`. */
  readonly stage: string;
  /**
   * What happens to the data key when the stack is deleted.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * Kura's customer-managed KMS keys, rotated yearly by KMS:
 * - `dataKey` encrypts every data bucket, table and tenant key secret;
 * - `auditKey` encrypts only the audit store, so that access to evidence is granted separately from data.
 */
export class EncryptionKeys extends Construct {
  /** Key for data buckets, tables and secrets. */
  readonly dataKey: kms.Key;
  /** Key for the audit (Object Lock) bucket only. */
  readonly auditKey: kms.Key;

  constructor(scope: Construct, id: string, props: EncryptionKeysProps) {
    super(scope, id);
    this.dataKey = new kms.Key(this, 'DataKey', {
      alias: `alias/kura-${props.stage}-data`,
      description: `Kura ${props.stage}: data buckets, tables and tenant key secrets`,
      enableKeyRotation: true,
      pendingWindow: Duration.days(30),
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });
    // The audit key outlives every stage: audit objects are under COMPLIANCE Object Lock and stay
    // unreadable forever if their key is deleted, so it is always retained.
    this.auditKey = new kms.Key(this, 'AuditKey', {
      alias: `alias/kura-${props.stage}-audit`,
      description: `Kura ${props.stage}: audit store (deletion certificates, ledger exports)`,
      enableKeyRotation: true,
      pendingWindow: Duration.days(30),
      removalPolicy: RemovalPolicy.RETAIN,
    });
  }
}
