import { mkdir } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import {
  type AttributeDefinition,
  CreateTableCommand,
  DescribeTableCommand,
  type DynamoDBClient,
  ListTablesCommand,
  UpdateTableCommand,
} from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, ListBucketsCommand, type S3Client } from '@aws-sdk/client-s3';
import dynalite from 'dynalite';
import S3rver from 's3rver';
import { TABLE_DEFINITIONS } from '../functions/domain/ports/table.ts';
import { BUCKETS, TABLES } from '../functions/domain/zones.ts';

/** Every local server binds here: the platform is never reachable from another machine. */
export const LOCAL_HOST = '127.0.0.1';

/** S3 notification JSON as s3rver emits it (one record per event). */
export interface S3NotificationEvent {
  readonly Records: ReadonlyArray<{
    readonly eventName: string;
    readonly eventTime: string;
    readonly s3: {
      readonly bucket: { readonly name: string };
      readonly object: {
        readonly key: string;
        readonly size?: number;
        readonly eTag?: string;
        readonly sequencer?: string;
      };
    };
  }>;
}

export interface LocalStorageServers {
  readonly s3Endpoint: string;
  readonly dynamoEndpoint: string;
  readonly s3: S3rver;
  stop(): Promise<void>;
}

/**
 * Starts s3rver (files under `<dataDir>/s3`) and dynalite (LevelDB under `<dataDir>/dynamodb`) on
 * 127.0.0.1. Port 0 picks a free port; a taken fixed port falls back to a free one.
 */
export async function startStorageServers(options: {
  readonly dataDir: string;
  readonly s3Port?: number;
  readonly dynamoPort?: number;
}): Promise<LocalStorageServers> {
  const s3Dir = join(options.dataDir, 's3');
  const dynamoDir = join(options.dataDir, 'dynamodb');
  await mkdir(s3Dir, { recursive: true, mode: 0o700 });
  await mkdir(dynamoDir, { recursive: true, mode: 0o700 });

  const s3 = await runS3rver(s3Dir, options.s3Port ?? 0);
  const dynamoServer = dynalite({ path: dynamoDir, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  let dynamoPort: number;
  try {
    dynamoPort = await listen(dynamoServer, options.dynamoPort ?? 0);
  } catch (error) {
    await s3.server.close();
    throw error;
  }
  return {
    s3Endpoint: `http://${LOCAL_HOST}:${s3.port}`,
    dynamoEndpoint: `http://${LOCAL_HOST}:${dynamoPort}`,
    s3: s3.server,
    async stop() {
      await Promise.allSettled([
        s3.server.close(),
        new Promise<void>((resolve) => dynamoServer.close(() => resolve())),
      ]);
    },
  };
}

async function runS3rver(directory: string, port: number): Promise<{ server: S3rver; port: number }> {
  // s3rver reports a taken port as an unhandled 'error' event, so the port is checked first.
  const usable = await availablePort(port);
  const server = new S3rver({
    address: LOCAL_HOST,
    port: usable,
    silent: true,
    directory,
    vhostBuckets: false,
  });
  // Before the router (the last middleware), after the XML encoder: Koa composes at run().
  // s3rver is a Koa application; its typings leave out the middleware stack.
  const stack = (server as unknown as { middleware: KoaMiddleware[] }).middleware;
  stack.splice(stack.length - 1, 0, listObjectsV2WithoutDes);
  return { server, port: (await server.run()).port };
}

/** The part of a Koa context the listing middleware touches. */
interface ListingContext {
  readonly method: string;
  readonly path: string;
  query: Record<string, string | string[] | undefined>;
  status: number;
  type: string;
  body: unknown;
}
type KoaMiddleware = (ctx: ListingContext, next: () => Promise<void>) => Promise<void>;
const TOKEN_PREFIX = 'kura-after:';

/**
 * s3rver 3.7.1 encrypts ListObjectsV2 continuation tokens with DES, which Node's OpenSSL 3 refuses,
 * so every listing past 1,000 keys failed with InternalError (e.g. purging a large tenant). This
 * middleware serves ListObjectsV2 through s3rver's V1 listing (marker = start after, no cipher) and
 * reshapes the answer as V2: the continuation token is the last key, base64url-encoded and opaque
 * to clients as S3's is. No process flag (--openssl-legacy-provider) is needed, in tests either.
 */
const listObjectsV2WithoutDes: KoaMiddleware = async (ctx, next) => {
  const query = ctx.query;
  const isBucketListing = ctx.method === 'GET' && /^\/[^/]+\/?$/.test(ctx.path);
  if (!isBucketListing || query['list-type'] !== '2') return next();
  const token = typeof query['continuation-token'] === 'string' ? query['continuation-token'] : undefined;
  const startAfter = typeof query['start-after'] === 'string' ? query['start-after'] : undefined;
  let after = startAfter;
  if (token) {
    const decoded = Buffer.from(token, 'base64url').toString('utf8');
    if (!decoded.startsWith(TOKEN_PREFIX)) {
      ctx.status = 400;
      ctx.type = 'application/xml';
      ctx.body =
        '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>InvalidArgument</Code><Message>The continuation token provided is incorrect</Message></Error>';
      return;
    }
    after = decoded.slice(TOKEN_PREFIX.length);
  }
  const { 'list-type': _v2, 'continuation-token': _token, 'start-after': _after, ...rest } = query;
  ctx.query = after === undefined ? rest : { ...rest, marker: after };
  await next();
  const result = (ctx.body as { ListBucketResult?: Record<string, unknown> } | undefined)?.ListBucketResult;
  if (!result || typeof result !== 'object') return;
  const contents = Array.isArray(result.Contents) ? (result.Contents as Array<{ Key: string }>) : [];
  const last = contents.at(-1)?.Key;
  delete result.Marker;
  delete result.NextMarker;
  Object.assign(result, {
    StartAfter: token ? undefined : startAfter,
    ContinuationToken: token,
    NextContinuationToken:
      result.IsTruncated && last !== undefined
        ? Buffer.from(`${TOKEN_PREFIX}${last}`, 'utf8').toString('base64url')
        : undefined,
    KeyCount: contents.length,
  });
};

/** The preferred port when it is free on 127.0.0.1, otherwise a free one (0 means any free port). */
async function availablePort(preferred: number): Promise<number> {
  const probe = createServer();
  const port = await listen(probe, preferred);
  await new Promise<void>((resolveClose) => probe.close(() => resolveClose()));
  return preferred === 0 ? 0 : port;
}

/** Listens on 127.0.0.1; a taken fixed port falls back to a free one. Resolves to the port. */
export function listen(server: Server, port: number): Promise<number> {
  const attempt = (p: number) =>
    new Promise<number>((resolve, reject) => {
      const onError = (error: Error) => {
        server.off('listening', onListening);
        reject(error);
      };
      const onListening = () => {
        server.off('error', onError);
        resolve((server.address() as AddressInfo).port);
      };
      server.once('error', onError);
      server.once('listening', onListening);
      server.listen(p, LOCAL_HOST);
    });
  return attempt(port).catch((error: NodeJS.ErrnoException) => {
    if (port === 0 || error.code !== 'EADDRINUSE') throw error;
    return attempt(0);
  });
}

/** Creates every bucket in zones.ts BUCKETS that does not exist yet. */
export async function ensureBuckets(s3: S3Client, physical: (logical: string) => string): Promise<void> {
  const existing = new Set(((await s3.send(new ListBucketsCommand({}))).Buckets ?? []).map((b) => b.Name));
  for (const bucket of BUCKETS) {
    const name = physical(bucket);
    if (!existing.has(name)) await s3.send(new CreateBucketCommand({ Bucket: name }));
  }
}

/** Creates every table from TABLE_DEFINITIONS (the stack's own key schemas) that does not exist yet. */
export async function ensureTables(
  dynamo: DynamoDBClient,
  physical: (logical: string) => string,
): Promise<void> {
  const existing = new Set((await dynamo.send(new ListTablesCommand({}))).TableNames ?? []);
  const keySchema = (partitionKey: string, sortKey?: string) => [
    { AttributeName: partitionKey, KeyType: 'HASH' as const },
    ...(sortKey ? [{ AttributeName: sortKey, KeyType: 'RANGE' as const }] : []),
  ];
  for (const table of TABLES) {
    const name = physical(table);
    const definition = TABLE_DEFINITIONS[table];
    const attributes = new Map<string, AttributeDefinition>();
    const keyAttr = (attributeName: string) =>
      attributes.set(attributeName, { AttributeName: attributeName, AttributeType: 'S' });
    keyAttr(definition.partitionKey);
    if (definition.sortKey) keyAttr(definition.sortKey);
    for (const index of definition.globalIndexes ?? []) {
      keyAttr(index.partitionKey);
      if (index.sortKey) keyAttr(index.sortKey);
    }
    if (existing.has(name)) {
      // A data folder of an earlier version: add the indexes it lacks (DynamoDB backfills them).
      const described = await dynamo.send(new DescribeTableCommand({ TableName: name }));
      const present = new Set((described.Table?.GlobalSecondaryIndexes ?? []).map((i) => i.IndexName));
      for (const index of definition.globalIndexes ?? []) {
        if (present.has(index.name)) continue;
        await dynamo.send(
          new UpdateTableCommand({
            TableName: name,
            AttributeDefinitions: [...attributes.values()],
            GlobalSecondaryIndexUpdates: [
              {
                Create: {
                  IndexName: index.name,
                  KeySchema: keySchema(index.partitionKey, index.sortKey),
                  Projection: { ProjectionType: 'ALL' },
                },
              },
            ],
          }),
        );
      }
      continue;
    }
    await dynamo.send(
      new CreateTableCommand({
        TableName: name,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [...attributes.values()],
        KeySchema: keySchema(definition.partitionKey, definition.sortKey),
        ...(definition.globalIndexes?.length
          ? {
              GlobalSecondaryIndexes: definition.globalIndexes.map((index) => ({
                IndexName: index.name,
                KeySchema: keySchema(index.partitionKey, index.sortKey),
                Projection: { ProjectionType: 'ALL' },
              })),
            }
          : {}),
      }),
    );
  }
}
