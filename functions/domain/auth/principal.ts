import { ForbiddenError, UnauthorizedError } from '../errors.ts';
import { msg } from '../i18n.ts';
import { appendLedger } from '../ledger/ledger.ts';
import type { Table } from '../ports/index.ts';
import { isTenantId } from '../tenants/model.ts';
import * as z from '../zod.ts';

/**
 * Who is calling. Deployed, API Gateway's JWT authorizer has verified a Cognito token and passes its
 * claims; locally, the platform verifies a locally minted token and passes the same claims. The
 * tenant comes only from the `custom:tenant_id` claim — never from a body, path or query.
 */
export const ROLES = ['tenant', 'admin', 'supporter', 'support'] as const;
export const roleSchema = z.enum(ROLES);
export type Role = z.infer<typeof roleSchema>;

export const TENANT_CLAIM = 'custom:tenant_id';
export const GROUPS_CLAIM = 'cognito:groups';

export interface Principal {
  /** The identity provider's subject id. */
  readonly subject: string;
  readonly roles: readonly Role[];
  /** The company the caller acts for; absent for platform staff. */
  readonly tenantId?: string | undefined;
}

/**
 * Cognito groups as they reach a Lambda: a JSON array, API Gateway's flattened `[a b]`, or one name.
 */
export function parseGroups(raw: unknown): string[] {
  if (Array.isArray(raw)) return raw.filter((g): g is string => typeof g === 'string');
  if (typeof raw !== 'string') return [];
  const trimmed = raw.trim();
  if (trimmed.startsWith('[') && trimmed.endsWith(']')) {
    const inner = trimmed.slice(1, -1);
    try {
      const parsed = JSON.parse(trimmed) as unknown;
      if (Array.isArray(parsed)) return parsed.filter((g): g is string => typeof g === 'string');
    } catch {
      // API Gateway writes arrays as "[a b]", which is not JSON.
    }
    return inner.split(/[\s,]+/).filter(Boolean);
  }
  return trimmed.split(/[\s,]+/).filter(Boolean);
}

const noIdentity = () =>
  new UnauthorizedError(
    msg(
      'ログインが必要です。Authorization ヘッダーに有効なトークン（Bearer）を付けてください。',
      'Sign-in required: send a valid token in the Authorization header (Bearer).',
    ),
  );

/** The principal from verified JWT claims; UnauthorizedError when there are none. */
export function principalFromClaims(claims: Readonly<Record<string, unknown>> | undefined): Principal {
  const subject = claims?.sub;
  if (!claims || typeof subject !== 'string' || subject.length === 0) throw noIdentity();
  const roles = parseGroups(claims[GROUPS_CLAIM]).filter((g): g is Role => roleSchema.safeParse(g).success);
  const tenant = claims[TENANT_CLAIM];
  const tenantId = typeof tenant === 'string' && isTenantId(tenant) ? tenant : undefined;
  return { subject, roles, ...(tenantId ? { tenantId } : {}) };
}

export const hasRole = (principal: Principal, role: Role) => principal.roles.includes(role);

/** Who did it, as the ledger records a principal: the subject and its roles (a copy, never the principal's array). */
export const actorOf = (principal: Principal): { readonly subject: string; readonly roles: string[] } => ({
  subject: principal.subject,
  roles: [...principal.roles],
});

/** What a route requires of its caller. */
export type Requirement =
  /** A company user or a supporting organisation: the tenant or supporter role and a tenant claim. */
  | 'tenant-member'
  /** A company user only (the tenant role and a tenant claim), e.g. to grant a supporter access. */
  | 'company-user'
  /** Platform administrators. */
  | 'admin'
  /** Anyone signed in. */
  | 'signed-in';

/** Whether the principal meets the requirement. */
export function satisfies(principal: Principal, requirement: Requirement): boolean {
  switch (requirement) {
    case 'signed-in':
      return true;
    case 'admin':
      return hasRole(principal, 'admin');
    case 'tenant-member':
      return (
        principal.tenantId !== undefined && (hasRole(principal, 'tenant') || hasRole(principal, 'supporter'))
      );
    case 'company-user':
      return principal.tenantId !== undefined && hasRole(principal, 'tenant');
  }
}

const refusal = (requirement: Requirement) =>
  requirement === 'admin'
    ? msg('この操作はプラットフォーム管理者だけが行えます。', 'Only platform administrators may do this.')
    : requirement === 'company-user'
      ? msg(
          'この操作は会社（テナント）の利用者だけが行えます。',
          'Only a user of the company (tenant) itself may do this.',
        )
      : msg(
          'この操作には会社（テナント）に所属するアカウントが必要です。',
          'This needs an account that belongs to a company (tenant).',
        );

/**
 * Checks the requirement; a refusal is recorded in the ledger (who, what was attempted) and then
 * raised as ForbiddenError.
 */
export async function authorize(
  ports: { readonly table: Table; readonly clock: () => Date },
  principal: Principal,
  requirement: Requirement,
  attempted: string,
): Promise<void> {
  if (satisfies(principal, requirement)) return;
  await appendLedger(ports, {
    action: 'authorization.refused',
    actor: actorOf(principal),
    tenantId: principal.tenantId,
    details: { attempted, required: requirement },
  });
  throw new ForbiddenError(refusal(requirement));
}

/** The caller's tenant; ForbiddenError for a principal that acts for no company. */
export function tenantOf(principal: Principal): string {
  if (principal.tenantId === undefined) throw new ForbiddenError(refusal('tenant-member'));
  return principal.tenantId;
}
