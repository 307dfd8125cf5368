/**
 * Rows whose code, number and date cells are canonical still go through every rule of every other
 * column: an unknown enum spelling, over-long text, an empty required cell or an impossible month is
 * a row error, never a silently stored NULL.
 */
import { describe, expect, it } from 'vitest';
import { ingestObject } from '../../../functions/domain/ingest/ingest.ts';
import { defaultSettings } from '../../../functions/domain/settings.ts';
import { memoryPorts, readRecord, stageUpload, type TestPorts } from './fixtures.ts';
import { readParquet } from './parquet.ts';

const crlf = (...lines: string[]) => `${lines.join('\r\n')}\r\n`;
const EMPLOYEES = '社員番号,氏名,生年月日,性別,入社日,雇用形態';
const employee = (id: number, overrides: { name?: string; gender?: string; type?: string } = {}) =>
  `E${String(id).padStart(4, '0')},${overrides.name ?? '架空 太郎'},1990-01-02,${overrides.gender ?? '男'},2015-04-01,${overrides.type ?? '正社員'}`;

async function ingest(ports: TestPorts, body: string, options: Parameters<typeof stageUpload>[2]) {
  const staged = await stageUpload(ports, body, options);
  await ingestObject(ports, defaultSettings, staged.object);
  const record = await readRecord(ports, staged.record);
  const rows = [];
  for (const key of record?.outputs ?? [])
    rows.push(...(await readParquet(await ports.objects.get('raw', key))));
  return { record, rows };
}

describe('every rule of every column on canonical rows', () => {
  it('reports unknown 性別 and 雇用形態 spellings and over-long names instead of storing NULL', async () => {
    // Prepare: 60 canonical rows, three of them with a value no rule accepts (5% allowed)
    const ports = memoryPorts();
    const body = crlf(
      EMPLOYEES,
      ...Array.from({ length: 57 }, (_, i) => employee(i + 1)),
      employee(58, { gender: '不明' }),
      employee(59, { type: 'ﾊﾟｰﾄ' }),
      employee(60, { name: '架'.repeat(101) }),
    );

    // Act
    const { record, rows } = await ingest(ports, body, { dataset: 'employees', fileName: 'meibo.csv' });

    // Assess
    expect(record?.status).toBe('PARTIALLY_ACCEPTED');
    expect(record?.rows).toEqual({ total: 60, accepted: 57, rejected: 3 });
    expect(record?.errors?.map((e) => [e.line, e.column, e.code])).toEqual([
      [59, '性別', 'INVALID_VALUE'],
      [60, '雇用形態', 'INVALID_VALUE'],
      [61, '氏名', 'TOO_LONG'],
    ]);
    expect(rows).toHaveLength(57);
    expect(rows.filter((r) => r.gender === null || r.employment_type === null)).toEqual([]);
  });

  it('rejects an empty required 性別 on an otherwise canonical row', async () => {
    // Prepare
    const ports = memoryPorts();
    const body = crlf(EMPLOYEES, employee(1), employee(2, { gender: '' }));

    // Act
    const { record } = await ingest(ports, body, { dataset: 'employees', fileName: 'meibo.csv' });

    // Assess: one of two rows in error is over the 5% allowed
    expect(record?.status).toBe('REJECTED');
    expect(record?.errors?.map((e) => [e.line, e.column, e.code])).toEqual([[3, '性別', 'REQUIRED']]);
  });

  it('reports an empty required 部署名 in an organisation file', async () => {
    // Prepare
    const ports = memoryPorts();
    const body = crlf(
      '部署コード,部署名,上位部署コード,人数',
      ...Array.from({ length: 20 }, (_, i) => `D${i + 1},部署${i + 1},,${i + 3}`),
      'D21,,D1,4',
    );

    // Act
    const { record, rows } = await ingest(ports, body, { dataset: 'organization', fileName: 'soshiki.csv' });

    // Assess
    expect(record?.status).toBe('PARTIALLY_ACCEPTED');
    expect(record?.errors?.map((e) => [e.line, e.column, e.code])).toEqual([[22, '部署名', 'REQUIRED']]);
    expect(rows.map((r) => r.department_code)).not.toContain('D21');
  });

  it('reports an impossible month in a sales file instead of storing a row without a period', async () => {
    // Prepare
    const ports = memoryPorts();
    const body = crlf(
      '年月,売上高,顧客数',
      ...Array.from({ length: 12 }, (_, i) => `2025-${String(i + 1).padStart(2, '0')},1000000,30`),
      ...Array.from({ length: 12 }, (_, i) => `2024-${String(i + 1).padStart(2, '0')},1000000,30`),
      '2025-13,1000000,30',
    );

    // Act
    const { record } = await ingest(ports, body, { dataset: 'sales', fileName: 'uriage.csv' });

    // Assess: every stored object has a real period
    expect(record?.errors?.map((e) => [e.line, e.column, e.code])).toEqual([[26, '年月', 'INVALID_DATE']]);
    expect(record?.outputs?.every((key) => /period=\d{4}-\d{2}\//.test(key))).toBe(true);
    expect(record?.outputs).toHaveLength(24);
  });
});
