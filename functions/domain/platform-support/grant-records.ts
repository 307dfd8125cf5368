/**
 * Support grants as stored: the grant record (a tenant-scoped item in the uploads table, sort key
 * `grant#support#<grantId>`), its status at a given time, its scope, and reading and saving it.
 */

import { datasetNameSchema } from '../catalog/index.ts';
import { ConflictError, NotFoundError } from '../errors.ts';
import { msg } from '../i18n.ts';
import { ConditionFailedError, type KeyStore, type ObjectStore, type Table } from '../ports/index.ts';
import { listTenantItems, readTenantItem, type TenantItemKind } from '../tenant-items/tenant-items.ts';
import { TENANT_ID_SOURCE, tenantIdSchema } from '../tenants/model.ts';
import { UPLOADS_TABLE } from '../uploads/uploads.ts';
import * as z from '../zod.ts';

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

const uuidSchema = z.string().check(z.regex(/^[0-9a-f-]{36}$/));

export const grantScopeSchema = z
  .strictObject({
    datasets: z._default(z.array(datasetNameSchema).check(z.maxLength(10)), []),
    uploadIds: z._default(z.array(uuidSchema).check(z.maxLength(50)), []),
  })
  .check(z.refine((s) => s.datasets.length + s.uploadIds.length > 0, { error: 'scope names nothing' }));
export type GrantScope = z.infer<typeof grantScopeSchema>;

/** The body of POST /support/grants. */
export const grantRequestSchema = z.strictObject({
  tenantId: tenantIdSchema,
  purpose: z.string().check(z.trim(), z.minLength(10), z.maxLength(500)),
  scope: grantScopeSchema,
  durationMinutes: z.int().check(z.gte(1), z.lte(MAX_GRANT_MINUTES)),
});

/** The body of approve / refuse / revoke: an optional note, e.g. why it was refused. */
export const grantDecisionSchema = z._default(
  z.strictObject({ note: z.optional(z.string().check(z.trim(), z.maxLength(500))) }),
  {},
);

export const grantExportSchema = z.strictObject({
  exportId: z.string(),
  key: z.string(),
  uploadId: z.string(),
  kind: z.string(),
  rows: z.int().check(z.nonnegative()),
  createdAt: z.string(),
});
export type GrantExport = z.infer<typeof grantExportSchema>;

/** The uploads-table item of a grant. */
export const grantRecordSchema = z.strictObject({
  tenantId: tenantIdSchema,
  /** The uploads table's sort key: `grant#support#<grantId>`. */
  uploadId: z.string().check(z.startsWith(GRANT_SORT_PREFIX)),
  kind: z.literal('support_grant'),
  grantId: z.string(),
  status: grantStatusSchema,
  purpose: z.string(),
  scope: grantScopeSchema,
  durationMinutes: z.int(),
  /** The support user who asked; only they may use the grant. */
  requestedBy: z.string(),
  requestedAt: z.string(),
  requestExpiresAt: z.string(),
  decidedBy: z.optional(z.string()),
  decidedAt: z.optional(z.string()),
  note: z.optional(z.string()),
  /** Set on approval: approval time + duration. */
  expiresAt: z.optional(z.string()),
  endedBy: z.optional(z.string()),
  endedAt: z.optional(z.string()),
  exports: z._default(z.array(grantExportSchema), []),
  /** Keys deleted when the grant ended. */
  deletedExports: z.optional(z.array(z.string())),
  updatedAt: z.string(),
  /** Bumped on every change; writes are conditional on it (optimistic concurrency). */
  version: z.int().check(z.nonnegative()),
});
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

export const grantNotFound = (grantId: string) =>
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

/** Writes a changed grant only if nobody changed it since it was read. */
export async function saveGrant(
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
