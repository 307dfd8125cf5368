/**
 * Supporter grants: a company lets a supporting organisation (role `supporter`, e.g. its labour and
 * social security attorney) read its own benchmarks. A grant is a tenant-scoped item in the uploads
 * table (sort key `grant#supporter#<supporterId>`, which sorts after every upload id), so a purge of the
 * tenant deletes it with the rest of the partition. Granting, each use and revoking go to the ledger.
 */

import { actorOf, type Principal, tenantOf } from '../auth/principal.ts';
import { type FieldMessages, NotFoundError, parseRequestBody, ValidationError } from '../errors.ts';
import { msg } from '../i18n.ts';
import { appendLedger } from '../ledger/ledger.ts';
import type { Table } from '../ports/index.ts';
import { listTenantItems, readTenantItem, type TenantItemKind } from '../tenant-items/tenant-items.ts';
import { tenantIdSchema } from '../tenants/model.ts';
import { guardedTenantWrite } from '../tenants/rules.ts';
import { UPLOADS_TABLE } from '../uploads/records.ts';
import * as z from '../zod.ts';

export { UPLOADS_TABLE } from '../uploads/records.ts';
/** Sort-key prefix of supporter grants in the uploads table. Starts with `g`, after any hex upload id. */
export const SUPPORTER_GRANT_PREFIX = 'grant#supporter#';
export const grantSortKey = (supporterId: string) => `${SUPPORTER_GRANT_PREFIX}${supporterId}`;
/** Why a supporter reads a company's benchmarks (ledger `purpose`). */
export const SUPPORTER_PURPOSE = 'supporter-benchmark-advice';

/** The stored grant. The supporter is the supporting organisation's id (its users' tenant claim). */
export const supporterGrantSchema = z.object({
  tenantId: tenantIdSchema,
  uploadId: z.string().check(z.startsWith(SUPPORTER_GRANT_PREFIX)),
  kind: z.literal('supporter-grant'),
  supporterId: tenantIdSchema,
  scope: z.literal('benchmarks'),
  grantedAt: z.string(),
  grantedBy: z.string(),
});
export type SupporterGrant = z.infer<typeof supporterGrantSchema>;

const SUPPORTER_GRANT_ITEMS: TenantItemKind<SupporterGrant> = {
  table: UPLOADS_TABLE,
  sortKeyName: 'uploadId',
  schema: supporterGrantSchema,
};

export interface GrantPorts {
  readonly table: Table;
  readonly clock: () => Date;
}

const FIELDS = {
  supporterId: msg(
    'supporterId に支援機関の ID（英小文字・数字・ハイフンで 3〜63 文字、例: sr-office-tanaka）を指定してください。',
    'supporterId must be the supporting organisation’s id: 3–63 lowercase letters, digits or hyphens (e.g. sr-office-tanaka).',
  ),
} as const satisfies FieldMessages;

export const grantRequestSchema = z.strictObject({ supporterId: tenantIdSchema });

/** What callers see of a grant. */
export interface GrantView {
  readonly supporterId: string;
  readonly scope: 'benchmarks';
  readonly grantedAt: string;
}
const toView = (grant: SupporterGrant): GrantView => ({
  supporterId: grant.supporterId,
  scope: grant.scope,
  grantedAt: grant.grantedAt,
});

/** Grants a supporter read access to the caller's company's benchmarks (granting again renews it). */
export async function grantSupporter(
  ports: GrantPorts,
  principal: Principal,
  body: unknown,
): Promise<GrantView> {
  const tenantId = tenantOf(principal);
  const { supporterId } = parseRequestBody(grantRequestSchema, body, FIELDS);
  if (supporterId === tenantId) {
    throw new ValidationError(
      msg(
        '自社を支援機関として登録することはできません。支援機関の ID を指定してください。',
        'A company cannot grant itself: name the supporting organisation’s id.',
      ),
      'supporterId',
    );
  }
  const grant = supporterGrantSchema.parse({
    tenantId,
    uploadId: grantSortKey(supporterId),
    kind: 'supporter-grant',
    supporterId,
    scope: 'benchmarks',
    grantedAt: ports.clock().toISOString(),
    grantedBy: principal.subject,
  });
  // Sharing is a new record under the company: only while its contract runs (Japan's day), and taken
  // back when a purge started meanwhile.
  await guardedTenantWrite(ports, tenantId, 'running-contract', ports.clock(), {
    write: () => ports.table.put(UPLOADS_TABLE, grant),
    undo: () => ports.table.delete(UPLOADS_TABLE, { tenantId, uploadId: grant.uploadId }),
  });
  await appendLedger(ports, {
    action: 'supporter.granted',
    actor: actorOf(principal),
    tenantId,
    purpose: SUPPORTER_PURPOSE,
    details: { supporterId, scope: grant.scope },
  });
  return toView(grant);
}

const grantNotFound = (supporterId: string) =>
  new NotFoundError(
    msg(
      `支援機関 ${supporterId.slice(0, 63)} への共有はありません。`,
      `There is no grant to supporter ${supporterId.slice(0, 63)}.`,
    ),
    'supporterId',
  );

/** The grant from a tenant to a supporter, if there is one. */
export async function findGrant(
  table: Table,
  tenantId: string,
  supporterId: string,
): Promise<SupporterGrant | undefined> {
  if (!tenantIdSchema.safeParse(tenantId).success || !tenantIdSchema.safeParse(supporterId).success)
    return undefined;
  return readTenantItem(table, SUPPORTER_GRANT_ITEMS, tenantId, grantSortKey(supporterId));
}

/** Ends a grant; the supporter sees nothing of the company from then on. */
export async function revokeSupporter(
  ports: GrantPorts,
  principal: Principal,
  supporterId: string,
): Promise<{ readonly revoked: true; readonly supporterId: string }> {
  const tenantId = tenantOf(principal);
  const grant = await findGrant(ports.table, tenantId, supporterId);
  if (!grant) throw grantNotFound(supporterId);
  await ports.table.delete(UPLOADS_TABLE, { tenantId, uploadId: grant.uploadId });
  await appendLedger(ports, {
    action: 'supporter.revoked',
    actor: actorOf(principal),
    tenantId,
    purpose: SUPPORTER_PURPOSE,
    details: { supporterId, grantedAt: grant.grantedAt },
  });
  return { revoked: true, supporterId };
}

/** The caller's company's grants. */
export async function listSupporterGrants(
  ports: Pick<GrantPorts, 'table'>,
  principal: Principal,
): Promise<{ readonly grants: GrantView[] }> {
  const tenantId = tenantOf(principal);
  const grants = await listTenantItems(ports.table, SUPPORTER_GRANT_ITEMS, tenantId, SUPPORTER_GRANT_PREFIX);
  return { grants: grants.map(toView) };
}
