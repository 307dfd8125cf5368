import * as z from './zod.ts';

/** JSIC (日本標準産業分類) major groups, Rev. 14. */
export const JSIC_MAJOR_GROUPS = {
  A: { ja: '農業，林業', en: 'Agriculture and forestry' },
  B: { ja: '漁業', en: 'Fisheries' },
  C: { ja: '鉱業，採石業，砂利採取業', en: 'Mining and quarrying' },
  D: { ja: '建設業', en: 'Construction' },
  E: { ja: '製造業', en: 'Manufacturing' },
  F: { ja: '電気・ガス・熱供給・水道業', en: 'Electricity, gas, heat supply and water' },
  G: { ja: '情報通信業', en: 'Information and communications' },
  H: { ja: '運輸業，郵便業', en: 'Transport and postal activities' },
  I: { ja: '卸売業，小売業', en: 'Wholesale and retail trade' },
  J: { ja: '金融業，保険業', en: 'Finance and insurance' },
  K: { ja: '不動産業，物品賃貸業', en: 'Real estate and goods rental and leasing' },
  L: { ja: '学術研究，専門・技術サービス業', en: 'Scientific research, professional and technical services' },
  M: { ja: '宿泊業，飲食サービス業', en: 'Accommodations, eating and drinking services' },
  N: { ja: '生活関連サービス業，娯楽業', en: 'Living-related and personal services and amusement' },
  O: { ja: '教育，学習支援業', en: 'Education, learning support' },
  P: { ja: '医療，福祉', en: 'Medical, health care and welfare' },
  Q: { ja: '複合サービス事業', en: 'Compound services' },
  R: { ja: 'サービス業（他に分類されないもの）', en: 'Services, n.e.c.' },
  S: { ja: '公務（他に分類されるものを除く）', en: 'Government, n.e.c.' },
  T: { ja: '分類不能の産業', en: 'Industries unable to classify' },
} as const;
export type JsicMajorGroup = keyof typeof JSIC_MAJOR_GROUPS;
export const jsicSchema = z.enum(Object.keys(JSIC_MAJOR_GROUPS) as [JsicMajorGroup, ...JsicMajorGroup[]]);

/** Regions used to coarsen prefectures when a prefecture cell is too small. */
export const REGIONS = {
  hokkaido: { ja: '北海道', en: 'Hokkaido' },
  tohoku: { ja: '東北', en: 'Tohoku' },
  kanto: { ja: '関東', en: 'Kanto' },
  chubu: { ja: '中部', en: 'Chubu' },
  kinki: { ja: '近畿', en: 'Kinki' },
  chugoku: { ja: '中国', en: 'Chugoku' },
  shikoku: { ja: '四国', en: 'Shikoku' },
  kyushu: { ja: '九州・沖縄', en: 'Kyushu and Okinawa' },
} as const;
export type Region = keyof typeof REGIONS;

type PrefectureRow = readonly [code: string, ja: string, en: string, region: Region];
const PREFECTURE_ROWS: readonly PrefectureRow[] = [
  ['01', '北海道', 'Hokkaido', 'hokkaido'],
  ['02', '青森県', 'Aomori', 'tohoku'],
  ['03', '岩手県', 'Iwate', 'tohoku'],
  ['04', '宮城県', 'Miyagi', 'tohoku'],
  ['05', '秋田県', 'Akita', 'tohoku'],
  ['06', '山形県', 'Yamagata', 'tohoku'],
  ['07', '福島県', 'Fukushima', 'tohoku'],
  ['08', '茨城県', 'Ibaraki', 'kanto'],
  ['09', '栃木県', 'Tochigi', 'kanto'],
  ['10', '群馬県', 'Gunma', 'kanto'],
  ['11', '埼玉県', 'Saitama', 'kanto'],
  ['12', '千葉県', 'Chiba', 'kanto'],
  ['13', '東京都', 'Tokyo', 'kanto'],
  ['14', '神奈川県', 'Kanagawa', 'kanto'],
  ['15', '新潟県', 'Niigata', 'chubu'],
  ['16', '富山県', 'Toyama', 'chubu'],
  ['17', '石川県', 'Ishikawa', 'chubu'],
  ['18', '福井県', 'Fukui', 'chubu'],
  ['19', '山梨県', 'Yamanashi', 'chubu'],
  ['20', '長野県', 'Nagano', 'chubu'],
  ['21', '岐阜県', 'Gifu', 'chubu'],
  ['22', '静岡県', 'Shizuoka', 'chubu'],
  ['23', '愛知県', 'Aichi', 'chubu'],
  ['24', '三重県', 'Mie', 'kinki'],
  ['25', '滋賀県', 'Shiga', 'kinki'],
  ['26', '京都府', 'Kyoto', 'kinki'],
  ['27', '大阪府', 'Osaka', 'kinki'],
  ['28', '兵庫県', 'Hyogo', 'kinki'],
  ['29', '奈良県', 'Nara', 'kinki'],
  ['30', '和歌山県', 'Wakayama', 'kinki'],
  ['31', '鳥取県', 'Tottori', 'chugoku'],
  ['32', '島根県', 'Shimane', 'chugoku'],
  ['33', '岡山県', 'Okayama', 'chugoku'],
  ['34', '広島県', 'Hiroshima', 'chugoku'],
  ['35', '山口県', 'Yamaguchi', 'chugoku'],
  ['36', '徳島県', 'Tokushima', 'shikoku'],
  ['37', '香川県', 'Kagawa', 'shikoku'],
  ['38', '愛媛県', 'Ehime', 'shikoku'],
  ['39', '高知県', 'Kochi', 'shikoku'],
  ['40', '福岡県', 'Fukuoka', 'kyushu'],
  ['41', '佐賀県', 'Saga', 'kyushu'],
  ['42', '長崎県', 'Nagasaki', 'kyushu'],
  ['43', '熊本県', 'Kumamoto', 'kyushu'],
  ['44', '大分県', 'Oita', 'kyushu'],
  ['45', '宮崎県', 'Miyazaki', 'kyushu'],
  ['46', '鹿児島県', 'Kagoshima', 'kyushu'],
  ['47', '沖縄県', 'Okinawa', 'kyushu'],
];
export const PREFECTURES = PREFECTURE_ROWS.map(([code, ja, en, region]) => ({ code, ja, en, region }));
export const prefectureCodeSchema = z
  .string()
  .check(
    z.regex(/^(0[1-9]|[1-3]\d|4[0-7])$/, 'prefecture must be a JIS code from 01 to 47 (e.g. 13 for Tokyo)'),
  );

/** Employee-count bands (常用雇用者数), after the SME definitions. */
export const SIZE_BANDS = {
  '1-4': { ja: '1〜4人', en: '1–4', min: 1, max: 4 },
  '5-19': { ja: '5〜19人', en: '5–19', min: 5, max: 19 },
  '20-49': { ja: '20〜49人', en: '20–49', min: 20, max: 49 },
  '50-99': { ja: '50〜99人', en: '50–99', min: 50, max: 99 },
  '100-299': { ja: '100〜299人', en: '100–299', min: 100, max: 299 },
  '300+': { ja: '300人以上', en: '300+', min: 300, max: Number.POSITIVE_INFINITY },
} as const;
export type SizeBand = keyof typeof SIZE_BANDS;
export const sizeBandSchema = z.enum(Object.keys(SIZE_BANDS) as [SizeBand, ...SizeBand[]]);

/** A tenant's company profile, given at registration; it places the company in statistics segments. */
export const companyProfileSchema = z.strictObject({
  industry: jsicSchema,
  prefecture: prefectureCodeSchema,
  sizeBand: sizeBandSchema,
});
export type CompanyProfile = z.infer<typeof companyProfileSchema>;

/** The size band for a headcount. */
export function sizeBandFor(employees: number): SizeBand {
  const found = (Object.entries(SIZE_BANDS) as [SizeBand, (typeof SIZE_BANDS)[SizeBand]][]).find(
    ([, band]) => employees >= band.min && employees <= band.max,
  );
  return found ? found[0] : '1-4';
}

/** The region of a prefecture code. */
export function regionOf(prefectureCode: string): Region | undefined {
  return PREFECTURES.find((p) => p.code === prefectureCode)?.region;
}
