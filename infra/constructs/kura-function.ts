import { fileURLToPath } from 'node:url';
import { Duration, RemovalPolicy, Size } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import type { StageConfig } from '../config.ts';
import { acknowledgeWildcardResource } from '../nag.ts';

/** Repository root: esbuild resolves the handlers and node_modules from here. */
export const PROJECT_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Properties of {@link KuraFunction}. */
export interface KuraFunctionProps {
  /** Handler file relative to the repository root, e.g. `functions/api/handler.ts` (exports `handler`). */
  readonly entry: string;
  /** Powertools service name, e.g. `kura-api`. */
  readonly serviceName: string;
  /** Stage config: settings, stage name and log retention travel into every function. */
  readonly config: StageConfig;
  /** What the function does, shown in the console. */
  readonly description: string;
  /**
   * Memory in MiB.
   * @default 512
   */
  readonly memorySize?: number;
  /**
   * Timeout; queues that feed the function derive their visibility timeout from it.
   * @default Duration.seconds(30)
   */
  readonly timeout?: Duration;
  /**
   * `/tmp` size.
   * @default Size.mebibytes(512)
   */
  readonly ephemeralStorageSize?: Size;
  /**
   * The DuckDB layer. `@duckdb/*` is never bundled (native code); without the layer a lazy
   * `import('@duckdb/node-api')` fails at run time, so attach it to every function that queries DuckDB.
   * @default - no DuckDB
   */
  readonly duckDbLayer?: lambda.ILayerVersion;
  /**
   * Concurrency reserved for (and capping) this function.
   * @default - unreserved
   */
  readonly reservedConcurrentExecutions?: number;
}

/**
 * The only way Kura creates a Lambda function. It owns every default: Node.js 24 on x86_64 (the DuckDB
 * layer binary is linux-x64), X-Ray tracing, a log group with the stage's retention, ESM bundling with
 * the local esbuild (no Docker), minified with source maps, the AWS SDK left to the runtime, and the
 * platform environment (`KURA_STAGE`, `POWERTOOLS_SERVICE_NAME`). Permissions and the
 * variables that name resources are added only through the grant helpers in `grants.ts`.
 */
export class KuraFunction extends NodejsFunction {
  /** The function's own role (no AWS managed policies). */
  declare readonly role: iam.Role;
  /** The timeout the function was built with. */
  readonly functionTimeout: Duration;

  constructor(scope: Construct, id: string, props: KuraFunctionProps) {
    const logGroup = new logs.LogGroup(scope, `${id}Logs`, {
      retention: props.config.logRetentionDays as logs.RetentionDays,
      removalPolicy: props.config.removal === 'retain' ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });
    const role = new iam.Role(scope, `${id}Role`, {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Kura ${props.config.stage} ${props.serviceName}`,
    });
    const timeout = props.timeout ?? Duration.seconds(30);
    super(scope, id, {
      entry: `${PROJECT_ROOT}${props.entry}`,
      handler: 'handler',
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: `${PROJECT_ROOT}package-lock.json`,
      description: props.description,
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.X86_64,
      memorySize: props.memorySize ?? 512,
      timeout,
      ephemeralStorageSize: props.ephemeralStorageSize ?? Size.mebibytes(512),
      tracing: lambda.Tracing.ACTIVE,
      logGroup,
      role,
      layers: props.duckDbLayer ? [props.duckDbLayer] : [],
      reservedConcurrentExecutions: props.reservedConcurrentExecutions,
      environment: {
        // Settings and regions come from the bundled cdk.json by stage (functions/domain/stages.ts):
        // Lambda refuses more than 4 KB of environment variables, so variables carry names and ARNs only.
        KURA_STAGE: props.config.stage,
        POWERTOOLS_SERVICE_NAME: props.serviceName,
        // EMF metrics of every function land in one namespace; alarms read them there (monitoring.ts).
        POWERTOOLS_METRICS_NAMESPACE: 'Kura',
        POWERTOOLS_LOG_LEVEL: props.config.removal === 'retain' ? 'INFO' : 'DEBUG',
        NODE_OPTIONS: '--enable-source-maps',
      },
      bundling: {
        format: OutputFormat.ESM,
        target: 'node24',
        platform: 'node',
        mainFields: ['module', 'main'],
        minify: true,
        sourceMap: true,
        sourcesContent: false,
        forceDockerBundling: false,
        // The SDK comes with the runtime. DuckDB is a native module esbuild cannot bundle: it is always
        // external and present only where the DuckDB layer is attached (shared adapters import it lazily).
        externalModules: ['@aws-sdk/*', '@duckdb/*'],
        // Some CommonJS dependencies call require(); ESM output needs it defined.
        banner:
          "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
      },
    });
    this.functionTimeout = timeout;
    logGroup.grantWrite(role);
    acknowledgeWildcardResource(
      role,
      '*',
      'X-Ray PutTraceSegments and PutTelemetryRecords support no resource-level permissions; CDK adds them for active tracing.',
    );
  }

  /** The default policy of the function's role, where grant findings are acknowledged. */
  get defaultPolicy(): iam.Policy | undefined {
    return this.role.node.tryFindChild('DefaultPolicy') as iam.Policy | undefined;
  }
}
