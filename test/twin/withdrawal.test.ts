/**
 * Withdrawing an upload as deployed: through the API, which writes the record WITHDRAWN and has the mask
 * function delete every version of the upload's data and rebuild the company's facts (the API's role
 * may not delete tenant data). And a withdrawal that lands while an upload is being masked: masking's
 * commit finds the record changed and deletes every version of the pseudonymised objects it wrote
 * (functions/domain/masking/pseudonymise.ts, commitMasking); there the mask use case runs as the
 * deployed mask function does (its composition root over the deployed runtime built from its
 * synthesized environment, with its role's credentials), and the withdrawal's commit point is written
 * as the API writes it, with the API function's role.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { factKey } from '../../functions/domain/masking/facts.ts';
import { pseudonymise } from '../../functions/domain/masking/pseudonymise.ts';
import type { Table } from '../../functions/domain/ports/index.ts';
import { storedUploadSchema, updateUploadRecord } from '../../functions/domain/uploads/supersession.ts';
import {
  factsPrefix,
  landingPrefix,
  pseudonymisedPrefix,
  rawPrefix,
  reportKey,
} from '../../functions/domain/zones.ts';
import { composeMask } from '../../functions/mask/runtime.ts';
import { replicaBucketName } from '../../infra/naming.ts';
import { demoPlan } from '../../local/synthetic/plan.ts';
import { expectStatus, registerCompanies, tenantClaims, uploadFiles } from './harness/scenario.ts';
import { Twin } from './harness/twin.ts';

describe.each(['dev', 'prod'] as const)('withdrawing uploads through the twin of %s', (STAGE) => {
  let twin: Twin;
  const saved = { ...process.env };

  let uploads: Array<{ tenantId: string; uploadId: string }> = [];
  const bucket = (logical: string) => `kura-${STAGE}-${logical}-${twin.account}-${twin.region}`;
  /** The DR copy of the curated bucket, in a stage that has one. */
  const replicas = () =>
    STAGE === 'prod' ? [replicaBucketName(STAGE, 'curated', twin.account, 'ap-northeast-3')] : [];

  beforeAll(async () => {
    twin = await Twin.start(STAGE, inject('twinAssemblies')[STAGE]);
    // One company's employee and sales files, ingested and masked as deployed.
    const plan = demoPlan({
      companies: 1,
      seed: 11,
      datasets: ['employees', 'sales'],
      withRejectedFile: false,
    });
    await registerCompanies(twin, plan);
    uploads = await uploadFiles(twin, plan);
    await twin.settled();
  });
  afterAll(async () => {
    process.env = saved;
    await twin?.stop();
  });

  it('leaves no pseudonymised object of the upload: the mask role deletes every version it wrote', async () => {
    // Prepare: the employee file.
    const [upload] = uploads;
    if (!upload) throw new Error('the plan has no upload');
    const pseudonymised = () =>
      [bucket('curated'), ...replicas()].flatMap((name) =>
        twin.s3
          .versions(name, pseudonymisedPrefix(upload.tenantId))
          .filter((v) => v.key.endsWith(`/${upload.uploadId}.parquet`)),
      ).length;
    expect(pseudonymised()).toBeGreaterThan(0);
    // Each function's ports, as deployed (the SDK reads the role's credentials as it does in Lambda).
    const api = twin.deployedRuntime('kura-api');
    const apiTable = api.table;
    // A client takes its credentials from the environment at its first call: the API's first, now.
    await apiTable.get('uploads', { tenantId: upload.tenantId, uploadId: upload.uploadId });
    const ports = composeMask(twin.deployedRuntime('kura-mask'));
    // The company withdraws the upload right before masking commits (after its objects are written):
    // the withdrawal's commit point, the record written WITHDRAWN by the API's role.
    let withdrawn = false;
    const table: Table = {
      get: (name, key) => ports.table.get(name, key),
      query: (request) => ports.table.query(request),
      delete: (name, key) => ports.table.delete(name, key),
      put: async (name, item, condition) => {
        if (!withdrawn && name === 'uploads' && item.maskedAt !== undefined && condition?.ifMatch) {
          withdrawn = true;
          const record = storedUploadSchema.parse(
            await apiTable.get('uploads', { tenantId: upload.tenantId, uploadId: upload.uploadId }),
          );
          await updateUploadRecord(apiTable, new Date(), record, {
            status: 'WITHDRAWN',
            withdrawnAt: new Date().toISOString(),
            withdrawnBy: tenantClaims(upload.tenantId).sub,
            maskedOutputs: undefined,
          });
        }
        return ports.table.put(name, item, condition);
      },
    };

    // Act
    const masking = pseudonymise({ ...ports, table }, upload);

    // Assess
    await expect(masking).rejects.toThrow(/withdrawn while it was being masked/);
    expect(withdrawn).toBe(true);
    expect(twin.iam.denials.map((d) => `${d.request.action} ${d.request.resource}`)).toEqual([]);
    // In prod, the DR copy (Osaka) too: S3 replicated the versions masking wrote, never their deletion.
    expect(pseudonymised()).toBe(0);
  });

  it('withdraws an upload through the API: every version of its data is gone, and the facts are rebuilt without it', async () => {
    // Prepare: the sales file.
    const upload = uploads[1];
    if (!upload) throw new Error('the plan has no second upload');
    const { tenantId, uploadId } = upload;
    const own = (key: string) => key.includes(uploadId);
    const left = () => ({
      landing: twin.s3.versions(bucket('landing'), landingPrefix(tenantId)).filter((v) => own(v.key)).length,
      raw: twin.s3.versions(bucket('raw'), rawPrefix(tenantId)).filter((v) => own(v.key)).length,
      report: twin.s3.versions(bucket('raw'), reportKey(tenantId, uploadId)).length,
      pseudonymised: twin.s3
        .versions(bucket('curated'), pseudonymisedPrefix(tenantId))
        .filter((v) => own(v.key)).length,
      replica: replicas().flatMap((name) =>
        twin.s3.versions(name, pseudonymisedPrefix(tenantId)).filter((v) => own(v.key)),
      ).length,
    });
    const before = { left: left() };
    expect(before.left.raw).toBeGreaterThan(0);
    expect(before.left.pseudonymised).toBeGreaterThan(0);
    expect(before.left.replica > 0).toBe(STAGE === 'prod');

    // Act
    const response = await twin.api('POST /uploads/{uploadId}/withdraw', {
      claims: tenantClaims(tenantId),
      path: { uploadId },
    });

    // Assess
    expectStatus(response, 200, 'withdraw');
    expect(response.json.status).toBe('WITHDRAWN');
    expect(response.json.deleted.pseudonymised).toBe(before.left.pseudonymised);
    expect(left()).toEqual({ landing: 0, raw: 0, report: 0, pseudonymised: 0, replica: 0 });
    if (STAGE === 'prod') expect(response.json.deleted['pseudonymised-replica']).toBe(before.left.replica);
    // The facts rebuilt without the upload: one version of each fact is left (the former ones held its
    // figures), and in the DR copy no other version than that one.
    const facts = twin.s3
      .versions(bucket('curated'), factsPrefix(tenantId))
      .filter((v) => v.key.includes('/fact='));
    expect(facts.map((v) => [v.key, v.deleteMarker])).toEqual(
      [factKey(tenantId, 'company_month'), factKey(tenantId, 'employee_month')].map((key) => [key, false]),
    );
    expect(response.json.deleted['facts-versions']).toBeGreaterThan(0);
    const current = new Set(facts.map((v) => v.versionId));
    for (const name of replicas()) {
      const copies = twin.s3.versions(name, factsPrefix(tenantId)).filter((v) => v.key.includes('/fact='));
      expect(copies.filter((v) => !current.has(v.versionId))).toEqual([]);
    }
    if (STAGE === 'prod') expect(response.json.deleted['facts-versions-replica']).toBeGreaterThan(0);
    expect(twin.iam.denials.map((d) => `${d.request.action} ${d.request.resource}`)).toEqual([]);
    expect(twin.lambda.invocations.filter((i) => !i.ok).map((i) => i.error)).toEqual([]);
  });
});
