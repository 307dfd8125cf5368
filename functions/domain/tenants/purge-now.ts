/**
 * Operator control of a tenant's purge: start a purge (or a dry run) through the API — it runs as a job
 * of the purge function, never inside the request — and read the latest deletion certificate with the
 * verification of the whole certificate chain.
 */

import { actorOf, type Principal } from '../auth/principal.ts';
import { type FieldMessages, NotFoundError, parseRequestBody } from '../errors.ts';
import { msg } from '../i18n.ts';
import { type JobPorts, type JobRecord, requestJob } from '../jobs/jobs.ts';
import type { JobStarter, Table } from '../ports/index.ts';
import {
  type DeletionCertificate,
  deletionCertificateSchema,
  getCertificate,
  verifyCertificateChain,
} from '../purge/certificate.ts';
import { LegalHoldError } from '../purge/errors.ts';
import type { PurgePorts } from '../purge/ports.ts';
import * as z from '../zod.ts';
import { TENANTS_TABLE, tenantIdSchema, tenantRecordSchema } from './model.ts';

const FIELDS = {
  dryRun: msg(
    'dryRun は true（削除せずに対象を一覧）か false にしてください。',
    'dryRun must be true (list what would be deleted, delete nothing) or false.',
  ),
} as const satisfies FieldMessages;

export const purgeNowRequestSchema = z.strictObject({ dryRun: z.optional(z.boolean()) });

const tenantNotFound = (tenantId: string) =>
  new NotFoundError(
    msg(
      `テナント ${tenantId.slice(0, 63)} は登録されていません。`,
      `Tenant ${tenantId.slice(0, 63)} is not registered.`,
    ),
    'tenantId',
  );

/**
 * Starts a purge of a tenant (or, with `dryRun`, a count of what it would delete) as a job of the purge
 * function and returns the job (the API answers 202; `GET /admin/jobs/{jobId}` follows it). An unknown
 * tenant is 404 and a legal hold 409 at once; the purge function checks both again when it runs.
 */
export async function requestPurge(
  ports: JobPorts & { readonly jobs: JobStarter; readonly table: Table },
  principal: Principal,
  tenantId: string,
  body: unknown,
): Promise<JobRecord> {
  const request = parseRequestBody(purgeNowRequestSchema, body, FIELDS, { optional: true });
  if (!tenantIdSchema.safeParse(tenantId).success) throw tenantNotFound(tenantId);
  const tenant = tenantRecordSchema.safeParse(await ports.table.get(TENANTS_TABLE, { tenantId }));
  if (!tenant.success) throw tenantNotFound(tenantId);
  if (tenant.data.legalHold && !request.dryRun) throw new LegalHoldError(tenantId);
  return requestJob(ports, {
    kind: 'purge',
    reason: request.dryRun ? 'dry-run' : 'on-demand',
    actor: actorOf(principal),
    tenantId,
    fields: { dryRun: request.dryRun ?? false },
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
