import { describe, expect, it } from 'vitest';
import { ingestObject } from '../../../functions/domain/ingest/ingest.ts';
import { parseS3Notification } from '../../../functions/domain/ingest/notification.ts';
import { readLedger } from '../../../functions/domain/ledger/ledger.ts';
import { defaultSettings } from '../../../functions/domain/settings.ts';
import {
  memoryPorts,
  readRecord,
  runningTenant,
  sha256Base64,
  sqsMessageFor,
  stageUpload,
} from './fixtures.ts';

const crlf = (...lines: string[]) => `${lines.join('\r\n')}\r\n`;
const FILE = crlf('社員番号,勤務日,所定労働時間,実労働時間,残業時間', '1,2026/3/31,8,8,0');
const ENDED = { contract: { start: '2025-04-01', end: '2026-03-31' } };
/** 01:00 JST on 1 April 2026: the day after the contract ended, still 31 March in UTC. */
const AFTER_MIDNIGHT_JST = '2026-03-31T16:00:00.000Z';

const everyKey = (ports: ReturnType<typeof memoryPorts>) => ({
  landing: ports.objects.keys('landing'),
  raw: ports.objects.keys('raw'),
  curated: ports.objects.keys('curated'),
});

describe('files that arrive for a company that may not send data', () => {
  it('deletes a file landing at 01:00 JST the day after the contract ended, rejects its upload and records it by hash', async () => {
    // Prepare: the ticket was issued before midnight JST; the file lands after it.
    const ports = memoryPorts();
    await ports.table.put('tenants', runningTenant('t-0001', ENDED));
    const staged = await stageUpload(ports, FILE, { fileName: '山田太郎_勤怠.csv' });

    // Act
    const result = await ingestObject(ports, defaultSettings, {
      ...staged.object,
      landedAt: AFTER_MIDNIGHT_JST,
    });

    // Assess
    expect(result).toMatchObject({ kind: 'discarded', reason: { code: 'CONTRACT_NOT_RUNNING' } });
    expect(everyKey(ports)).toEqual({ landing: [], raw: [], curated: [] });
    const record = await readRecord(ports, staged.record);
    expect(record).toMatchObject({ status: 'REJECTED', reason: { code: 'CONTRACT_NOT_RUNNING' } });
    expect(record?.reason?.ja).toMatch(/2026-04-01/);
    const ledger = await readLedger(ports.table, { tenantId: 't-0001' });
    expect(ledger.map((entry) => entry.action)).toEqual(['upload.discarded']);
    expect(ledger[0]?.details).toMatchObject({
      uploadId: staged.record.uploadId,
      dataset: 'attendance',
      sizeBytes: Buffer.byteLength(FILE),
      sha256: sha256Base64(new TextEncoder().encode(FILE)),
      reason: 'CONTRACT_NOT_RUNNING',
      tenantState: 'ACTIVE',
    });
    expect(JSON.stringify(ledger)).not.toMatch(/山田|勤怠|2026\/3\/31/);
  });

  it('deletes a file landing for a purged company and keeps nothing under its prefixes, not even in quarantine', async () => {
    // Prepare: the purge deleted the upload record; a ticket issued before it is used afterwards.
    const ports = memoryPorts();
    await ports.table.put('tenants', runningTenant('t-0001', { ...ENDED, state: 'PURGED' }));
    const staged = await stageUpload(ports, FILE, { writeRecord: false });

    // Act
    const result = await ingestObject(ports, defaultSettings, staged.object);

    // Assess
    expect(result).toMatchObject({ kind: 'discarded', reason: { code: 'TENANT_PURGED' } });
    expect(everyKey(ports)).toEqual({ landing: [], raw: [], curated: [] });
    expect(ports.table.tables.get('uploads')?.size ?? 0).toBe(0);
    const ledger = await readLedger(ports.table, { tenantId: 't-0001' });
    expect(ledger).toEqual([
      expect.objectContaining({
        action: 'upload.discarded',
        details: expect.objectContaining({ reason: 'TENANT_PURGED', tenantState: 'PURGED' }),
      }),
    ]);
  });

  it('writes nothing under a company whose purge is running, not even its upload record', async () => {
    // Prepare
    const ports = memoryPorts();
    await ports.table.put('tenants', runningTenant('t-0001', { ...ENDED, state: 'PURGING' }));
    const staged = await stageUpload(ports, FILE);

    // Act
    const result = await ingestObject(ports, defaultSettings, staged.object);

    // Assess
    expect(result).toMatchObject({ kind: 'discarded', reason: { code: 'TENANT_PURGED' } });
    expect(everyKey(ports)).toEqual({ landing: [], raw: [], curated: [] });
    expect(await readRecord(ports, staged.record)).toEqual(staged.record);
  });

  it('deletes a file sent for a company Kura does not know, recording it on the platform chain', async () => {
    // Prepare
    const ports = memoryPorts();
    const staged = await stageUpload(ports, FILE, { tenantId: 'ghost-co' });
    await ports.table.delete('tenants', { tenantId: 'ghost-co' });

    // Act
    const result = await ingestObject(ports, defaultSettings, staged.object);

    // Assess
    expect(result).toMatchObject({ kind: 'discarded', reason: { code: 'TENANT_NOT_REGISTERED' } });
    expect(everyKey(ports).landing).toEqual([]);
    const ledger = await readLedger(ports.table);
    expect(ledger).toEqual([
      expect.objectContaining({
        chain: 'platform',
        action: 'upload.discarded',
        details: expect.objectContaining({ landingTenantId: 'ghost-co' }),
      }),
    ]);
  });

  it('ingests a file that landed on the contract’s last day even when it is processed after midnight JST', async () => {
    // Prepare: S3 stored it at 23:59 JST on 31 March; the queue delivers it later.
    const ports = memoryPorts();
    await ports.table.put('tenants', runningTenant('t-0001', ENDED));
    const staged = await stageUpload(ports, FILE);
    const [landed] = parseS3Notification(
      sqsMessageFor(staged.object).body.replace('2026-04-01T00:00:00.000Z', '2026-03-31T14:59:00.000Z'),
    );

    // Act
    const result = await ingestObject(ports, defaultSettings, {
      ...staged.object,
      ...landed,
      bucket: staged.object.bucket,
    });

    // Assess
    expect(landed?.landedAt).toBe('2026-03-31T14:59:00.000Z');
    expect(result).toEqual({ kind: 'processed', status: 'ACCEPTED' });
  });
});
