import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { APIGatewayProxyEventV2WithJWTAuthorizer } from 'aws-lambda';
import { errorResponse, type HttpResponse } from '../functions/api/errors.ts';
import { PUBLIC_ROUTE_KEYS, ROUTES } from '../functions/api/routes.ts';
import { NotFoundError, PayloadTooLargeError, UnauthorizedError } from '../functions/domain/errors.ts';
import { type Lang, langFromAcceptLanguage, msg } from '../functions/domain/i18n.ts';
import { lambdaContext } from './dispatch.ts';
import type { PreviewResponse } from './preview/page.ts';

/** API Gateway HTTP APIs accept at most 10 MB bodies; Kura's API bodies are small JSON. */
const MAX_BODY_BYTES = 1024 * 1024;

interface CompiledRoute {
  readonly routeKey: string;
  readonly method: string;
  readonly pattern: RegExp;
  readonly names: readonly string[];
}

/** Route keys (`GET /uploads/{uploadId}`) as matchers, from the API's own route table. */
export function compileRoutes(routeKeys: readonly string[]): CompiledRoute[] {
  return routeKeys.map((routeKey) => {
    const [method = '', path = ''] = routeKey.split(' ');
    const names: string[] = [];
    const source = path
      .split('/')
      .map((segment) => {
        const param = /^\{(\w+)\}$/.exec(segment);
        if (!param?.[1]) return segment.replace(/[.*+?^$()|[\]\\]/g, '\\$&');
        names.push(param[1]);
        return '([^/]+)';
      })
      .join('/');
    return { routeKey, method, pattern: new RegExp(`^${source}$`), names };
  });
}

/** The route a request matches, with its path parameters (decoded, as API Gateway passes them). */
export function matchRoute(routes: readonly CompiledRoute[], method: string, path: string) {
  for (const route of routes) {
    if (route.method !== method) continue;
    const match = route.pattern.exec(path);
    if (!match) continue;
    const pathParameters: Record<string, string> = {};
    route.names.forEach((name, index) => {
      const raw = match[index + 1] ?? '';
      try {
        pathParameters[name] = decodeURIComponent(raw);
      } catch {
        pathParameters[name] = raw;
      }
    });
    return { routeKey: route.routeKey, pathParameters };
  }
  return undefined;
}

/** API Gateway hands JWT claims to Lambda as strings; arrays become `[a b]`. */
function claimsAsApiGatewayPassesThem(
  claims: Record<string, unknown>,
): Record<string, string | number | boolean | string[]> {
  return Object.fromEntries(
    Object.entries(claims).map(([name, value]) => [
      name,
      Array.isArray(value) ? `[${value.join(' ')}]` : typeof value === 'string' ? value : String(value),
    ]),
  );
}

export type HttpHandler = (
  event: APIGatewayProxyEventV2WithJWTAuthorizer,
  context: ReturnType<typeof lambdaContext>,
) => Promise<HttpResponse>;

async function readBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) {
      throw new PayloadTooLargeError(
        msg('リクエスト本文が大きすぎます（最大 1 MiB）。', 'The request body is too large (at most 1 MiB).'),
      );
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function send(response: ServerResponse, result: HttpResponse) {
  response.writeHead(result.statusCode, result.headers);
  response.end(result.body);
}

/**
 * The local stand-in for API Gateway: verifies the bearer token (like the JWT authorizer), turns the
 * request into an HTTP API v2 event with the route key, path parameters and claims, and invokes the
 * API handler.
 */
export function createApiServer(options: {
  readonly handler: HttpHandler;
  readonly verify: (token: string) => Promise<Record<string, unknown> | undefined>;
  /**
   * The BI preview page at `GET /preview` (no token: locally it stands in for a BI tool's own login;
   * it shows only published statistics), and `GET /preview/csv` the CSV of a table it shows.
   */
  readonly preview?: (url: URL, lang: Lang) => Promise<PreviewResponse>;
}): Server {
  const routes = compileRoutes(Object.keys(ROUTES));
  return createServer((request, response) => {
    const lang = langFromAcceptLanguage(request.headers['accept-language']);
    const handle = async (): Promise<HttpResponse> => {
      const url = new URL(request.url ?? '/', 'http://127.0.0.1');
      const method = request.method ?? 'GET';
      const matched = matchRoute(routes, method, url.pathname);
      if (!matched) {
        throw new NotFoundError(
          msg('そのような API はありません。', `There is no route ${method} ${url.pathname.slice(0, 100)}.`),
        );
      }
      const authorization = request.headers.authorization ?? '';
      const token = /^Bearer\s+(\S+)$/i.exec(authorization)?.[1];
      const claims = token ? await options.verify(token) : undefined;
      // Like API Gateway: public routes (the APPI notice) have no authorizer.
      if (!claims && !PUBLIC_ROUTE_KEYS.includes(matched.routeKey)) {
        throw new UnauthorizedError(
          msg(
            'トークンがないか、無効または期限切れです。`npx kura token --tenant <会社ID>` で取得し、Authorization: Bearer ヘッダーで送ってください。データを削除した会社（契約終了）のアカウントは無効になっており、新しいトークンも使えません。',
            'The token is missing, invalid or expired: get one with `npx kura token --tenant <company id>` and send it as Authorization: Bearer. The accounts of a company whose data was deleted (contract ended) are disabled, and a new token will not work either.',
          ),
        );
      }
      const body = await readBody(request);
      const headers = Object.fromEntries(
        Object.entries(request.headers).map(([name, value]) => [
          name.toLowerCase(),
          Array.isArray(value) ? value.join(',') : (value ?? ''),
        ]),
      );
      const query = Object.fromEntries(url.searchParams.entries());
      const now = new Date();
      const text = body.toString('utf8');
      const binary = body.length > 0 && !Buffer.from(text, 'utf8').equals(body);
      const event: APIGatewayProxyEventV2WithJWTAuthorizer = {
        version: '2.0',
        routeKey: matched.routeKey,
        rawPath: url.pathname,
        rawQueryString: url.search.slice(1),
        headers,
        ...(Object.keys(query).length > 0 ? { queryStringParameters: query } : {}),
        ...(Object.keys(matched.pathParameters).length > 0 ? { pathParameters: matched.pathParameters } : {}),
        requestContext: {
          accountId: '000000000000',
          apiId: 'local',
          domainName: request.headers.host ?? '127.0.0.1',
          domainPrefix: 'local',
          http: {
            method,
            path: url.pathname,
            protocol: `HTTP/${request.httpVersion}`,
            sourceIp: request.socket.remoteAddress ?? '127.0.0.1',
            userAgent: request.headers['user-agent'] ?? '',
          },
          requestId: randomUUID(),
          routeKey: matched.routeKey,
          stage: '$default',
          time: now.toISOString(),
          timeEpoch: now.getTime(),
          authorizer: {
            principalId: '',
            integrationLatency: 0,
            jwt: { claims: claims ? claimsAsApiGatewayPassesThem(claims) : {}, scopes: [] },
          },
        },
        ...(body.length > 0 ? { body: binary ? body.toString('base64') : text } : {}),
        isBase64Encoded: binary,
      };
      return options.handler(event, lambdaContext('kura-api-local'));
    };
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    if (
      options.preview &&
      request.method === 'GET' &&
      (url.pathname === '/preview' || url.pathname === '/preview/' || url.pathname === '/preview/csv')
    ) {
      const pageLang =
        url.searchParams.get('lang') === 'en' ? 'en' : url.searchParams.get('lang') === 'ja' ? 'ja' : lang;
      options
        .preview(url, pageLang)
        .then((result) =>
          send(
            response,
            result.kind === 'csv'
              ? {
                  statusCode: 200,
                  headers: {
                    'content-type': 'text/csv; charset=utf-8',
                    'content-disposition': `attachment; filename="${result.fileName}"`,
                    'cache-control': 'no-store',
                  },
                  body: result.csv,
                }
              : {
                  statusCode: 200,
                  headers: {
                    'content-type': 'text/html; charset=utf-8',
                    'content-security-policy':
                      "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'",
                    'cache-control': 'no-store',
                  },
                  body: result.html,
                },
          ),
        )
        .catch((error: unknown) => send(response, errorResponse(error, lang)));
      return;
    }
    handle()
      .then((result) => send(response, result))
      .catch((error: unknown) => send(response, errorResponse(error, lang)));
  });
}
