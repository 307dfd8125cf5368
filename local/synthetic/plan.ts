import { createWriteStream } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { DatasetName } from '../../functions/domain/catalog/index.ts';
import type { JsicMajorGroup } from '../../functions/domain/company.ts';
import { type CsvStyle, csvChunks } from './csv.ts';
import {
  generateAttendance,
  generateCompanies,
  generateEmployees,
  generatePayroll,
  generateSales,
  type SyntheticCompany,
} from './generate.ts';
import { generateOrganisation } from './organisation.ts';

/** One file a demo company sends, in the style its HR or accounting software writes. */
export interface DemoFile {
  readonly tenantId: string;
  readonly dataset: DatasetName;
  readonly fileName: string;
  readonly style: CsvStyle;
  /** Rows as the generator makes them; read lazily so benchmark-sized plans stream. */
  rows(): Iterable<Record<string, unknown>>;
  /** A file made to be refused as a whole (its header is not the dataset's), to show a rejection. */
  readonly broken?: boolean;
}

export interface DemoPlan {
  readonly companies: readonly SyntheticCompany[];
  readonly files: readonly DemoFile[];
}

export interface DemoPlanOptions {
  /** @default 24 — enough companies that a release publishes most national and regional cells. */
  readonly companies?: number;
  readonly seed?: number;
  /** Datasets each company sends. @default employees, attendance, payroll, organization, sales */
  readonly datasets?: readonly DatasetName[];
  /** Add one file that is rejected as a whole. @default true */
  readonly withRejectedFile?: boolean;
  /**
   * Industries and prefectures the companies are spread over, round-robin. A demo's few tens of
   * companies are concentrated as a regional association's members are, so that cells reach the
   * disclosure thresholds; omit (`null`) for the national mix benchmarks use.
   * @default { industries: ['E', 'I', 'P'], prefectures: ['13', '27'] }
   */
  readonly focus?: {
    readonly industries: readonly JsicMajorGroup[];
    readonly prefectures: readonly string[];
  } | null;
}

const DEMO_FOCUS = { industries: ['E', 'I', 'P'], prefectures: ['13', '27'] } as const;

/** Spreads companies over the focus industries and prefectures (every pair gets some). */
function concentrate(
  companies: readonly SyntheticCompany[],
  focus: NonNullable<DemoPlanOptions['focus']>,
): SyntheticCompany[] {
  const { industries, prefectures } = focus;
  return companies.map((company, index) => ({
    ...company,
    profile: {
      ...company.profile,
      industry: industries[index % industries.length] ?? company.profile.industry,
      prefecture:
        prefectures[Math.floor(index / industries.length) % prefectures.length] ?? company.profile.prefecture,
    },
  }));
}

const UTF8: CsvStyle = { headers: 'en', encoding: 'utf8', dates: 'iso' };
/** As 給与・勤怠 packages export for Excel: CP932, Japanese headers, 和暦 dates. */
const SJIS_ERA: CsvStyle = { headers: 'ja', encoding: 'sjis', dates: 'era', fullWidthCodes: true };
const SJIS_SLASH: CsvStyle = { headers: 'ja', encoding: 'sjis', dates: 'slash' };
const BOM_JA: CsvStyle = { headers: 'ja', encoding: 'utf8bom', dates: 'slash' };

/** Which style company `index` writes a dataset in: a mix, as a real population of SMEs would send. */
function styleFor(index: number, dataset: DatasetName): CsvStyle {
  const styles = [UTF8, SJIS_ERA, BOM_JA, SJIS_SLASH];
  const style = styles[(index + dataset.length) % styles.length] ?? UTF8;
  // A few files carry bad rows (an impossible date, a negative amount, an unknown code): partially accepted.
  const badRows = index % 7 === 3 && (dataset === 'attendance' || dataset === 'payroll') ? 3 : 0;
  return { ...style, badRows, seed: index + 1 };
}

const DEFAULT_DATASETS: readonly DatasetName[] = [
  'employees',
  'attendance',
  'payroll',
  'organization',
  'sales',
];

/**
 * The demo: which companies, and which files each sends in which style. Seeded and reproducible; the
 * same function scales to benchmark sizes (thousands of companies) because rows are generated lazily.
 */
export function demoPlan(options: DemoPlanOptions = {}): DemoPlan {
  const generated = generateCompanies(options.companies ?? 24, options.seed);
  const focus = options.focus === undefined ? DEMO_FOCUS : options.focus;
  const companies = focus ? concentrate(generated, focus) : generated;
  const datasets = options.datasets ?? DEFAULT_DATASETS;
  const files: DemoFile[] = [];
  companies.forEach((company, index) => {
    let employees: ReturnType<typeof generateEmployees> | undefined;
    const staff = () => {
      employees ??= generateEmployees(company);
      return employees;
    };
    const rowsOf: Record<DatasetName, () => Iterable<Record<string, unknown>>> = {
      employees: () => staff().map((e) => ({ ...e })),
      attendance: () => generateAttendance(company, staff()) as Iterable<Record<string, unknown>>,
      payroll: () => generatePayroll(company, staff()) as Iterable<Record<string, unknown>>,
      organization: () => generateOrganisation(company, staff()).map((d) => ({ ...d })),
      sales: () => generateSales(company) as Iterable<Record<string, unknown>>,
      public_statistics: () => [],
    };
    for (const dataset of datasets) {
      const style = styleFor(index, dataset);
      const japanese = style.headers === 'ja';
      files.push({
        tenantId: company.tenantId,
        dataset,
        fileName: `${japanese ? JAPANESE_FILE_NAMES[dataset] : dataset}_2025.csv`,
        style,
        rows: rowsOf[dataset],
      });
    }
  });
  const first = companies[0];
  if ((options.withRejectedFile ?? true) && first) {
    files.push({
      tenantId: first.tenantId,
      dataset: 'sales',
      fileName: 'sales_wrong_export.csv',
      style: UTF8,
      rows: () => generateSales(first) as Iterable<Record<string, unknown>>,
      broken: true,
    });
  }
  return { companies, files };
}

const JAPANESE_FILE_NAMES: Record<DatasetName, string> = {
  employees: '従業員名簿',
  attendance: '勤怠データ',
  payroll: '給与明細',
  organization: '組織図',
  sales: '月次売上',
  public_statistics: '公的統計',
};

/** The file's bytes in chunks (a broken file gets a header from another system). */
export function* demoFileChunks(file: DemoFile): Generator<Buffer> {
  if (file.broken) {
    yield Buffer.from('売上日,伝票番号,得意先,金額\r\n2025/4/1,A-001,得意先A,120000\r\n', 'utf8');
    return;
  }
  yield* csvChunks(file.dataset, file.rows(), file.style);
}

/** The whole file as one buffer (demo-sized files). */
export const demoFileBytes = (file: DemoFile) => Buffer.concat([...demoFileChunks(file)]);

/** Streams a file of any size to disk (benchmark-sized files never sit in memory whole). */
export async function writeDemoFile(path: string, file: DemoFile): Promise<void> {
  await pipeline(Readable.from(demoFileChunks(file)), createWriteStream(path));
}
