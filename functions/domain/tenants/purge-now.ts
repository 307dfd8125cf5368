/**
 * Operator control of a tenant's purge (issue 7.5): purge now or dry-run through the API, and read
 * the latest deletion certificate with the verification of the whole certificate chain.
 */
import { z } from 'zod';
import type { Principal } from '../auth/principal.ts';
import { type FieldMessages, NotFoundError, parseRequestBody } from '../errors.ts';
import { msg } from '../i18n.ts';
import {
  type DeletionCertificate,
  deletionCertificateSchema,
  getCertificate,
  verifyCertificateChain,
} from '../purge/certificate.ts';
import type { PurgePorts } from '../purge/ports.ts';
import { type PurgeResult, purgeTenant } from '../purge/purge.ts';
import { tenantIdSchema } from './model.ts';

/** An API request gets this long to delete before it answers 202 and the operator calls again. */
export const API_PURGE_BUDGET_MS = 20_000;

const FIELDS = {
  dryRun: msg(
    'dryRun は true（削除せずに対象を一覧）か false にしてください。',
    'dryRun must be true (list what would be deleted, delete nothing) or false.',
  ),
} as const satisfies FieldMessages;

export const purgeNowRequestSchema = z.object({ dryRun: z.boolean().optional() }).strict();

const tenantNotFound = (tenantId: string) =>
  new NotFoundError(
    msg(
      `テナント ${tenantId.slice(0, 63)} は登録されていません。`,
      `Tenant ${tenantId.slice(0, 63)} is not registered.`,
    ),
    'tenantId',
  );

/**
 * Purges a tenant now (or plans it with `dryRun`), for at most `API_PURGE_BUDGET_MS` of deletion:
 * `done: false` means more remains and the same request continues it. A legal hold refuses (409).
 */
export async function purgeTenantNow(
  ports: PurgePorts,
  principal: Principal,
  tenantId: string,
  body: unknown,
): Promise<PurgeResult> {
  const request = parseRequestBody(purgeNowRequestSchema, body, FIELDS, { optional: true });
  if (!tenantIdSchema.safeParse(tenantId).success) throw tenantNotFound(tenantId);
  const now = ports.clock?.() ?? new Date();
  return purgeTenant(ports, {
    tenantId,
    now,
    dryRun: request.dryRun ?? false,
    actor: { subject: principal.subject, roles: [...principal.roles] },
    budget: { deadline: new Date(now.getTime() + API_PURGE_BUDGET_MS) },
  });
}

/** Every certificate in the audit bucket, for verifying the chain they form. */
async function allCertificates(ports: Pick<PurgePorts, 'objects'>): Promise<DeletionCertificate[]> {
  const certificates: DeletionCertificate[] = [];
  for await (const object of ports.objects.list('audit', 'certificates/')) {
    if (!object.key.endsWith('.json')) continue;
    const parsed = deletionCertificateSchema.safeParse(
      JSON.parse(new TextDecoder().decode(await ports.objects.get('audit', object.key))),
    );
    if (parsed.success) certificates.push(parsed.data);
  }
  return certificates;
}

/**
 * The tenant's latest deletion certificate and whether the certificate chain up to it verifies (each
 * hash matches, no gap, each names its predecessor). 404 when the tenant has none.
 */
export async function certificateWithVerification(
  ports: Pick<PurgePorts, 'objects' | 'tables'>,
  tenantId: string,
) {
  if (!tenantIdSchema.safeParse(tenantId).success) throw tenantNotFound(tenantId);
  const certificate = await getCertificate(ports, tenantId);
  const chain = (await allCertificates(ports)).filter((c) => c.sequence <= certificate.sequence);
  const verification = verifyCertificateChain(chain);
  return {
    certificate,
    chain: {
      valid: verification.valid && chain.some((c) => c.hash === certificate.hash),
      certificates: chain.length,
      problems: verification.problems,
    },
  };
}
