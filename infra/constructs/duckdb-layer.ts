import { createHash } from 'node:crypto';
import { AssetHashType, DockerImage } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { duckDbLayerFingerprint, stageDuckDbLayer } from '../../layers/duckdb/build.ts';
import { PROJECT_ROOT } from './kura-function.ts';

/** Properties of {@link DuckDbLayer}. */
export interface DuckDbLayerProps {
  /**
   * node_modules the layer is built from.
   * @default `<repository>/node_modules`
   */
  readonly nodeModules?: string;
}

/**
 * Lambda layer with DuckDB for Node.js (nodejs24.x, x86_64), built at synth time from the installed
 * packages by local bundling. The asset hash is derived from the package versions, so an existing
 * staged copy in cdk.out is reused instead of copying 70 MB again.
 */
export class DuckDbLayer extends Construct {
  readonly layer: lambda.LayerVersion;

  constructor(scope: Construct, id: string, props: DuckDbLayerProps = {}) {
    super(scope, id);
    const nodeModules = props.nodeModules ?? `${PROJECT_ROOT}node_modules`;
    const fingerprint = duckDbLayerFingerprint(nodeModules);
    this.layer = new lambda.LayerVersion(this, 'Layer', {
      description: `DuckDB for Node.js (${fingerprint})`,
      compatibleRuntimes: [lambda.Runtime.NODEJS_24_X],
      compatibleArchitectures: [lambda.Architecture.X86_64],
      code: lambda.Code.fromAsset(`${PROJECT_ROOT}layers/duckdb`, {
        assetHashType: AssetHashType.CUSTOM,
        assetHash: createHash('sha256').update(fingerprint).digest('hex'),
        bundling: {
          // Never used: local bundling always succeeds, and there is no Docker on build machines.
          image: DockerImage.fromRegistry('public.ecr.aws/docker/library/node:24'),
          local: {
            tryBundle(outputDir: string) {
              stageDuckDbLayer(nodeModules, outputDir);
              return true;
            },
          },
        },
      }),
    });
  }
}
