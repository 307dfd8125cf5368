import { CfnOutput, Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpJwtAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import type { StageConfig } from '../config.ts';
import { grantBucket, grantDataKey, grantKeySecrets, grantTable } from '../constructs/grants.ts';
import { KuraFunction } from '../constructs/kura-function.ts';
import { KuraUserPool } from '../constructs/kura-user-pool.ts';
import { keySecretPrefix } from '../naming.ts';
import type { StorageStack } from './storage-stack.ts';

/**
 * Every route of the HTTP API, `METHOD /path`. Adding a route is one line here: it gets the JWT
 * authorizer and the API function like every other route; the handler dispatches on `event.routeKey`.
 */
export const API_ROUTES = [
  'GET /datasets',
  'POST /uploads',
  'GET /uploads',
  'GET /uploads/{uploadId}',
  'POST /admin/tenants',
  'PATCH /admin/tenants/{tenantId}',
] as const;

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
    });
    const { buckets, tables, dataKey } = storage;
    grantBucket(this.handler, buckets.landing, 'landing', 'write', { prefix: 'landing/' });
    grantBucket(this.handler, buckets.raw, 'raw', 'read', { prefix: 'reports/' });
    grantTable(this.handler, tables.tenants, 'tenants', 'readWrite');
    grantTable(this.handler, tables.uploads, 'uploads', 'readWrite');
    grantTable(this.handler, tables.ledger, 'ledger', 'append');
    grantDataKey(this.handler, dataKey);
    grantKeySecrets(this.handler, keySecretPrefix(config.stage), dataKey, 'create');

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

    new CfnOutput(this, 'ApiUrl', { value: this.api.apiEndpoint, description: 'Base URL of the upload API' });
    new CfnOutput(this, 'UserPoolId', { value: this.users.userPool.userPoolId });
    new CfnOutput(this, 'UserPoolClientId', { value: this.users.client.userPoolClientId });
  }

  /** Adds one `METHOD /path` route to the API function, behind the default JWT authorizer. */
  private addRoute(route: (typeof API_ROUTES)[number], integration: HttpLambdaIntegration): void {
    const [method, path] = route.split(' ') as [keyof typeof apigw.HttpMethod, string];
    this.api.addRoutes({ path, methods: [apigw.HttpMethod[method]], integration });
  }
}
