/**
 * No personal value ever reaches a message, a reason, a record, a report, quarantine or a log line:
 * a "header" that is really a data row, CR-only line ends, My Numbers in any column or under any
 * header spelling, files that do not match their request, and cells that break a rule.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { getDataset } from '../../../functions/domain/catalog/index.ts';
import type { ColumnDef } from '../../../functions/domain/catalog/schema.ts';
import { ingestObject } from '../../../functions/domain/ingest/ingest.ts';
import type { IngestLogger } from '../../../functions/domain/ingest/ports.ts';
import { quarantineRecordSchema } from '../../../functions/domain/ingest/quarantine.ts';
import { myNumberCheckDigit } from '../../../functions/domain/japanese/my-number.ts';
import { isPersonal } from '../../../functions/domain/masking/policy.ts';
import { defaultSettings } from '../../../functions/domain/settings.ts';
import type { UploadRecord } from '../../../functions/domain/uploads/model.ts';
import { quarantineKey } from '../../../functions/domain/zones.ts';
import { memoryPorts, readRecord, sha256Base64, stageUpload, type TestPorts } from './fixtures.ts';

const EMPLOYEES = getDataset('employees');
const crlf = (...lines: string[]) => `${lines.join('\r\n')}\r\n`;
const HEADER = EMPLOYEES.columns.map((c) => c.ja).join(',');
const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

/** A synthetic My Number (valid check digit; no one's). */
const myNumber = (first11: string) => `${first11}${myNumberCheckDigit(first11)}`;

/** A logger that keeps every line it is given, as JSON. */
function capturingLogger(): IngestLogger & { readonly lines: string[] } {
  const lines: string[] = [];
  const keep =
    (level: string) =>
    (message: string, ...extra: Record<string, unknown>[]) => {
      lines.push(JSON.stringify({ level, message, extra }));
    };
  return { lines, info: keep('info'), warn: keep('warn'), error: keep('error') };
}

/** Everything ingestion wrote that people or logs read (not the raw Parquet, which holds the rows). */
async function everythingReadable(ports: TestPorts, upload: UploadRecord) {
  const readable: string[] = [];
  readable.push(JSON.stringify((await readRecord(ports, upload)) ?? null));
  for (const key of ports.objects.keys('raw')) {
    if (key.startsWith('reports/')) readable.push(text(await ports.objects.get('raw', key)));
  }
  for (const key of ports.objects.keys('landing')) {
    if (key.startsWith('quarantine/')) readable.push(text(await ports.objects.get('landing', key)));
  }
  return readable;
}

async function run(body: string, options: Parameters<typeof stageUpload>[2] = {}) {
  const ports = memoryPorts();
  const logger = capturingLogger();
  const staged = await stageUpload(ports, body, { dataset: 'employees', fileName: 'meibo.csv', ...options });
  const result = await ingestObject({ ...ports, logger }, defaultSettings, staged.object);
  const record = await readRecord(ports, staged.record);
  const readable = [...(await everythingReadable(ports, staged.record)), ...logger.lines];
  return { ports, staged, result, record, readable };
}

const row = (values: Partial<Record<string, string>>) =>
  EMPLOYEES.columns.map((c) => values[c.name] ?? '').join(',');
const person = {
  employee_id: 'Z900001',
  name: '架空 ヤマダタロウ',
  name_kana: 'カクウ ヤマダ',
  birth_date: '1987-03-14',
  gender: '男',
  hire_date: '2012-04-01',
  postal_code: '100-0001',
  address: '架空県架空市一丁目2番',
  phone: '090-1111-2222',
  email: 'kakuu.yamada@example.co.jp',
  department: '架空部',
  grade: 'G3',
  employment_type: '正社員',
  bank_account: '123-4567890',
};

describe('personal values in what ingestion says', () => {
  it('describes a file without a header line by position, never echoing its first row', async () => {
    // Prepare: the first line is a person
    const body = crlf(row(person), row({ ...person, employee_id: 'Z900002' }));

    // Act
    const { record, readable } = await run(body);

    // Assess
    expect(record?.reason?.code).toBe('NO_HEADER_LINE');
    for (const value of [person.name, person.birth_date, person.address, person.email])
      for (const text of readable) expect(text).not.toContain(value);
  });

  it('refuses CR-only line ends without echoing the lines', async () => {
    // Prepare
    const body = [HEADER, row(person), row({ ...person, employee_id: 'Z900002' })].join('\r');

    // Act
    const { record, readable } = await run(body);

    // Assess
    expect(record?.reason?.code).toBe('CR_LINE_ENDINGS');
    for (const text of readable) expect(text).not.toContain(person.name);
  });

  it.each([
    '個人番号（マイナンバー）',
    'マイナンバー(12桁)',
    'マイナンバー（１２桁）',
    '個人番号',
    '従業員マイナンバー',
    '［個人番号］',
    'my number',
  ])('refuses a My Number column headed %s', async (header) => {
    // Prepare
    const body = crlf(`${HEADER},${header}`, `${row(person)},${myNumber('12345678901')}`);

    // Act
    const { record, readable } = await run(body);

    // Assess
    expect(record?.reason?.code).toBe('IDENTIFICATION_CODE_COLUMN');
    for (const text of readable) expect(text).not.toContain(myNumber('12345678901'));
  });

  it('refuses a My Number in any column, by its check digit, naming the line and never the value', async () => {
    // Prepare: whole, grouped and full-width, in the grade and phone columns
    const numbers = [myNumber('98765432109'), myNumber('11122233344')];
    const body = crlf(
      HEADER,
      row(person),
      row({ ...person, employee_id: 'Z900002', grade: numbers[0] }),
      row({
        ...person,
        employee_id: 'Z900003',
        phone: `${numbers[1]?.slice(0, 4)}-${numbers[1]?.slice(4, 8)}-${numbers[1]?.slice(8)}`,
      }),
    );

    // Act
    const { record, readable, ports } = await run(body);

    // Assess
    expect(record?.status).toBe('REJECTED');
    expect(record?.reason?.code).toBe('MY_NUMBER_VALUE');
    expect(record?.reason?.ja).toContain('2 か所');
    expect(record?.reason?.en).toContain('line 3 in "等級"');
    for (const number of numbers) for (const text of readable) expect(text).not.toContain(number);
    expect(ports.objects.keys('landing')).toEqual([]);
    expect(ports.objects.keys('raw').filter((k) => k.startsWith('raw/'))).toEqual([]);
  });

  it('keeps no byte of a mismatched file with a My Number in quarantine: its hash and the reason only', async () => {
    // Prepare: the declared size is off
    const number = myNumber('55566677788');
    const body = crlf(`${HEADER},マイナンバー`, `${row(person)},${number}`);

    // Act
    const { record, readable, ports, staged } = await run(body, { record: { sizeBytes: 3 } });

    // Assess
    expect(record?.reason?.code).toBe('SIZE_MISMATCH');
    expect(ports.objects.keys('landing')).toEqual([quarantineKey('t-0001', staged.record.uploadId)]);
    const kept = quarantineRecordSchema.parse(
      JSON.parse(text(await ports.objects.get('landing', quarantineKey('t-0001', staged.record.uploadId)))),
    );
    expect(kept).toMatchObject({
      sha256: sha256Base64(new TextEncoder().encode(body)),
      sizeBytes: new TextEncoder().encode(body).length,
      declared: { sizeBytes: 3 },
      reason: { code: 'SIZE_MISMATCH' },
    });
    expect(Date.parse(kept.expiresAt) - Date.parse(kept.quarantinedAt)).toBe(
      defaultSettings.retention.landingDays * 86_400_000,
    );
    for (const text of readable) {
      expect(text).not.toContain(number);
      expect(text).not.toContain(person.name);
    }
  });
});

// --- the property -----------------------------------------------------------------------------

const KATAKANA = [
  ...'アイウエオカキクケコサシスセソタチツテトナニヌネノハヒフヘホマミムメモヤユヨラリルレロワ',
];
const katakana = (min: number, max: number) =>
  fc.array(fc.constantFrom(...KATAKANA), { minLength: min, maxLength: max }).map((a) => a.join(''));
const digitString = (n: number) =>
  fc.array(fc.integer({ min: 0, max: 9 }), { minLength: n, maxLength: n }).map((d) => d.join(''));
const isoDate = (from: number, to: number) =>
  fc
    .tuple(
      fc.integer({ min: from, max: to }),
      fc.integer({ min: 1, max: 12 }),
      fc.integer({ min: 1, max: 28 }),
    )
    .map(([y, m, d]) => `${y}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`);

/** One synthetic person: every personal column with a distinctive value. */
const personArbitrary = (index: number) =>
  fc.record({
    employee_id: digitString(5).map((d) => `Z${index}${d}`),
    name: fc.tuple(katakana(2, 4), katakana(2, 4)).map(([a, b]) => `架空${a} ${b}`),
    name_kana: fc.tuple(katakana(3, 5), katakana(3, 5)).map(([a, b]) => `${a} ${b}`),
    birth_date: isoDate(1950, 2004),
    gender: fc.constantFrom('男', '女', 'F', 'male'),
    hire_date: isoDate(1995, 2023),
    postal_code: fc.tuple(digitString(3), digitString(4)).map(([a, b]) => `${a}-${b}`),
    address: fc
      .tuple(katakana(2, 5), fc.integer({ min: 1, max: 40 }))
      .map(([a, n]) => `架空県${a}町${n}丁目`),
    phone: fc.tuple(digitString(4), digitString(4)).map(([a, b]) => `080-${a}-${b}`),
    email: fc.stringMatching(/^[a-z]{5,9}$/).map((u) => `${u}@example.jp`),
    department: katakana(3, 5).map((d) => `${d}課`),
    grade: fc.constantFrom('G1', 'G2', '主任'),
    employment_type: fc.constantFrom('正社員', 'パート', '契約社員'),
    bank_account: fc.tuple(digitString(3), digitString(7)).map(([a, b]) => `${a}-${b}`),
  });

const DEFECTS = [
  'none',
  'no-header',
  'cr-only',
  'data-in-header',
  'bad-cells',
  'my-number-cell',
  'size-mismatch',
  'checksum-mismatch',
  'column-count',
] as const;
type Defect = (typeof DEFECTS)[number];

/** Values a test may look for: personal columns' cells, long enough not to occur by chance. */
function personalValues(people: readonly Record<string, string>[]): string[] {
  const personal = (c: ColumnDef) => isPersonal(c.privacy) && c.type !== 'enum';
  return people.flatMap((p) =>
    EMPLOYEES.columns.filter(personal).flatMap((c) => {
      const value = p[c.name] ?? '';
      return value.length >= 5 ? [value] : [];
    }),
  );
}

describe('the privacy invariant of ingestion', () => {
  it('never lets a personal cell value into a message, reason, record, report, quarantine or log line', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc
          .integer({ min: 2, max: 6 })
          .chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => personArbitrary(i)))),
        fc.constantFrom(...DEFECTS),
        digitString(11),
        fc.nat(),
        async (people, defect: Defect, first11, pick) => {
          // Prepare
          const rows = people.map((p) => row(p));
          const mutable = people.map((p) => ({ ...p }) as Record<string, string>);
          const target = pick % people.length;
          const number = myNumber(first11);
          let header = HEADER;
          let options: Parameters<typeof stageUpload>[2] = {};
          if (defect === 'bad-cells') {
            const person = mutable[target] as Record<string, string>;
            person.birth_date = `${person.birth_date}x`;
            person.name = `${person.name}${'長'.repeat(100)}`;
            person.gender = `${person.name}?`;
            rows[target] = row(person);
          }
          if (defect === 'my-number-cell') {
            const column =
              (['grade', 'address', 'phone', 'department', 'email'] as const)[pick % 5] ?? 'grade';
            (mutable[target] as Record<string, string>)[column] =
              `${column === 'address' ? '番号' : ''}${number}`;
            rows[target] = row(mutable[target] as Record<string, string>);
          }
          if (defect === 'data-in-header') {
            header = HEADER.split(',')
              .map((h, i) => (i === 1 ? (people[0]?.name ?? h) : h))
              .join(',');
          }
          if (defect === 'column-count') rows[target] = `${rows[target]},${people[target]?.address}`;
          const lines = defect === 'no-header' ? rows : [header, ...rows];
          const body = defect === 'cr-only' ? `${lines.join('\r')}\r` : crlf(...lines);
          if (defect === 'size-mismatch') options = { record: { sizeBytes: 1 } };
          if (defect === 'checksum-mismatch')
            options = { record: { sha256: sha256Base64(new Uint8Array([1])) } };

          // Act
          const { readable } = await run(body, options);

          // Assess
          const secrets = [...personalValues([...people, ...mutable]), number];
          for (const text of readable) for (const secret of secrets) expect(text).not.toContain(secret);
        },
      ),
      { numRuns: 40 },
    );
  }, 120_000);
});
