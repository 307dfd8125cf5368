import { describe, expect, it } from 'vitest';
import { ingestObject } from '../../../functions/domain/ingest/ingest.ts';
import { defaultSettings } from '../../../functions/domain/settings.ts';
import { memoryPorts, readRecord, stageUpload } from './fixtures.ts';
import { readParquet } from './parquet.ts';

/**
 * Issue 17: exports often carry a title line, an output date or blank rows above the header. The header
 * is the first row whose cells name the dataset's columns; what is above it is skipped (never stored)
 * and the upload says so. A file with no such row in the rows searched is refused, naming those rows.
 */
const HEADER = '社員番号,勤務日,所定労働時間,実労働時間';

async function ingest(body: string) {
  const ports = memoryPorts();
  const staged = await stageUpload(ports, body);
  await ingestObject(ports, defaultSettings, staged.object);
  const record = await readRecord(ports, staged.record);
  const [key] = record?.outputs ?? [];
  const rows = key ? await readParquet(await ports.objects.get('raw', key)) : [];
  const stored = [...ports.objects.keys('raw')].join('\n');
  return { record, rows, stored };
}

describe('the header row', () => {
  it('skips a title line and blank rows above the header, says so, and keeps line numbers true', async () => {
    // Prepare: a title, an output date, a blank row, then the header on line 4; 30 rows, one bad (line 6)
    const rows = Array.from(
      { length: 30 },
      (_, i) => `T${String(i).padStart(3, '0')},2026/4/1,8,${i === 1 ? 'x' : '9'}`,
    );
    const body = ['勤怠データ（テスト株式会社）', '出力日,2026/05/01', '', HEADER, ...rows].join('\r\n');

    // Act
    const { record, rows: stored } = await ingest(`${body}\r\n`);

    // Assess
    expect(record?.status).toBe('PARTIALLY_ACCEPTED');
    expect(record?.rows).toEqual({ total: 30, accepted: 29, rejected: 1 });
    expect(record?.errors?.map((e) => e.line)).toEqual([6]);
    const notice = record?.warnings?.find((w) => w.code === 'HEADER_ROW_FOUND');
    expect(notice?.ja).toContain('4 行目');
    expect(notice?.en).toContain('line 4');
    expect(stored).toHaveLength(29);
    expect(JSON.stringify(stored)).not.toContain('テスト株式会社');
  });

  it('refuses a file with no header in the rows searched, naming them, in Japanese then English', async () => {
    // Prepare: twelve data rows, no header
    const body = Array.from({ length: 12 }, (_, i) => `T${i},2026/4/1,8,9`).join('\r\n');

    // Act
    const { record, stored } = await ingest(`${body}\r\n`);

    // Assess
    expect(record?.status).toBe('REJECTED');
    expect(record?.reason?.code).toBe('NO_HEADER_LINE');
    expect(record?.reason?.ja).toContain('1〜10 行目');
    expect(record?.reason?.en).toContain('lines 1 to 10');
    expect(record?.reason?.ja).not.toContain('T1');
    expect(stored).not.toContain('.parquet');
  });

  it('diagnoses a tab-separated file as such instead of "no header"', async () => {
    // Prepare
    const body = [HEADER.replaceAll(',', '\t'), 'T001\t2026/4/1\t8\t9'].join('\r\n');

    // Act
    const { record } = await ingest(`${body}\r\n`);

    // Assess
    expect(record?.status).toBe('REJECTED');
    expect(record?.reason?.code).toBe('TAB_SEPARATED');
    expect(record?.reason?.ja).toMatch(/^タブ区切り/);
    expect(record?.reason?.en).toContain('comma');
  });

  it('diagnoses CR-only line ends even below a title line', async () => {
    // Act
    const { record } = await ingest(['勤怠データ', HEADER, 'T001,2026/4/1,8,9'].join('\r'));

    // Assess
    expect(record?.reason?.code).toBe('CR_LINE_ENDINGS');
  });
});
