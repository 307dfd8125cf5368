/**
 * Import profiles: how the HR, attendance and payroll systems Japanese companies use write their CSV
 * exports, so that a file exported from one is read without renaming its columns. Each preset is data,
 * written from the vendor's public help pages (linked in `sources`), validated by zod when this module
 * loads: a column it names must exist in the dataset, so a typo fails every test, not an upload.
 *
 * The vendors' layouts are user-defined (a company picks the items and may rename them): a preset holds
 * the item names as the vendor's help pages list them. A company whose layout differs maps its own
 * headers once (saved mappings, uploads/mappings.ts).
 */
import * as z from '../zod.ts';
import { DATASETS } from './datasets.ts';
import { DATASET_NAMES, type DatasetName, TIME_FORMATS } from './schema.ts';

const datasetNameSchema = z.enum(DATASET_NAMES);

export const importProfileSchema = z
  .strictObject({
    /** What `--profile` and the API's `profile` take: lower-case, hyphenated. */
    name: z.string().check(z.regex(/^[a-z][a-z0-9-]{1,39}$/)),
    ja: z.string().check(z.minLength(1)),
    en: z.string().check(z.minLength(1)),
    /** The vendor's help pages the layout was written from. */
    sources: z.array(z.url()).check(z.minLength(1)),
    /**
     * How the export writes hours when it can write only formats that read one way under this format
     * (ジョブカン: 10進数 `1.50` or 時刻形式 `1:30`, both exact as decimal). Absent when the layout lets the
     * company choose 60進数 or 10進数: the upload then declares it (`--time-format`), or an ambiguous file is
     * refused rather than guessed.
     */
    timeFormat: z.optional(z.enum(TIME_FORMATS)),
    /** How the export writes dates (for the guide; Kura reads every Gregorian and 和暦 form anyway). */
    dateFormat: z.string().check(z.minLength(1)),
    /** The character encoding the export uses (Kura detects UTF-8 and Shift_JIS/CP932 either way). */
    encoding: z.enum(['utf-8', 'shift_jis', 'utf-8 or shift_jis']),
    /** The line the header is on in the vendor's default layout (Kura finds it when a title is above). */
    headerRow: z.int().check(z.gte(1), z.lte(10)),
    /** Per dataset: the vendor's header → the Kura column it holds. */
    datasets: z.partialRecord(
      datasetNameSchema,
      z.record(z.string().check(z.minLength(1), z.maxLength(100)), z.string()),
    ),
    /** Where in the vendor's system the export is made (for the guide and messages). */
    exportPath: z.strictObject({ ja: z.string(), en: z.string() }),
  })
  .check(
    z.superRefine((profile, context) => {
      for (const [dataset, columns] of Object.entries(profile.datasets)) {
        const known = new Set(DATASETS[dataset as DatasetName].columns.map((c) => c.name));
        for (const [header, column] of Object.entries(columns ?? {})) {
          if (!known.has(column))
            context.addIssue({
              code: 'custom',
              message: `${profile.name}: ${header} maps to ${column}, not a column of ${dataset}`,
            });
        }
      }
    }),
  );
export type ImportProfile = z.infer<typeof importProfileSchema>;

const KOT_DAILY = {
  従業員コード: 'employee_id',
  日付: 'work_date',
  所定時間: 'scheduled_hours',
  労働合計時間: 'actual_hours',
  残業時間: 'overtime_hours',
  深夜時間: 'late_night_hours',
};

const rawProfiles: unknown[] = [
  {
    name: 'kingoftime',
    ja: 'KING OF TIME 勤怠管理',
    en: 'KING OF TIME attendance',
    sources: [
      'https://support.ta.kingoftime.jp/hc/en-us/articles/360038854913-What-kind-of-value-is-output-by-daily-data-export',
    ],
    dateFormat: 'yyyy/mm/dd',
    encoding: 'utf-8 or shift_jis',
    headerRow: 1,
    datasets: { attendance: KOT_DAILY },
    exportPath: {
      ja: '全メニュー > エクスポート/インポート > 日別データ[CSV] の出力レイアウト（項目名の出力: 出力する。時間表示形式は 10進数・60進数・分単位から選び、同じ形式を --time-format で指定）',
      en: 'All menus > Export/Import > Daily data [CSV] output layout (output item names; pick the time format, decimal, 60-base or minutes, and declare the same with --time-format)',
    },
  },
  {
    name: 'freee-kintai-plus',
    ja: 'freee勤怠管理Plus',
    en: 'freee Kintai Kanri Plus',
    sources: [
      'https://support.freee.co.jp/hc/ja/articles/4411546229657--%E3%82%A8%E3%82%AF%E3%82%B9%E3%83%9D%E3%83%BC%E3%83%88-%E6%97%A5%E5%88%A5%E3%83%87%E3%83%BC%E3%82%BF-CSV-%E3%81%AE%E5%87%BA%E5%8A%9B%E6%96%B9%E6%B3%95',
      'https://support.freee.co.jp/hc/ja/articles/4410891914521',
    ],
    dateFormat: 'yyyy/mm/dd',
    encoding: 'utf-8 or shift_jis',
    headerRow: 1,
    datasets: { attendance: KOT_DAILY },
    exportPath: {
      ja: '管理画面ホーム > エクスポート / インポート > 日別データ[CSV] の出力レイアウト作成（項目名の出力: 出力する。時間表示形式 10進数・60進数・分単位と同じものを --time-format で指定）',
      en: 'Admin home > Export / Import > Daily data [CSV] output layout (output item names; declare its time format, decimal, 60-base or minutes, with --time-format)',
    },
  },
  {
    name: 'freee-hr',
    ja: 'freee人事労務',
    en: 'freee HR',
    sources: ['https://support.freee.co.jp/hc/ja/articles/900001843083'],
    // 勤怠データの出力は 10 進法（小数第 1 位まで）: one reading only.
    timeFormat: 'decimal',
    dateFormat: 'yyyy-mm-dd',
    encoding: 'utf-8',
    headerRow: 1,
    datasets: {
      attendance: {
        従業員番号: 'employee_id',
        日付: 'work_date',
        所定労働時間: 'scheduled_hours',
        総勤務時間: 'actual_hours',
        時間外労働時間: 'overtime_hours',
        深夜労働時間: 'late_night_hours',
        休日労働時間: 'holiday_hours',
      },
      employees: {
        従業員番号: 'employee_id',
        生年月日: 'birth_date',
        性別: 'gender',
        入社日: 'hire_date',
        退職日: 'termination_date',
        雇用形態: 'employment_type',
        部門: 'department',
      },
    },
    exportPath: {
      ja: '[勤怠] 勤怠一覧 > 出力 > 日次勤怠（時間は 10 進数で出力されます）。従業員は [従業員] > 従業員情報のエクスポート',
      en: '[Attendance] list > Export > daily attendance (hours are written as decimals). Employees: [Employees] > export',
    },
  },
  {
    name: 'jobcan',
    ja: 'ジョブカン勤怠管理',
    en: 'Jobcan attendance',
    sources: ['https://jobcan.zendesk.com/hc/ja/articles/200692189'],
    // 時間の表示形式は 10進数（1.50）か時刻形式（1:30）: both read exactly as decimal hours.
    timeFormat: 'decimal',
    dateFormat: 'yyyy/mm/dd',
    encoding: 'utf-8 or shift_jis',
    headerRow: 1,
    datasets: {
      attendance: {
        スタッフコード: 'employee_id',
        日付: 'work_date',
        所定労働時間: 'scheduled_hours',
        労働時間: 'actual_hours',
        残業時間: 'overtime_hours',
        深夜時間: 'late_night_hours',
        休日労働時間: 'holiday_hours',
      },
    },
    exportPath: {
      ja: '出勤管理 > データ出力 > 勤務データダウンロード（CSV、項目名の出力: する、時間の表示形式: 10進数 または 時刻形式）',
      en: 'Attendance > Data output > Work data download (CSV, item names on, time format decimal or h:mm)',
    },
  },
  {
    name: 'moneyforward',
    ja: 'マネーフォワード クラウド勤怠・給与',
    en: 'Money Forward Cloud Attendance / Payroll',
    sources: [
      'https://biz.moneyforward.com/support/attendance/guide/link/export04.html',
      'https://biz.moneyforward.com/support/payroll/guide/integrations/in09.html',
    ],
    dateFormat: 'yyyy/mm/dd',
    encoding: 'utf-8 or shift_jis',
    headerRow: 1,
    datasets: {
      attendance: {
        従業員コード: 'employee_id',
        日付: 'work_date',
        所定労働時間: 'scheduled_hours',
        総労働時間: 'actual_hours',
        残業時間: 'overtime_hours',
        深夜労働時間: 'late_night_hours',
        休日労働時間: 'holiday_hours',
      },
      payroll: {
        従業員コード: 'employee_id',
        支給年月: 'pay_month',
        基本給: 'base_pay',
        残業手当: 'overtime_pay',
        総支給額: 'gross_pay',
        控除合計: 'deductions',
        差引支給額: 'net_pay',
      },
    },
    exportPath: {
      ja: 'クラウド勤怠: 全権管理者メニュー > 連携 > エクスポート（時間フォーマットを選び、同じものを --time-format で指定）。Windows では Shift_JIS、それ以外は UTF-8 で書き出されます',
      en: 'Cloud Attendance: admin menu > Integration > Export (choose the time format and declare the same with --time-format). Windows downloads are Shift_JIS, others UTF-8',
    },
  },
  {
    name: 'smarthr',
    ja: 'SmartHR',
    en: 'SmartHR',
    sources: ['https://knowledge.smarthr.jp/hc/ja/articles/360026106394'],
    dateFormat: 'yyyy/mm/dd',
    encoding: 'utf-8 or shift_jis',
    headerRow: 1,
    datasets: {
      employees: {
        社員番号: 'employee_id',
        生年月日: 'birth_date',
        性別: 'gender',
        入社年月日: 'hire_date',
        退職年月日: 'termination_date',
        雇用形態: 'employment_type',
        部署: 'department',
        役職: 'grade',
      },
    },
    exportPath: {
      ja: '従業員リスト > 一覧のダウンロード（CSV または Excel。ダウンロード対象範囲: 従業員情報のみ。家族情報は含めないでください）',
      en: 'Employee list > Download list (CSV or Excel; range: employee information only, without family data)',
    },
  },
];

/** The built-in presets, by name. */
export const PROFILES: readonly ImportProfile[] = rawProfiles.map((p) => importProfileSchema.parse(p));

/** Names `--profile` accepts. */
export const PROFILE_NAMES: readonly string[] = PROFILES.map((p) => p.name);

/** The preset of that name, if there is one. */
export function getProfile(name: string): ImportProfile | undefined {
  return PROFILES.find((p) => p.name === name);
}

/** The presets with a layout for `dataset`. */
export function profilesFor(dataset: DatasetName): ImportProfile[] {
  return PROFILES.filter((p) => p.datasets[dataset] !== undefined);
}

/** The presets as GET /profiles and `kura profiles` show them: what each reads and how to export it. */
export function profileCatalogue() {
  return PROFILES.map((p) => ({
    name: p.name,
    ja: p.ja,
    en: p.en,
    datasets: Object.keys(p.datasets),
    ...(p.timeFormat ? { timeFormat: p.timeFormat } : {}),
    dateFormat: p.dateFormat,
    encoding: p.encoding,
    headerRow: p.headerRow,
    columns: p.datasets,
    exportPath: p.exportPath,
    sources: p.sources,
  }));
}
