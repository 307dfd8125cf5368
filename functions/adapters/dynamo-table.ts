import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import {
  ConditionFailedError,
  type Item,
  type QueryPage,
  type QueryRequest,
  type ScanRequest,
  type Table,
} from '../domain/ports/index.ts';
import type { NameResolver } from './env.ts';

type DocumentSdk = typeof import('@aws-sdk/lib-dynamodb');
/**
 * The SDK module, loaded on the first call rather than at module load: bundlers keep a dynamic
 * `import()` of an external package dynamic, so a Lambda that never calls this adapter never loads
 * the client (see runtime.ts).
 */
let documentSdkModule: Promise<DocumentSdk> | undefined;
const documentSdk = (): Promise<DocumentSdk> => (documentSdkModule ??= import('@aws-sdk/lib-dynamodb'));

export interface DynamoTableOptions {
  /** A DocumentClient built with `marshallOptions.removeUndefinedValues`. */
  readonly client: DynamoDBDocumentClient;
  /** Logical table (zones.ts TABLES) → physical table name. */
  readonly resolveTable: NameResolver;
}

/** By name: the SDK's exception class would have to be imported, and so loaded, to use instanceof. */
const isConditionFailure = (error: unknown) =>
  (error as { name?: string })?.name === 'ConditionalCheckFailedException';

/**
 * The Table port on DynamoDB (deployed) or dynalite (local). Uses only what both support:
 * get, conditional put, query and delete; no transactions, no TTL-dependent reads.
 */
export class DynamoTable implements Table {
  readonly #client: DynamoDBDocumentClient;
  readonly #table: NameResolver;

  constructor(options: DynamoTableOptions) {
    this.#client = options.client;
    this.#table = options.resolveTable;
  }

  async get(table: string, key: Item): Promise<Item | undefined> {
    const out = await this.#client.send(
      new (await documentSdk()).GetCommand({ TableName: this.#table(table), Key: key, ConsistentRead: true }),
    );
    return out.Item;
  }

  async put(
    table: string,
    item: Item,
    condition?: { readonly ifAbsent?: string; readonly ifMatch?: Readonly<Item> },
  ): Promise<void> {
    const names: Record<string, string> = {};
    const values: Record<string, unknown> = {};
    const clauses: string[] = [];
    if (condition?.ifAbsent !== undefined) {
      names['#absent'] = condition.ifAbsent;
      clauses.push('attribute_not_exists(#absent)');
    }
    Object.entries(condition?.ifMatch ?? {}).forEach(([name, value], index) => {
      names[`#m${index}`] = name;
      values[`:m${index}`] = value;
      clauses.push(`#m${index} = :m${index}`);
    });
    try {
      await this.#client.send(
        new (await documentSdk()).PutCommand({
          TableName: this.#table(table),
          Item: item,
          ...(clauses.length > 0
            ? {
                ConditionExpression: clauses.join(' AND '),
                ExpressionAttributeNames: names,
                ...(Object.keys(values).length > 0 ? { ExpressionAttributeValues: values } : {}),
              }
            : {}),
        }),
      );
    } catch (error) {
      if (isConditionFailure(error)) {
        throw new ConditionFailedError(`Conditional write to ${table} failed: ${clauses.join(' AND ')}`);
      }
      throw error;
    }
  }

  async query(request: QueryRequest): Promise<QueryPage> {
    const names: Record<string, string> = { '#pk': request.partition.name };
    const values: Record<string, unknown> = { ':pk': request.partition.value };
    let keyCondition = '#pk = :pk';
    if (request.sortPrefix) {
      names['#sk'] = request.sortPrefix.name;
      values[':sk'] = request.sortPrefix.value;
      keyCondition += ' AND begins_with(#sk, :sk)';
    }
    for (const [i, name] of (request.attributes ?? []).entries()) names[`#a${i}`] = name;
    const projection = request.attributes?.map((_, i) => `#a${i}`).join(', ');
    const out = await this.#client.send(
      new (await documentSdk()).QueryCommand({
        TableName: this.#table(request.table),
        IndexName: request.index,
        KeyConditionExpression: keyCondition,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
        Limit: request.limit,
        ExclusiveStartKey: request.cursor,
        ScanIndexForward: !request.descending,
        ...(projection ? { ProjectionExpression: projection } : {}),
        // Global secondary indexes cannot be read consistently.
        ...(request.index ? {} : { ConsistentRead: true }),
      }),
    );
    return { items: out.Items ?? [], cursor: out.LastEvaluatedKey };
  }

  async scan(table: string, request: ScanRequest = {}): Promise<QueryPage> {
    const out = await this.#client.send(
      new (await documentSdk()).ScanCommand({
        TableName: this.#table(table),
        Limit: request.limit,
        ExclusiveStartKey: request.cursor,
        ConsistentRead: true,
      }),
    );
    return { items: out.Items ?? [], cursor: out.LastEvaluatedKey };
  }

  async delete(table: string, key: Item): Promise<void> {
    await this.#client.send(
      new (await documentSdk()).DeleteCommand({ TableName: this.#table(table), Key: key }),
    );
  }
}
