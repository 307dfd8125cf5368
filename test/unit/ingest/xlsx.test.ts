import { strToU8, zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import type { DatasetName } from '../../../functions/domain/catalog/schema.ts';
import { ingestObject } from '../../../functions/domain/ingest/ingest.ts';
import { sheetDigest } from '../../../functions/domain/ingest/sheet-digest.ts';
import { checkArchive } from '../../../functions/domain/ingest/xlsx.ts';
import { defaultSettings } from '../../../functions/domain/settings.ts';
import { acceptedContentType } from '../../../functions/domain/uploads/content-type.ts';
import type { UploadRecord } from '../../../functions/domain/uploads/model.ts';
import { withDeclaredSize, type XlsxCell, type XlsxSheet, xlsx, xlsxParts } from '../../support/xlsx.ts';
import { memoryPorts, readRecord, stageUpload } from './fixtures.ts';
import { readParquet } from './parquet.ts';

/**
 * Issue 17: Excel workbooks (.xlsx) go through the same validation as CSV. Values are read as Excel stores
 * them (a date is a serial number styled as a date, a duration a day fraction styled [h]:mm, a formula's
 * cached result), and every bad workbook (macros, merged cells in the data, a zip bomb) is refused with a
 * message naming where, with nothing stored. Every value is synthetic.
 */
const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
const HEADER: XlsxCell[] = ['社員番号', '勤務日', '所定労働時間', '実労働時間', '残業時間'];

async function ingest(
  body: Uint8Array,
  options: { dataset?: DatasetName; record?: Partial<UploadRecord> } = {},
) {
  const ports = memoryPorts();
  const staged = await stageUpload(ports, body, {
    dataset: options.dataset ?? 'attendance',
    fileName: 'kintai.xlsx',
    contentType: XLSX,
    record: options.record ?? {},
  });
  await ingestObject(ports, defaultSettings, staged.object);
  const record = await readRecord(ports, staged.record);
  const rows = [];
  for (const key of record?.outputs ?? [])
    rows.push(...(await readParquet(await ports.objects.get('raw', key))));
  rows.sort((a, b) => String(a.employee_id).localeCompare(String(b.employee_id)));
  const rawKeys = [...ports.objects.keys('raw')];
  return { record, rows, rawKeys, landing: [...ports.objects.keys('landing')] };
}

const attendance = (rows: XlsxCell[][], extra: Partial<XlsxSheet> = {}): XlsxSheet => ({
  name: '勤怠',
  rows: [['勤怠データ（テスト）'], null, HEADER, ...rows],
  merges: ['A1:E1'],
  ...extra,
});

describe('Excel workbooks', () => {
  it('reads the first sheet as Excel stores it: serial dates, [h]:mm durations, cached formula results', async () => {
    // Prepare: a merged title over a blank row, the header on row 3; a second sheet
    const book = xlsx([
      attendance([
        [
          { furigana: 'X0001', reading: 'エックス' },
          { date: '2026-04-01' },
          8,
          { hours: 9.5 },
          { formula: 'D4-C4', cached: 1.5 },
        ],
        [{ inline: 'X0002' }, { date: '2026-04-02' }, { fixed2: 8 }, 8.25, 0.25],
        ['X0003', { date: '2026-04-03' }, 8, 'x', 0],
        // enough good rows that one error stays within the 5 % a file may have
        ...Array.from({ length: 25 }, (_, i): XlsxCell[] => [
          `Y${String(i).padStart(4, '0')}`,
          { date: '2026-04-04' },
          8,
          8,
          0,
        ]),
      ]),
      { name: '集計', rows: [['合計'], [3]] },
    ]);

    // Act
    const { record, rows } = await ingest(book, { record: { timeFormat: 'decimal' } });

    // Assess
    expect(record?.status).toBe('PARTIALLY_ACCEPTED');
    expect(record?.errors?.map((e) => [e.line, e.code])).toEqual([[6, 'INVALID_NUMBER']]);
    expect(rows).toHaveLength(27);
    expect(rows[0]).toMatchObject({
      employee_id: 'X0001',
      work_date: '2026-04-01',
      actual_hours: 9.5,
      overtime_hours: 1.5,
    });
    expect(rows[1]).toMatchObject({
      employee_id: 'X0002',
      work_date: '2026-04-02',
      scheduled_hours: 8,
      actual_hours: 8.25,
    });
    const codes = record?.warnings?.map((w) => w.code) ?? [];
    expect(codes).toEqual(expect.arrayContaining(['XLSX_SHEETS', 'XLSX_FORMULAS', 'HEADER_ROW_FOUND']));
    const sheets = record?.warnings?.find((w) => w.code === 'XLSX_SHEETS');
    // Sheet names are the company's own text (a sheet per employee would name people): never echoed.
    expect(sheets?.ja).toContain('2 枚');
    expect(JSON.stringify(record)).not.toMatch(/勤怠|集計/);
    expect(record?.warnings?.find((w) => w.code === 'XLSX_FORMULAS')?.en).toContain('E4');
  });

  it('reads a sheet named by the upload, and refuses a name the workbook does not have, counting its sheets without naming them', async () => {
    // Prepare
    const book = xlsx([
      { name: '表紙', rows: [['テスト株式会社']] },
      attendance([['X0001', { date: '2026-04-01' }, 8, 9, 1]], { name: '4月' }),
    ]);

    // Act
    const named = await ingest(book, { record: { sheetDigest: sheetDigest('4月') } });
    const missing = await ingest(book, { record: { sheetDigest: sheetDigest('5月') } });

    // Assess
    expect(named.record?.status).toBe('ACCEPTED');
    expect(named.rows[0]).toMatchObject({ employee_id: 'X0001', actual_hours: 9 });
    expect(missing.record?.reason?.code).toBe('XLSX_SHEET_NOT_FOUND');
    expect(missing.record?.reason?.ja).toContain('2 枚');
    expect(JSON.stringify(missing.record)).not.toMatch(/表紙|4月|5月/);
    expect(JSON.stringify(named.record)).not.toMatch(/表紙|4月/);
  });

  it('refuses a workbook with macros, never opening them, and stores nothing', async () => {
    // Prepare
    const book = xlsx([attendance([['X0001', { date: '2026-04-01' }, 8, 9, 1]])], {
      'xl/vbaProject.bin': strToU8('synthetic macro project'),
    });

    // Act
    const { record, rawKeys, landing } = await ingest(book);

    // Assess
    expect(record?.status).toBe('REJECTED');
    expect(record?.reason?.code).toBe('XLSX_MACROS');
    expect(record?.reason?.ja).toMatch(/^マクロ/);
    expect(rawKeys.filter((k) => k.endsWith('.parquet'))).toEqual([]);
    expect(landing).toEqual([]);
  });

  it('refuses merged cells in the data, naming the range', async () => {
    // Prepare
    const book = xlsx([
      attendance(
        [
          ['X0001', { date: '2026-04-01' }, 8, 9, 1],
          [null, { date: '2026-04-02' }, 8, 9, 1],
        ],
        { merges: ['A1:E1', 'A4:A5'] },
      ),
    ]);

    // Act
    const { record, rawKeys } = await ingest(book);

    // Assess
    expect(record?.reason?.code).toBe('XLSX_MERGED_CELLS');
    expect(record?.reason?.ja).toContain('A4:A5');
    expect(record?.reason?.en).toContain('A4:A5');
    expect(rawKeys.filter((k) => k.endsWith('.parquet'))).toEqual([]);
  });

  it('reads parts written as Excel 365 (Japanese locale) writes them: namespaces, extension attributes, rich text', async () => {
    // Prepare: the sheet and shared strings as Excel saves them, with what the reader must pass over
    // (markup-compatibility and x14ac attributes, sheet views, page setup, phonetic properties, a
    // rich-text header split into runs with xml:space, CRLF between parts) around synthetic values.
    const main = 'http://schemas.openxmlformats.org/spreadsheetml/2006/main';
    const strings = [
      '<si><t>社員番号</t><phoneticPr fontId="1"/></si>',
      '<si><r><rPr><sz val="11"/><rFont val="游ゴシック"/><family val="3"/><charset val="128"/><scheme val="minor"/></rPr><t>勤務</t></r><r><rPr><sz val="11"/><rFont val="游ゴシック"/><family val="3"/><charset val="128"/></rPr><t xml:space="preserve">日</t></r><phoneticPr fontId="1"/></si>',
      '<si><t>所定労働時間</t><phoneticPr fontId="1"/></si>',
      '<si><t>実労働時間</t><phoneticPr fontId="1"/></si>',
      '<si><t>残業時間</t><phoneticPr fontId="1"/></si>',
      '<si><t>R&amp;D-0001</t></si>',
    ];
    const cell = (ref: string, body: string, attrs = '') => `<c r="${ref}"${attrs}>${body}</c>`;
    const rows = [
      `<row r="1" spans="1:5" ht="18.75" customHeight="1" x14ac:dyDescent="0.4">${[0, 1, 2, 3, 4]
        .map((s, i) => cell(`${'ABCDE'[i]}1`, `<v>${s}</v>`, ' s="0" t="s"'))
        .join('')}</row>`,
      `<row r="2" spans="1:5" x14ac:dyDescent="0.4">${cell('A2', '<v>5</v>', ' t="s"')}${cell('B2', '<v>46113</v>', ' s="1"')}${cell('C2', '<v>8</v>')}${cell('D2', '<v>9.25</v>')}${cell('E2', '<f>D2-C2</f><v>1.25</v>')}</row>`,
    ];
    const sheet = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n<worksheet xmlns="${main}" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006" mc:Ignorable="x14ac xr xr2 xr3" xmlns:x14ac="http://schemas.microsoft.com/office/spreadsheetml/2009/9/ac" xmlns:xr="http://schemas.microsoft.com/office/spreadsheetml/2014/revision" xr:uid="{00000000-0001-0000-0000-000000000000}"><dimension ref="A1:E2"/><sheetViews><sheetView tabSelected="1" workbookViewId="0"><selection activeCell="A1" sqref="A1"/></sheetView></sheetViews><sheetFormatPr defaultRowHeight="18.75" x14ac:dyDescent="0.4"/><cols><col min="1" max="1" width="12.625" customWidth="1"/></cols><sheetData>${rows.join('')}</sheetData><phoneticPr fontId="1"/><pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/><pageSetup paperSize="9" orientation="portrait" r:id="rId1"/></worksheet>`;
    const parts = xlsxParts([attendance([])]);
    const book = zipSync({
      ...parts,
      'xl/worksheets/sheet1.xml': strToU8(sheet),
      'xl/sharedStrings.xml': strToU8(
        `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n<sst xmlns="${main}" count="${strings.length}" uniqueCount="${strings.length}">${strings.join('')}</sst>`,
      ),
    });

    // Act
    const { record, rows: stored } = await ingest(book, { record: { timeFormat: 'decimal' } });

    // Assess
    expect(record?.status).toBe('ACCEPTED');
    expect(stored).toEqual([
      expect.objectContaining({
        employee_id: 'R&D-0001',
        work_date: '2026-04-01',
        scheduled_hours: 8,
        actual_hours: 9.25,
        overtime_hours: 1.25,
      }),
    ]);
  });

  it('refuses a sheet whose XML is cut short or declares entities, as a corrupt workbook, and stores nothing', async () => {
    // Prepare: the sheet cut inside a row, and the sheet behind a DTD that defines an entity ("billion laughs")
    const parts = xlsxParts([attendance([['X0001', { date: '2026-04-01' }, 8, 9, 1]])]);
    const sheet = new TextDecoder().decode(parts['xl/worksheets/sheet1.xml']);
    const cut = sheet.slice(0, sheet.indexOf('<row r="4">') + 20);
    const laughs = sheet.replace(
      '<worksheet',
      '<!DOCTYPE worksheet [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]><worksheet',
    );

    for (const xml of [cut, laughs]) {
      // Act
      const { record, rawKeys, landing } = await ingest(
        zipSync({ ...parts, 'xl/worksheets/sheet1.xml': strToU8(xml) }),
      );

      // Assess
      expect(record?.status).toBe('REJECTED');
      expect(record?.reason?.code).toBe('XLSX_CORRUPT');
      expect(record?.reason?.ja).toContain('xl/worksheets/sheet1.xml');
      expect(record?.reason?.en).toContain('corrupt or unreadable');
      expect(rawKeys.filter((k) => k.endsWith('.parquet'))).toEqual([]);
      expect(landing).toEqual([]);
    }
  });

  it('refuses a zip bomb from its declared sizes, before inflating it', async () => {
    // Prepare: 8 MiB of one character compresses about a thousandfold
    const book = xlsx([attendance([['X0001', { date: '2026-04-01' }, 8, 9, 1]])], {
      'xl/media/padding.xml': strToU8('0'.repeat(8 * 1024 ** 2)),
    });

    // Act
    const { record, rawKeys } = await ingest(book);

    // Assess
    expect(record?.reason?.code).toBe('XLSX_ZIP_BOMB');
    expect(record?.reason?.ja).toContain('xl/media/padding.xml');
    expect(rawKeys.filter((k) => k.endsWith('.parquet'))).toEqual([]);
  });

  it('refuses a workbook that inflates to more than it declares, while inflating', async () => {
    // Prepare: the sheet says it is 200 bytes
    const book = withDeclaredSize(
      xlsx([attendance([['X0001', { date: '2026-04-01' }, 8, 9, 1]])]),
      'xl/worksheets/sheet1.xml',
      200,
    );

    // Act
    const { record } = await ingest(book);

    // Assess
    expect(record?.status).toBe('REJECTED');
    expect(record?.reason?.code).toBe('XLSX_ZIP_BOMB');
    expect(record?.reason?.en).toContain('xl/worksheets/sheet1.xml');
  });

  it('takes .xlsx at request time and refuses .xlsm with a message about macros', () => {
    // Act
    const pinned = acceptedContentType(XLSX);

    // Assess
    expect(pinned).toBe(XLSX);
    expect(() => acceptedContentType('application/vnd.ms-excel.sheet.macroEnabled.12')).toThrow(/macro/);
  });
});

describe('checkArchive', () => {
  const entry = (name: string, uncompressedSize: number, compressedSize = uncompressedSize) => ({
    name,
    uncompressedSize,
    compressedSize,
  });

  it('refuses shared strings too large to hold in memory, and too many parts, from the directory alone', () => {
    // Act
    const strings = () =>
      checkArchive([entry('xl/sharedStrings.xml', 65 * 1024 ** 2, 10 * 1024 ** 2)], 2 * 1024 ** 3);
    const parts = () =>
      checkArchive(
        Array.from({ length: 10_001 }, (_, i) => entry(`xl/media/p${i}.xml`, 10)),
        2 * 1024 ** 3,
      );

    // Assess
    expect(strings).toThrow(
      expect.objectContaining({ reason: expect.objectContaining({ code: 'XLSX_TOO_LARGE' }) }),
    );
    expect(parts).toThrow(
      expect.objectContaining({ reason: expect.objectContaining({ code: 'XLSX_ZIP_BOMB' }) }),
    );
  });
});
