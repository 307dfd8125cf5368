import { describe, expect, it } from 'vitest';
import type { TimeFormat } from '../../../functions/domain/catalog/schema.ts';
import { ingestObject } from '../../../functions/domain/ingest/ingest.ts';
import { defaultSettings } from '../../../functions/domain/settings.ts';
import { memoryPorts, readRecord, stageUpload } from './fixtures.ts';
import { readParquet } from './parquet.ts';

/**
 * Issue 17, item 3: the same text means different hours depending on a setting the file does not record
 * (freee 勤怠: 10進数 `1.50`, 60進数 `1.30`, 分単位 `90` are all 1 h 30 min). The upload declares its time
 * format; without a declaration, a file whose hours read both ways is refused with a way out, not guessed.
 */
const HEADER = '社員番号,勤務日,所定労働時間,実労働時間,残業時間';
const file = (...rows: string[]) => `${[HEADER, ...rows].join('\r\n')}\r\n`;

async function ingest(body: string, timeFormat?: TimeFormat) {
  const ports = memoryPorts();
  const staged = await stageUpload(ports, body, { record: timeFormat ? { timeFormat } : {} });
  await ingestObject(ports, defaultSettings, staged.object);
  const record = await readRecord(ports, staged.record);
  const [key] = record?.outputs ?? [];
  const rows = key ? await readParquet(await ports.objects.get('raw', key)) : [];
  return { record, rows };
}

describe('declared time formats', () => {
  it.each([
    ['decimal', '8.00', '9.50', '1.50'],
    ['hours-minutes', '8.00', '9.30', '1.30'],
    ['minutes', '480', '570', '90'],
    ['decimal', '8:00', '9:30', '1:30'],
    ['hours-minutes', '8:00', '9:30', '1:30'],
    ['minutes', '8:00', '9:30', '1:30'],
  ] as const)(
    'reads %s hours %s / %s / %s as 8 h, 9.5 h and 1.5 h',
    async (format, scheduled, actual, overtime) => {
      // Act
      const { record, rows } = await ingest(file(`0001,2026/4/1,${scheduled},${actual},${overtime}`), format);

      // Assess
      expect(record?.status).toBe('ACCEPTED');
      expect(rows[0]).toMatchObject({ scheduled_hours: 8, actual_hours: 9.5, overtime_hours: 1.5 });
    },
  );

  it('refuses minutes of 60 or more in 60進数, and fractions in minutes, as row errors naming the format', async () => {
    // Prepare: 40 good rows and one bad (within the 5 % a file may have)
    const good = (hours: string) =>
      Array.from(
        { length: 40 },
        (_, i) => `${String(i + 2).padStart(4, '0')},2026/4/${(i % 28) + 1},${hours}`,
      );

    // Act
    const sexagesimal = await ingest(
      file('0001,2026/4/1,8.00,9.75,1.30', ...good('8.00,9.30,1.30')),
      'hours-minutes',
    );
    const minutes = await ingest(file('0001,2026/4/1,480,570,90.5', ...good('480,570,90')), 'minutes');

    // Assess
    expect(sexagesimal.record?.status).toBe('PARTIALLY_ACCEPTED');
    expect(sexagesimal.record?.errors?.map((e) => [e.line, e.code])).toEqual([[2, 'INVALID_TIME']]);
    expect(sexagesimal.record?.errors?.[0]?.message.en).toContain('hours-minutes');
    expect(minutes.record?.status).toBe('PARTIALLY_ACCEPTED');
    expect(minutes.record?.errors?.map((e) => [e.line, e.code])).toEqual([[2, 'INVALID_TIME']]);
    expect(minutes.record?.errors?.[0]?.message.en).toContain('whole minutes');
  });

  it('refuses an undeclared file whose hours read two ways, saying how to declare it; never guesses', async () => {
    // Act
    const ambiguous = await ingest(file('0001,2026/4/1,8.00,9.30,1.30', '0002,2026/4/1,8.00,8.45,0.45'));
    const quarters = await ingest(file('0001,2026/4/1,8.00,9.50,1.50', '0002,2026/4/1,8.00,8.75,0.75'));
    const decimalShown = await ingest(file('0001,2026/4/1,8.00,9.30,1.30', '0002,2026/4/1,8.00,8.8,0.8'));

    // Assess
    expect(ambiguous.record?.status).toBe('REJECTED');
    expect(ambiguous.record?.reason?.code).toBe('TIME_FORMAT_AMBIGUOUS');
    expect(ambiguous.record?.reason?.ja).toContain('--time-format');
    expect(ambiguous.record?.reason?.en).toContain('line 2');
    expect(JSON.stringify(ambiguous.record?.reason)).not.toContain('9.30');
    expect(quarters.record?.status).toBe('ACCEPTED');
    expect(decimalShown.record?.status).toBe('ACCEPTED');
    expect(decimalShown.rows[0]).toMatchObject({ actual_hours: 9.3 });
  });
});
