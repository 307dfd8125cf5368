/**
 * How a published cell reads to a person: column names, dimension values and measures in Japanese
 * (or English), for every place Kura shows statistics to people (the BI page, its CSV download).
 * Codes stay codes in the published tables and BI views (tools join on them); only what is shown is
 * named here: JSIC letters become industry names, region keys and JIS codes become place names,
 * `_total` reads 合計 and `_unspecified` 不明, and numbers follow their unit (yen without decimals).
 */
import { EMPLOYMENT_TYPE_VALUES, GENDER_VALUES } from '../catalog/datasets.ts';
import { JSIC_MAJOR_GROUPS, PREFECTURES, REGIONS, SIZE_BANDS } from '../company.ts';
import type { Lang } from '../i18n.ts';
import {
  type Bilingual,
  DIMENSIONS,
  type Measure,
  type Statistic,
  TOTAL,
  UNSPECIFIED,
  VARIABLES,
} from './catalog.ts';

const b = (ja: string, en: string): Bilingual => ({ ja, en });

const RESERVED: Record<string, Bilingual> = {
  [TOTAL]: b('合計', 'Total'),
  [UNSPECIFIED]: b('不明', 'Unknown'),
};

const KEY_COLUMNS: Record<string, Bilingual> = {
  period: b('期間', 'Period'),
  geo_level: b('地域区分', 'Geography level'),
  prefecture: b('都道府県', 'Prefecture'),
  region: b('地域', 'Region'),
  industry: b('産業', 'Industry'),
  size_band: b('従業員規模', 'Company size'),
  age_band: b('年齢階級', 'Age band'),
  gender: b('性別', 'Gender'),
  tenure_band: b('勤続年数', 'Tenure'),
  employment_type: b('雇用形態', 'Employment type'),
  suppressed: b('秘匿', 'Suppressed'),
};

const GEO_LEVELS: Record<string, Bilingual> = {
  national: b('全国', 'Japan'),
  region: b('地域', 'Region'),
  prefecture: b('都道府県', 'Prefecture'),
};

/** A band written `30-39`, `60+` or `<20` in the published cells, in words. */
function bandLabel(value: string, unit: Bilingual, lang: Lang): string {
  const range = /^(\d+)-(\d+)$/.exec(value);
  if (range)
    return lang === 'ja' ? `${range[1]}〜${range[2]}${unit.ja}` : `${range[1]}–${range[2]} ${unit.en}`;
  const over = /^(\d+)\+$/.exec(value);
  if (over) return lang === 'ja' ? `${over[1]}${unit.ja}以上` : `${over[1]}+ ${unit.en}`;
  const under = /^<(\d+)$/.exec(value);
  if (under) return lang === 'ja' ? `${under[1]}${unit.ja}未満` : `under ${under[1]} ${unit.en}`;
  return value;
}

/** The value of a key column (a dimension, the geography or the period) as a person reads it. */
export function cellValueLabel(column: string, value: unknown, lang: Lang): string {
  if (value === null || value === undefined) return '';
  const text = String(value);
  const reserved = RESERVED[text];
  if (reserved) return reserved[lang];
  const named = (entry: Bilingual | undefined) => entry?.[lang] ?? text;
  switch (column) {
    case 'industry':
      return named(JSIC_MAJOR_GROUPS[text as keyof typeof JSIC_MAJOR_GROUPS]);
    case 'region':
      return named(REGIONS[text as keyof typeof REGIONS]);
    case 'prefecture':
      return named(PREFECTURES.find((p) => p.code === text));
    case 'size_band': {
      const band = SIZE_BANDS[text as keyof typeof SIZE_BANDS];
      return band ? (lang === 'ja' ? band.ja : `${band.en} employees`) : text;
    }
    case 'gender':
      return named(GENDER_VALUES.find((g) => g.value === text));
    case 'employment_type':
      return named(EMPLOYMENT_TYPE_VALUES.find((e) => e.value === text));
    case 'age_band':
      return bandLabel(text, b('歳', 'years'), lang);
    case 'tenure_band':
      return bandLabel(text, b('年', 'years'), lang);
    case 'geo_level':
      return named(GEO_LEVELS[text]);
    default:
      return text;
  }
}

const PERCENT = b('%', '%');

function measureOf(stat: Statistic, column: string): Measure | undefined {
  return stat.measures.find((m) => m.column === column);
}

/** A ratio of two counts of people (separations ÷ employees) is a rate, shown in percent. */
function isRate(m: Measure): boolean {
  return m.kind === 'ratio' && VARIABLES[m.numerator].unit.en === VARIABLES[m.denominator].unit.en;
}

/** The unit of a measure column (undefined for a key column). */
export function measureUnit(stat: Statistic, column: string): Bilingual | undefined {
  const m = measureOf(stat, column);
  if (!m) return undefined;
  if (m.kind === 'count') {
    if (stat.unit === 'company') return b('社', 'companies');
    return stat.period === 'year' ? b('人月', 'person-months') : b('人', 'persons');
  }
  if (m.kind === 'ratio') {
    if (isRate(m)) return PERCENT;
    const [n, d] = [VARIABLES[m.numerator].unit, VARIABLES[m.denominator].unit];
    return b(`${n.ja}／${d.ja}`, `${n.en} per ${d.en.replace(/s$/, '')}`);
  }
  return VARIABLES[m.of].unit;
}

/** A column's name in the chosen language; a measure's carries its unit: 平均残業時間（時間）. */
export function columnLabel(stat: Statistic, column: string, lang: Lang): string {
  const key = KEY_COLUMNS[column];
  if (key) return key[lang];
  const m = measureOf(stat, column);
  if (!m) return DIMENSIONS[column as keyof typeof DIMENSIONS]?.[lang] ?? column;
  const unit = measureUnit(stat, column);
  if (!unit) return m.title[lang];
  return lang === 'ja' ? `${m.title.ja}（${unit.ja}）` : `${m.title.en} (${unit.en})`;
}

/** Decimals a measure is shown with: yen and counts none, rates and hours one. */
function decimalsOf(m: Measure): number {
  if (m.kind === 'count') return 0;
  if (m.kind === 'ratio') return isRate(m) ? 1 : 0;
  return Math.min(1, VARIABLES[m.of].decimals);
}

const formatters = new Map<string, Intl.NumberFormat>();
function formatter(lang: Lang, decimals: number): Intl.NumberFormat {
  const key = `${lang}:${decimals}`;
  let found = formatters.get(key);
  if (!found) {
    found = new Intl.NumberFormat(lang === 'ja' ? 'ja-JP' : 'en-US', {
      maximumFractionDigits: decimals,
      minimumFractionDigits: decimals,
    });
    formatters.set(key, found);
  }
  return found;
}

/** The value of a measure as shown (separators, the unit's decimals, rates in percent); '' when absent. */
export function formatMeasure(stat: Statistic, column: string, value: unknown, lang: Lang): string {
  const number = typeof value === 'bigint' ? Number(value) : value;
  if (typeof number !== 'number' || !Number.isFinite(number)) return '';
  const m = measureOf(stat, column);
  if (!m) return formatter(lang, 0).format(number);
  return formatter(lang, decimalsOf(m)).format(isRate(m) ? number * 100 : number);
}

/** A share (0.25) as a percentage with one decimal: 25.0. */
export function formatPercent(value: number | null | undefined, lang: Lang): string {
  if (typeof value !== 'number' || !Number.isFinite(value)) return '';
  return formatter(lang, 1).format(value * 100);
}

/** Where a company stands among its peers, in words (the quartile band of its own value). */
export const POSITION_LABELS: Record<
  'below_p25' | 'p25_to_median' | 'median_to_p75' | 'above_p75',
  Bilingual
> = {
  below_p25: b('第1四分位未満（下位25%）', 'below the 25th percentile (lowest quarter)'),
  p25_to_median: b('第1四分位〜中央値', 'between the 25th percentile and the median'),
  median_to_p75: b('中央値〜第3四分位', 'between the median and the 75th percentile'),
  above_p75: b('第3四分位超（上位25%）', 'above the 75th percentile (highest quarter)'),
};
