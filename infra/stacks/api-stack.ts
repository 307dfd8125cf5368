import { CfnOutput, Duration, RemovalPolicy, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpJwtAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { PUBLIC_ROUTE_KEYS, ROUTES } from '../../functions/api/routes.ts';
import type { StageConfig } from '../config.ts';
import { DuckDbLayer } from '../constructs/duckdb-layer.ts';
import {
  grantBucket,
  grantDataKey,
  grantJobStart,
  grantKeySecrets,
  grantTable,
} from '../constructs/grants.ts';
import { KuraFunction } from '../constructs/kura-function.ts';
import { KuraUserPool } from '../constructs/kura-user-pool.ts';
import { PipelineMonitoring } from '../constructs/monitoring.ts';
import { keySecretPrefix } from '../naming.ts';
import type { StorageStack } from './storage-stack.ts';

/**
 * Every route of the HTTP API, `METHOD /path`, derived from the API function's route table (`ROUTES` in
 * functions/api/routes.ts, pure TypeScript) so the two can never drift: a route added there gets the JWT
 * authorizer and the API function here; the handler dispatches on `event.routeKey`.
 */
export const API_ROUTES: readonly string[] = Object.keys(ROUTES);

/** `GET /uploads/{uploadId}` → method and path; throws on a key API Gateway would not accept. */
export function parseRouteKey(route: string): { method: keyof typeof apigw.HttpMethod; path: string } {
  const match = /^(GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS) (\/[A-Za-z0-9_\-./{}]*)$/.exec(route);
  if (!match) throw new Error(`Route key "${route}" is not "METHOD /path" (functions/api/routes.ts ROUTES).`);
  return { method: match[1] as keyof typeof apigw.HttpMethod, path: match[2] as string };
}

/** Properties of {@link ApiStack}. */
export interface ApiStackProps extends StackProps {
  readonly config: StageConfig;
  readonly storage: StorageStack;
}

/** Steady-state and burst request limits of the API's default stage (per account and region). */
export const API_THROTTLE = { rateLimit: 50, burstLimit: 100 } as const;

/**
 * The upload API: Cognito user pool, HTTP API with a JWT authorizer on every route, and the API function
 * (presigned POST uploads, upload tracking, tenant administration).
 */
export class ApiStack extends Stack {
  readonly users: KuraUserPool;
  readonly api: apigw.HttpApi;
  readonly handler: KuraFunction;

  constructor(scope: Construct, id: string, props: ApiStackProps) {
    super(scope, id, props);
    const { config, storage } = props;
    const removalPolicy = config.removal === 'retain' ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;

    this.users = new KuraUserPool(this, 'Users', {
      stage: config.stage,
      threatProtection: config.removal === 'retain',
      removalPolicy,
    });

    this.handler = new KuraFunction(this, 'ApiFunction', {
      entry: 'functions/api/handler.ts',
      serviceName: 'kura-api',
      description: 'Upload API: presigned POST uploads, upload status, tenant administration',
      config,
      timeout: Duration.seconds(15),
      memorySize: 1024,
      // Support inspection reads raw Parquet with DuckDB (functions/domain/platform-support/inspect.ts).
      duckDbLayer: new DuckDbLayer(this, 'DuckDb').layer,
    });
    const { buckets, tables, dataKey } = storage;
    grantBucket(this.handler, buckets.landing, 'landing', 'write', { prefix: 'landing/' });
    grantBucket(this.handler, buckets.raw, 'raw', 'read', { prefix: 'reports/' });
    grantTable(this.handler, tables.tenants, 'tenants', 'readWrite');
    grantTable(this.handler, tables.uploads, 'uploads', 'readWrite');
    grantTable(this.handler, tables.ledger, 'ledger', 'append');
    grantDataKey(this.handler, dataKey);
    grantKeySecrets(this.handler, keySecretPrefix(config.stage), dataKey, 'create');
    // Statistics (GET /stats…, release notices): published tables and manifests only, never stats-admin/.
    grantBucket(this.handler, buckets.stats, 'stats', 'read', { prefix: 'stats/' });
    // Tenant benchmark: the caller's own value from its pseudonymised facts (functions/domain/stats/service.ts).
    grantBucket(this.handler, buckets.curated, 'curated', 'read', { prefix: 'facts/' });
    // GET /admin/certificates/{tenantId}: deletion certificates in the audit bucket.
    grantBucket(this.handler, buckets.audit, 'audit', 'read', { prefix: 'certificates/' });
    // Support (functions/domain/platform-support): masked inspection reads raw rows with DuckDB; exports under a
    // grant go to support-exports/ and are deleted, every version, when the grant ends.
    grantBucket(this.handler, buckets.raw, 'raw', 'read', { prefix: 'raw/' });
    grantBucket(this.handler, buckets.raw, 'raw', 'readWrite', { prefix: 'support-exports/' });
    grantBucket(this.handler, buckets.raw, 'raw', 'purge', { prefix: 'support-exports/' });
    // Admin routes start purges and releases as jobs of their own functions (202 + job id), and read
    // the jobs' records; the API never runs either in-process.
    grantTable(this.handler, tables.jobs, 'jobs', 'readWrite');
    grantJobStart(this.handler, config.stage, 'purge');
    grantJobStart(this.handler, config.stage, 'release');
    // A withdrawal: the API writes the record WITHDRAWN, the mask function deletes the upload's data and
    // rebuilds the facts (the API holds no grant to delete tenant data).
    grantJobStart(this.handler, config.stage, 'mask');

    const accessLogs = new logs.LogGroup(this, 'AccessLogs', {
      retention: config.logRetentionDays as logs.RetentionDays,
      removalPolicy,
    });
    const authorizer = new HttpJwtAuthorizer(
      'CognitoJwt',
      `https://cognito-idp.${this.region}.amazonaws.com/${this.users.userPool.userPoolId}`,
      { jwtAudience: [this.users.client.userPoolClientId] },
    );
    this.api = new apigw.HttpApi(this, 'HttpApi', {
      apiName: `kura-${config.stage}`,
      description: `Kura ${config.stage} upload API`,
      defaultAuthorizer: authorizer,
      createDefaultStage: false,
    });
    new apigw.HttpStage(this, 'DefaultStage', {
      httpApi: this.api,
      stageName: '$default',
      autoDeploy: true,
      throttle: API_THROTTLE,
      accessLogSettings: {
        destination: new apigw.LogGroupLogDestination(accessLogs),
        // No request bodies, query strings or token claims: access logs must not hold personal data.
        format: AccessLogFormat.custom(
          JSON.stringify({
            requestId: '$context.requestId',
            time: '$context.requestTime',
            routeKey: '$context.routeKey',
            status: '$context.status',
            latencyMs: '$context.responseLatency',
            sourceIp: '$context.identity.sourceIp',
            authorizerError: '$context.authorizer.error',
            integrationError: '$context.integrationErrorMessage',
          }),
        ),
      },
    });
    const integration = new HttpLambdaIntegration('ApiIntegration', this.handler);
    for (const route of API_ROUTES) this.addRoute(route, integration);

    new PipelineMonitoring(this, 'UploadsMonitoring', {
      stage: config.stage,
      pipeline: 'uploads',
      functions: [this.handler],
    });

    new CfnOutput(this, 'ApiUrl', { value: this.api.apiEndpoint, description: 'Base URL of the upload API' });
    new CfnOutput(this, 'UserPoolId', { value: this.users.userPool.userPoolId });
    new CfnOutput(this, 'UserPoolClientId', { value: this.users.client.userPoolClientId });
  }

  /** Adds one `METHOD /path` route to the API function, behind the default JWT authorizer. */
  private addRoute(route: string, integration: HttpLambdaIntegration): void {
    const { method, path } = parseRouteKey(route);
    // What the law asks to be public (the APPI notice of each release) is served without sign-in.
    const open = PUBLIC_ROUTE_KEYS.includes(route);
    const authorizer = open ? new apigw.HttpNoneAuthorizer() : undefined;
    const [created] = this.api.addRoutes({
      path,
      methods: [apigw.HttpMethod[method]],
      integration,
      ...(authorizer ? { authorizer } : {}),
    });
    if (open && created) {
      Validations.of(created).acknowledge({
        id: 'AwsSolutions-APIG4',
        reason:
          'The APPI notice of each statistics release must be public (個人情報保護法施行規則 §36: 公表), readable without sign-in; the route serves only published notices, which hold no personal data.',
      });
    }
  }
}
