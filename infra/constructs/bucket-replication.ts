import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { acknowledgeWildcardResource } from '../nag.ts';
import { bucketArn } from '../naming.ts';
import type { SecureBucket } from './secure-bucket.ts';

/** Properties of {@link BucketReplication}. */
export interface BucketReplicationProps {
  /** Versioned, SSE-KMS source bucket (in this stack). */
  readonly source: SecureBucket;
  /** Name of the destination bucket in the disaster-recovery region (known in advance, see `replicaBucketName`). */
  readonly destinationBucketName: string;
  /** Disaster-recovery region (Japan only, validated by the stage config). */
  readonly destinationRegion: string;
  /** Alias of the replica key in the disaster-recovery region, e.g. `alias/kura-prod-replica`. */
  readonly destinationKeyAlias: string;
  /**
   * Replicate delete markers, so that a purge in the primary region also hides the replica's current version.
   * Permanently deleted versions are never replicated: the purge deletes replica versions itself.
   * @default true
   */
  readonly replicateDeleteMarkers?: boolean;
}

/**
 * Cross-region replication of one bucket to a pre-named bucket in the disaster-recovery region.
 *
 * The destination is referenced by name and the replica key by alias rather than through a
 * cross-region reference: cross-region references need custom resources and SSM parameters, while
 * names known in advance keep both stacks plain CloudFormation.
 */
export class BucketReplication extends Construct {
  readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: BucketReplicationProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const destinationArn = bucketArn(props.destinationBucketName);
    const sourceArn = props.source.bucketArn;
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('s3.amazonaws.com'),
      description: `Replicates ${props.destinationBucketName} from ${stack.region}`,
    });
    this.role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['s3:GetReplicationConfiguration', 's3:ListBucket'],
        resources: [sourceArn],
      }),
    );
    this.role.addToPolicy(
      new iam.PolicyStatement({
        actions: [
          's3:GetObjectVersionForReplication',
          's3:GetObjectVersionAcl',
          's3:GetObjectVersionTagging',
          's3:GetObjectRetention',
          's3:GetObjectLegalHold',
        ],
        resources: [`${sourceArn}/*`],
      }),
    );
    this.role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['s3:ReplicateObject', 's3:ReplicateDelete', 's3:ReplicateTags'],
        resources: [`${destinationArn}/*`],
      }),
    );
    this.role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['kms:Decrypt'],
        resources: [props.source.encryptionKey.keyArn],
        conditions: { StringEquals: { 'kms:ViaService': `s3.${stack.region}.amazonaws.com` } },
      }),
    );
    const replicaKeys = `arn:aws:kms:${props.destinationRegion}:${stack.account}:key/*`;
    this.role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['kms:Encrypt', 'kms:GenerateDataKey'],
        resources: [replicaKeys],
        conditions: {
          'ForAnyValue:StringEquals': { 'kms:ResourceAliases': props.destinationKeyAlias },
          StringEquals: { 'kms:ViaService': `s3.${props.destinationRegion}.amazonaws.com` },
        },
      }),
    );

    const policy = this.role.node.findChild('DefaultPolicy');
    acknowledgeWildcardResource(
      policy,
      `${sourceArn}/*`,
      'Replication reads every object version of the source bucket; the bucket holds only data of this zone.',
    );
    acknowledgeWildcardResource(
      policy,
      `${destinationArn}/*`,
      'Replication writes every replicated object into its dedicated replica bucket and nowhere else.',
    );
    acknowledgeWildcardResource(
      policy,
      replicaKeys,
      'The replica key lives in another region and is named by alias; the kms:ResourceAliases condition limits this statement to that one key.',
    );

    const cfnBucket = props.source.bucket.node.defaultChild as s3.CfnBucket;
    cfnBucket.replicationConfiguration = {
      role: this.role.roleArn,
      rules: [
        {
          id: 'replicate-to-dr-region',
          status: 'Enabled',
          priority: 1,
          filter: { prefix: '' },
          deleteMarkerReplication: {
            status: (props.replicateDeleteMarkers ?? true) ? 'Enabled' : 'Disabled',
          },
          sourceSelectionCriteria: { sseKmsEncryptedObjects: { status: 'Enabled' } },
          destination: {
            bucket: destinationArn,
            encryptionConfiguration: {
              replicaKmsKeyId: `arn:aws:kms:${props.destinationRegion}:${stack.account}:${props.destinationKeyAlias}`,
            },
          },
        },
      ],
    };
  }
}
