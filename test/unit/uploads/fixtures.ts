import { createHash } from 'node:crypto';
import { MemoryObjectStore, MemoryTable } from '../../../functions/adapters/memory/index.ts';
import type { Principal } from '../../../functions/domain/auth/principal.ts';
import { defaultSettings } from '../../../functions/domain/settings.ts';
import type { UploadPorts } from '../../../functions/domain/uploads/uploads.ts';

export const tenantA: Principal = { subject: 'sub-a', roles: ['tenant'], tenantId: 'tenant-a' };
export const tenantB: Principal = { subject: 'sub-b', roles: ['tenant'], tenantId: 'tenant-b' };

export const csv = 'employee_id,birth_date,gender\r\nE001,1980-01-02,男\r\n';
export const csvSha256 = createHash('sha256').update(csv).digest('base64');

export const consent = {
  obtained: true,
  method: 'written',
  obtainedAt: '2026-04-01',
  attestedBy: '人事部長 山田',
} as const;

/** A tenants-table item for a company with a running contract. */
export const activeTenant = (
  tenantId: string,
  contract: { start: string; end?: string } = { start: '2026-04-01' },
) => ({
  tenantId,
  name: `Company ${tenantId}`,
  profile: { industry: 'E', prefecture: '13', sizeBand: '20-49' },
  contract,
  state: 'ACTIVE',
  legalHold: false,
  createdAt: '2026-04-01T00:00:00.000Z',
  updatedAt: '2026-04-01T00:00:00.000Z',
});

export function uploadPorts(): UploadPorts & { table: MemoryTable } {
  let n = 0;
  const table = new MemoryTable();
  for (const tenantId of ['tenant-a', 'tenant-b', 'demo-a', 'demo-b'])
    void table.put('tenants', activeTenant(tenantId));
  return {
    table,
    objects: new MemoryObjectStore(),
    settings: defaultSettings,
    clock: () => new Date('2026-05-01T09:00:00.000Z'),
    newId: () => `00000000-0000-4000-8000-${String(++n).padStart(12, '0')}`,
  };
}

export const employeesRequest = {
  dataset: 'employees',
  fileName: '従業員.csv',
  contentType: 'text/csv',
  sizeBytes: Buffer.byteLength(csv),
  sha256: csvSha256,
  consent,
};
