import { z } from 'zod';
import type { Runtime } from '../adapters/runtime.ts';
import {
  authorize,
  type Principal,
  principalFromClaims,
  type Requirement,
} from '../domain/auth/principal.ts';
import { MalformedRequestError, NotFoundError } from '../domain/errors.ts';
import { type Lang, langFromAcceptLanguage, msg } from '../domain/i18n.ts';
import { registerTenant, updateTenant } from '../domain/tenants/admin.ts';
import { getUpload, listUploads, requestUpload } from '../domain/uploads/uploads.ts';
import { datasetCatalogue } from './datasets.ts';
import { errorResponse, type HttpResponse, jsonResponse } from './errors.ts';
import { SUPPORT_ROUTES } from './support-routes.ts';

/** The parts of an API Gateway HTTP API (v2) event with a JWT authorizer that Kura reads. */
export const httpEventSchema = z.object({
  routeKey: z.string(),
  headers: z.record(z.string(), z.string()).optional(),
  body: z.string().optional(),
  isBase64Encoded: z.boolean().optional(),
  pathParameters: z.record(z.string(), z.string()).optional(),
  queryStringParameters: z.record(z.string(), z.string()).optional(),
  requestContext: z.object({
    authorizer: z.object({ jwt: z.object({ claims: z.record(z.string(), z.unknown()) }) }).optional(),
  }),
});
export type HttpEvent = z.infer<typeof httpEventSchema>;

/** What a route gets: the caller, the ports and accessors that parse lazily (after authorisation). */
export interface RouteContext {
  readonly ports: Runtime;
  readonly principal: Principal;
  /** The JSON body; MalformedRequestError when it is not JSON. */
  body(): unknown;
  path(name: string): string;
  query(name: string): string | undefined;
}

export interface Route {
  readonly requires: Requirement;
  readonly status?: number;
  handle(context: RouteContext): Promise<unknown>;
}

const uploadPorts = (ports: Runtime) => ({ ...ports, dataKeyId: ports.dataKeyId });
const limitOf = (raw: string | undefined) =>
  raw === undefined ? undefined : Number.parseInt(raw, 10) || undefined;

/** Every route, by API Gateway route key. Adding a route is one line here (and one in the stack). */
export const ROUTES: Readonly<Record<string, Route>> = {
  'GET /datasets': { requires: 'signed-in', handle: async () => datasetCatalogue() },
  'POST /uploads': {
    requires: 'tenant-member',
    status: 201,
    handle: (c) => requestUpload(uploadPorts(c.ports), c.principal, c.body()),
  },
  'GET /uploads': {
    requires: 'tenant-member',
    handle: (c) =>
      listUploads(c.ports, c.principal, { limit: limitOf(c.query('limit')), cursor: c.query('cursor') }),
  },
  'GET /uploads/{uploadId}': {
    requires: 'tenant-member',
    handle: (c) => getUpload(c.ports, c.principal, c.path('uploadId')),
  },
  'POST /admin/tenants': {
    requires: 'admin',
    status: 201,
    handle: (c) => registerTenant(c.ports, c.principal, c.body()),
  },
  'PATCH /admin/tenants/{tenantId}': {
    requires: 'admin',
    handle: (c) => updateTenant(c.ports, c.principal, c.path('tenantId'), c.body()),
  },
  ...SUPPORT_ROUTES,
};

const MALFORMED_JSON = msg(
  'リクエスト本文が JSON として読めません。JSON の書式（引用符、カンマ、括弧）を確認してください。',
  'The request body is not valid JSON: check the quotes, commas and brackets.',
);

function parseJson(event: HttpEvent): unknown {
  const raw = event.isBase64Encoded
    ? Buffer.from(event.body ?? '', 'base64').toString('utf8')
    : (event.body ?? '');
  if (raw.trim() === '') throw new MalformedRequestError(MALFORMED_JSON);
  try {
    return JSON.parse(raw);
  } catch {
    throw new MalformedRequestError(MALFORMED_JSON);
  }
}

/** Logs what the caller cannot see; Powertools' Logger satisfies it. */
export interface ErrorLogger {
  error(message: string, ...extra: unknown[]): void;
}

/** Routes one HTTP API event: identity, authorisation, the route, and every error mapped to JSON. */
export async function routeHttpEvent(
  rawEvent: unknown,
  ports: Runtime,
  logger: ErrorLogger,
): Promise<HttpResponse> {
  let lang: Lang = 'ja';
  try {
    const event = httpEventSchema.parse(rawEvent);
    lang = langFromAcceptLanguage(event.headers?.['accept-language'] ?? event.headers?.['Accept-Language']);
    const route = ROUTES[event.routeKey];
    if (!route) {
      throw new NotFoundError(
        msg('そのような API はありません。', `There is no route ${event.routeKey.slice(0, 100)}.`),
      );
    }
    const principal = principalFromClaims(event.requestContext.authorizer?.jwt.claims);
    await authorize(ports, principal, route.requires, event.routeKey);
    const result = await route.handle({
      ports,
      principal,
      body: () => parseJson(event),
      path: (name) => event.pathParameters?.[name] ?? '',
      query: (name) => event.queryStringParameters?.[name],
    });
    return jsonResponse(route.status ?? 200, result, lang);
  } catch (error) {
    const response = errorResponse(error, lang);
    if (response.statusCode >= 500) logger.error('Request failed', error as Error);
    return response;
  }
}
