/**
 * What `kura status` and the API say is in force agrees with what the facts read, also in the moment
 * between a later upload's masking committing and the records' `supersededBy` being brought in line.
 */
import { describe, expect, it } from 'vitest';
import type { Principal } from '../../../functions/domain/auth/principal.ts';
import { pseudonymise } from '../../../functions/domain/masking/pseudonymise.ts';
import { getUpload, listUploads } from '../../../functions/domain/uploads/uploads.ts';
import { seedTenant, seedUpload, testPorts } from './fixtures.ts';

const TENANT = 'tenant-v';
const FIRST = '11111111-1111-4111-8111-111111111111';
const FIX = '22222222-2222-4222-8222-222222222222';
const company: Principal = { subject: 'sub-v', roles: ['tenant'], tenantId: TENANT };
const sales = (period: string, amount: number) => ({
  [period]: [{ period_month: period, sales_amount: amount }],
});

describe('an upload in force, as callers see it', () => {
  it('is no longer in force once a later upload of its only period is masked, before supersededBy is written', async () => {
    // Prepare: the first file for April, then a correction of it; both masked, then the first's
    // record as it is just after the correction's masking commits (supersession not yet applied)
    const ports = testPorts();
    await seedTenant(ports, TENANT, { industry: 'E', prefecture: '13', sizeBand: '20-49' });
    await seedUpload(ports, TENANT, FIRST, 'sales', sales('2026-04', 1_000), { sequence: 1 });
    await seedUpload(ports, TENANT, FIX, 'sales', sales('2026-04', 2_000), { sequence: 2 });
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
});
