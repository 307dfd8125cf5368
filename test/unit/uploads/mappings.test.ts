import { describe, expect, it } from 'vitest';
import type { Principal } from '../../../functions/domain/auth/principal.ts';
import { KuraError, NotFoundError, ValidationError } from '../../../functions/domain/errors.ts';
import { ingestObject } from '../../../functions/domain/ingest/ingest.ts';
import { defaultSettings } from '../../../functions/domain/settings.ts';
import {
  deleteColumnMapping,
  getColumnMapping,
  saveColumnMapping,
} from '../../../functions/domain/uploads/mappings.ts';
import { requestUpload } from '../../../functions/domain/uploads/uploads.ts';
import { memoryPorts, readRecord, stageUpload } from '../ingest/fixtures.ts';
import { readParquet } from '../ingest/parquet.ts';
import { csvSha256, tenantA, tenantB, uploadPorts } from './fixtures.ts';

const company: Principal = { subject: 'sub-1', roles: ['tenant'], tenantId: 't-0001' };
const clock = () => new Date('2026-04-01T00:00:00.000Z');

async function refusal(promise: Promise<unknown>): Promise<KuraError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof KuraError) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('saved column mappings', () => {
  it('maps a company’s own headers once; its later uploads are read through the mapping', async () => {
    // Prepare
    const ports = memoryPorts();
    await saveColumnMapping({ table: ports.table, clock }, company, 'attendance', {
      columns: { 社員CD: 'employee_id', 出勤日: 'work_date', 実績時間: 'actual_hours' },
      timeFormat: 'hours-minutes',
    });
    const staged = await stageUpload(ports, '社員CD,出勤日,実績時間,備考\r\nC001,2026/04/01,9.30,\r\n');

    // Act
    await ingestObject(ports, defaultSettings, staged.object);

    // Assess
    const record = await readRecord(ports, staged.record);
    expect(record?.status).toBe('ACCEPTED');
    const rows = await readParquet(await ports.objects.get('raw', record?.outputs?.[0] ?? ''));
    expect(rows[0]).toMatchObject({ employee_id: 'C001', work_date: '2026-04-01', actual_hours: 9.5 });
  });

  it('refuses a target that is not a column, and a "header" that looks like a value or a My Number column', async () => {
    // Prepare
    const ports = { table: memoryPorts().table, clock };
    const save = (columns: Record<string, string>) =>
      refusal(saveColumnMapping(ports, company, 'employees', { columns }));

    // Act
    const notAColumn = await save({ 社員CD: 'salary' });
    const aDate = await save({ '1990/01/01': 'birth_date' });
    const anEmail = await save({ 'test@example.com': 'email' });
    const myNumber = await save({ 個人番号: 'employee_id' });

    // Assess
    expect(notAColumn).toBeInstanceOf(ValidationError);
    expect(notAColumn.message).toContain('employee_id');
    for (const error of [aDate, anEmail, myNumber]) expect(error).toBeInstanceOf(ValidationError);
    expect(
      await ports.table.get('uploads', { tenantId: 't-0001', uploadId: 'mapping#employees' }),
    ).toBeUndefined();
  });

  it('shows and deletes only the caller’s own mapping', async () => {
    // Prepare
    const ports = { table: memoryPorts().table, clock };
    await saveColumnMapping(ports, tenantA, 'payroll', { columns: { 社員CD: 'employee_id' } });

    // Act
    const own = await getColumnMapping(ports.table, tenantA, 'payroll');
    const other = await refusal(getColumnMapping(ports.table, tenantB, 'payroll'));
    const deletedByOther = await deleteColumnMapping(ports.table, tenantB, 'payroll');
    const deleted = await deleteColumnMapping(ports.table, tenantA, 'payroll');

    // Assess
    expect(own.columns).toEqual({ 社員CD: 'employee_id' });
    expect(other).toBeInstanceOf(NotFoundError);
    expect(deletedByOther).toEqual({ deleted: false });
    expect(deleted).toEqual({ deleted: true });
    expect(await refusal(getColumnMapping(ports.table, tenantA, 'payroll'))).toBeInstanceOf(NotFoundError);
  });
});

describe('profile on an upload request', () => {
  const request = (profile: string) => ({
    dataset: 'sales',
    fileName: 'sales.csv',
    contentType: 'text/csv',
    sizeBytes: 10,
    sha256: csvSha256,
    profile,
  });

  it('refuses an unknown profile and one without a layout for the dataset, naming the profiles', async () => {
    // Act
    const unknown = await refusal(requestUpload(uploadPorts(), tenantA, request('no-such-system')));
    const noLayout = await refusal(requestUpload(uploadPorts(), tenantA, request('smarthr')));

    // Assess
    expect(unknown).toBeInstanceOf(ValidationError);
    expect(unknown.message).toContain('kingoftime');
    expect(noLayout).toBeInstanceOf(ValidationError);
  });
});
