/**
 * The twin's DynamoDB: dynalite (a real DynamoDB API server) behind IAM. Each JSON request's action
 * (X-Amz-Target) and table (or index) ARN are authorised for the caller first, then forwarded. Tables
 * are created from the templates' AWS::DynamoDB::Table resources with their physical names.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import dynalite from 'dynalite';
import type { Json, ResolvedDeployment } from '../assembly.ts';
import { TwinAccessDeniedError, type TwinIam } from '../iam.ts';
import type { CallerIdentity, Reply } from './s3.ts';

/** The table (and index) names a request touches, by DynamoDB action. */
function tablesOf(action: string, body: Json): Array<{ table: string; index?: string }> {
  switch (action) {
    case 'BatchGetItem':
    case 'BatchWriteItem':
      return Object.keys(body.RequestItems ?? {}).map((table) => ({ table }));
    case 'TransactWriteItems':
    case 'TransactGetItems':
      return (body.TransactItems ?? []).map((item: Json) => {
        const inner = Object.values(item)[0] as Json;
        return { table: inner.TableName };
      });
    default:
      return body.TableName
        ? [{ table: body.TableName, ...(body.IndexName ? { index: body.IndexName } : {}) }]
        : [];
  }
}

export class TwinDynamoDb {
  #server: Server | undefined;
  #endpoint = '';
  readonly #tableArn = new Map<string, string>();

  constructor(
    private readonly deployment: ResolvedDeployment,
    private readonly iam: TwinIam,
  ) {}

  async start(): Promise<void> {
    this.#server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 }) as unknown as Server;
    await new Promise<void>((resolve) => this.#server?.listen(0, '127.0.0.1', () => resolve()));
    this.#endpoint = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
    for (const table of this.deployment.ofType('AWS::DynamoDB::Table')) {
      const props = this.deployment.resolve(table.stack, table.properties);
      const name = this.deployment.ref(table);
      this.#tableArn.set(name, this.deployment.arn(table));
      const create = {
        TableName: name,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: props.AttributeDefinitions,
        KeySchema: props.KeySchema,
        ...(props.GlobalSecondaryIndexes
          ? {
              GlobalSecondaryIndexes: props.GlobalSecondaryIndexes.map((index: Json) => ({
                IndexName: index.IndexName,
                KeySchema: index.KeySchema,
                Projection: index.Projection,
              })),
            }
          : {}),
      };
      const response = await this.#forward('CreateTable', JSON.stringify(create));
      if (response.status !== 200) throw new Error(`dynalite refused table ${name}: ${response.body}`);
    }
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.#server ? this.#server.close(() => resolve()) : resolve()));
  }

  async #forward(
    action: string,
    body: string,
  ): Promise<{ status: number; body: string; headers: Record<string, string> }> {
    const response = await fetch(this.#endpoint, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-amz-json-1.0',
        'x-amz-target': `DynamoDB_20120810.${action}`,
        // dynalite checks that a signature is present, not what it is.
        authorization:
          'AWS4-HMAC-SHA256 Credential=TWIN/20260101/ap-northeast-1/dynamodb/aws4_request, SignedHeaders=host, Signature=twin',
        'x-amz-date': '20260101T000000Z',
      },
      body,
    });
    return {
      status: response.status,
      body: await response.text(),
      headers: { 'content-type': response.headers.get('content-type') ?? 'application/x-amz-json-1.0' },
    };
  }

  async handle(target: string, rawBody: Buffer, caller: CallerIdentity): Promise<Reply> {
    const action = target.split('.')[1] ?? '';
    const body = JSON.parse(rawBody.toString() || '{}') as Json;
    for (const { table, index } of tablesOf(action, body)) {
      const arn =
        this.#tableArn.get(table) ?? `arn:aws:dynamodb:${caller.region}:000000000000:table/${table}`;
      try {
        await this.iam.require({
          principal: caller.principal,
          action: `dynamodb:${action}`,
          resource: index ? `${arn}/index/${index}` : arn,
        });
      } catch (error) {
        if (!(error instanceof TwinAccessDeniedError)) throw error;
        return {
          status: 400,
          headers: { 'content-type': 'application/x-amz-json-1.0' },
          body: JSON.stringify({
            __type: 'com.amazon.coral.service#AccessDeniedException',
            message: error.message,
          }),
        };
      }
    }
    const response = await this.#forward(action, rawBody.toString());
    return { status: response.status, headers: response.headers, body: response.body };
  }
}
