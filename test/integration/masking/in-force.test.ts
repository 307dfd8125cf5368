/**
 * What `kura status` and the API say is in force follows the records as the facts do once rebuilt, also
 * in the moment between a later upload's masking committing and the records' `supersededBy` being
 * brought in line; and reading it stays cheap.
 */
import { describe, expect, it } from 'vitest';
import type { Principal } from '../../../functions/domain/auth/principal.ts';
import { pseudonymise } from '../../../functions/domain/masking/pseudonymise.ts';
import type { QueryRequest } from '../../../functions/domain/ports/index.ts';
import { getUpload, listUploads } from '../../../functions/domain/uploads/uploads.ts';
import { seedTenant, seedUpload, testPorts } from './fixtures.ts';

const TENANT = 'tenant-v';
const FIRST = '11111111-1111-4111-8111-111111111111';
const FIX = '22222222-2222-4222-8222-222222222222';
const company: Principal = { subject: 'sub-v', roles: ['tenant'], tenantId: TENANT };
const sales = (period: string, amount: number) => ({
  [period]: [{ period_month: period, sales_amount: amount }],
});

/** A company with a sales file for April (FIRST) and a correction of it (FIX), neither masked yet. */
async function firstAndFix() {
  const ports = testPorts();
  await seedTenant(ports, TENANT, { industry: 'E', prefecture: '13', sizeBand: '20-49' });
  await seedUpload(ports, TENANT, FIRST, 'sales', sales('2026-04', 1_000), { sequence: 1 });
  await seedUpload(ports, TENANT, FIX, 'sales', sales('2026-04', 2_000), { sequence: 2 });
  return ports;
}

describe('an upload in force, as callers see it', () => {
  it('is no longer in force once a later upload of its only period is masked, before supersededBy is written', async () => {
    // Prepare: the first file for April, then a correction of it; both masked, then the first's
    // record as it is just after the correction's masking commits (supersession not yet applied)
    const ports = await firstAndFix();
    await pseudonymise(ports, { tenantId: TENANT, uploadId: FIRST });
    await pseudonymise(ports, { tenantId: TENANT, uploadId: FIX });
    const { supersededBy: _s, ...before } = (await ports.table.get('uploads', {
      tenantId: TENANT,
      uploadId: FIRST,
    })) as Record<string, unknown>;
    await ports.table.put('uploads', before);

    // Act
    const first = await getUpload(ports, company, FIRST);
    const fix = await getUpload(ports, company, FIX);
    const listed = await listUploads(ports, company);

    // Assess
    expect(first).toMatchObject({ inForce: false, supersededBy: { '2026-04': FIX } });
    expect(fix.inForce).toBe(true);
    expect(listed.uploads.map((u) => [u.uploadId, u.inForce])).toEqual([
      [FIRST, false],
      [FIX, true],
    ]);
  });

  it('reads only the record while an upload is being processed, and only what the plan needs once one is masked', async () => {
    // Prepare: one upload masked, one only accepted; queries of the table recorded
    const ports = await firstAndFix();
    await pseudonymise(ports, { tenantId: TENANT, uploadId: FIRST });
    const queries: Array<readonly string[] | undefined> = [];
    const table = new Proxy(ports.table, {
      get(target, name, receiver) {
        const value = Reflect.get(target, name, receiver);
        if (typeof value !== 'function') return value;
        if (name !== 'query') return value.bind(target);
        return (request: QueryRequest) => {
          queries.push(request.attributes);
          return value.call(target, request);
        };
      },
    });

    // Act
    const processing = await getUpload({ table }, company, FIX);
    const whileProcessing = queries.length;
    const masked = await getUpload({ table }, company, FIRST);

    // Assess
    expect(processing.inForce).toBe(false);
    expect(whileProcessing).toBe(0);
    expect(masked.inForce).toBe(true);
    expect(queries.length).toBeGreaterThan(0);
    for (const attributes of queries) expect(attributes).not.toContain('errors');
    for (const attributes of queries)
      expect(attributes).toEqual(expect.arrayContaining(['uploadId', 'maskedOutputs']));
  });
});
