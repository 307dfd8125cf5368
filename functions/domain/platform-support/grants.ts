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
import { z } from 'zod';
import { actorOf, hasRole, type Principal } from '../auth/principal.ts';
import { datasetNameSchema } from '../catalog/index.ts';
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
import { ConditionFailedError, type KeyStore, type ObjectStore, type Table } from '../ports/index.ts';
import { listTenantItems, readTenantItem, type TenantItemKind } from '../tenant-items/tenant-items.ts';
import { TENANT_ID_SOURCE, TENANTS_TABLE, tenantIdSchema } from '../tenants/model.ts';
import { allTenants, confirmTenantWrite, requireTenantWrite } from '../tenants/rules.ts';
import { UPLOADS_TABLE } from '../uploads/uploads.ts';
import { supportExportPrefix } from '../zones.ts';

/** What support code needs from the outside world (the Runtime satisfies it). */
export interface SupportPorts {
  readonly table: Table;
  readonly objects: ObjectStore;
  readonly keys: KeyStore;
  readonly clock: () => Date;
  readonly newId: () => string;
}

export const GRANT_SORT_PREFIX = 'grant#support#';
export const grantSortKey = (grantId: string) => `${GRANT_SORT_PREFIX}${grantId}`;
/** The longest a grant may run: 24 hours. */
export const MAX_GRANT_MINUTES = 24 * 60;
/** A request nobody decided on lapses after this long. */
export const REQUEST_LIFETIME_MINUTES = 24 * 60;

export const GRANT_STATUSES = ['REQUESTED', 'APPROVED', 'REFUSED', 'REVOKED', 'EXPIRED'] as const;
export const grantStatusSchema = z.enum(GRANT_STATUSES);
export type GrantStatus = z.infer<typeof grantStatusSchema>;

const uuidSchema = z.string().regex(/^[0-9a-f-]{36}$/);

export const grantScopeSchema = z
  .object({
    datasets: z.array(datasetNameSchema).max(10).default([]),
    uploadIds: z.array(uuidSchema).max(50).default([]),
  })
  .strict()
  .refine((s) => s.datasets.length + s.uploadIds.length > 0, { error: 'scope names nothing' });
export type GrantScope = z.infer<typeof grantScopeSchema>;

/** The body of POST /support/grants. */
export const grantRequestSchema = z
  .object({
    tenantId: tenantIdSchema,
    purpose: z.string().trim().min(10).max(500),
    scope: grantScopeSchema,
    durationMinutes: z.number().int().min(1).max(MAX_GRANT_MINUTES),
  })
  .strict();

/** The body of approve / refuse / revoke: an optional note, e.g. why it was refused. */
export const grantDecisionSchema = z
  .object({ note: z.string().trim().max(500).optional() })
  .strict()
  .default({});

export const grantExportSchema = z
  .object({
    exportId: z.string(),
    key: z.string(),
    uploadId: z.string(),
    kind: z.string(),
    rows: z.number().int().nonnegative(),
    createdAt: z.string(),
  })
  .strict();
export type GrantExport = z.infer<typeof grantExportSchema>;

/** The uploads-table item of a grant. */
export const grantRecordSchema = z
  .object({
    tenantId: tenantIdSchema,
    /** The uploads table's sort key: `grant#support#<grantId>`. */
    uploadId: z.string().startsWith(GRANT_SORT_PREFIX),
    kind: z.literal('support_grant'),
    grantId: z.string(),
    status: grantStatusSchema,
    purpose: z.string(),
    scope: grantScopeSchema,
    durationMinutes: z.number().int(),
    /** The support user who asked; only they may use the grant. */
    requestedBy: z.string(),
    requestedAt: z.string(),
    requestExpiresAt: z.string(),
    decidedBy: z.string().optional(),
    decidedAt: z.string().optional(),
    note: z.string().optional(),
    /** Set on approval: approval time + duration. */
    expiresAt: z.string().optional(),
    endedBy: z.string().optional(),
    endedAt: z.string().optional(),
    exports: z.array(grantExportSchema).default([]),
    /** Keys deleted when the grant ended. */
    deletedExports: z.array(z.string()).optional(),
    updatedAt: z.string(),
    /** Bumped on every change; writes are conditional on it (optimistic concurrency). */
    version: z.number().int().nonnegative(),
  })
  .strict();
export type GrantRecord = z.infer<typeof grantRecordSchema>;

const GRANT_ITEMS: TenantItemKind<GrantRecord> = {
  table: UPLOADS_TABLE,
  sortKeyName: 'uploadId',
  schema: grantRecordSchema,
};

/** What callers see of a grant. */
export type GrantView = Omit<GrantRecord, 'uploadId' | 'kind' | 'version'>;
export const toGrantView = (grant: GrantRecord, now: Date): GrantView => {
  const { uploadId: _sortKey, kind: _kind, version: _version, ...view } = grant;
  return { ...view, status: effectiveStatus(grant, now) };
};

/** The status at `now`: an approved grant past its expiry, or an undecided request past its lapse, is EXPIRED. */
export function effectiveStatus(grant: GrantRecord, now: Date): GrantStatus {
  const at = now.toISOString();
  if (grant.status === 'APPROVED' && grant.expiresAt !== undefined && at >= grant.expiresAt) return 'EXPIRED';
  if (grant.status === 'REQUESTED' && at >= grant.requestExpiresAt) return 'EXPIRED';
  return grant.status;
}

/** Whether the grant is in force at `now`. */
export const isActive = (grant: GrantRecord, now: Date) => effectiveStatus(grant, now) === 'APPROVED';

/** Whether an upload lies inside the grant's scope (named directly, or its dataset is). */
export const covers = (grant: GrantRecord, upload: { readonly uploadId: string; readonly dataset: string }) =>
  grant.scope.uploadIds.includes(upload.uploadId) ||
  (grant.scope.datasets as readonly string[]).includes(upload.dataset);

const grantNotFound = (grantId: string) =>
  new NotFoundError(
    msg(
      `サポートアクセス ${grantId.slice(0, 120)} は見つかりません。`,
      `Grant ${grantId.slice(0, 120)} was not found.`,
    ),
    'grantId',
  );

/** A grant id: the tenant id, a dot and a UUID. */
const GRANT_ID_PATTERN = new RegExp(`^(${TENANT_ID_SOURCE})\\.[0-9a-f-]{36}$`);

/** The tenant a grant id names; NotFoundError for anything that is not a grant id. */
export function tenantOfGrantId(grantId: string): string {
  const match = GRANT_ID_PATTERN.exec(grantId);
  if (!match?.[1]) throw grantNotFound(grantId);
  return match[1];
}

/** Refuses (and records in the ledger) a caller without the role. */
async function requireRole(
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

/** Reads a grant in one tenant's partition (undefined when absent). */
export async function readGrant(
  ports: Pick<SupportPorts, 'table'>,
  tenantId: string,
  grantId: string,
): Promise<GrantRecord | undefined> {
  return readTenantItem(ports.table, GRANT_ITEMS, tenantId, grantSortKey(grantId));
}

/** Every grant of one tenant. */
export async function tenantGrants(
  ports: Pick<SupportPorts, 'table'>,
  tenantId: string,
): Promise<GrantRecord[]> {
  return listTenantItems(ports.table, GRANT_ITEMS, tenantId, GRANT_SORT_PREFIX);
}

/** Every registered tenant id (the tenants table is small), sorted. */
async function allTenantIds(ports: Pick<SupportPorts, 'table'>): Promise<string[]> {
  const ids: string[] = [];
  for await (const tenant of allTenants(ports.table)) ids.push(tenant.tenantId);
  return ids.sort();
}

/** Writes a changed grant only if nobody changed it since it was read. */
async function saveGrant(
  ports: Pick<SupportPorts, 'table'>,
  before: GrantRecord,
  after: GrantRecord,
): Promise<GrantRecord> {
  const stored = grantRecordSchema.parse({ ...after, version: before.version + 1 });
  try {
    await ports.table.put(UPLOADS_TABLE, stored, { ifMatch: { version: before.version } });
    return stored;
  } catch (error) {
    if (!(error instanceof ConditionFailedError)) throw error;
    throw new ConflictError(
      msg(
        'サポートアクセスが同時に変更されました。もう一度お試しください。',
        'The grant changed at the same time: please try again.',
      ),
    );
  }
}

/**
 * Deletes every object (and every version) under the grant's export prefix; returns the keys deleted.
 */
export async function deleteGrantExports(
  ports: Pick<SupportPorts, 'objects'>,
  grant: Pick<GrantRecord, 'tenantId' | 'grantId'>,
): Promise<string[]> {
  const prefix = supportExportPrefix(grant.tenantId, grant.grantId);
  const refs: { key: string; versionId: string }[] = [];
  for await (const version of ports.objects.listVersions('raw', prefix)) {
    refs.push({ key: version.key, versionId: version.versionId });
  }
  for (let i = 0; i < refs.length; i += 1000) {
    const { failed } = await ports.objects.deleteMany('raw', refs.slice(i, i + 1000));
    if (failed.length > 0) throw new Error(`Could not delete ${failed.length} support export object(s)`);
  }
  return [...new Set(refs.map((r) => r.key))].sort();
}

/** The fields of a grant that ended (revoked, or expired by the sweep) and had its exports deleted. */
const endedFields = (status: 'REVOKED' | 'EXPIRED', endedBy: string, at: Date, deleted: string[]) => ({
  status,
  endedBy,
  endedAt: at.toISOString(),
  deletedExports: deleted,
});

const SWEEPER = { subject: 'kura:support-sweep', roles: [] as string[] };

export interface SweptGrant {
  readonly tenantId: string;
  readonly grantId: string;
  readonly deleted: readonly string[];
}

/**
 * Ends every grant past its expiry (and lapses undecided requests): marks it EXPIRED, deletes its
 * exports and records a `support.grant_expired` ledger entry listing what was deleted. Meant to run
 * on a schedule (every few minutes); support requests also call it for their tenant, so the local
 * platform behaves without a scheduler. Access checks never rely on it: they compare with the clock.
 */
export async function sweepExpiredSupportGrants(
  ports: Pick<SupportPorts, 'table' | 'objects' | 'clock'>,
  now: Date,
  options: { readonly tenantId?: string } = {},
): Promise<SweptGrant[]> {
  const tenants = options.tenantId !== undefined ? [options.tenantId] : await allTenantIds(ports);
  const swept: SweptGrant[] = [];
  for (const tenantId of tenants) {
    for (const grant of await tenantGrants(ports, tenantId)) {
      if (grant.status === 'EXPIRED' || effectiveStatus(grant, now) !== 'EXPIRED') continue;
      const deleted = await deleteGrantExports(ports, grant);
      try {
        await saveGrant(ports, grant, {
          ...grant,
          ...endedFields('EXPIRED', SWEEPER.subject, now, deleted),
          updatedAt: now.toISOString(),
        });
      } catch (error) {
        // Another sweep or a revocation got there first; it records its own entry.
        if (error instanceof ConflictError) continue;
        throw error;
      }
      await appendLedger(ports, {
        action: 'support.grant_expired',
        actor: SWEEPER,
        tenantId,
        purpose: grant.purpose,
        details: {
          grantId: grant.grantId,
          wasApproved: grant.status === 'APPROVED',
          expiresAt: grant.expiresAt ?? grant.requestExpiresAt,
          deletedExports: deleted,
          deletedCount: deleted.length,
        },
      });
      swept.push({ tenantId, grantId: grant.grantId, deleted });
    }
  }
  return swept;
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

function parseBody<T>(schema: z.ZodType<T>, body: unknown): T {
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

/** The caller's own tenant's grant, for a tenant user; another tenant's grant is simply not found. */
async function ownGrant(ports: SupportPorts, principal: Principal, grantId: string, attempted: string) {
  await requireRole(ports, principal, 'tenant', attempted);
  const tenantId = principal.tenantId ?? '';
  const now = ports.clock();
  await sweepExpiredSupportGrants(ports, now, { tenantId });
  const grant = await readGrant(ports, tenantId, grantId);
  if (!grant) throw grantNotFound(grantId);
  return { grant, now, tenantId };
}

const notPending = (grantId: string, status: GrantStatus) =>
  new ConflictError(
    msg(
      `サポートアクセス ${grantId} は承認待ちではありません（状態: ${status}）。`,
      `Grant ${grantId} is not waiting for a decision (status: ${status}).`,
    ),
  );

/** Who decided, when, and the note they gave. */
interface GrantDecision {
  readonly subject: string;
  readonly at: Date;
  readonly note: string | undefined;
}

/** One decision of the tenant on its own grant: from which status, to what, and what the ledger records. */
interface GrantTransition {
  readonly attempted: string;
  readonly action: 'support.grant_approved' | 'support.grant_refused' | 'support.grant_revoked';
  /** The only effective status the decision applies to. */
  readonly from: 'REQUESTED' | 'APPROVED';
  readonly refusal: (grantId: string, status: GrantStatus) => ConflictError;
  /** The changed fields (updatedAt aside) and the ledger details after grantId and requestedBy. */
  readonly apply: (
    grant: GrantRecord,
    decision: GrantDecision,
  ) => Promise<{ readonly changes: Partial<GrantRecord>; readonly details: Record<string, unknown> }>;
}

/**
 * Applies a tenant's decision: its own grant only, the note parsed, the status checked against the
 * clock, the change saved conditionally on the version read, then recorded in the ledger.
 */
async function decideGrant(
  ports: SupportPorts,
  principal: Principal,
  grantId: string,
  body: unknown,
  transition: GrantTransition,
): Promise<GrantView> {
  const { grant, now, tenantId } = await ownGrant(ports, principal, grantId, transition.attempted);
  const { note } = parseBody(grantDecisionSchema, body);
  const status = effectiveStatus(grant, now);
  if (status !== transition.from) throw transition.refusal(grantId, status);
  // Approving opens the company's data to support: never once its purge has started.
  if (transition.action === 'support.grant_approved')
    await requireTenantWrite(ports, tenantId, 'data-held', now);
  const { changes, details } = await transition.apply(grant, { subject: principal.subject, at: now, note });
  const next: GrantRecord = { ...grant, ...changes, updatedAt: now.toISOString() };
  await saveGrant(ports, grant, next);
  await appendLedger(ports, {
    action: transition.action,
    actor: actorOf(principal),
    tenantId,
    purpose: grant.purpose,
    details: { grantId, requestedBy: grant.requestedBy, ...details },
  });
  return toGrantView(next, now);
}

const noteOf = (note: string | undefined) => (note ? { note } : {});

/** The fields of a grant the tenant decided on (approved or refused). */
const decidedFields = (status: 'APPROVED' | 'REFUSED', decision: GrantDecision) => ({
  status,
  decidedBy: decision.subject,
  decidedAt: decision.at.toISOString(),
  ...noteOf(decision.note),
});

/** The tenant approves: the grant runs from now for its duration. */
export const approveGrant = (ports: SupportPorts, principal: Principal, grantId: string, body: unknown) =>
  decideGrant(ports, principal, grantId, body, {
    attempted: 'approve support grant',
    action: 'support.grant_approved',
    from: 'REQUESTED',
    refusal: notPending,
    apply: async (grant, decision) => {
      const expiresAt = new Date(decision.at.getTime() + grant.durationMinutes * 60_000).toISOString();
      return {
        changes: { ...decidedFields('APPROVED', decision), expiresAt },
        details: { datasets: [...grant.scope.datasets], uploadIds: [...grant.scope.uploadIds], expiresAt },
      };
    },
  });

/** The tenant refuses: the grant never starts. */
export const refuseGrant = (ports: SupportPorts, principal: Principal, grantId: string, body: unknown) =>
  decideGrant(ports, principal, grantId, body, {
    attempted: 'refuse support grant',
    action: 'support.grant_refused',
    from: 'REQUESTED',
    refusal: notPending,
    apply: async (_grant, decision) => ({
      changes: decidedFields('REFUSED', decision),
      details: noteOf(decision.note),
    }),
  });

/** The tenant ends an approved grant now; its exports are deleted at once. */
export const revokeGrant = (ports: SupportPorts, principal: Principal, grantId: string, body: unknown) =>
  decideGrant(ports, principal, grantId, body, {
    attempted: 'revoke support grant',
    action: 'support.grant_revoked',
    from: 'APPROVED',
    refusal: (id, status) =>
      new ConflictError(
        msg(
          `サポートアクセス ${id} は有効ではないため取り消せません（状態: ${status}）。`,
          `Grant ${id} is not in force, so it cannot be revoked (status: ${status}).`,
        ),
      ),
    apply: async (grant, { subject, at, note }) => {
      const deleted = await deleteGrantExports(ports, grant);
      return {
        changes: endedFields('REVOKED', subject, at, deleted),
        details: { deletedExports: deleted, deletedCount: deleted.length, ...noteOf(note) },
      };
    },
  });

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
