/**
 * The deployed twin: one synthesized stage running offline. Its AWS is one HTTP endpoint on 127.0.0.1
 * that every function reaches through the standard AWS_ENDPOINT_URL (the SDK signs requests as usual;
 * the access key names the role); each request is routed to the twin's S3, DynamoDB, Secrets Manager,
 * Athena, Cognito or Lambda after IAM as the templates define it. Functions run their staged bundles in
 * execution environments (cloud/lambda.ts). API Gateway is modelled at its integration: the route must
 * exist with the JWT authorizer, and the function's policy must let API Gateway invoke it.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDeployedRuntime, type Runtime } from '../../../functions/adapters/runtime.ts';
import type { StageName } from '../../../infra/config.ts';
import { type Json, ResolvedDeployment, readAssembly } from './assembly.ts';
import { TwinAthena } from './cloud/athena.ts';
import { TwinCognito } from './cloud/cognito.ts';
import { TwinDynamoDb } from './cloud/dynamodb.ts';
import { TwinEvents } from './cloud/events.ts';
import { FunctionError, type IssuedCredentials, TwinLambda } from './cloud/lambda.ts';
import { type CallerIdentity, type Reply, TwinS3 } from './cloud/s3.ts';
import { TwinSecretsManager } from './cloud/secrets.ts';
import { functionByService, type TwinFunction, twinFunctions } from './functions.ts';
import { TwinIam } from './iam.ts';

export interface HttpApiResponse {
  readonly statusCode: number;
  readonly headers: Record<string, string>;
  readonly json: Json;
}

export class Twin {
  readonly iam: TwinIam;
  readonly s3: TwinS3;
  readonly dynamodb: TwinDynamoDb;
  readonly secrets: TwinSecretsManager;
  readonly athena: TwinAthena;
  readonly cognito: TwinCognito;
  readonly lambda: TwinLambda;
  readonly events: TwinEvents;
  readonly functions: readonly TwinFunction[];
  readonly account: string;
  readonly region: string;
  /** Requests the gateway could not route (a service the twin does not emulate). */
  readonly unrouted: string[] = [];
  readonly #credentials = new Map<string, IssuedCredentials & { principal: string }>();
  #server: Server | undefined;
  #endpoint = '';

  private constructor(
    readonly deployment: ResolvedDeployment,
    private readonly root: string,
  ) {
    this.account = deployment.assembly.config.account;
    this.region = deployment.assembly.config.region;
    this.iam = new TwinIam(deployment);
    this.functions = twinFunctions(deployment);
    this.s3 = new TwinS3(deployment, this.iam, {
      notify: (queueArn, bucketArn, message) =>
        this.events.send(queueArn, message, {
          principal: 's3.amazonaws.com',
          sourceArn: bucketArn,
          sourceAccount: this.account,
        }),
      secretOf: (accessKeyId) => this.#credentials.get(accessKeyId)?.secretAccessKey,
    });
    this.s3.principalOf = (accessKeyId) => this.#credentials.get(accessKeyId)?.principal;
    this.dynamodb = new TwinDynamoDb(deployment, this.iam);
    this.secrets = new TwinSecretsManager(this.iam, this.account);
    this.athena = new TwinAthena(deployment, this.iam, this.s3, this.account);
    this.cognito = new TwinCognito(deployment, this.iam);
    this.lambda = new TwinLambda(
      this.functions,
      this.iam,
      { endpoint: () => this.#endpoint, credentialsFor: (principal) => this.credentialsFor(principal) },
      root,
    );
    this.events = new TwinEvents(deployment, this.iam, this.lambda);
  }

  /** Starts the twin of a synthesized stage (the assembly folder the twin tier's global setup wrote). */
  static async start(stage: StageName, assemblyDirectory: string): Promise<Twin> {
    const root = await mkdtemp(join(tmpdir(), `kura-twin-${stage}-`));
    const twin = new Twin(new ResolvedDeployment(readAssembly(assemblyDirectory, stage)), root);
    await twin.dynamodb.start();
    twin.#server = createServer((request, response) => {
      twin.#serve(request).then(
        (reply) => {
          response.writeHead(reply.status, reply.headers ?? {});
          response.end(reply.body ?? '');
        },
        (error: unknown) => {
          response.writeHead(500, { 'content-type': 'text/plain' });
          response.end(`twin error: ${error instanceof Error ? error.stack : String(error)}`);
        },
      );
    });
    await new Promise<void>((resolve) => twin.#server?.listen(0, '127.0.0.1', () => resolve()));
    twin.#endpoint = `http://127.0.0.1:${(twin.#server.address() as AddressInfo).port}`;
    return twin;
  }

  get endpoint(): string {
    return this.#endpoint;
  }

  /** Temporary credentials of a principal (issued once; the access key names the principal). */
  credentialsFor(principal: string): IssuedCredentials {
    for (const issued of this.#credentials.values()) if (issued.principal === principal) return issued;
    const accessKeyId = `ASIA${createHash('sha256').update(principal).digest('hex').slice(0, 16).toUpperCase()}`;
    const issued = {
      principal,
      accessKeyId,
      secretAccessKey: randomBytes(30).toString('base64'),
      sessionToken: randomBytes(64).toString('base64'),
    };
    this.#credentials.set(accessKeyId, issued);
    return issued;
  }

  /** SDK client configuration for a principal the test acts as (e.g. the BI role). */
  clientConfig(principal: string, region = this.region) {
    const { accessKeyId, secretAccessKey, sessionToken } = this.credentialsFor(principal);
    return { region, endpoint: this.#endpoint, credentials: { accessKeyId, secretAccessKey, sessionToken } };
  }

  /**
   * A function's deployed runtime built in this process, as its composition root builds it in Lambda:
   * from the function's synthesized environment, with its role's credentials and the twin's endpoint in
   * the variables the SDK's default chain reads (a client takes them at its first call). Lets a test run
   * a use case as that function with an input the lifecycle cannot produce (a threshold, an injected race).
   */
  deployedRuntime(service: string): Runtime {
    const fn = this.fn(service);
    const { accessKeyId, secretAccessKey, sessionToken } = this.credentialsFor(fn.roleArn);
    Object.assign(process.env, {
      AWS_REGION: fn.region,
      AWS_ACCESS_KEY_ID: accessKeyId,
      AWS_SECRET_ACCESS_KEY: secretAccessKey,
      AWS_SESSION_TOKEN: sessionToken,
      AWS_ENDPOINT_URL: this.#endpoint,
    });
    return createDeployedRuntime({ ...fn.environment, AWS_REGION: fn.region });
  }

  /** A Kura function by its service name (`kura-api`, `kura-ingest`, …). */
  fn(service: string): TwinFunction {
    return functionByService(this.functions, service);
  }

  async #serve(request: IncomingMessage): Promise<Reply> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const url = new URL(request.url ?? '/', 'http://twin');
    const headers = Object.fromEntries(
      Object.entries(request.headers).map(([k, v]) => [k.toLowerCase(), Array.isArray(v) ? v.join(',') : v]),
    ) as Record<string, string | undefined>;
    const scope = /Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request/.exec(
      headers.authorization ?? '',
    );
    const service =
      scope?.[4] ??
      (request.method === 'POST' && headers['content-type']?.startsWith('multipart/form-data')
        ? 's3'
        : undefined);
    let caller: CallerIdentity | undefined;
    if (scope) {
      const issued = this.#credentials.get(scope[1] ?? '');
      if (!issued) {
        return {
          status: 403,
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            __type: 'UnrecognizedClientException',
            message: 'The security token included in the request is invalid.',
          }),
        };
      }
      caller = {
        principal: issued.principal,
        accessKeyId: issued.accessKeyId,
        region: scope[3] ?? this.region,
      };
    }
    switch (service) {
      case 's3':
        return this.s3.handle(
          { method: request.method ?? 'GET', path: url.pathname, query: url.searchParams, headers, body },
          caller,
        );
      case 'dynamodb':
        if (!caller) break;
        return this.dynamodb.handle(headers['x-amz-target'] ?? '', body, caller);
      case 'secretsmanager':
        if (!caller) break;
        return this.secrets.handle(headers['x-amz-target'] ?? '', body, caller);
      case 'athena':
        if (!caller) break;
        return this.athena.handle(headers['x-amz-target'] ?? '', body, caller);
      case 'lambda':
        if (!caller) break;
        return this.lambda.handle(url.pathname, headers, body, caller);
      case 'cognito-idp':
        if (!caller) break;
        return this.cognito.handle(headers['x-amz-target'] ?? '', body, caller);
      default:
        break;
    }
    this.unrouted.push(
      `${service ?? 'unknown'} ${request.method} ${url.pathname} ${headers['x-amz-target'] ?? ''}`,
    );
    return {
      status: 501,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ message: `The twin does not emulate ${service}` }),
    };
  }

  /**
   * A request through the HTTP API: the route must exist with the JWT authorizer (else 404 / 401 as API
   * Gateway answers), API Gateway must be allowed to invoke the function, and the function's answer is
   * returned as API Gateway would.
   */
  async api(
    routeKey: string,
    options: {
      readonly claims?: Record<string, unknown>;
      readonly body?: unknown;
      readonly path?: Record<string, string>;
      readonly query?: Record<string, string>;
      readonly lang?: 'ja' | 'en';
    } = {},
  ): Promise<HttpApiResponse> {
    const routes = this.deployment.ofType('AWS::ApiGatewayV2::Route').map((route) => ({
      route,
      props: this.deployment.resolve(route.stack, route.properties),
    }));
    const found = routes.find(({ props }) => props.RouteKey === routeKey);
    if (!found) return { statusCode: 404, headers: {}, json: { message: 'Not Found' } };
    if (found.props.AuthorizationType === 'JWT' && !options.claims) {
      return { statusCode: 401, headers: {}, json: { message: 'Unauthorized' } };
    }
    const integration = this.deployment.ofType('AWS::ApiGatewayV2::Integration')[0];
    const integrationUri = integration
      ? String(this.deployment.resolve(integration.stack, integration.properties).IntegrationUri)
      : '';
    const fn = this.lambda.byName(integrationUri);
    const apiId = String(found.props.ApiId);
    const [method, rawPath = '/'] = routeKey.split(' ');
    const path = rawPath.replace(/\{([^}]+)\}/g, (_m, name: string) => options.path?.[name] ?? '');
    await this.iam.require({
      principal: 'apigateway.amazonaws.com',
      action: 'lambda:InvokeFunction',
      resource: fn.arn,
      context: {
        'aws:SourceArn': `arn:aws:execute-api:${this.region}:${this.account}:${apiId}/$default/${method}${rawPath}`,
        'aws:SourceAccount': this.account,
      },
    });
    const event = {
      version: '2.0',
      routeKey,
      rawPath: path,
      rawQueryString: new URLSearchParams(options.query ?? {}).toString(),
      headers: { 'accept-language': options.lang ?? 'en', 'content-type': 'application/json' },
      ...(options.query ? { queryStringParameters: options.query } : {}),
      ...(options.path ? { pathParameters: options.path } : {}),
      requestContext: {
        accountId: this.account,
        apiId,
        domainName: `${apiId}.execute-api.${this.region}.amazonaws.com`,
        http: { method, path, protocol: 'HTTP/1.1', sourceIp: '192.0.2.1', userAgent: 'twin' },
        requestId: randomBytes(8).toString('hex'),
        routeKey,
        stage: '$default',
        time: new Date().toUTCString(),
        timeEpoch: Date.now(),
        ...(options.claims ? { authorizer: { jwt: { claims: options.claims, scopes: null } } } : {}),
      },
      ...(options.body !== undefined ? { body: JSON.stringify(options.body), isBase64Encoded: false } : {}),
    };
    try {
      const result = (await this.lambda.invoke(fn.name, event)) as {
        statusCode: number;
        headers: Record<string, string>;
        body: string;
      };
      return {
        statusCode: result.statusCode,
        headers: result.headers,
        json: JSON.parse(result.body || 'null'),
      };
    } catch (error) {
      if (error instanceof FunctionError)
        return {
          statusCode: 500,
          headers: {},
          json: { message: 'Internal Server Error', error: error.message },
        };
      throw error;
    }
  }

  /** Resolves when nothing is left to run: asynchronous invocations and queue deliveries. */
  async settled(): Promise<void> {
    for (;;) {
      await this.lambda.settled();
      await this.events.settled();
      await new Promise((resolve) => setImmediate(resolve));
      if (this.lambda.idle && this.events.idle) return;
    }
  }

  async stop(): Promise<void> {
    this.lambda.stop();
    await this.dynamodb.stop();
    await this.athena.stop();
    await new Promise<void>((resolve) => (this.#server ? this.#server.close(() => resolve()) : resolve()));
    this.#server?.closeAllConnections();
    await rm(this.root, { recursive: true, force: true });
  }
}
