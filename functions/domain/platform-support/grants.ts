/**
 * Break-glass grants: a support user asks one tenant for unmasked access with a purpose, a scope
 * (datasets and/or uploads) and a duration of at most 24 hours; a user of that tenant (role
 * `tenant`) approves or refuses; the grant ends at its expiry or when the tenant revokes it, and
 * every export made under it is deleted then. Each step goes to the ledger (who, when, what, why).
 *
 * Grants are tenant-scoped items in the uploads table (sort key `grant#support#<grantId>`), so a
 * tenant can only ever find its own grants and the tenant purge removes them with the partition.
 * The grant id carries the tenant (`<tenantId>.<uuid>`) so support can name a grant without a
 * cross-tenant index; a tenant that names another tenant's grant looks in its own partition and
 * finds nothing (404, never 403).
 */

import { actorOf, hasRole, type Principal } from '../auth/principal.ts';
import {
  ConflictError,
  type FieldMessages,
  ForbiddenError,
  NotFoundError,
  parseRequestBody,
  ValidationError,
  validationErrorFrom,
} from '../errors.ts';
import { msg } from '../i18n.ts';
import { appendLedger } from '../ledger/ledger.ts';
import { TENANTS_TABLE, tenantIdSchema } from '../tenants/model.ts';
import { confirmTenantWrite, requireTenantWrite } from '../tenants/rules.ts';
import { UPLOADS_TABLE } from '../uploads/uploads.ts';
import type * as z from '../zod.ts';
import {
  covers,
  effectiveStatus,
  type GrantExport,
  type GrantRecord,
  type GrantView,
  grantNotFound,
  grantRecordSchema,
  grantRequestSchema,
  grantSortKey,
  isActive,
  MAX_GRANT_MINUTES,
  REQUEST_LIFETIME_MINUTES,
  readGrant,
  type SupportPorts,
  saveGrant,
  tenantGrants,
  tenantOfGrantId,
  toGrantView,
} from './grant-records.ts';
import { allTenantIds, sweepExpiredSupportGrants } from './grant-sweep.ts';

/** Refuses (and records in the ledger) a caller without the role. */
export async function requireRole(
  ports: Pick<SupportPorts, 'table' | 'clock'>,
  principal: Principal,
  role: 'support' | 'tenant',
  attempted: string,
): Promise<void> {
  if (hasRole(principal, role) && (role === 'support' || principal.tenantId !== undefined)) return;
  await appendLedger(ports, {
    action: 'authorization.refused',
    actor: actorOf(principal),
    tenantId: principal.tenantId,
    details: { attempted, required: role },
  });
  throw new ForbiddenError(
    role === 'support'
      ? msg('この操作はサポート担当者だけが行えます。', 'Only support staff may do this.')
      : msg(
          'この操作は会社（テナント）の利用者だけが行えます。',
          'Only a user of the company (tenant) may do this.',
        ),
  );
}

export const requireSupport = (
  ports: Pick<SupportPorts, 'table' | 'clock'>,
  principal: Principal,
  attempted: string,
) => requireRole(ports, principal, 'support', attempted);

/** A registered tenant, else NotFoundError (support sees the same answer for any unknown id). */
export async function requireTenant(ports: Pick<SupportPorts, 'table'>, tenantId: string): Promise<void> {
  const found = tenantIdSchema.safeParse(tenantId).success
    ? await ports.table.get(TENANTS_TABLE, { tenantId })
    : undefined;
  if (!found) {
    throw new NotFoundError(
      msg(
        `会社 ${tenantId.slice(0, 64)} は見つかりません。`,
        `Company ${tenantId.slice(0, 64)} was not found.`,
      ),
      'tenantId',
    );
  }
}

const REQUEST_FIELDS = {
  tenantId: msg(
    'tenantId に会社 ID（例: demo-a）を指定してください。',
    'tenantId must name the company, e.g. demo-a.',
  ),
  purpose: msg(
    'purpose に目的（10〜500 文字、例: 取込エラーの原因調査）を書いてください。',
    'purpose must say why access is needed (10 to 500 characters), e.g. "find why the upload fails".',
  ),
  scope: msg(
    'scope に datasets（データセット名）または uploadIds（アップロード ID）を 1 つ以上指定してください。',
    'scope must name at least one dataset (datasets) or upload (uploadIds).',
  ),
  durationMinutes: msg(
    `durationMinutes に期間（分、1〜${MAX_GRANT_MINUTES}、最長 24 時間）を指定してください。`,
    `durationMinutes must be the duration in minutes, 1 to ${MAX_GRANT_MINUTES} (24 hours at most).`,
  ),
  note: msg('note は 500 文字以内にしてください。', 'note must be at most 500 characters.'),
} as const satisfies FieldMessages;

export function parseBody<T>(schema: z.ZodMiniType<T>, body: unknown): T {
  if (body === undefined) {
    const parsed = schema.safeParse(body);
    if (!parsed.success) throw validationErrorFrom(parsed.error.issues, REQUEST_FIELDS);
    return parsed.data;
  }
  return parseRequestBody(schema, body, REQUEST_FIELDS);
}

/** Support asks a tenant for unmasked access. */
export async function requestGrant(
  ports: SupportPorts,
  principal: Principal,
  body: unknown,
): Promise<GrantView> {
  await requireSupport(ports, principal, 'POST /support/grants');
  const request = parseBody(grantRequestSchema, body);
  await requireTenant(ports, request.tenantId);
  const now = ports.clock();
  // Support may still ask while the company's data is held (also after its contract ended), never once
  // its purge has started.
  await requireTenantWrite(ports, request.tenantId, 'data-held', now);
  await sweepExpiredSupportGrants(ports, now, { tenantId: request.tenantId });
  for (const uploadId of request.scope.uploadIds) {
    const upload = await ports.table.get(UPLOADS_TABLE, { tenantId: request.tenantId, uploadId });
    if (!upload) {
      throw new ValidationError(
        msg(
          `アップロード ${uploadId} は会社 ${request.tenantId} にありません。`,
          `Upload ${uploadId} does not belong to company ${request.tenantId}.`,
        ),
        'scope.uploadIds',
      );
    }
  }
  const grantId = `${request.tenantId}.${ports.newId()}`;
  const at = now.toISOString();
  const grant: GrantRecord = grantRecordSchema.parse({
    tenantId: request.tenantId,
    uploadId: grantSortKey(grantId),
    kind: 'support_grant',
    grantId,
    status: 'REQUESTED',
    purpose: request.purpose,
    scope: request.scope,
    durationMinutes: request.durationMinutes,
    requestedBy: principal.subject,
    requestedAt: at,
    requestExpiresAt: new Date(now.getTime() + REQUEST_LIFETIME_MINUTES * 60_000).toISOString(),
    exports: [],
    updatedAt: at,
    version: 0,
  });
  await ports.table.put(UPLOADS_TABLE, grant, { ifAbsent: 'uploadId' });
  await confirmTenantWrite(ports, request.tenantId, () =>
    ports.table.delete(UPLOADS_TABLE, { tenantId: grant.tenantId, uploadId: grant.uploadId }),
  );
  await appendLedger(ports, {
    action: 'support.grant_requested',
    actor: actorOf(principal),
    tenantId: request.tenantId,
    purpose: request.purpose,
    details: {
      grantId,
      datasets: [...request.scope.datasets],
      uploadIds: [...request.scope.uploadIds],
      durationMinutes: request.durationMinutes,
    },
  });
  return toGrantView(grant, now);
}

/**
 * Grants the caller may see: a tenant user its own tenant's; a support user those it requested
 * (optionally of one tenant).
 */
export async function listGrants(
  ports: SupportPorts,
  principal: Principal,
  options: { readonly tenantId?: string | undefined } = {},
): Promise<{ readonly grants: GrantView[] }> {
  const now = ports.clock();
  if (hasRole(principal, 'tenant') && principal.tenantId !== undefined) {
    await sweepExpiredSupportGrants(ports, now, { tenantId: principal.tenantId });
    const grants = await tenantGrants(ports, principal.tenantId);
    return { grants: grants.map((g) => toGrantView(g, now)) };
  }
  await requireSupport(ports, principal, 'GET /support/grants');
  if (options.tenantId !== undefined) await requireTenant(ports, options.tenantId);
  const tenants = options.tenantId !== undefined ? [options.tenantId] : await allTenantIds(ports);
  const grants: GrantView[] = [];
  for (const tenantId of tenants) {
    await sweepExpiredSupportGrants(ports, now, { tenantId });
    for (const grant of await tenantGrants(ports, tenantId)) {
      if (grant.requestedBy === principal.subject) grants.push(toGrantView(grant, now));
    }
  }
  return { grants: grants.sort((a, b) => (a.requestedAt < b.requestedAt ? 1 : -1)) };
}

/**
 * The support user's own grant in force for an upload, if any: approved, not expired, covering the
 * upload. A grant belongs to the support user who requested it; nobody else can use it.
 */
export async function grantInForce(
  ports: Pick<SupportPorts, 'table'>,
  principal: Principal,
  tenantId: string,
  upload: { readonly uploadId: string; readonly dataset: string },
  now: Date,
): Promise<GrantRecord | undefined> {
  const grants = await tenantGrants(ports, tenantId);
  return grants.find((g) => g.requestedBy === principal.subject && isActive(g, now) && covers(g, upload));
}

/** The support user's grant by id, in force; NotFoundError for others' grants, ForbiddenError when ended. */
export async function ownActiveGrant(
  ports: SupportPorts,
  principal: Principal,
  grantId: string,
): Promise<{ readonly grant: GrantRecord; readonly now: Date }> {
  const tenantId = tenantOfGrantId(grantId);
  const now = ports.clock();
  await sweepExpiredSupportGrants(ports, now, { tenantId });
  const grant = await readGrant(ports, tenantId, grantId);
  if (!grant || grant.requestedBy !== principal.subject) throw grantNotFound(grantId);
  const status = effectiveStatus(grant, now);
  if (status !== 'APPROVED') {
    throw new ForbiddenError(
      msg(
        `サポートアクセス ${grantId} は有効ではありません（状態: ${status}）。会社の承認が必要です。`,
        `Grant ${grantId} is not in force (status: ${status}); it needs the company's approval.`,
      ),
    );
  }
  return { grant, now };
}

/** Records an export on the grant (retrying once when the grant changed meanwhile). */
export async function recordExport(
  ports: SupportPorts,
  grant: GrantRecord,
  entry: GrantExport,
): Promise<GrantRecord | undefined> {
  let current: GrantRecord | undefined = grant;
  for (let attempt = 0; attempt < 3 && current; attempt++) {
    if (!isActive(current, ports.clock())) return undefined;
    const next: GrantRecord = {
      ...current,
      exports: [...current.exports, entry],
      updatedAt: ports.clock().toISOString(),
    };
    try {
      return await saveGrant(ports, current, next);
    } catch (error) {
      if (!(error instanceof ConflictError)) throw error;
      current = await readGrant(ports, grant.tenantId, grant.grantId);
    }
  }
  return undefined;
}
