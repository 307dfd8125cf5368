import type { Runtime } from '../adapters/runtime.ts';
import { benchmarkForCaller, published } from '../domain/advisors/benchmark.ts';
import { grantSupporter, listSupporterGrants, revokeSupporter } from '../domain/advisors/grants.ts';
import { actorOf, authorize, type Principal, principalFromClaims } from '../domain/auth/principal.ts';
import { profileCatalogue } from '../domain/catalog/profiles.ts';
import { MalformedRequestError, NotFoundError } from '../domain/errors.ts';
import { type Lang, langFromAcceptLanguage, msg } from '../domain/i18n.ts';
import { getJob, requestJob } from '../domain/jobs/jobs.ts';
import {
  latestReleaseNotice,
  latestReleaseSummary,
  publishedStatistic,
} from '../domain/release/published.ts';
import { pageOf } from '../domain/stats/paging.ts';
import { listPublishedReleases, publicReleaseNotice } from '../domain/stats/service.ts';
import { listTenants, registerTenant, updateTenant } from '../domain/tenants/admin.ts';
import { processingDisclosure } from '../domain/tenants/processing.ts';
import { certificateWithVerification, requestPurge } from '../domain/tenants/purge-now.ts';
import { rowErrorsCsv } from '../domain/uploads/error-report.ts';
import { deleteColumnMapping, getColumnMapping, saveColumnMapping } from '../domain/uploads/mappings.ts';
import { getUpload, listUploads, requestUpload } from '../domain/uploads/uploads.ts';
import { withdrawUpload } from '../domain/uploads/withdraw.ts';
import * as z from '../domain/zod.ts';
import { datasetCatalogue } from './datasets.ts';
import { errorResponse, type HttpResponse, jsonResponse } from './errors.ts';
import type { Route, RouteContext } from './route.ts';
import { SUPPORT_ROUTES } from './support-routes.ts';

/** The parts of an API Gateway HTTP API (v2) event with a JWT authorizer that Kura reads. */
export const httpEventSchema = z.object({
  routeKey: z.string(),
  headers: z.optional(z.record(z.string(), z.string())),
  body: z.optional(z.string()),
  isBase64Encoded: z.optional(z.boolean()),
  pathParameters: z.optional(z.record(z.string(), z.string())),
  queryStringParameters: z.optional(z.record(z.string(), z.string())),
  requestContext: z.object({
    authorizer: z.optional(z.object({ jwt: z.object({ claims: z.record(z.string(), z.unknown()) }) })),
  }),
});
export type HttpEvent = z.infer<typeof httpEventSchema>;

/** The caller of a public route: nobody signed in. */
const ANONYMOUS: Principal = { subject: 'anonymous', roles: [] };

/** A route result whose status depends on the outcome (e.g. 202 while a purge goes on). */
export class WithStatus {
  constructor(
    readonly status: number,
    readonly body: unknown,
  ) {}
}

/** A route result that is a file to download (CSV), not JSON. */
export class FileDownload {
  constructor(
    readonly fileName: string,
    readonly contentType: string,
    readonly body: string,
  ) {}
}

const uploadPorts = (ports: Runtime) => ({ ...ports, dataKeyId: ports.dataKeyId });
const limitOf = (raw: string | undefined) =>
  raw === undefined ? undefined : Number.parseInt(raw, 10) || undefined;
/** A job the API started: 202 with its id and where to follow it. Jobs never run inside a request. */
const accepted = (job: { jobId: string; kind: string; state: string }) =>
  new WithStatus(202, {
    jobId: job.jobId,
    kind: job.kind,
    state: job.state,
    statusPath: `/admin/jobs/${job.jobId}`,
  });
const purgeNow = async (c: RouteContext) =>
  accepted(await requestPurge(c.ports, c.principal, c.path('tenantId'), c.optionalBody()));
const releaseNow = async (c: RouteContext) =>
  accepted(await requestJob(c.ports, { kind: 'release', reason: 'on-demand', actor: actorOf(c.principal) }));
const job = (c: RouteContext) => getJob(c.ports.table, c.path('jobId'));
const certificate = (c: RouteContext) =>
  certificateWithVerification({ objects: c.ports.objects, tables: c.ports.table }, c.path('tenantId'));
/** `GET /stats/{name}`, paged (`?limit=&cursor=`, `next` while more remain: Lambda answers ≤ 6 MB). */
const statsTable = async (c: RouteContext) => {
  const table = await publishedStatistic(c.ports.objects, c.path('name'), { period: c.query('period') });
  const page = pageOf(table.releaseId, table.cells, { limit: c.query('limit'), cursor: c.query('cursor') });
  return { ...table, totalCells: table.cells.length, ...page };
};
const notice = (c: RouteContext) => latestReleaseNotice(c.ports.objects, c.lang);
const publicNotices = async (c: RouteContext) => ({
  releases: (await published(() => listPublishedReleases(c.ports.objects))).map((r) => ({
    ...r,
    notice: `/public/notices/${r.releaseId}`,
  })),
});
const publicNotice = (c: RouteContext) =>
  published(() => publicReleaseNotice(c.ports.objects, c.path('releaseId'), c.lang));
const grant = (c: RouteContext) => grantSupporter(c.ports, c.principal, c.body());
const grants = (c: RouteContext) => listSupporterGrants(c.ports, c.principal);
const revokeGrant = (c: RouteContext) => revokeSupporter(c.ports, c.principal, c.path('supporterId'));
const processing = async (c: RouteContext) =>
  processingDisclosure({ region: c.ports.region, drRegion: c.ports.drRegion, settings: c.ports.settings });
const benchmark = (c: RouteContext) =>
  benchmarkForCaller(c.ports, c.principal, {
    statistic: c.path('name'),
    tenantId: c.query('tenantId'),
    period: c.query('period'),
    query: c.queries(),
  });

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
  'GET /uploads/{uploadId}/row-errors': {
    requires: 'tenant-member',
    handle: async (c) => {
      const file = await rowErrorsCsv(c.ports, c.principal, c.path('uploadId'), c.lang);
      return new FileDownload(file.fileName, 'text/csv; charset=utf-8', file.csv);
    },
  },
  'GET /profiles': { requires: 'signed-in', handle: async () => ({ profiles: profileCatalogue() }) },
  'GET /mappings/{dataset}': {
    requires: 'company-user',
    handle: (c) => getColumnMapping(c.ports.table, c.principal, c.path('dataset')),
  },
  'PUT /mappings/{dataset}': {
    requires: 'company-user',
    handle: (c) => saveColumnMapping(c.ports, c.principal, c.path('dataset'), c.body()),
  },
  'DELETE /mappings/{dataset}': {
    requires: 'company-user',
    handle: (c) => deleteColumnMapping(c.ports.table, c.principal, c.path('dataset')),
  },
  'POST /uploads/{uploadId}/withdraw': {
    requires: 'tenant-member',
    handle: (c) => withdrawUpload(c.ports, c.principal, c.path('uploadId')),
  },
  'GET /admin/tenants': {
    requires: 'admin',
    handle: (c) => listTenants(c.ports, { limit: limitOf(c.query('limit')), cursor: c.query('cursor') }),
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
  'POST /admin/tenants/{tenantId}/purge': { requires: 'admin', handle: purgeNow },
  'GET /admin/certificates/{tenantId}': { requires: 'admin', handle: certificate },
  'POST /admin/releases': { requires: 'admin', handle: releaseNow },
  'GET /admin/jobs/{jobId}': { requires: 'admin', handle: job },
  'GET /stats': { requires: 'signed-in', handle: (c) => latestReleaseSummary(c.ports.objects) },
  'GET /stats/{name}': { requires: 'signed-in', handle: statsTable },
  'GET /stats/{name}/benchmark': { requires: 'tenant-member', handle: benchmark },
  'GET /releases/latest/notice': { requires: 'signed-in', handle: notice },
  'GET /public/notices': { requires: 'signed-in', public: true, handle: publicNotices },
  'GET /public/notices/{releaseId}': { requires: 'signed-in', public: true, handle: publicNotice },
  'POST /supporters/grants': { requires: 'company-user', status: 201, handle: grant },
  'DELETE /supporters/grants/{supporterId}': { requires: 'company-user', handle: revokeGrant },
  'GET /supporters/grants': { requires: 'company-user', handle: grants },
  'GET /about/processing': { requires: 'signed-in', handle: processing },
  ...SUPPORT_ROUTES,
};

/** Route keys served without sign-in: the infra gives these no authorizer, the local server no token check. */
export const PUBLIC_ROUTE_KEYS: readonly string[] = Object.entries(ROUTES)
  .filter(([, route]) => route.public === true)
  .map(([key]) => key);

const MALFORMED_JSON = msg(
  'リクエスト本文が JSON として読めません。JSON の書式（引用符、カンマ、括弧）を確認してください。',
  'The request body is not valid JSON: check the quotes, commas and brackets.',
);

const rawBody = (event: HttpEvent) =>
  event.isBase64Encoded ? Buffer.from(event.body ?? '', 'base64').toString('utf8') : (event.body ?? '');

function parseJson(event: HttpEvent): unknown {
  const raw = rawBody(event);
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
    const asked = event.queryStringParameters?.lang;
    if (asked === 'ja' || asked === 'en') lang = asked;
    const principal = route.public
      ? ANONYMOUS
      : principalFromClaims(event.requestContext.authorizer?.jwt.claims);
    if (!route.public) await authorize(ports, principal, route.requires, event.routeKey);
    const result = await route.handle({
      ports,
      principal,
      lang,
      body: () => parseJson(event),
      optionalBody: () => (rawBody(event).trim() === '' ? undefined : parseJson(event)),
      path: (name) => event.pathParameters?.[name] ?? '',
      query: (name) => event.queryStringParameters?.[name],
      queries: () => ({ ...(event.queryStringParameters ?? {}) }),
    });
    if (result instanceof WithStatus) return jsonResponse(result.status, result.body, lang);
    if (result instanceof FileDownload) {
      return {
        statusCode: 200,
        headers: {
          'content-type': result.contentType,
          'content-disposition': `attachment; filename="${result.fileName}"`,
          'content-language': lang,
          'cache-control': 'no-store',
          'x-content-type-options': 'nosniff',
        },
        body: result.body,
      };
    }
    return jsonResponse(route.status ?? 200, result, lang);
  } catch (error) {
    const response = errorResponse(error, lang);
    if (response.statusCode >= 500) logger.error('Request failed', error as Error);
    return response;
  }
}
