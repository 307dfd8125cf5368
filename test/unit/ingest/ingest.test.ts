import { gzipSync } from 'node:zlib';
import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import { ingestObject } from '../../../functions/domain/ingest/ingest.ts';
import { defaultSettings, platformSettingsSchema } from '../../../functions/domain/settings.ts';
import { quarantineKey, rawKey, reportKey } from '../../../functions/domain/zones.ts';
import { memoryPorts, readRecord, runningTenant, stageUpload, type TestPorts } from './fixtures.ts';
import { readParquet } from './parquet.ts';

const sjis = (text: string) => new Uint8Array(iconv.encode(text, 'cp932'));
const crlf = (...lines: string[]) => `${lines.join('\r\n')}\r\n`;
const ATTENDANCE_HEADER = '社員番号,勤務日,所定労働時間,実労働時間,残業時間';

async function ingest(
  ports: TestPorts,
  body: Uint8Array | string,
  options: Parameters<typeof stageUpload>[2] = {},
) {
  const staged = await stageUpload(ports, body, options);
  const result = await ingestObject(ports, defaultSettings, staged.object);
  const record = await readRecord(ports, staged.record);
  return { staged, result, record };
}

describe('ingestObject: outcomes', () => {
  it('accepts a Shift_JIS attendance file with a few bad rows as PARTIALLY_ACCEPTED with exact row errors', async () => {
    // Prepare: 40 rows, 2 of them bad (5% allowed)
    const ports = memoryPorts();
    const good = Array.from(
      { length: 38 },
      (_, i) => `${String(i + 1).padStart(4, '0')},令和5年4月${(i % 28) + 1}日,8,８.５,0.5`,
    );
    const body = sjis(crlf(ATTENDANCE_HEADER, ...good, '0100,平成31年5月1日,8,8,0', '0101,2023/4/1,8,25,0'));

    // Act
    const { result, record, staged } = await ingest(ports, body);

    // Assess
    expect(result).toEqual({ kind: 'processed', status: 'PARTIALLY_ACCEPTED' });
    expect(record?.rows).toEqual({ total: 40, accepted: 38, rejected: 2 });
    expect(record?.encoding).toBe('cp932');
    expect(record?.errors?.map((e) => [e.line, e.column, e.code, e.value])).toEqual([
      [40, '勤務日', 'ERA_MISMATCH', '平成31年5月1日'],
      [41, '実労働時間', 'OUT_OF_RANGE', '＊＊＊'],
    ]);
    const key = rawKey('t-0001', 'attendance', '2023-04', staged.record.uploadId);
    expect(record?.outputs).toEqual([key]);
    const rows = await readParquet(await ports.objects.get('raw', key));
    expect(rows).toHaveLength(38);
    expect(rows[0]).toMatchObject({ employee_id: '0001', work_date: '2023-04-01', actual_hours: 8.5 });
    expect(ports.objects.keys('landing')).toEqual([]);
  });

  it('round-trips NEC and IBM extension characters of a Shift_JIS file exactly', async () => {
    // Prepare
    const ports = memoryPorts();
    const body = sjis(
      crlf(
        '社員番号,氏名,生年月日,性別,入社日,雇用形態,部署',
        '0001,髙橋 ①郎,昭和60年1月2日,男,2010/4/1,正社員,㈱本社',
      ),
    );

    // Act
    const { record } = await ingest(ports, body, { dataset: 'employees', fileName: 'meibo.csv' });

    // Assess
    expect(record?.status).toBe('ACCEPTED');
    const [row] = await readParquet(await ports.objects.get('raw', record?.outputs?.[0] ?? ''));
    expect(row).toMatchObject({
      name: '髙橋 ①郎',
      department: '㈱本社',
      birth_date: '1985-01-02',
      gender: 'male',
      employment_type: 'regular',
    });
  });

  it('rejects a file with a byte invalid in Shift_JIS, naming its line', async () => {
    // Prepare: line 3 holds a lead byte followed by an invalid trail byte
    const ports = memoryPorts();
    const head = sjis(crlf(ATTENDANCE_HEADER, '0001,2023/4/1,8,8,0'));
    const body = Buffer.concat([head, Buffer.from([0x30, 0x30, 0x30, 0x32, 0x2c, 0x81, 0x20, 0x0d, 0x0a])]);

    // Act
    const { record, staged } = await ingest(ports, body);

    // Assess
    expect(record?.status).toBe('REJECTED');
    expect(record?.reason?.code).toBe('INVALID_ENCODING');
    expect(record?.reason?.en).toContain('Line 3');
    expect(record?.reason?.ja).toContain('3 行目');
    expect(record?.errors?.map((e) => [e.line, e.code])).toEqual([[3, 'INVALID_ENCODING']]);
    expect(record?.outputs).toEqual([]);
    expect(ports.objects.keys('raw')).toEqual([reportKey('t-0001', staged.record.uploadId)]);
  });

  it('rejects invalid UTF-8 after valid Japanese text, naming the line', async () => {
    // Prepare
    const ports = memoryPorts();
    const head = Buffer.from(crlf(ATTENDANCE_HEADER, '0001,2023/4/1,8,8,0', '0002,2023/4/1,8,8,0'), 'utf8');
    const body = Buffer.concat([head, Buffer.from([0x30, 0xe3, 0x81, 0x0d, 0x0a])]);

    // Act
    const { record } = await ingest(ports, body);

    // Assess
    expect(record?.reason).toMatchObject({ code: 'INVALID_ENCODING' });
    expect(record?.reason?.en).toContain('Line 4');
  });

  it('reads UTF-8 with a BOM and Excel quoting, and names lines after a multi-line field', async () => {
    // Prepare: a quoted name with a comma, a line break and doubled quotes; then a bad row
    const ports = memoryPorts();
    const body = `\uFEFF${crlf(
      '社員番号,氏名,生年月日,性別,入社日,雇用形態',
      '0001,"山田, ""太郎""\r\n（旧姓 佐藤）",1990-01-01,女,2020-04-01,パート',
      '0002,鈴木,1991-13-01,男,2020-04-01,正社員',
    )}\r\n`;

    // Act
    const { record } = await ingest(ports, body, { dataset: 'employees' });

    // Assess
    expect(record?.encoding).toBe('utf-8-bom');
    expect(record?.rows).toEqual({ total: 2, accepted: 1, rejected: 1 });
    expect(record?.errors?.map((e) => [e.line, e.column, e.code])).toEqual([[4, '生年月日', 'INVALID_DATE']]);
    expect(record?.status).toBe('REJECTED');
    expect(record?.reason?.code).toBe('TOO_MANY_INVALID_ROWS');
  });

  it('keeps the multi-line value and the doubled quotes of an accepted row', async () => {
    // Prepare
    const ports = memoryPorts();
    const body = crlf(
      '社員番号,氏名,生年月日,性別,入社日,雇用形態',
      '0001,"山田, ""太郎""\r\n2行目",1990-01-01,F,2020-04-01,契約',
    );

    // Act
    const { record } = await ingest(ports, body, { dataset: 'employees' });

    // Assess
    const [row] = await readParquet(await ports.objects.get('raw', record?.outputs?.[0] ?? ''));
    expect(row).toMatchObject({
      name: '山田, "太郎"\r\n2行目',
      gender: 'female',
      employment_type: 'contract',
    });
  });

  it('accepts a gzip-compressed file', async () => {
    // Prepare
    const ports = memoryPorts();
    const body = gzipSync(sjis(crlf(ATTENDANCE_HEADER, '0001,R5.4.1,8,8,0')));

    // Act
    const { record } = await ingest(ports, body, {
      fileName: 'kintai.csv.gz',
      contentType: 'application/gzip',
    });

    // Assess
    expect(record?.status).toBe('ACCEPTED');
    expect(record?.rows).toEqual({ total: 1, accepted: 1, rejected: 0 });
  });

  it('rejects an empty file and a file with a header but no rows', async () => {
    // Prepare
    const ports = memoryPorts();

    // Act
    const empty = await ingest(ports, '');
    const headerOnly = await ingest(ports, crlf(ATTENDANCE_HEADER, ',,,,', ''));

    // Assess
    expect(empty.record?.reason?.code).toBe('EMPTY_FILE');
    expect(headerOnly.record?.reason?.code).toBe('NO_ROWS');
    expect(headerOnly.record?.rows).toEqual({ total: 0, accepted: 0, rejected: 0 });
  });

  it('refuses a corrupt gzip file', async () => {
    // Prepare
    const ports = memoryPorts();
    const whole = gzipSync(Buffer.from(crlf(ATTENDANCE_HEADER, '0001,R5.4.1,8,8,0')));
    const body = Buffer.concat([whole.subarray(0, 12), Buffer.from('not deflate data at all')]);

    // Act
    const { record } = await ingest(ports, body, {
      fileName: 'kintai.csv.gz',
      contentType: 'application/gzip',
    });

    // Assess
    expect(record?.status).toBe('REJECTED');
    expect(record?.reason?.code).toBe('BAD_GZIP');
  });

  it('ignores empty unnamed columns but refuses a value in one, naming its line', async () => {
    // Prepare
    const ports = memoryPorts();

    // Act
    const empty = await ingest(
      ports,
      crlf(`${ATTENDANCE_HEADER},,`, '0001,2023/4/1,8,8,0,,', '0002,2023/4/1,8,8,0,,'),
    );
    const filled = await ingest(
      ports,
      crlf(`${ATTENDANCE_HEADER},`, '0001,2023/4/1,8,8,0,', '0002,2023/4/1,8,8,0,メモ'),
    );

    // Assess
    expect(empty.record?.status).toBe('ACCEPTED');
    expect(filled.record?.reason?.code).toBe('UNNAMED_COLUMN');
    expect(filled.record?.reason?.en).toBe(
      'Column 6 has no header but holds a value on line 3. Give it a header or remove the column.',
    );
  });

  it('refuses a zip archive with a clear message', async () => {
    // Prepare
    const ports = memoryPorts();
    const body = Buffer.concat([Buffer.from([0x50, 0x4b, 0x03, 0x04]), Buffer.alloc(40)]);

    // Act
    const { record } = await ingest(ports, body, { fileName: 'kintai.zip', contentType: 'application/zip' });

    // Assess
    expect(record?.status).toBe('REJECTED');
    expect(record?.reason?.code).toBe('ZIP_NOT_ACCEPTED');
    expect(record?.reason?.en).toContain('ZIP archives are not accepted');
  });

  it('drops unknown columns before storing anything, warns by position (never echoing them), and names missing ones', async () => {
    // Prepare (issue 17: an export with a column Kura does not know used to be rejected whole)
    const ports = memoryPorts();

    // Act
    const unknown = await ingest(ports, crlf('社員番号,勤務日,好きな食べ物', '0001,2023/4/1,寿司'));
    const missing = await ingest(ports, crlf('社員番号,実労働時間', '0001,8'));

    // Assess
    expect(unknown.record?.status).toBe('ACCEPTED');
    expect(unknown.record?.warnings?.map((w) => w.code)).toEqual(['UNKNOWN_COLUMNS_DROPPED']);
    expect(unknown.record?.warnings?.[0]?.ja).toContain('3 列目');
    expect(unknown.record?.warnings?.[0]?.en).toContain('column 3 of the header line');
    const stored = [
      JSON.stringify(unknown.record),
      ...(
        await Promise.all(
          ['raw', 'curated'].flatMap((bucket) =>
            ports.objects.keys(bucket).map(async (key) => Buffer.from(await ports.objects.get(bucket, key))),
          ),
        )
      ).map((bytes) => bytes.toString('latin1') + bytes.toString('utf8')),
    ].join('\n');
    expect(stored).not.toContain('好きな食べ物');
    expect(stored).not.toContain('寿司');
    const [output] = unknown.record?.outputs ?? [];
    const rows = await readParquet(await ports.objects.get('raw', output ?? ''));
    expect(JSON.stringify(rows)).not.toContain('寿司');
    expect(Object.keys(rows[0] ?? {}).every((name) => !name.startsWith('__unnamed'))).toBe(true);
    expect(missing.record?.reason?.code).toBe('MISSING_COLUMNS');
    expect(missing.record?.reason?.en).toContain('"work_date"');
  });

  it('suggests the column a misspelt header most likely meant, and refuses a My Number in a dropped column', async () => {
    // Prepare
    const ports = memoryPorts();

    // Act
    const typo = await ingest(ports, crlf('社員番号,勤務日,残業時問', '0001,2023/4/1,1.5'));
    const hidden = await ingest(ports, crlf('社員番号,勤務日,備考', '0001,2023/4/1,123456789018'));

    // Assess
    expect(typo.record?.status).toBe('ACCEPTED');
    expect(typo.record?.warnings?.[0]?.ja).toContain('「残業時間」のことであれば');
    expect(typo.record?.warnings?.[0]?.en).toContain('"overtime_hours"');
    expect(hidden.record?.status).toBe('REJECTED');
    expect(hidden.record?.reason?.code).toBe('MY_NUMBER_VALUE');
    expect(hidden.record?.reason?.en).toContain('column 3');
  });

  it('refuses a file with a My Number column and asks to remove it', async () => {
    // Prepare
    const ports = memoryPorts();

    // Act
    const { record } = await ingest(
      ports,
      crlf('社員番号,マイナンバー,勤務日', '0001,123456789012,2023/4/1'),
    );

    // Assess
    expect(record?.status).toBe('REJECTED');
    expect(record?.reason?.code).toBe('IDENTIFICATION_CODE_COLUMN');
    expect(record?.reason?.en).toContain('Remove column 2 of the header line (My Number)');
    expect(ports.objects.keys('raw').filter((k) => k.startsWith('raw/'))).toEqual([]);
  });

  it('rejects a file whose invalid rows exceed the dataset ratio, writing no Parquet', async () => {
    // Prepare: 2 of 10 rows invalid (20% > 5%)
    const ports = memoryPorts();
    const rows = Array.from({ length: 8 }, (_, i) => `${i},2023/4/${i + 1},8,8,0`);
    const body = crlf(ATTENDANCE_HEADER, ...rows, 'x,2023/4/31,8,8,0', 'y,2023/4/1,8,-1,0');

    // Act
    const { record, staged } = await ingest(ports, body);

    // Assess
    expect(record?.status).toBe('REJECTED');
    expect(record?.rows).toEqual({ total: 10, accepted: 8, rejected: 2 });
    expect(record?.outputs).toEqual([]);
    expect(ports.objects.keys('raw')).toEqual([reportKey('t-0001', staged.record.uploadId)]);
  });

  it('writes the full error report to the raw bucket and masks personal values', async () => {
    // Prepare
    const ports = memoryPorts();
    const rows = Array.from({ length: 30 }, (_, i) => `${i},2023/4/1,8,8,0`);
    const body = crlf(ATTENDANCE_HEADER, ...rows, '31,2023/4/1,abc,8,0');

    // Act
    const { record, staged } = await ingest(ports, body);

    // Assess
    const report = JSON.parse(
      Buffer.from(await ports.objects.get('raw', reportKey('t-0001', staged.record.uploadId))).toString(
        'utf8',
      ),
    );
    expect(report.rows).toEqual({ total: 31, accepted: 30, rejected: 1 });
    expect(report.errors).toEqual([
      expect.objectContaining({ line: 32, column: '所定労働時間', code: 'INVALID_NUMBER', value: '＊＊＊' }),
    ]);
    expect(record?.errors).toEqual(report.errors);
  });

  it('reports duplicate rows by key after the first', async () => {
    // Prepare
    const ports = memoryPorts();
    const rows = Array.from({ length: 25 }, (_, i) => `${i},2023/4/1,8,8,0`);
    const body = crlf(ATTENDANCE_HEADER, ...rows, '3,2023-04-01,7,7,0');

    // Act
    const { record } = await ingest(ports, body);

    // Assess
    expect(record?.status).toBe('PARTIALLY_ACCEPTED');
    expect(record?.errors?.map((e) => [e.line, e.column, e.code])).toEqual([
      [27, '社員番号', 'DUPLICATE_ROW'],
    ]);
    expect(record?.rows).toEqual({ total: 26, accepted: 25, rejected: 1 });
    const written = await readParquet(await ports.objects.get('raw', record?.outputs?.[0] ?? ''));
    expect(written).toHaveLength(25);
    expect(written.filter((row) => row.employee_id === '3')).toEqual([
      expect.objectContaining({ actual_hours: 8 }),
    ]);
  });

  it('neutralises formulas in text but keeps signed numbers as numbers', async () => {
    // Prepare
    const ports = memoryPorts();
    const body = crlf('年月,売上高,粗利,営業利益', '2023/4,"1,200,000",-500,▲300');
    const employees = crlf(
      '社員番号,氏名,生年月日,性別,入社日,雇用形態',
      '0001,"=HYPERLINK(""x"")",1990-01-01,男,2020-04-01,役員',
    );

    // Act
    const sales = await ingest(ports, body, { dataset: 'sales' });
    const people = await ingest(ports, employees, { dataset: 'employees' });

    // Assess
    const [sale] = await readParquet(await ports.objects.get('raw', sales.record?.outputs?.[0] ?? ''));
    expect(sale).toMatchObject({
      period_month: '2023-04',
      sales_amount: 1200000,
      gross_profit: -500,
      operating_profit: -300,
    });
    const [person] = await readParquet(await ports.objects.get('raw', people.record?.outputs?.[0] ?? ''));
    expect(person).toMatchObject({ name: `'=HYPERLINK("x")` });
  });

  it('applies the row, column and field limits from settings', async () => {
    // Prepare
    const ports = memoryPorts();
    const run = async (limits: Record<string, number>, body: string) => {
      const staged = await stageUpload(ports, body);
      await ingestObject(ports, platformSettingsSchema.parse({ limits }), staged.object);
      return readRecord(ports, staged.record);
    };

    // Act
    const rows = await run({ maxRows: 2 }, crlf('社員番号,勤務日', '1,2023/4/1', '2,2023/4/2', '3,2023/4/3'));
    const columns = await run(
      { maxColumns: 3 },
      crlf('社員番号,勤務日,実労働時間,残業時間', '1,2023/4/1,8,0'),
    );
    const field = await run({ maxFieldBytes: 16 }, crlf('社員番号,勤務日', '12345678901234567890,2023/4/1'));

    // Assess
    expect(rows?.reason?.code).toBe('TOO_MANY_ROWS');
    expect(columns?.reason?.code).toBe('TOO_MANY_COLUMNS');
    expect(field?.reason).toMatchObject({ code: 'FIELD_TOO_LARGE' });
    expect(field?.errors?.[0]?.line).toBe(2);
  });

  it('reports a row with the wrong number of columns and keeps counting lines', async () => {
    // Prepare
    const ports = memoryPorts();
    const rows = Array.from({ length: 24 }, (_, i) => `${i},2023/4/1,8,8,0`);
    const body = crlf(ATTENDANCE_HEADER, '100,2023/4/2,8,8,0,extra', ...rows);

    // Act
    const { record } = await ingest(ports, body);

    // Assess
    expect(record?.rows).toEqual({ total: 25, accepted: 24, rejected: 1 });
    expect(record?.errors?.map((e) => [e.line, e.code])).toEqual([[2, 'COLUMN_COUNT']]);
  });
});

describe('ingestObject: verification and idempotency', () => {
  it('quarantines an object without an upload record and raises an alarm', async () => {
    // Prepare
    const ports = memoryPorts();
    const errors: Record<string, unknown>[] = [];
    const logged = {
      ...ports,
      logger: {
        info() {},
        warn() {},
        error: (_: string, extra?: Record<string, unknown>) => errors.push(extra ?? {}),
      },
    };
    const staged = await stageUpload(ports, crlf(ATTENDANCE_HEADER), { writeRecord: false, uploadId: 'u-1' });

    // Act
    const result = await ingestObject(logged, defaultSettings, staged.object);

    // Assess
    expect(result).toMatchObject({ kind: 'quarantined', reason: { code: 'NO_UPLOAD_RECORD' } });
    expect(ports.objects.keys('landing')).toEqual([quarantineKey('t-0001', 'u-1')]);
    expect(errors).toEqual([
      expect.objectContaining({ alarm: 'IngestQuarantine', code: 'NO_UPLOAD_RECORD' }),
    ]);
  });

  it('quarantines and rejects an object whose size differs from the declared one', async () => {
    // Prepare
    const ports = memoryPorts();

    // Act
    const { result, record } = await ingest(ports, crlf(ATTENDANCE_HEADER, '1,2023/4/1,8,8,0'), {
      record: { sizeBytes: 3 },
    });

    // Assess
    expect(result.kind).toBe('quarantined');
    expect(record?.status).toBe('REJECTED');
    expect(record?.reason?.code).toBe('SIZE_MISMATCH');
  });

  it('quarantines and rejects a file above the size limit', async () => {
    // Prepare
    const ports = memoryPorts();
    const body = crlf(ATTENDANCE_HEADER, ...Array.from({ length: 100_000 }, (_, i) => `${i},2023/4/1,8,8,0`));
    const staged = await stageUpload(ports, body);
    const settings = platformSettingsSchema.parse({ limits: { maxFileBytes: 1024 ** 2 } });

    // Act
    const result = await ingestObject(ports, settings, staged.object);

    // Assess
    expect(result).toMatchObject({ kind: 'quarantined', reason: { code: 'FILE_TOO_LARGE' } });
    expect((await readRecord(ports, staged.record))?.reason?.en).toBe(
      'The file is larger than the 1 MiB limit. Split it and upload the parts.',
    );
  });

  it('quarantines and rejects an object whose SHA-256 differs from the declared one', async () => {
    // Prepare: no checksum on head, so ingestion computes it while streaming
    const ports = memoryPorts();

    // Act
    const { record, staged } = await ingest(ports, crlf(ATTENDANCE_HEADER, '1,2023/4/1,8,8,0'), {
      record: { sha256: 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=' },
    });

    // Assess
    expect(record?.status).toBe('REJECTED');
    expect(record?.reason?.code).toBe('CHECKSUM_MISMATCH');
    expect(ports.objects.keys('landing')).toEqual([quarantineKey('t-0001', staged.record.uploadId)]);
    expect(ports.objects.keys('raw')).toEqual([]);
  });

  it('uses the checksum S3 stored when there is one', async () => {
    // Prepare
    const ports = memoryPorts({ checksums: true });

    // Act
    const { record } = await ingest(ports, crlf(ATTENDANCE_HEADER, '1,2023/4/1,8,8,0'), {
      record: { sha256: 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=' },
    });

    // Assess
    expect(record?.reason?.code).toBe('CHECKSUM_MISMATCH');
  });

  it('quarantines a file that lands for a withdrawn upload, and the record stays withdrawn', async () => {
    // Prepare: the company withdrew the upload before sending its file
    const ports = memoryPorts();

    // Act
    const { result, record } = await ingest(ports, crlf(ATTENDANCE_HEADER, '1,2023/4/1,8,8,0'), {
      record: { status: 'WITHDRAWN' },
    });

    // Assess
    expect(result).toMatchObject({ kind: 'quarantined', reason: { code: 'UPLOAD_WITHDRAWN' } });
    expect(record?.status).toBe('WITHDRAWN');
    expect(ports.objects.keys('raw')).toEqual([]);
    expect(ports.objects.keys('landing').filter((k) => k.startsWith('landing/'))).toEqual([]);
  });

  it('produces one result when the same object is delivered twice', async () => {
    // Prepare
    const ports = memoryPorts();
    const masked: string[] = [];
    const withMasking = {
      ...ports,
      afterAccepted: async (_: string, uploadId: string) => void masked.push(uploadId),
    };
    const staged = await stageUpload(ports, crlf(ATTENDANCE_HEADER, '1,2023/4/1,8,8,0'));

    // Act
    const first = await ingestObject(withMasking, defaultSettings, staged.object);
    const after = await readRecord(ports, staged.record);
    const second = await ingestObject(withMasking, defaultSettings, staged.object);

    // Assess
    expect(first).toEqual({ kind: 'processed', status: 'ACCEPTED' });
    expect(second.kind).toBe('ignored');
    expect(await readRecord(ports, staged.record)).toEqual(after);
    expect(masked).toEqual([staged.record.uploadId]);
  });

  it('finishes the last steps of a delivery that stopped after recording its outcome, without a second result', async () => {
    // Prepare: masking fails once, after the outcome was recorded
    const ports = memoryPorts();
    let attempts = 0;
    const flaky = {
      ...ports,
      afterAccepted: async () => {
        attempts++;
        if (attempts === 1) throw new Error('masking unavailable');
      },
    };
    const staged = await stageUpload(ports, crlf(ATTENDANCE_HEADER, '1,2023/4/1,8,8,0'));
    const failed = await ingestObject(flaky, defaultSettings, staged.object).catch(
      (error: Error) => error.message,
    );
    const after = await readRecord(ports, staged.record);

    // Act
    const redelivered = await ingestObject(flaky, defaultSettings, staged.object);

    // Assess
    expect(failed).toBe('masking unavailable');
    expect(after?.status).toBe('ACCEPTED');
    expect(redelivered).toEqual({ kind: 'duplicate', status: 'ACCEPTED' });
    expect(attempts).toBe(2);
    expect(await readRecord(ports, staged.record)).toEqual(after);
    expect(ports.objects.keys('landing')).toEqual([]);
  });

  it('ignores a late delivery once the object has been processed and removed', async () => {
    // Prepare
    const ports = memoryPorts();
    const staged = await stageUpload(ports, crlf(ATTENDANCE_HEADER, '1,2023/4/1,8,8,0'));
    await ingestObject(ports, defaultSettings, staged.object);
    const after = await readRecord(ports, staged.record);

    // Act
    const late = await ingestObject(ports, defaultSettings, {
      ...staged.object,
      sequencer: '0055AED6DCD90281E4',
    });

    // Assess
    expect(late.kind).toBe('ignored');
    expect(await readRecord(ports, staged.record)).toEqual(after);
  });

  it('moves the upload through RECEIVED and VALIDATING to its outcome', async () => {
    // Prepare
    const ports = memoryPorts();
    await ports.table.put('tenants', runningTenant('t-0001'));
    const statuses: unknown[] = [];
    const put = ports.table.put.bind(ports.table);
    ports.table.put = async (table, item, condition) => {
      statuses.push(item.status);
      return put(table, item, condition);
    };
    const staged = await stageUpload(ports, crlf(ATTENDANCE_HEADER, '1,2023/4/1,8,8,0'));

    // Act
    await ingestObject(ports, defaultSettings, staged.object);

    // Assess
    expect(statuses).toEqual(['REQUESTED', 'RECEIVED', 'VALIDATING', 'ACCEPTED']);
  });
});

describe('ingestObject: the upload record', () => {
  it('keeps attributes of the upload record it does not know about', async () => {
    // Prepare
    const ports = memoryPorts();
    const staged = await stageUpload(ports, crlf(ATTENDANCE_HEADER, '1,2023/4/1,8,8,0'));
    const item = await ports.table.get('uploads', { tenantId: 't-0001', uploadId: staged.record.uploadId });
    // (expiresAtEpoch, the example this test used before, is now the record's own TTL: in-flight.ts.)
    await ports.table.put('uploads', { ...item, addedByANewerVersion: 'kept' });

    // Act
    await ingestObject(ports, defaultSettings, staged.object);

    // Assess
    const after = await ports.table.get('uploads', { tenantId: 't-0001', uploadId: staged.record.uploadId });
    expect(after).toMatchObject({ status: 'ACCEPTED', addedByANewerVersion: 'kept' });
  });
});

describe('ingestObject: line numbers in a large file', () => {
  it('names the right lines after many multi-line fields, however DuckDB splits the reading', async () => {
    // Prepare: 30,000 employees; every 97th name spans two lines; every 1,000th birth date is impossible
    const ports = memoryPorts();
    const lines = ['社員番号,氏名,生年月日,性別,入社日,雇用形態'];
    const expected: number[] = [];
    let line = 2;
    for (let i = 0; i < 30_000; i++) {
      const name = i % 97 === 0 ? `"山田\r\n${i}"` : `山田${i}`;
      const birth = i % 1000 === 500 ? '1990/2/30' : '1990/2/28';
      if (i % 1000 === 500) expected.push(line);
      lines.push(`${i},${name},${birth},男,2020/4/1,正社員`);
      line += i % 97 === 0 ? 2 : 1;
    }

    // Act
    const { record } = await ingest(ports, crlf(...lines), { dataset: 'employees' });

    // Assess
    expect(record?.status).toBe('PARTIALLY_ACCEPTED');
    expect(record?.errors?.map((e) => e.line)).toEqual(expected);
    expect(record?.errors?.every((e) => e.code === 'INVALID_DATE' && e.column === '生年月日')).toBe(true);
  });
});
