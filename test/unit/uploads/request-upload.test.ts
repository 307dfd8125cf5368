import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FaultPlan } from '../../../functions/adapters/faults/plan.ts';
import { faultyTable } from '../../../functions/adapters/faults/ports.ts';
import {
  ForbiddenError,
  KuraError,
  MalformedRequestError,
  NotFoundError,
  PayloadTooLargeError,
  ValidationError,
} from '../../../functions/domain/errors.ts';
import { LedgerContentionError, readLedger } from '../../../functions/domain/ledger/ledger.ts';
import { ConditionFailedError, type Table } from '../../../functions/domain/ports/index.ts';
import { getUpload, listUploads, requestUpload } from '../../../functions/domain/uploads/uploads.ts';
import { activeTenant, consent, employeesRequest, tenantA, tenantB, uploadPorts } from './fixtures.ts';

async function refusal(promise: Promise<unknown>): Promise<KuraError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof KuraError) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('requestUpload', () => {
  it('returns a presigned POST for a key under the caller’s tenant and records the request', async () => {
    // Prepare
    const ports = uploadPorts();

    // Act
    const ticket = await requestUpload(ports, tenantA, employeesRequest);

    // Assess
    expect(ticket.key).toBe(`landing/tenant-a/employees/${ticket.uploadId}/従業員.csv`);
    expect(ticket.expiresAt).toBe('2026-05-01T09:05:00.000Z');
    const record = await ports.table.get('uploads', { tenantId: 'tenant-a', uploadId: ticket.uploadId });
    expect(record).toMatchObject({
      status: 'REQUESTED',
      key: ticket.key,
      sha256: employeesRequest.sha256,
      sequence: '000000000001',
      consentRef: 'tenant#tenant-a/000000000001',
    });
    const ledger = await readLedger(ports.table);
    expect(ledger.map((e) => e.action)).toEqual(['upload.requested']);
    expect(ledger[0]).toMatchObject({
      chain: 'tenant#tenant-a',
      tenantId: 'tenant-a',
      actor: { subject: 'sub-a' },
      purpose: 'provider_analysis_and_anonymised_statistics',
      details: {
        uploadId: ticket.uploadId,
        dataset: 'employees',
        consentMethod: 'written',
        consentObtainedAt: '2026-04-01',
        attestationSha256: expect.stringMatching(/^[0-9a-f]{64}$/),
      },
    });
  });

  it('numbers a tenant’s uploads in the order they are requested', async () => {
    // Prepare
    const ports = uploadPorts();

    // Act
    const tickets = [];
    for (let i = 0; i < 3; i++) tickets.push(await requestUpload(ports, tenantA, employeesRequest));

    // Assess
    const sequences = [];
    for (const ticket of tickets)
      sequences.push(
        (await ports.table.get('uploads', { tenantId: 'tenant-a', uploadId: ticket.uploadId }))?.sequence,
      );
    expect(sequences).toEqual(['000000000001', '000000000002', '000000000003']);
  });

  it('leaves neither a record nor a ledger entry when the request cannot be ledgered', async () => {
    // Prepare: every ledger append loses its race
    const ports = uploadPorts();
    const plan = new FaultPlan([
      {
        port: 'table',
        method: 'put',
        when: (name, _item, condition) =>
          name === 'ledger' && Boolean((condition as { ifAbsent?: string })?.ifAbsent),
        times: 1_000,
        fault: { kind: 'error', error: () => new ConditionFailedError('taken') },
      },
    ]);
    const busy = faultyTable(ports.table, plan);

    // Act
    const error = await refusal(
      requestUpload(
        { ...ports, table: busy, ledgerRetry: { sleep: async () => undefined } },
        tenantA,
        employeesRequest,
      ),
    );

    // Assess
    expect(error).toBeInstanceOf(LedgerContentionError);
    expect(plan.fired).toHaveLength(40);
    expect((await listUploads(ports, tenantA)).uploads).toEqual([]);
    expect(await readLedger(ports.table)).toEqual([]);
  });

  it('keeps the attester’s name out of the ledger', async () => {
    // Prepare
    const ports = uploadPorts();

    // Act
    await requestUpload(ports, tenantA, employeesRequest);

    // Assess
    expect(JSON.stringify(await readLedger(ports.table))).not.toContain('山田');
  });

  it('accepts a hex SHA-256 and pins its base64 form', async () => {
    // Prepare
    const ports = uploadPorts();
    const hex = createHash('sha256').update('x').digest('hex');

    // Act
    const ticket = await requestUpload(ports, tenantA, { ...employeesRequest, sha256: hex });

    // Assess
    const record = await ports.table.get('uploads', { tenantId: 'tenant-a', uploadId: ticket.uploadId });
    expect(record?.sha256).toBe(createHash('sha256').update('x').digest('base64'));
  });

  it('needs no consent for a dataset without personal data', async () => {
    // Prepare
    const ports = uploadPorts();

    // Act
    const ticket = await requestUpload(ports, tenantA, {
      ...employeesRequest,
      dataset: 'sales',
      consent: undefined,
    });

    // Assess
    expect(ticket.key).toContain('/sales/');
    expect((await readLedger(ports.table)).map((e) => e.action)).toEqual(['upload.requested']);
  });

  it('maps application/vnd.ms-excel to text/csv', async () => {
    // Prepare
    const ports = uploadPorts();

    // Act
    const ticket = await requestUpload(ports, tenantA, {
      ...employeesRequest,
      contentType: 'application/vnd.ms-excel',
    });

    // Assess
    expect(ticket.fields['Content-Type']).toBe('text/csv');
  });

  it.each([
    [
      'a missing consent',
      { consent: undefined },
      ValidationError,
      'consent',
      /obtained.*method.*obtainedAt.*attestedBy/,
    ],
    [
      'consent not obtained',
      { consent: { ...consent, obtained: false } },
      ValidationError,
      'consent.obtained',
      /must be true/,
    ],
    [
      'an unknown consent method',
      { consent: { ...consent, method: 'verbal' } },
      ValidationError,
      'consent.method',
      /written/,
    ],
    [
      'a consent date in the future',
      { consent: { ...consent, obtainedAt: '2027-01-01' } },
      ValidationError,
      'consent.obtainedAt',
      /future/,
    ],
    [
      'a blank attester',
      { consent: { ...consent, attestedBy: ' ' } },
      ValidationError,
      'consent.attestedBy',
      /who attests/,
    ],
    [
      'an unknown dataset',
      { dataset: 'salaries' },
      ValidationError,
      'dataset',
      /allowed datasets: employees, attendance/,
    ],
    [
      'a supporter dataset',
      { dataset: 'public_statistics' },
      ValidationError,
      'dataset',
      /cannot be uploaded/,
    ],
    ['a negative size', { sizeBytes: -5 }, ValidationError, 'sizeBytes', /at least 1/],
    ['a zero size', { sizeBytes: 0 }, ValidationError, 'sizeBytes', /at least 1/],
    ['a fractional size', { sizeBytes: 10.5 }, ValidationError, 'sizeBytes', /whole number/],
    ['a size given as text', { sizeBytes: '100' }, ValidationError, 'sizeBytes', /whole number/],
    [
      'a size above the dataset maximum',
      { sizeBytes: 256 * 1024 ** 2 + 1 },
      PayloadTooLargeError,
      'sizeBytes',
      /at most 256 MiB/,
    ],
    ['a huge size', { sizeBytes: 1e300 }, PayloadTooLargeError, 'sizeBytes', /too large/],
    ['a malformed checksum', { sha256: 'abc' }, ValidationError, 'sha256', /base64/],
    [
      'a checksum of the wrong length',
      { sha256: Buffer.alloc(31).toString('base64') },
      ValidationError,
      'sha256',
      /SHA-256/,
    ],
    [
      'a ZIP archive',
      { contentType: 'application/zip' },
      ValidationError,
      'contentType',
      /ZIP archives are not accepted/,
    ],
    [
      'a macro-enabled Excel workbook',
      { contentType: 'application/vnd.ms-excel.sheet.macroEnabled.12' },
      ValidationError,
      'contentType',
      /never opens macros/,
    ],
    [
      'an OpenDocument spreadsheet',
      { contentType: 'application/vnd.oasis.opendocument.spreadsheet' },
      ValidationError,
      'contentType',
      /"Excel Workbook \(\.xlsx\)" or CSV/,
    ],
    [
      'a tenant id in the body',
      { tenantId: 'tenant-b' },
      ValidationError,
      'tenantId',
      /tenant always comes from your sign-in/,
    ],
    ['a key in the body', { key: 'landing/tenant-b/x' }, ValidationError, 'key', /Unknown field/],
    ['a missing file name', { fileName: undefined }, ValidationError, 'fileName', /file name/],
  ])('refuses %s, naming the field and writing nothing', async (_label, change, type, field, message) => {
    // Prepare
    const ports = uploadPorts();

    // Act
    const error = await refusal(requestUpload(ports, tenantA, { ...employeesRequest, ...change }));

    // Assess
    expect(error).toBeInstanceOf(type);
    expect(error.field).toBe(field);
    expect(error.userMessage.en).toMatch(message);
    expect(error.userMessage.ja.length).toBeGreaterThan(0);
    expect(ports.table.dump('uploads')).toEqual([]);
    expect(ports.table.dump('ledger')).toEqual([]);
  });

  it('refuses a body that is not an object', async () => {
    // Act
    const error = await refusal(requestUpload(uploadPorts(), tenantA, ['employees']));

    // Assess
    expect(error).toBeInstanceOf(MalformedRequestError);
  });

  it.each([
    ['an unregistered company', undefined],
    [
      'a company whose contract has ended',
      { ...activeTenant('tenant-a', { start: '2025-04-01', end: '2026-03-31' }) },
    ],
    ['a terminated company', { ...activeTenant('tenant-a'), state: 'TERMINATED' }],
  ])('refuses uploads from %s', async (_label, tenant) => {
    // Prepare
    const ports = uploadPorts();
    await ports.table.delete('tenants', { tenantId: 'tenant-a' });
    if (tenant) await ports.table.put('tenants', tenant);

    // Act
    const error = await refusal(requestUpload(ports, tenantA, employeesRequest));

    // Assess
    expect(error).toBeInstanceOf(ForbiddenError);
    expect(ports.table.dump('uploads')).toEqual([]);
  });

  it('refuses a ticket at 01:00 JST the day after the contract ended, while UTC still shows its last day', async () => {
    // Prepare: the contract ends 2026-03-31; 2026-03-31T16:00Z is 1 April, 01:00 in Japan.
    const ports = {
      ...uploadPorts(),
      clock: () => new Date('2026-03-31T16:00:00.000Z'),
    };
    await ports.table.put('tenants', activeTenant('tenant-a', { start: '2025-04-01', end: '2026-03-31' }));

    // Act
    const error = await refusal(requestUpload(ports, tenantA, employeesRequest));

    // Assess
    expect(error).toBeInstanceOf(ForbiddenError);
    expect(error.code).toBe('CONTRACT_NOT_RUNNING');
    expect(error.userMessage.ja).toMatch(/2026-04-01/);
    expect(ports.table.dump('uploads')).toEqual([]);
    expect(ports.table.dump('ledger')).toEqual([]);
  });

  it('gives a ticket from 00:00 JST on the contract’s first day, while UTC still shows the day before', async () => {
    // Prepare: the contract starts 2026-04-01; 2026-03-31T15:30Z is 1 April, 00:30 in Japan.
    const ports = {
      ...uploadPorts(),
      clock: () => new Date('2026-03-31T15:30:00.000Z'),
    };
    await ports.table.put('tenants', activeTenant('tenant-a', { start: '2026-04-01' }));

    // Act
    const ticket = await requestUpload(ports, tenantA, employeesRequest);

    // Assess
    expect(ticket.key.startsWith('landing/tenant-a/')).toBe(true);
  });

  it('accepts consent obtained today in Japan while UTC still shows yesterday', async () => {
    // Prepare: 2026-03-31T15:30Z is 1 April, 00:30 in Japan; consent was obtained on 1 April.
    const ports = {
      ...uploadPorts(),
      clock: () => new Date('2026-03-31T15:30:00.000Z'),
    };
    await ports.table.put('tenants', activeTenant('tenant-a', { start: '2025-04-01' }));

    // Act
    const ticket = await requestUpload(ports, tenantA, {
      ...employeesRequest,
      consent: { ...consent, obtainedAt: '2026-04-01' },
    });

    // Assess
    expect(ticket.uploadId).toBeDefined();
  });

  it.each([
    ['PURGING', 'TENANT_PURGED'],
    ['PURGED', 'TENANT_PURGED'],
  ])('refuses uploads from a company whose data is %s', async (state, code) => {
    // Prepare
    const ports = uploadPorts();
    await ports.table.put('tenants', { ...activeTenant('tenant-a'), state });

    // Act
    const error = await refusal(requestUpload(ports, tenantA, employeesRequest));

    // Assess
    expect(error).toBeInstanceOf(ForbiddenError);
    expect(error.code).toBe(code);
    expect(ports.table.dump('uploads')).toEqual([]);
  });

  it('leaves no record when the purge starts while the ticket is being issued', async () => {
    // Prepare: the purge moves the tenant to PURGING right after the record is written.
    const ports = uploadPorts();
    const table = ports.table;
    const racing: Table = {
      get: (name, key) => table.get(name, key),
      query: (request) => table.query(request),
      delete: (name, key) => table.delete(name, key),
      put: async (name, item, condition) => {
        await table.put(name, item, condition);
        if (name === 'uploads' && item.status === 'REQUESTED' && item.sequence === undefined)
          await table.put('tenants', { ...activeTenant('tenant-a'), state: 'PURGING' });
      },
    };

    // Act
    const error = await refusal(requestUpload({ ...ports, table: racing }, tenantA, employeesRequest));

    // Assess
    expect(error.code).toBe('TENANT_PURGED');
    expect(table.dump('uploads')).toEqual([]);
  });

  it('refuses a caller who acts for no company', async () => {
    // Act
    const error = await refusal(
      requestUpload(uploadPorts(), { subject: 's', roles: ['admin'] }, employeesRequest),
    );

    // Assess
    expect(error).toBeInstanceOf(ForbiddenError);
  });

  it('never lets body content move the key out of the caller’s prefix (property)', async () => {
    // Prepare
    const ports = uploadPorts();
    const names = fc.oneof(
      fc.string({ minLength: 1, maxLength: 200 }),
      fc.constantFrom(
        '../tenant-b/x.csv',
        '%2e%2e/%2e%2e/tenant-b',
        '/landing/tenant-b/sales/u/x.csv',
        'a\u0000b',
        'x'.repeat(10_000),
      ),
    );

    // Act + Assess
    await fc.assert(
      fc.asyncProperty(
        names,
        fc.constantFrom('employees', 'sales', 'attendance'),
        async (fileName, dataset) => {
          const ticket = await requestUpload(ports, tenantA, { ...employeesRequest, dataset, fileName });
          return (
            ticket.key.startsWith(`landing/tenant-a/${dataset}/${ticket.uploadId}/`) &&
            ticket.key.split('/').length === 5
          );
        },
      ),
      { numRuns: 100 },
    );
  });
});

describe('getUpload and listUploads', () => {
  it('shows a tenant its own upload', async () => {
    // Prepare
    const ports = uploadPorts();
    const ticket = await requestUpload(ports, tenantA, employeesRequest);

    // Act
    const upload = await getUpload(ports, tenantA, ticket.uploadId);

    // Assess
    expect(upload).toMatchObject({ uploadId: ticket.uploadId, status: 'REQUESTED', dataset: 'employees' });
    expect(upload).not.toHaveProperty('consent');
  });

  it('answers NotFound, not Forbidden, for another tenant’s upload', async () => {
    // Prepare
    const ports = uploadPorts();
    const ticket = await requestUpload(ports, tenantA, employeesRequest);

    // Act
    const error = await refusal(getUpload(ports, tenantB, ticket.uploadId));
    const listed = await listUploads(ports, tenantB);

    // Assess
    expect(error).toBeInstanceOf(NotFoundError);
    expect(listed.uploads).toEqual([]);
  });

  it('lists a tenant’s uploads page by page', async () => {
    // Prepare
    const ports = uploadPorts();
    for (let i = 0; i < 3; i++)
      await requestUpload(ports, tenantA, { ...employeesRequest, dataset: 'sales' });
    await requestUpload(ports, tenantB, { ...employeesRequest, dataset: 'sales' });

    // Act
    const first = await listUploads(ports, tenantA, { limit: 2 });
    const second = await listUploads(ports, tenantA, { limit: 2, cursor: first.cursor });

    // Assess
    expect(first.uploads).toHaveLength(2);
    expect(second.uploads).toHaveLength(1);
    expect([...first.uploads, ...second.uploads].every((u) => u.tenantId === 'tenant-a')).toBe(true);
  });
});
