/**
 * The naive baseline (issue 9, benchmark 2): the straightforward row-by-row Node pipeline a team
 * would write first — iconv-lite decode stream, csv-parse stream, a zod schema per row (NFKC codes,
 * slash/ISO dates, non-negative hours), node:crypto createHmac per employee id, and a pure-JS
 * Parquet writer (hyparquet-writer, row groups of 100,000). One measured run per process:
 *
 *   npx tsx bench/naive-child.ts --file <csv> --encoding sjis|utf8 --out <parquet>
 */
import { createHmac, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { parseArgs } from 'node:util';
import { parse } from 'csv-parse';
import { fileWriter, parquetWriteRows } from 'hyparquet-writer';
import iconv from 'iconv-lite';
import * as z from 'zod';
import { getDataset } from '../functions/domain/catalog/index.ts';
import { peakRssMiB } from './lib/report.ts';

const { values } = parseArgs({
  options: { file: { type: 'string' }, encoding: { type: 'string' }, out: { type: 'string' } },
});
const { file, encoding, out } = values;
if (!file || !encoding || !out)
  throw new Error('usage: naive-child.ts --file <csv> --encoding sjis|utf8 --out <parquet>');

const code = z
  .string()
  .transform((v) => v.normalize('NFKC').trim())
  .pipe(z.string().regex(/^[0-9A-Za-z-]{1,32}$/));
const date = z
  .string()
  .transform((v) => v.normalize('NFKC').trim().replace(/\//g, '-'))
  .transform((v) =>
    v.replace(
      /^(\d{4})-(\d{1,2})-(\d{1,2})$/,
      (_, y, m, d) => `${y}-${m.padStart(2, '0')}-${d.padStart(2, '0')}`,
    ),
  )
  .pipe(z.iso.date());
const hours = z.coerce.number().min(0).max(24);
const rowSchema = z.object({
  employee_id: code,
  work_date: date,
  scheduled_hours: hours,
  actual_hours: hours,
  overtime_hours: hours,
  late_night_hours: hours,
  holiday_hours: hours,
  paid_leave_days: z.coerce.number().min(0).max(1),
});

// Headers map through the catalogue (Japanese or English), as Kura's own header rules do.
const dataset = getDataset('attendance');
const headerMap = new Map<string, string>();
for (const column of dataset.columns) {
  for (const name of [column.name, column.ja, ...(column.aliases ?? [])]) headerMap.set(name, column.name);
}

const key = randomBytes(32);
const started = performance.now();
let rows = 0;
let invalid = 0;
const source = createReadStream(file, { highWaterMark: 1 << 20 });
const decoded =
  encoding === 'sjis' ? source.pipe(iconv.decodeStream('cp932')) : source.pipe(iconv.decodeStream('utf8'));
const parser = decoded.pipe(
  parse({
    columns: (header: string[]) => header.map((h) => headerMap.get(h.replace(/^\ufeff/, '')) ?? h),
    bom: true,
  }),
);

async function* validRows(): AsyncGenerator<Record<string, unknown>> {
  for await (const record of parser) {
    rows++;
    const parsed = rowSchema.safeParse(record);
    if (!parsed.success) {
      invalid++;
      continue;
    }
    const { employee_id, ...rest } = parsed.data;
    yield { employee_token: createHmac('sha256', key).update(employee_id).digest('hex'), ...rest };
  }
}

await parquetWriteRows({
  writer: fileWriter(out),
  rows: validRows(),
  columns: [
    { name: 'employee_token', type: 'STRING' },
    { name: 'work_date', type: 'STRING' },
    { name: 'scheduled_hours', type: 'DOUBLE' },
    { name: 'actual_hours', type: 'DOUBLE' },
    { name: 'overtime_hours', type: 'DOUBLE' },
    { name: 'late_night_hours', type: 'DOUBLE' },
    { name: 'holiday_hours', type: 'DOUBLE' },
    { name: 'paid_leave_days', type: 'DOUBLE' },
  ],
  rowGroupSize: 100_000,
});
const ms = performance.now() - started;
process.stdout.write(`${JSON.stringify({ ms, peakMiB: peakRssMiB(), rows, invalid })}\n`);
