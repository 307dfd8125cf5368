import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { PUBLIC_ROUTE_KEYS, ROUTES } from '../../functions/api/routes.ts';
import { ROLES } from '../../functions/domain/auth/principal.ts';
import { SUBPROCESSOR_SERVICES } from '../../functions/domain/tenants/processing.ts';
import { bucketName } from '../../infra/naming.ts';
import { API_ROUTES, API_THROTTLE, parseRouteKey } from '../../infra/stacks/api-stack.ts';
import {
  allows,
  allStacks,
  type CfnJson,
  functionOf,
  rolePolicyOf,
  type SynthesizedStage,
  synthesizeStage,
} from './support.ts';

let dev: SynthesizedStage;
let prod: SynthesizedStage;
let template: Template;
let prodTemplate: Template;
let apiFunction: CfnJson;
let policy: CfnJson;
const name = (logical: string) => bucketName('dev', logical, dev.config.account, dev.config.region);
const resources = (source: Template, type: string) =>
  Object.entries(source.findResources(type)) as Array<[string, CfnJson]>;
const only = (source: Template, type: string): [string, CfnJson] => {
  const found = resources(source, type);
  if (found.length !== 1) throw new Error(`expected one ${type}, found ${found.length}`);
  return found[0] as [string, CfnJson];
};

beforeAll(() => {
  dev = synthesizeStage('dev');
  prod = synthesizeStage('prod');
  template = Template.fromStack(dev.stacks.api);
  prodTemplate = Template.fromStack(prod.stacks.api);
  apiFunction = functionOf(template, 'ApiFunction');
  policy = rolePolicyOf(template, 'ApiFunction');
});

describe('api stack: HTTP API', () => {
  it('serves exactly the route table', () => {
    const routeKeys = resources(template, 'AWS::ApiGatewayV2::Route').map(
      ([, route]) => route.Properties.RouteKey,
    );
    expect(routeKeys.sort()).toEqual([...API_ROUTES].sort());
  });

  it('puts the JWT authorizer on every route but the public APPI notices', () => {
    const [authorizerId] = only(template, 'AWS::ApiGatewayV2::Authorizer');
    const routes = resources(template, 'AWS::ApiGatewayV2::Route').map(([, route]) => route.Properties);
    for (const route of routes.filter((r) => !PUBLIC_ROUTE_KEYS.includes(r.RouteKey))) {
      expect(route.AuthorizationType).toBe('JWT');
      expect(route.AuthorizerId).toEqual({ Ref: authorizerId });
    }
    const open = routes.filter((r) => r.AuthorizationType !== 'JWT').map((r) => r.RouteKey);
    expect(open.sort()).toEqual(['GET /public/notices', 'GET /public/notices/{releaseId}']);
    expect([...PUBLIC_ROUTE_KEYS].sort()).toEqual(open.sort());
  });

  it('trusts only tokens of its own user pool and app client', () => {
    const [poolId] = only(template, 'AWS::Cognito::UserPool');
    const [clientId] = only(template, 'AWS::Cognito::UserPoolClient');
    const [, authorizer] = only(template, 'AWS::ApiGatewayV2::Authorizer');
    expect(authorizer.Properties.AuthorizerType).toBe('JWT');
    expect(authorizer.Properties.JwtConfiguration).toEqual({
      Audience: [{ Ref: clientId }],
      Issuer: {
        'Fn::Join': ['', [`https://cognito-idp.${dev.config.region}.amazonaws.com/`, { Ref: poolId }]],
      },
    });
  });

  it('logs every request to a log group with the stage retention, and throttles', () => {
    const [logGroupId] =
      resources(template, 'AWS::Logs::LogGroup').find(([id]) => id.startsWith('AccessLogs')) ?? [];
    const [, stage] = only(template, 'AWS::ApiGatewayV2::Stage');
    expect(stage.Properties.AccessLogSettings.DestinationArn).toEqual({ 'Fn::GetAtt': [logGroupId, 'Arn'] });
    expect(JSON.parse(stage.Properties.AccessLogSettings.Format).requestId).toBe('$context.requestId');
    expect(stage.Properties.DefaultRouteSettings).toEqual({
      ThrottlingBurstLimit: API_THROTTLE.burstLimit,
      ThrottlingRateLimit: API_THROTTLE.rateLimit,
    });
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: dev.config.logRetentionDays });
  });
});

describe('api stack: identity', () => {
  it('lets only administrators create users, and requires TOTP MFA and a strong password', () => {
    const [, pool] = only(template, 'AWS::Cognito::UserPool');
    expect(pool.Properties.AdminCreateUserConfig).toEqual({ AllowAdminCreateUserOnly: true });
    expect(pool.Properties.MfaConfiguration).toBe('ON');
    expect(pool.Properties.EnabledMfas).toEqual(['SOFTWARE_TOKEN_MFA']);
    expect(pool.Properties.Policies.PasswordPolicy).toMatchObject({
      RequireLowercase: true,
      RequireUppercase: true,
      RequireNumbers: true,
      RequireSymbols: true,
    });
    expect(pool.Properties.Policies.PasswordPolicy.MinimumLength).toBeGreaterThanOrEqual(12);
  });

  it('holds the tenant in an immutable custom attribute that clients can read but never write', () => {
    const [, pool] = only(template, 'AWS::Cognito::UserPool');
    expect(pool.Properties.Schema).toContainEqual(
      expect.objectContaining({ Name: 'tenant_id', AttributeDataType: 'String', Mutable: false }),
    );
    const [, client] = only(template, 'AWS::Cognito::UserPoolClient');
    expect(client.Properties.ReadAttributes).toContain('custom:tenant_id');
    expect(client.Properties.WriteAttributes).not.toContain('custom:tenant_id');
    expect(client.Properties.GenerateSecret).toBe(false);
  });

  it('lets kura login sign in with a password (MFA still required) and refresh, and nothing else', () => {
    const [, client] = only(template, 'AWS::Cognito::UserPoolClient');
    expect([...client.Properties.ExplicitAuthFlows].sort()).toEqual([
      'ALLOW_REFRESH_TOKEN_AUTH',
      'ALLOW_USER_PASSWORD_AUTH',
      'ALLOW_USER_SRP_AUTH',
    ]);
  });

  it('creates one group per role of the principal model', () => {
    const groups = resources(template, 'AWS::Cognito::UserPoolGroup').map(
      ([, group]) => group.Properties.GroupName,
    );
    expect(groups.sort()).toEqual([...ROLES].sort());
    expect(groups).toEqual(expect.arrayContaining(['tenant', 'admin', 'supporter', 'support']));
  });

  it('enforces threat protection and deletion protection in prod', () => {
    const [, pool] = only(prodTemplate, 'AWS::Cognito::UserPool');
    expect(pool.Properties.UserPoolTier).toBe('PLUS');
    expect(pool.Properties.UserPoolAddOns).toEqual({ AdvancedSecurityMode: 'ENFORCED' });
    expect(pool.Properties.DeletionProtection).toBe('ACTIVE');
    expect(pool.DeletionPolicy).toBe('Retain');
  });
});

describe('api stack: API function', () => {
  const landing = () => bucketName('dev', 'landing', dev.config.account, dev.config.region);
  const table = (logical: string) =>
    `arn:aws:dynamodb:${dev.config.region}:${dev.config.account}:table/kura-dev-${logical}`;

  it('serves every route', () => {
    const [functionId] =
      resources(template, 'AWS::Lambda::Function').find(([, fn]) => fn === apiFunction) ?? [];
    for (const [, integration] of resources(template, 'AWS::ApiGatewayV2::Integration')) {
      expect(integration.Properties.IntegrationUri).toEqual({ 'Fn::GetAtt': [functionId, 'Arn'] });
    }
  });

  it('may put upload objects only under landing/ and names the landing bucket', () => {
    expect(apiFunction.Properties.Environment.Variables.KURA_BUCKET_LANDING).toBe(landing());
    expect(allows(policy, 's3:PutObject', `arn:aws:s3:::${landing()}/landing/*`)).toBe(true);
    expect(allows(policy, 's3:PutObject', `arn:aws:s3:::${landing()}/*`)).toBe(false);
    expect(allows(policy, 's3:GetObject', `arn:aws:s3:::${landing()}/landing/*`)).toBe(false);
  });

  it('may have S3 encrypt uploads with the data key it names', () => {
    const env = apiFunction.Properties.Environment.Variables;
    expect(env.KURA_DATA_KEY_ARN).toEqual(env.KURA_BUCKET_LANDING_KEY_ARN);
    expect(
      allows(policy, 'kms:GenerateDataKey', env.KURA_DATA_KEY_ARN, {
        StringEquals: { 'kms:ViaService': `s3.${dev.config.region}.amazonaws.com` },
      }),
    ).toBe(true);
  });

  it('creates tenant key secrets under the stage prefix only', () => {
    const env = apiFunction.Properties.Environment.Variables;
    expect(env.KURA_KEY_SECRET_PREFIX).toBe('kura/dev/tenant-keys/');
    const secrets = `arn:aws:secretsmanager:${dev.config.region}:${dev.config.account}:secret:kura/dev/tenant-keys/*`;
    expect(allows(policy, 'secretsmanager:CreateSecret', secrets)).toBe(true);
    expect(allows(policy, 'secretsmanager:DeleteSecret', secrets)).toBe(false);
  });

  it('reads and writes tenants and uploads, and only appends to the ledger', () => {
    const env = apiFunction.Properties.Environment.Variables;
    expect([env.KURA_TABLE_TENANTS, env.KURA_TABLE_UPLOADS, env.KURA_TABLE_LEDGER]).toEqual([
      'kura-dev-tenants',
      'kura-dev-uploads',
      'kura-dev-ledger',
    ]);
    expect(allows(policy, 'dynamodb:PutItem', table('tenants'))).toBe(true);
    expect(allows(policy, 'dynamodb:UpdateItem', table('uploads'))).toBe(true);
    expect(allows(policy, 'dynamodb:PutItem', table('ledger'))).toBe(true);
    expect(allows(policy, 'dynamodb:UpdateItem', table('ledger'))).toBe(false);
    expect(allows(policy, 'dynamodb:DeleteItem', table('ledger'))).toBe(false);
  });

  it('carries the DuckDB layer, which masked support inspection of raw rows needs', () => {
    const [layerId] = Object.keys(template.findResources('AWS::Lambda::LayerVersion'));
    expect(apiFunction.Properties.Layers).toEqual([{ Ref: layerId }]);
  });

  it('reads published statistics but never the admin-only suppression reasons', () => {
    expect(allows(policy, 's3:GetObject', `arn:aws:s3:::${name('stats')}/stats/*`)).toBe(true);
    expect(JSON.stringify(policy)).not.toContain('stats-admin');
  });

  it('may invoke exactly the purge and release jobs and the mask function (withdrawals), by the names the other stacks give them', () => {
    // Prepare
    const operations = Template.fromStack(dev.stacks.operations);
    const analytics = Template.fromStack(dev.stacks.analytics);
    const pipeline = Template.fromStack(dev.stacks.pipeline);
    const names = (template: Template) =>
      Object.values(template.findResources('AWS::Lambda::Function')).map((fn) => fn.Properties.FunctionName);

    // Act
    const invokes = (policy.Statement as CfnJson[]).filter((statement) =>
      [statement.Action].flat().includes('lambda:InvokeFunction'),
    );
    const targets = invokes.flatMap((statement) => [statement.Resource].flat());

    // Assess
    const arn = (name: string) =>
      `arn:aws:lambda:${dev.config.region}:${dev.config.account}:function:${name}`;
    expect(targets.sort()).toEqual([arn('kura-dev-mask'), arn('kura-dev-purge'), arn('kura-dev-release')]);
    const env = apiFunction.Properties.Environment.Variables;
    expect(env).toMatchObject({
      KURA_FUNCTION_PURGE: 'kura-dev-purge',
      KURA_FUNCTION_RELEASE: 'kura-dev-release',
      KURA_FUNCTION_MASK: 'kura-dev-mask',
    });
    expect(names(operations)).toContain('kura-dev-purge');
    expect(names(analytics)).toContain('kura-dev-release');
    expect(names(pipeline)).toContain('kura-dev-mask');
  });

  it('has no grant a purge or a release would need: neither runs in the API', () => {
    const granted = JSON.stringify(policy);
    // Deleting versions only where support exports live (they go when a grant ends), never tenant data.
    const versionDeletes = (policy.Statement as CfnJson[]).filter((statement) =>
      [statement.Action].flat().includes('s3:DeleteObjectVersion'),
    );
    expect(versionDeletes.flatMap((statement) => [statement.Resource].flat())).toEqual([
      `arn:aws:s3:::${name('raw')}/support-exports/*`,
    ]);
    expect(granted).not.toContain('secretsmanager:DeleteSecret');
    expect(granted).not.toContain('athena:');
    expect(
      allows(
        policy,
        's3:PutObject',
        `arn:aws:s3:::${bucketName('dev', 'stats', dev.config.account, dev.config.region)}/*`,
      ),
    ).toBe(false);
  });

  it('carries no settings or disclosure text in its environment: the bundle reads them by KURA_STAGE', () => {
    const env = apiFunction.Properties.Environment.Variables;
    expect(Object.keys(env)).not.toContain('KURA_PROCESSING');
    expect(Object.keys(env)).not.toContain('KURA_SETTINGS');
    expect(env.KURA_STAGE).toBe('dev');
  });
  it('lists as subprocessors only services the stacks use, and every service that holds data', () => {
    const templates = allStacks(prod.stacks)
      .map((stack) => JSON.stringify(Template.fromStack(stack).toJSON()))
      .join('\n');
    for (const service of SUBPROCESSOR_SERVICES) {
      expect(templates.includes(service.evidence), service.service).toBe(true);
    }
    const dataServices = [
      'AWS::S3::',
      'AWS::DynamoDB::',
      'AWS::Lambda::',
      'AWS::Athena::',
      'secretsmanager:',
    ];
    for (const evidence of dataServices) {
      expect(templates).toContain(evidence);
      expect(SUBPROCESSOR_SERVICES.map((s) => s.evidence)).toContain(evidence);
    }
  });
});

describe('api stack: routes follow the API function', () => {
  it('gives every route of the function an API Gateway route, and no other', () => {
    const routeKeys = resources(template, 'AWS::ApiGatewayV2::Route').map(
      ([, route]) => route.Properties.RouteKey,
    );
    expect(new Set(routeKeys)).toEqual(new Set(Object.keys(ROUTES)));
    expect(routeKeys).toHaveLength(Object.keys(ROUTES).length);
  });

  it('refuses a route key API Gateway would not accept', () => {
    expect(() => parseRouteKey('FETCH /uploads')).toThrow(/METHOD \/path/);
    expect(parseRouteKey('DELETE /supporters/grants/{supporterId}')).toEqual({
      method: 'DELETE',
      path: '/supporters/grants/{supporterId}',
    });
  });
});

describe('api stack: outputs', () => {
  it('exports the API URL, user pool and client ids that clients need', () => {
    const outputs = Object.keys(template.findOutputs('*'));
    expect(outputs).toEqual(expect.arrayContaining(['ApiUrl', 'UserPoolId', 'UserPoolClientId']));
  });
});
