/**
 * The ledger under concurrency, through the local stack (HTTP API, dynalite): 50 upload requests at
 * once, most of them from one company (the worst case: one chain), all answered with a ticket; every
 * upload record has its ledger entry and every ledger entry its record.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readLedger, verifyLedger } from '../../../functions/domain/ledger/ledger.ts';
import { uploadRecordSchema } from '../../../functions/domain/uploads/model.ts';
import { UPLOAD_ID } from '../../../functions/domain/uploads/records.ts';
import { type LocalPlatform, startLocalPlatform } from '../../../local/platform.ts';

let dataDir: string;
let platform: LocalPlatform;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'kura-parallel-'));
  platform = await startLocalPlatform({ dataDir, port: 0, onError: () => undefined });
});

afterAll(async () => {
  await platform?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

const csv = '年月,売上高\r\n2026-04,1000\r\n';
const request = (i: number) => ({
  dataset: i % 3 === 0 ? 'employees' : 'sales',
  fileName: `file-${i}.csv`,
  contentType: 'text/csv',
  sizeBytes: Buffer.byteLength(csv),
  sha256: createHash('sha256').update(csv).digest('base64'),
  ...(i % 3 === 0
    ? { consent: { obtained: true, method: 'written', obtainedAt: '2026-04-01', attestedBy: '人事部長' } }
    : {}),
});

async function uploadRecords(tenantId: string) {
  const items = await platform.ports.table.query({
    table: 'uploads',
    partition: { name: 'tenantId', value: tenantId },
  });
  return items.items
    .filter((item) => UPLOAD_ID.test(String(item.uploadId)))
    .map((item) => uploadRecordSchema.parse(item));
}

describe('50 parallel upload requests', () => {
  it('all get a ticket, and records and ledger entries match one to one', async () => {
    // Prepare: 40 from demo-a (one ledger chain), 10 from demo-b
    const tokens = {
      'demo-a': await platform.token({ role: 'tenant', tenantId: 'demo-a' }),
      'demo-b': await platform.token({ role: 'tenant', tenantId: 'demo-b' }),
    };
    const callers = Array.from(
      { length: 50 },
      (_, i) => (i < 40 ? 'demo-a' : 'demo-b') as keyof typeof tokens,
    );

    // Act
    const responses = await Promise.all(
      callers.map((tenant, i) =>
        fetch(`${platform.apiUrl}/uploads`, {
          method: 'POST',
          headers: { authorization: `Bearer ${tokens[tenant]}`, 'content-type': 'application/json' },
          body: JSON.stringify(request(i)),
        }).then(async (response) => ({
          tenant,
          status: response.status,
          body: (await response.json()) as { uploadId?: string },
        })),
      ),
    );

    // Assess: no 5xx, every request a ticket
    expect(responses.filter((r) => r.status >= 500)).toEqual([]);
    expect(responses.map((r) => r.status)).toEqual(Array(50).fill(201));
    for (const tenant of ['demo-a', 'demo-b'] as const) {
      const tickets = responses.filter((r) => r.tenant === tenant).map((r) => String(r.body.uploadId));
      const records = await uploadRecords(tenant);
      const requested = (await readLedger(platform.ports.table, { tenantId: tenant })).filter(
        (e) => e.action === 'upload.requested',
      );
      // No record without its entry, no entry without its record, no ticket without both.
      expect(records.map((r) => r.uploadId).sort()).toEqual([...tickets].sort());
      expect(requested.map((e) => String(e.details.uploadId)).sort()).toEqual([...tickets].sort());
      // Each upload's order is its entry's place in the tenant's chain.
      const seqOf = new Map(requested.map((e) => [String(e.details.uploadId), e.seq]));
      expect(records.map((r) => [r.uploadId, r.sequence])).toEqual(
        records.map((r) => [r.uploadId, seqOf.get(r.uploadId)]),
      );
      expect(new Set(records.map((r) => r.sequence)).size).toBe(tickets.length);
    }
    expect(verifyLedger(await readLedger(platform.ports.table)).ok).toBe(true);
  });
});
