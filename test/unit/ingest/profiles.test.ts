import { describe, expect, it } from 'vitest';
import type { DatasetName } from '../../../functions/domain/catalog/schema.ts';
import { ingestObject } from '../../../functions/domain/ingest/ingest.ts';
import { defaultSettings } from '../../../functions/domain/settings.ts';
import type { UploadRecord } from '../../../functions/domain/uploads/model.ts';
import { memoryPorts, readRecord, stageUpload } from './fixtures.ts';
import { readParquet } from './parquet.ts';

/**
 * Issue 17: a file exported from a company's HR, attendance or payroll system is read in that system's
 * layout (its header names, its time format) through a built-in import profile, named by the upload or
 * detected from the header. Every value below is synthetic: codes, not people.
 */
const csv = (...lines: string[]) => `${lines.join('\r\n')}\r\n`;

async function ingest(dataset: DatasetName, body: string, record: Partial<UploadRecord> = {}) {
  const ports = memoryPorts();
  const staged = await stageUpload(ports, body, { dataset, record });
  await ingestObject(ports, defaultSettings, staged.object);
  const stored = await readRecord(ports, staged.record);
  const rows = [];
  for (const key of stored?.outputs ?? [])
    rows.push(...(await readParquet(await ports.objects.get('raw', key))));
  // Parquet keeps no row order: by employee number, as the assertions list them.
  rows.sort((a, b) => String(a.employee_id).localeCompare(String(b.employee_id)));
  return { record: stored, rows };
}

describe('built-in import profiles', () => {
  it('reads a KING OF TIME daily export in 60進数 (declared) under --profile kingoftime', async () => {
    // Prepare: the vendor's item names, a code and a department beside them (dropped)
    const body = csv(
      '所属コード,所属名,従業員コード,日付,所定時間,労働合計時間,残業時間,深夜時間',
      'D01,テスト部,K0001,2026/04/01,8.00,9.30,1.30,0.15',
      'D01,テスト部,K0002,2026/04/01,8.00,8.00,0.00,0.00',
    );

    // Act
    const { record, rows } = await ingest('attendance', body, {
      profile: 'kingoftime',
      timeFormat: 'hours-minutes',
    });

    // Assess
    expect(record?.status).toBe('ACCEPTED');
    expect(record?.importProfile).toEqual({ name: 'kingoftime', detected: false });
    expect(rows[0]).toMatchObject({
      employee_id: 'K0001',
      work_date: '2026-04-01',
      scheduled_hours: 8,
      actual_hours: 9.5,
      overtime_hours: 1.5,
      late_night_hours: 0.25,
    });
  });

  it('reads a freee勤怠管理Plus daily export in 10進数 under --profile freee-kintai-plus', async () => {
    // Prepare
    const body = csv(
      '従業員コード,日付,所定時間,労働合計時間,残業時間',
      'F0001,2026/04/02,8.00,9.50,1.50',
      'F0002,2026/04/02,8.00,8.25,0.25',
    );

    // Act
    const { record, rows } = await ingest('attendance', body, {
      profile: 'freee-kintai-plus',
      timeFormat: 'decimal',
    });

    // Assess
    expect(record?.status).toBe('ACCEPTED');
    expect(rows.map((r) => [r.employee_id, r.actual_hours, r.overtime_hours])).toEqual([
      ['F0001', 9.5, 1.5],
      ['F0002', 8.25, 0.25],
    ]);
  });

  it('detects the KING OF TIME layout (freee勤怠管理Plus writes the same) without --profile, keeping its hours', async () => {
    // Prepare: 労働合計時間 is a name only this layout uses
    const body = csv('従業員コード,日付,労働合計時間', 'K0001,2026/04/01,9.30');

    // Act
    const { record, rows } = await ingest('attendance', body, { timeFormat: 'hours-minutes' });

    // Assess
    expect(record?.status).toBe('ACCEPTED');
    expect(record?.importProfile).toEqual({ name: 'kingoftime', detected: true });
    expect(record?.warnings?.find((w) => w.code === 'PROFILE_DETECTED')?.ja).toContain('freee勤怠管理Plus');
    expect(rows[0]).toMatchObject({ employee_id: 'K0001', actual_hours: 9.5 });
  });

  it('detects freee人事労務 from the header and reads its hours as decimal (its only format)', async () => {
    // Prepare: 1.30 would be refused as ambiguous without a profile; freee人事労務 writes decimals only
    const body = csv(
      '従業員番号,日付,所定労働時間,総勤務時間,時間外労働時間',
      'H0001,2026-04-03,8.0,9.30,1.30',
      'H0002,2026-04-03,8.0,8.0,0.0',
    );

    // Act
    const { record, rows } = await ingest('attendance', body);

    // Assess
    expect(record?.status).toBe('ACCEPTED');
    expect(record?.importProfile).toEqual({ name: 'freee-hr', detected: true });
    expect(record?.warnings?.find((w) => w.code === 'PROFILE_DETECTED')?.ja).toContain('freee人事労務');
    expect(rows[0]).toMatchObject({ employee_id: 'H0001', actual_hours: 9.3, overtime_hours: 1.3 });
  });

  it('detects freee人事労務 in an employee export', async () => {
    // Prepare
    const body = csv(
      '従業員番号,部門,生年月日,性別,入社日,雇用形態',
      'H0001,テスト部,1990-01-01,男性,2020-04-01,正社員',
    );

    // Act
    const { record, rows } = await ingest('employees', body);

    // Assess
    expect(record?.status).toBe('ACCEPTED');
    expect(record?.importProfile).toEqual({ name: 'freee-hr', detected: true });
    expect(rows[0]).toMatchObject({ employee_id: 'H0001', department: 'テスト部', gender: 'male' });
  });

  it('detects ジョブカン from the header; 1:30 and 1.50 both read as 1.5 h and a blank zero as empty', async () => {
    // Prepare
    const body = csv(
      'スタッフコード,日付,所定労働時間,労働時間,残業時間,深夜時間',
      'J0001,2026/04/04,8.00,9:30,1:30,',
      'J0002,2026/04/04,8.00,9.50,1.50,',
    );

    // Act
    const { record, rows } = await ingest('attendance', body);

    // Assess
    expect(record?.status).toBe('ACCEPTED');
    expect(record?.importProfile).toEqual({ name: 'jobcan', detected: true });
    expect(rows.map((r) => [r.employee_id, r.actual_hours, r.overtime_hours, r.late_night_hours])).toEqual([
      ['J0001', 9.5, 1.5, null],
      ['J0002', 9.5, 1.5, null],
    ]);
  });

  it('detects マネーフォワード クラウド勤怠 and reads its 60進数 hours as declared', async () => {
    // Prepare
    const body = csv('従業員コード,日付,総労働時間,残業時間', 'M0001,2026/04/05,9.45,1.45');

    // Act
    const { record, rows } = await ingest('attendance', body, { timeFormat: 'hours-minutes' });

    // Assess
    expect(record?.status).toBe('ACCEPTED');
    expect(record?.importProfile).toEqual({ name: 'moneyforward', detected: true });
    expect(rows[0]).toMatchObject({ employee_id: 'M0001', actual_hours: 9.75, overtime_hours: 1.75 });
  });

  it('reads a マネーフォワード クラウド給与 payroll export under --profile moneyforward', async () => {
    // Prepare
    const body = csv(
      '従業員コード,支給年月,基本給,残業手当,総支給額,控除合計,差引支給額',
      'M0001,2026/04,250000,12000,262000,52000,210000',
    );

    // Act
    const { record, rows } = await ingest('payroll', body, { profile: 'moneyforward' });

    // Assess
    expect(record?.status).toBe('ACCEPTED');
    expect(record?.importProfile).toEqual({ name: 'moneyforward', detected: false });
    expect(rows[0]).toMatchObject({
      employee_id: 'M0001',
      pay_month: '2026-04',
      base_pay: 250000,
      net_pay: 210000,
    });
  });

  it('reads a SmartHR employee list under --profile smarthr', async () => {
    // Prepare
    const body = csv(
      '社員番号,姓,名,生年月日,性別,入社年月日,雇用形態,部署,役職',
      'S0001,テスト,太郎,1988/02/03,女性,2019/10/01,契約社員,テスト部,G2',
    );

    // Act
    const { record, rows } = await ingest('employees', body, { profile: 'smarthr' });

    // Assess
    expect(record?.status).toBe('ACCEPTED');
    expect(record?.importProfile).toEqual({ name: 'smarthr', detected: false });
    expect(rows[0]).toMatchObject({
      employee_id: 'S0001',
      birth_date: '1988-02-03',
      gender: 'female',
      hire_date: '2019-10-01',
      employment_type: 'contract',
      grade: 'G2',
    });
    expect(JSON.stringify(rows[0])).not.toContain('太郎');
  });
});

describe('profiles and bad input', () => {
  it('refuses two columns that map to one field, naming both', async () => {
    // Prepare: ジョブカン's 労働時間 and the catalogue's 実労働時間 are the same field
    const body = csv('スタッフコード,日付,労働時間,実労働時間', 'J0001,2026/04/04,9.50,9.50');

    // Act
    const { record } = await ingest('attendance', body);

    // Assess
    expect(record?.status).toBe('REJECTED');
    expect(record?.reason?.code).toBe('DUPLICATE_COLUMNS');
    expect(record?.reason?.ja).toContain('3 列目「労働時間」');
    expect(record?.reason?.ja).toContain('4 列目「実労働時間」');
    expect(record?.reason?.en).toContain('actual_hours');
  });

  it('says which required columns are missing under the profile the upload named', async () => {
    // Prepare: a payroll file without 支給年月
    const body = csv('従業員コード,基本給,総支給額', 'M0001,250000,262000');

    // Act
    const { record } = await ingest('payroll', body, { profile: 'moneyforward' });

    // Assess
    expect(record?.status).toBe('REJECTED');
    expect(record?.reason?.code).toBe('MISSING_COLUMNS');
    expect(record?.reason?.ja).toContain('マネーフォワード');
    expect(record?.reason?.ja).toContain('支給年月');
    expect(record?.reason?.en).toContain('pay_month');
  });
});
