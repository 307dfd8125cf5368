/**
 * Benchmarks 1 and 2 (issue 9; issue 4's performance clause): a 1,000,000-row attendance CSV from
 * the synthetic generator, UTF-8 and Shift_JIS, through the production ingestion (with and without
 * the masking step the deployed ingest runs in the same invocation) against DuckDB's bare `COPY` of
 * the same rows to Parquet and against a naive row-by-row Node pipeline, all in the same run.
 *
 * Runs interleave (bare, ingest, ingest+mask, bare, …) so a burst of load on a shared machine hits
 * every side alike; ratios are medians of the per-round ratios. Every measured run is its own
 * process, so its peak RSS (VmHWM) is its own.
 */
import { createReadStream, createWriteStream, existsSync, readFileSync } from 'node:fs';
import { mkdir, rename, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { strToU8, Zip, ZipDeflate } from 'fflate';
import iconv from 'iconv-lite';
import { type CsvStyle, csvChunks } from '../local/synthetic/csv.ts';
import {
  generateAttendance,
  generateCompanies,
  generateEmployees,
  type SyntheticAttendance,
} from '../local/synthetic/generate.ts';
import type { IngestRun } from './ingest-child.ts';
import { REPO_ROOT, runChild } from './lib/child.ts';
import { type Figure, median, round, type Section } from './lib/report.ts';

export interface IngestBenchOptions {
  readonly dir: string;
  readonly rows?: number;
  /** Interleaved rounds of (bare, ingest, ingest+mask) per encoding. @default 5 */
  readonly rounds?: number;
  /** Naive pipeline runs per encoding. @default 1 */
  readonly naiveRuns?: number;
  readonly encodings?: readonly ('utf8' | 'sjis')[];
}

const ENCODING_STYLES: Record<'utf8' | 'sjis', CsvStyle> = {
  // Kura's template as a modern export writes it.
  utf8: { headers: 'en', encoding: 'utf8', dates: 'iso' },
  // As Excel and Japanese payroll/attendance software write it: CP932, Japanese headers, 2025/4/1.
  sjis: { headers: 'ja', encoding: 'sjis', dates: 'slash' },
};

/** The first `rows` attendance rows of one large synthetic company (≈4,100 employees × a working year). */
function* attendanceRows(rows: number): Generator<Record<string, unknown>> {
  const [template] = generateCompanies(1, 4_242);
  if (!template) throw new Error('the synthetic generator made no company');
  const company = { ...template, employees: Math.ceil(rows / 240) + 50 };
  let count = 0;
  for (const row of generateAttendance(company, generateEmployees(company))) {
    if (count++ >= rows) return;
    yield { ...row } satisfies SyntheticAttendance;
  }
  if (count < rows) throw new Error(`the synthetic company has only ${count} attendance rows`);
}

/** Writes the benchmark CSV once per size and encoding (cached in the temp dir between runs). */
async function benchmarkFile(dir: string, rows: number, encoding: 'utf8' | 'sjis'): Promise<string> {
  const path = join(dir, `attendance-${rows}-${encoding}.csv`);
  if (existsSync(path)) return path;
  const partial = `${path}.partial`;
  const out = createWriteStream(partial);
  for (const chunk of csvChunks('attendance', attendanceRows(rows), ENCODING_STYLES[encoding], 20_000)) {
    if (!out.write(chunk)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
  }
  await new Promise<void>((resolve, reject) =>
    out.end((error?: Error | null) => (error ? reject(error) : resolve())),
  );
  await rename(partial, path);
  return path;
}

/** DuckDB has no CP932 reader: the bare COPY reads a UTF-8 copy of the same rows (the fairest bare conversion). */
async function utf8Copy(file: string, encoding: 'utf8' | 'sjis'): Promise<string> {
  if (encoding === 'utf8') return file;
  const copy = file.replace(/\.csv$/, '.as-utf8.csv');
  if (!existsSync(copy)) await writeFile(copy, iconv.decode(readFileSync(file), 'cp932'));
  return copy;
}

/**
 * The UTF-8 benchmark CSV as an Excel workbook, as Excel would store it: employee numbers as shared
 * strings, dates as serial numbers styled as dates, hours as numbers; one sheet. Streamed through fflate's
 * Zip so the 1M-row file is never whole in memory (cached beside the CSV; not measured).
 */
async function benchmarkWorkbook(dir: string, rows: number): Promise<string> {
  const path = join(dir, `attendance-${rows}.xlsx`);
  if (existsSync(path)) return path;
  const csv = await benchmarkFile(dir, rows, 'utf8');
  const partial = `${path}.partial`;
  const out = createWriteStream(partial);
  const done = new Promise<void>((resolve, reject) => {
    out.on('finish', () => resolve());
    out.on('error', reject);
  });
  const zip = new Zip((error, chunk, final) => {
    if (error) throw error;
    out.write(chunk);
    if (final) out.end();
  });
  const part = (name: string, xml: string) => {
    const entry = new ZipDeflate(name, { level: 6 });
    zip.add(entry);
    entry.push(strToU8(xml), true);
  };
  const main = 'http://schemas.openxmlformats.org/spreadsheetml/2006/main';
  part(
    '[Content_Types].xml',
    '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>',
  );
  part(
    'xl/workbook.xml',
    `<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="${main}" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="勤怠" sheetId="1" r:id="rId1"/></sheets></workbook>`,
  );
  part(
    'xl/_rels/workbook.xml.rels',
    '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>',
  );
  part(
    'xl/styles.xml',
    `<?xml version="1.0" encoding="UTF-8"?><styleSheet xmlns="${main}"><cellXfs count="2"><xf numFmtId="0"/><xf numFmtId="14" applyNumberFormat="1"/></cellXfs></styleSheet>`,
  );
  const sheet = new ZipDeflate('xl/worksheets/sheet1.xml', { level: 6 });
  zip.add(sheet);
  sheet.push(strToU8(`<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="${main}"><sheetData>`));
  const strings = new Map<string, number>();
  const shared = (text: string) => {
    let index = strings.get(text);
    if (index === undefined) {
      index = strings.size;
      strings.set(text, index);
    }
    return index;
  };
  const columnName = (i: number) => String.fromCharCode(65 + i);
  const lines = createInterface({ input: createReadStream(csv), crlfDelay: Number.POSITIVE_INFINITY });
  let rowNumber = 0;
  let batch: string[] = [];
  for await (const line of lines) {
    if (line === '') continue;
    rowNumber++;
    const cells = line.split(',').map((value, i) => {
      const ref = `${columnName(i)}${rowNumber}`;
      if (rowNumber === 1 || i === 0) return `<c r="${ref}" t="s"><v>${shared(value)}</v></c>`;
      if (value === '') return '';
      if (/^\d{4}-\d{2}-\d{2}$/.test(value))
        return `<c r="${ref}" s="1"><v>${Date.parse(`${value}T00:00:00Z`) / 86_400_000 + 25_569}</v></c>`;
      return `<c r="${ref}"><v>${value}</v></c>`;
    });
    batch.push(`<row r="${rowNumber}">${cells.join('')}</row>`);
    if (batch.length >= 10_000) {
      sheet.push(strToU8(batch.join('')));
      batch = [];
    }
  }
  sheet.push(strToU8(`${batch.join('')}</sheetData></worksheet>`), true);
  const escapeXml = (text: string) => text.replaceAll('&', '&amp;').replaceAll('<', '&lt;');
  part(
    'xl/sharedStrings.xml',
    `<?xml version="1.0" encoding="UTF-8"?><sst xmlns="${main}" count="${strings.size}" uniqueCount="${strings.size}">${[
      ...strings.keys(),
    ]
      .map((text) => `<si><t>${escapeXml(text)}</t></si>`)
      .join('')}</sst>`,
  );
  zip.end();
  await done;
  await rename(partial, path);
  return path;
}

/**
 * Issue 19's ingest + mask figures against DuckDB's bare COPY of the same rows, from interleaved runs:
 * time (median of the per-round ratios, target ≤ 3) and peak RSS (max of runs, target < 512 MiB).
 */
function maskedAgainstBare(
  benchmark: string,
  baseline: string,
  masked: readonly IngestRun[],
  bare: readonly IngestRun[],
): { readonly time: Figure; readonly rss: Figure } {
  const ratio = median(masked.map((r, i) => r.ms / (bare[i]?.ms ?? Number.NaN)));
  const peak = Math.max(...masked.map((r) => r.peakMiB));
  const peakBare = Math.max(...bare.map((r) => r.peakMiB));
  return {
    time: {
      benchmark,
      figure: 'time, ingest + mask (production path)',
      value: round(median(masked.map((r) => r.ms)) / 1000, 3),
      unit: 's',
      baseline,
      baselineValue: round(median(bare.map((r) => r.ms)) / 1000, 3),
      ratio: round(ratio),
      ratioNote: 'median of per-round ratios',
      target: 'ratio ≤ 3',
      met: ratio <= 3,
    },
    rss: {
      benchmark,
      figure: 'peak RSS, ingest + mask (max of runs)',
      value: Math.round(peak),
      unit: 'MiB',
      baseline,
      baselineValue: Math.round(peakBare),
      ratio: round(peak / peakBare),
      target: '< 512 MiB',
      met: peak < 512,
    },
  };
}

/**
 * Excel workbooks (issues 17 and 19): the same rows as an .xlsx through the production ingest, with and
 * without masking, interleaved with DuckDB's bare COPY of the same rows as UTF-8 CSV (issue 19's
 * baseline for every input: DuckDB reads no .xlsx offline) and with the UTF-8 CSV through the same
 * path; each run its own process. Time and peak RSS against both.
 */
export async function runXlsxBenchmark(options: {
  dir: string;
  rows?: number;
  rounds?: number;
}): Promise<Section> {
  const started = performance.now();
  const rows = options.rows ?? 1_000_000;
  const rounds = options.rounds ?? 3;
  const dir = join(options.dir, 'ingest');
  await mkdir(dir, { recursive: true });
  const generateStarted = performance.now();
  const workbook = await benchmarkWorkbook(dir, rows);
  const csv = await benchmarkFile(dir, rows, 'utf8');
  const generateSeconds = (performance.now() - generateStarted) / 1000;
  const work = join(dir, 'work-xlsx');
  const bareRuns: IngestRun[] = [];
  const csvRuns: IngestRun[] = [];
  const xlsxRuns: IngestRun[] = [];
  const maskedRuns: IngestRun[] = [];
  for (let i = 0; i < rounds; i++) {
    bareRuns.push(runChild<IngestRun>(INGEST_CHILD, ['--mode', 'bare', '--file', csv, '--work', work]));
    csvRuns.push(runChild<IngestRun>(INGEST_CHILD, ['--mode', 'ingest', '--file', csv, '--work', work]));
    xlsxRuns.push(
      runChild<IngestRun>(INGEST_CHILD, ['--mode', 'ingest', '--file', workbook, '--work', work]),
    );
    maskedRuns.push(
      runChild<IngestRun>(INGEST_CHILD, ['--mode', 'ingest+mask', '--file', workbook, '--work', work]),
    );
  }
  for (const run of [...csvRuns, ...xlsxRuns, ...maskedRuns]) {
    const counts = run.rows as { accepted?: number } | undefined;
    if (run.status !== 'ACCEPTED' || counts?.accepted !== rows)
      throw new Error(
        `ingest ended ${run.status} with ${JSON.stringify(run.rows)}; expected ${rows} accepted rows`,
      );
  }
  const csvMs = median(csvRuns.map((r) => r.ms));
  const xlsxMs = median(xlsxRuns.map((r) => r.ms));
  const ratio = median(xlsxRuns.map((r, i) => r.ms / (csvRuns[i]?.ms ?? Number.NaN)));
  const peakXlsx = Math.max(...xlsxRuns.map((r) => r.peakMiB));
  const peakCsv = Math.max(...csvRuns.map((r) => r.peakMiB));
  const benchmark = '1x. Ingest Excel (.xlsx)';
  const baseline = 'the same rows as UTF-8 CSV, same path';
  // Issue 19: ingest + mask within 3× DuckDB's bare COPY, for UTF-8, Shift_JIS and .xlsx alike.
  const masked = maskedAgainstBare(
    benchmark,
    'DuckDB bare COPY of the same rows as UTF-8 CSV',
    maskedRuns,
    bareRuns,
  );
  const figures: Figure[] = [
    masked.time,
    masked.rss,
    {
      benchmark,
      figure: 'time, ingest without masking',
      value: round(xlsxMs / 1000, 3),
      unit: 's',
      baseline,
      baselineValue: round(csvMs / 1000, 3),
      ratio: round(ratio),
      ratioNote: 'median of per-round ratios',
    },
    {
      benchmark,
      figure: 'peak RSS, ingest without masking (max of runs)',
      value: Math.round(peakXlsx),
      unit: 'MiB',
      baseline,
      baselineValue: Math.round(peakCsv),
      ratio: round(peakXlsx / peakCsv),
      target: '< 512 MiB',
      met: peakXlsx < 512,
    },
  ];
  const phases = maskedRuns[maskedRuns.length - 1]?.phases ?? {};
  const seconds = (runs: readonly IngestRun[]) => runs.map((r) => round(r.ms / 1000, 2)).join(', ');
  const notes = [
    `Excel: ${rows.toLocaleString('en-US')} attendance rows (the UTF-8 benchmark CSV's rows) written as one sheet of an .xlsx (${round((await stat(workbook)).size / 1e6, 1)} MB; employee numbers as shared strings, dates as serial numbers styled as dates) in ${round(generateSeconds, 1)} s (cached; not measured). ${rounds} interleaved rounds (bare COPY of the CSV, CSV ingest, xlsx ingest, xlsx ingest + mask), each run a fresh process: bare (s) ${seconds(bareRuns)}; CSV (s) ${seconds(csvRuns)}; xlsx (s) ${seconds(xlsxRuns)}; xlsx + mask (s) ${seconds(maskedRuns)}. Phases of the last xlsx ingest + mask run (ms): ${Object.entries(
      phases,
    )
      .map(([k, v]) => `${k} ${v}`)
      .join(
        ', ',
      )}. The workbook is spooled to the work directory (Lambda: /tmp) and read by random access; nothing else is written outside it.`,
  ];
  return { name: 'Ingest of Excel workbooks', figures, notes, seconds: (performance.now() - started) / 1000 };
}

const INGEST_CHILD = join(REPO_ROOT, 'bench', 'ingest-child.ts');
const NAIVE_CHILD = join(REPO_ROOT, 'bench', 'naive-child.ts');

export async function runIngestBenchmark(options: IngestBenchOptions): Promise<Section> {
  const started = performance.now();
  const rows = options.rows ?? 1_000_000;
  const rounds = options.rounds ?? 5;
  const naiveRuns = options.naiveRuns ?? 1;
  const encodings = options.encodings ?? ['utf8', 'sjis'];
  const dir = join(options.dir, 'ingest');
  await mkdir(dir, { recursive: true });
  const figures: Figure[] = [];
  const notes: string[] = [];
  for (const encoding of encodings) {
    const generateStarted = performance.now();
    const file = await benchmarkFile(dir, rows, encoding);
    const bareFile = await utf8Copy(file, encoding);
    const generateSeconds = (performance.now() - generateStarted) / 1000;
    const bytes = (await stat(file)).size;
    const mb = bytes / 1e6;
    const work = join(dir, `work-${encoding}`);
    const bare: IngestRun[] = [];
    const plain: IngestRun[] = [];
    const masked: IngestRun[] = [];
    for (let i = 0; i < rounds; i++) {
      bare.push(runChild<IngestRun>(INGEST_CHILD, ['--mode', 'bare', '--file', bareFile, '--work', work]));
      plain.push(runChild<IngestRun>(INGEST_CHILD, ['--mode', 'ingest', '--file', file, '--work', work]));
      masked.push(
        runChild<IngestRun>(INGEST_CHILD, ['--mode', 'ingest+mask', '--file', file, '--work', work]),
      );
    }
    for (const run of [...plain, ...masked]) {
      const counts = run.rows as { accepted?: number } | undefined;
      if (run.status !== 'ACCEPTED' || counts?.accepted !== rows)
        throw new Error(
          `ingest of ${file} ended ${run.status} with ${JSON.stringify(run.rows)}; expected ${rows} accepted rows`,
        );
    }
    const naive: (IngestRun & { rows: number; invalid: number })[] = [];
    for (let i = 0; i < naiveRuns; i++) {
      naive.push(
        runChild(NAIVE_CHILD, ['--file', file, '--encoding', encoding, '--out', join(work, 'naive.parquet')]),
      );
    }
    const label = encoding === 'sjis' ? 'Shift_JIS' : 'UTF-8';
    const benchmark = `1. Ingest ${label}`;
    const bareMs = median(bare.map((r) => r.ms));
    const plainMs = median(plain.map((r) => r.ms));
    const maskedMs = median(masked.map((r) => r.ms));
    const naiveMs = median(naive.map((r) => r.ms));
    const plainRatio = median(plain.map((r, i) => r.ms / (bare[i]?.ms ?? Number.NaN)));
    const peakMasked = Math.max(...masked.map((r) => r.peakMiB));
    const peakPlain = Math.max(...plain.map((r) => r.peakMiB));
    const peakBare = Math.max(...bare.map((r) => r.peakMiB));
    const bareLabel = 'DuckDB bare COPY';
    const againstBare = maskedAgainstBare(benchmark, bareLabel, masked, bare);
    figures.push(
      againstBare.time,
      {
        benchmark,
        figure: 'time, ingest without masking',
        value: round(plainMs / 1000, 3),
        unit: 's',
        baseline: bareLabel,
        baselineValue: round(bareMs / 1000, 3),
        ratio: round(plainRatio),
        ratioNote: 'median of per-round ratios',
        target: 'ratio ≤ 4',
        met: plainRatio <= 4,
      },
      {
        benchmark,
        figure: 'rows/s, ingest + mask',
        value: Math.round(rows / (maskedMs / 1000)),
        unit: 'rows/s',
        baseline: bareLabel,
        baselineValue: Math.round(rows / (bareMs / 1000)),
        ratio: round(bareMs / maskedMs, 3),
      },
      {
        benchmark,
        figure: 'MB/s, ingest + mask',
        value: round(mb / (maskedMs / 1000), 1),
        unit: 'MB/s',
        baseline: bareLabel,
        baselineValue: round(mb / (bareMs / 1000), 1),
        ratio: round(bareMs / maskedMs, 3),
      },
      againstBare.rss,
      {
        benchmark,
        figure: 'peak RSS, ingest without masking',
        value: Math.round(peakPlain),
        unit: 'MiB',
        baseline: bareLabel,
        baselineValue: Math.round(peakBare),
        ratio: round(peakPlain / peakBare),
        target: '< 512 MiB',
        met: peakPlain < 512,
      },
      {
        benchmark: `2. Naive baseline ${label}`,
        figure: 'time, Kura ingest + mask vs naive row-by-row Node',
        value: round(maskedMs / 1000, 3),
        unit: 's',
        baseline: 'naive Node pipeline',
        baselineValue: round(naiveMs / 1000, 3),
        ratio: round(naiveMs / maskedMs, 2),
        ratioNote: 'speed-up: naive time / Kura time',
        target: 'Kura ≥ 5× faster',
        met: naiveMs / maskedMs >= 5,
      },
      {
        benchmark: `2. Naive baseline ${label}`,
        figure: 'peak RSS, Kura ingest + mask vs naive',
        value: Math.round(peakMasked),
        unit: 'MiB',
        baseline: 'naive Node pipeline',
        baselineValue: Math.round(Math.max(...naive.map((r) => r.peakMiB))),
        ratio: round(peakMasked / Math.max(...naive.map((r) => r.peakMiB))),
      },
    );
    const phases = masked[masked.length - 1]?.phases ?? {};
    notes.push(
      `${label}: generated ${rows.toLocaleString('en-US')} attendance rows (${round(mb, 1)} MB) with local/synthetic (generateCompanies seed 4242, one company of ${Math.ceil(rows / 240) + 50} employees, generateEmployees, generateAttendance, csvChunks style ${JSON.stringify(ENCODING_STYLES[encoding])}) in ${round(generateSeconds, 1)} s (cached in the temp dir; not measured).` +
        (encoding === 'sjis'
          ? ' The bare DuckDB COPY reads a UTF-8 copy of the same rows (DuckDB has no CP932 reader).'
          : ''),
      `${label}: measured ${rounds} interleaved rounds (bare COPY, ingest, ingest + mask), each run in a fresh process. Bare runs (s): ${bare.map((r) => round(r.ms / 1000, 2)).join(', ')}; ingest: ${plain.map((r) => round(r.ms / 1000, 2)).join(', ')}; ingest + mask: ${masked.map((r) => round(r.ms / 1000, 2)).join(', ')}; naive: ${naive.map((r) => round(r.ms / 1000, 2)).join(', ')}.`,
      `${label}: phases of the last ingest + mask run (ms): ${Object.entries(phases)
        .map(([k, v]) => `${k} ${v}`)
        .join(
          ', ',
        )}. Masked rows: ${masked[0]?.maskedRows ?? 'n/a'}; naive rows read ${naive[0]?.rows ?? 'n/a'}, invalid ${naive[0]?.invalid ?? 'n/a'}.`,
    );
  }
  notes.push(
    'Measured: `ingestObject` (functions/domain/ingest) from landing object to recorded outcome — verify against the upload record, decode, validate, normalise, write raw Parquet, record, delete the landing object — over a directory-backed ObjectStore and the in-memory table; "+ mask" is the composition of the ingest function (functions/ingest/runtime.ts `composeIngest`): the accepted rows are pseudonymised in the ingestion DuckDB session (`maskInPass`: HMAC tokens under the tenant key, pseudonymised Parquet per period, never reading the raw Parquet back), then `pseudonymise` commits them and rebuilds the derived facts (`afterAccepted`). Not measured: the checksum the upload record declares (computed before the clock starts) and process start-up.',
    'Peak RSS with masking: ingestion and masking each cap their DuckDB (`memory_limit` in functions/domain/ingest/process.ts and functions/domain/masking/duckdb-engine.ts, spilling to a temp directory beyond it); they run one after the other in the same process.',
    'Baseline 1: DuckDB `COPY (SELECT * FROM read_csv(file)) TO file (FORMAT parquet)` in its own process, instance creation included. Baseline 2: bench/naive-child.ts — iconv-lite decode stream → csv-parse stream → zod schema per row → createHmac per employee id → hyparquet-writer `parquetWriteRows` (row groups of 100,000).',
  );
  return { name: 'Ingest and naive baseline', figures, notes, seconds: (performance.now() - started) / 1000 };
}
