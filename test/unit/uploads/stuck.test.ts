import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  IN_FLIGHT_INDEX,
  inFlightPhase,
  REQUESTED_RECORD_DAYS,
  withBookkeeping,
} from '../../../functions/domain/uploads/in-flight.ts';
import { UPLOAD_STATUSES, type UploadRecord } from '../../../functions/domain/uploads/model.ts';
import { findStuckUploads, STUCK_AFTER_MS } from '../../../functions/domain/uploads/stuck.ts';
import { updateUploadRecord } from '../../../functions/domain/uploads/supersession.ts';
import { requestUpload } from '../../../functions/domain/uploads/uploads.ts';
import { employeesRequest, tenantA, uploadPorts } from './fixtures.ts';

const NOW = new Date('2026-05-01T09:00:00.000Z');
const minutes = (n: number) => new Date(NOW.getTime() + n * 60_000);

describe('the in-flight bookkeeping of upload records', () => {
  it('marks exactly the unfinished uploads, and gives only requests a TTL', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...UPLOAD_STATUSES),
        fc.boolean(),
        fc.boolean(),
        fc.boolean(),
        (status, masked, hadBookkeeping, recorded) => {
          const record = {
            status,
            expiresAt: '2026-05-01T09:15:00.000Z',
            ...(masked ? { maskedAt: '2026-05-01T09:20:00.000Z' } : {}),
            ...(recorded ? { withdrawalRef: 'tenant-a/3' } : {}),
            ...(hadBookkeeping ? { inFlight: 'VALIDATING' as const, expiresAtEpoch: 1 } : {}),
          } as UploadRecord;
          const kept = withBookkeeping(record);
          const unfinished =
            ['REQUESTED', 'RECEIVED', 'VALIDATING'].includes(status) ||
            (['ACCEPTED', 'PARTIALLY_ACCEPTED'].includes(status) && !masked) ||
            (status === 'WITHDRAWN' && !recorded);
          expect(kept.inFlight !== undefined).toBe(unfinished);
          expect(kept.inFlight).toBe(inFlightPhase(record));
          expect(kept.expiresAtEpoch !== undefined).toBe(status === 'REQUESTED');
        },
      ),
    );
  });

  it('writes the phase and the TTL on a new request, and removes the TTL when the upload moves on', async () => {
    // Prepare
    const ports = uploadPorts();
    const ticket = await requestUpload(ports, tenantA, employeesRequest);
    const requested = (await ports.table.get('uploads', {
      tenantId: 'tenant-a',
      uploadId: ticket.uploadId,
    })) as UploadRecord;

    // Act
    const received = await updateUploadRecord(ports.table, minutes(1), requested, { status: 'RECEIVED' });

    // Assess
    expect(requested.inFlight).toBe('REQUESTED');
    expect(requested.expiresAtEpoch).toBe(
      Math.floor(Date.parse(ticket.expiresAt) / 1000) + REQUESTED_RECORD_DAYS * 86_400,
    );
    expect(received.inFlight).toBe('RECEIVED');
    expect(received.expiresAtEpoch).toBeUndefined();
    const stored = await ports.table.get('uploads', { tenantId: 'tenant-a', uploadId: ticket.uploadId });
    expect(stored).not.toHaveProperty('expiresAtEpoch');
  });
});

describe('stuck uploads', () => {
  async function world() {
    const ports = uploadPorts();
    const ticket = await requestUpload(ports, tenantA, employeesRequest);
    const record = (await ports.table.get('uploads', {
      tenantId: 'tenant-a',
      uploadId: ticket.uploadId,
    })) as UploadRecord;
    return { ports, ticket, record };
  }
  const past = (ms: number) => new Date(NOW.getTime() + ms + 60_000);

  it('counts a request whose file landed but was never processed (a lost notification)', async () => {
    // Prepare
    const { ports, ticket, record } = await world();
    await ports.objects.put('landing', record.key, 'a,b\n');

    // Act
    const early = await findStuckUploads(ports, minutes(5));
    const late = await findStuckUploads(ports, past(STUCK_AFTER_MS));

    // Assess
    expect(early).toEqual([]);
    expect(late).toEqual([
      { tenantId: 'tenant-a', uploadId: ticket.uploadId, phase: 'REQUESTED', updatedAt: record.updatedAt },
    ]);
  });

  it('does not count a request whose file never came: the user may still send it, or it expires', async () => {
    // Prepare
    const { ports } = await world();

    // Act
    const stuck = await findStuckUploads(ports, past(STUCK_AFTER_MS * 10));

    // Assess
    expect(stuck).toEqual([]);
  });

  it('counts VALIDATING and an accepted upload whose masking never committed, and forgets them once final', async () => {
    // Prepare
    const { ports, record } = await world();
    const validating = await updateUploadRecord(ports.table, NOW, record, { status: 'VALIDATING' });

    // Act
    const whileValidating = await findStuckUploads(ports, past(STUCK_AFTER_MS));
    const accepted = await updateUploadRecord(ports.table, NOW, validating, { status: 'ACCEPTED' });
    const whileMasking = await findStuckUploads(ports, past(STUCK_AFTER_MS));
    await updateUploadRecord(ports.table, NOW, accepted, {
      maskedAt: NOW.toISOString(),
      maskedOutputs: ['pseudonymised/x.parquet'],
    });
    const done = await findStuckUploads(ports, past(STUCK_AFTER_MS * 10));

    // Assess
    expect(whileValidating.map((s) => s.phase)).toEqual(['VALIDATING']);
    expect(whileMasking.map((s) => s.phase)).toEqual(['MASKING']);
    expect(done).toEqual([]);
    const indexed = await ports.table.query({
      table: 'uploads',
      index: IN_FLIGHT_INDEX,
      partition: { name: 'inFlight', value: 'MASKING' },
    });
    expect(indexed.items).toEqual([]);
  });

  it('counts a withdrawal whose run died before its ledger entry, and forgets it once finished', async () => {
    // Prepare
    const { ports, record } = await world();
    const withdrawn = await updateUploadRecord(ports.table, NOW, record, {
      status: 'WITHDRAWN',
      withdrawnAt: NOW.toISOString(),
      withdrawalClaimedAt: NOW.toISOString(),
    });

    // Act
    const early = await findStuckUploads(ports, minutes(5));
    const unfinished = await findStuckUploads(ports, past(STUCK_AFTER_MS));
    await updateUploadRecord(ports.table, NOW, withdrawn, { withdrawalRef: 'tenant-a/2' });
    const finished = await findStuckUploads(ports, past(STUCK_AFTER_MS * 10));

    // Assess
    expect(early).toEqual([]);
    expect(unfinished.map((s) => s.phase)).toEqual(['WITHDRAWING']);
    expect(finished).toEqual([]);
  });
});
