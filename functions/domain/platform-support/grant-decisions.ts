/**
 * The company's decisions on a support grant: approve (it runs from now for its duration), refuse, or
 * revoke (it ends now and its exports are deleted). Only a user of the grant's own company decides; each
 * decision is saved conditionally on the version read and recorded in the ledger.
 */
import { actorOf, type Principal } from '../auth/principal.ts';
import { ConflictError } from '../errors.ts';
import { msg } from '../i18n.ts';
import { appendLedger } from '../ledger/ledger.ts';
import { requireTenantWrite } from '../tenants/rules.ts';
import {
  effectiveStatus,
  type GrantRecord,
  type GrantStatus,
  type GrantView,
  grantDecisionSchema,
  grantNotFound,
  readGrant,
  type SupportPorts,
  saveGrant,
  toGrantView,
} from './grant-records.ts';
import { deleteGrantExports, endedFields, sweepExpiredSupportGrants } from './grant-sweep.ts';
import { parseBody, requireRole } from './grants.ts';

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
