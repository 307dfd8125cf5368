/**
 * The platform's lifecycle as users drive it, step by step, against a twin: an administrator registers
 * companies, companies upload through the presigned POST, the scheduled release publishes, the API and
 * BI tools read, an administrator purges. Steps return what a later step or an assertion needs.
 */
import { Readable } from 'node:stream';
import { bytesDigest, postToPresignedUrl, type UploadTicket } from '../../../local/client.ts';
import { DEMO_CONSENT } from '../../../local/demo/seed-demo.ts';
import { type DemoPlan, demoFileBytes, demoPlan } from '../../../local/synthetic/plan.ts';
import type { HttpApiResponse, Twin } from './twin.ts';

export const ADMIN = { sub: 'idp|admin-1', 'cognito:groups': '[admin]' };
export const tenantClaims = (tenantId: string) => ({
  sub: `idp|user-${tenantId}`,
  'custom:tenant_id': tenantId,
  'cognito:groups': '[tenant]',
});

/** Four companies in one region and industry mix: enough for national cells to pass 3 companies. */
export function lifecyclePlan(): DemoPlan {
  return demoPlan({
    companies: 4,
    seed: 7,
    datasets: ['employees', 'attendance', 'payroll', 'sales'],
    withRejectedFile: false,
  });
}

/** Fails with the API's own answer when a call did not end as expected. */
export function expectStatus(response: HttpApiResponse, status: number, what: string): HttpApiResponse {
  if (response.statusCode !== status) {
    throw new Error(
      `${what}: expected ${status}, got ${response.statusCode} ${JSON.stringify(response.json).slice(0, 800)}`,
    );
  }
  return response;
}

export async function registerCompanies(twin: Twin, plan: DemoPlan): Promise<void> {
  for (const company of plan.companies) {
    expectStatus(
      await twin.api('POST /admin/tenants', {
        claims: ADMIN,
        body: {
          tenantId: company.tenantId,
          name: company.name,
          profile: company.profile,
          contract: { start: '2025-01-01' },
        },
      }),
      201,
      `register ${company.tenantId}`,
    );
  }
}

/** Every file of the plan through POST /uploads and the browser's multipart POST to S3. */
export async function uploadFiles(
  twin: Twin,
  plan: DemoPlan,
): Promise<Array<{ tenantId: string; uploadId: string }>> {
  const uploads: Array<{ tenantId: string; uploadId: string }> = [];
  for (const file of plan.files) {
    const bytes = demoFileBytes(file);
    const ticket = expectStatus(
      await twin.api('POST /uploads', {
        claims: tenantClaims(file.tenantId),
        body: {
          dataset: file.dataset,
          fileName: file.fileName,
          contentType: 'text/csv',
          ...bytesDigest(bytes),
          ...(file.dataset === 'sales' ? {} : { consent: DEMO_CONSENT }),
        },
      }),
      201,
      `ticket for ${file.tenantId} ${file.dataset}`,
    ).json as UploadTicket;
    await postToPresignedUrl(
      ticket,
      { fileName: file.fileName, contentType: 'text/csv', sizeBytes: bytes.length },
      Readable.from([bytes]),
    );
    uploads.push({ tenantId: file.tenantId, uploadId: ticket.uploadId });
  }
  return uploads;
}

/** Follows a job the API started (202) to its end through GET /admin/jobs/{jobId}. */
export async function finishedJob(twin: Twin, accepted: HttpApiResponse, what: string) {
  expectStatus(accepted, 202, what);
  await twin.settled();
  return expectStatus(
    await twin.api('GET /admin/jobs/{jobId}', {
      claims: ADMIN,
      path: { jobId: String(accepted.json.jobId) },
    }),
    200,
    `${what}: job record`,
  ).json;
}
