/**
 * A withdrawal that lands while an upload is being masked: masking's commit finds the record changed
 * and deletes every version of the pseudonymised objects it wrote (functions/domain/masking/
 * pseudonymise.ts, commitMasking). The mask use case runs as the deployed mask function does: its
 * composition root over the deployed runtime built from its synthesized environment, with its role's
 * credentials, against the twin. The withdrawal's commit point (the record says WITHDRAWN) is written
 * as the API writes it, with the API function's role; deleting the upload's other data is the
 * withdrawal's own work, not this test's (docs/LIMITS.md: it is denied to the API when deployed).
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createDeployedRuntime } from '../../functions/adapters/runtime.ts';
import { pseudonymise } from '../../functions/domain/masking/pseudonymise.ts';
import type { Table } from '../../functions/domain/ports/index.ts';
import { storedUploadSchema, updateUploadRecord } from '../../functions/domain/uploads/supersession.ts';
import { pseudonymisedPrefix } from '../../functions/domain/zones.ts';
import { composeMask } from '../../functions/mask/runtime.ts';
import { demoPlan } from '../../local/synthetic/plan.ts';
import { registerCompanies, tenantClaims, uploadFiles } from './harness/scenario.ts';
import { Twin } from './harness/twin.ts';

const STAGE = 'dev';

describe(`an upload withdrawn while it is being masked, through the twin of ${STAGE}`, () => {
  let twin: Twin;
  const saved = { ...process.env };

  beforeAll(async () => {
    twin = await Twin.start(STAGE, inject('twinAssemblies')[STAGE]);
  });
  afterAll(async () => {
    process.env = saved;
    await twin?.stop();
  });

  it('leaves no pseudonymised object of the upload: the mask role deletes every version it wrote', async () => {
    // Prepare: one company's employee file, ingested and masked as deployed.
    const plan = demoPlan({ companies: 1, seed: 11, datasets: ['employees'], withRejectedFile: false });
    await registerCompanies(twin, plan);
    const [upload] = await uploadFiles(twin, plan);
    if (!upload) throw new Error('the plan has no upload');
    await twin.settled();
    const curated = `kura-${STAGE}-curated-${twin.account}-${twin.region}`;
    const pseudonymised = () =>
      twin.s3
        .versions(curated, pseudonymisedPrefix(upload.tenantId))
        .filter((v) => v.key.endsWith(`/${upload.uploadId}.parquet`)).length;
    expect(pseudonymised()).toBeGreaterThan(0);
    // Each function's ports, as deployed (the SDK reads the role's credentials as it does in Lambda).
    const portsOf = (service: string) => {
      const fn = twin.fn(service);
      const credentials = twin.credentialsFor(fn.roleArn);
      Object.assign(process.env, {
        AWS_REGION: fn.region,
        AWS_ACCESS_KEY_ID: credentials.accessKeyId,
        AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
        AWS_SESSION_TOKEN: credentials.sessionToken,
        AWS_ENDPOINT_URL: twin.endpoint,
      });
      return createDeployedRuntime({ ...fn.environment, AWS_REGION: fn.region });
    };
    const api = portsOf('kura-api');
    const apiTable = api.table;
    // A client takes its credentials from the environment at its first call: the API's first, now.
    await apiTable.get('uploads', { tenantId: upload.tenantId, uploadId: upload.uploadId });
    const ports = composeMask(portsOf('kura-mask'));
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
    expect(pseudonymised()).toBe(0);
  });
});
