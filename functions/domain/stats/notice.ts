/**
 * The APPI notice of a release (個人情報の保護に関する法律 第43条第3項, 同法施行規則 第36条): when
 * anonymously processed information (匿名加工情報) is created, the categories of information about
 * individuals it contains are published. Kura generates the notice from the statistics catalogue: the
 * anonymised columns that feed the release's statistics, traced back to the dataset catalogue's
 * columns and their privacy classes. The processing method is described without any key, token or
 * mapping (there is none to describe: company codes are random per release and mapped to nothing).
 */

import { DATASETS, type DatasetName, type PrivacyClass } from '../catalog/index.ts';
import { ANONYMISED_COLUMNS } from '../masking/anonymised-schema.ts';
import type { PlatformSettings } from '../settings.ts';
import * as z from '../zod.ts';
import { type Bilingual, publishedUnit, type Statistic, sourceColumns, VARIABLES } from './catalog.ts';
import { factorRangeText, TABLE_NOISE_MAX } from './perturbation.ts';

interface Lineage {
  readonly title: Bilingual;
  readonly from: ReadonlyArray<readonly [DatasetName, string]>;
  readonly processing: Bilingual;
}

const b = (ja: string, en: string): Bilingual => ({ ja, en });

/**
 * Where each anonymised column comes from. Only columns derived from personal datasets appear in the
 * notice; company attributes (industry, location, size) and company-level sales are not information
 * about individuals and are listed separately.
 */
export const ANONYMISED_LINEAGE: Readonly<Record<string, Lineage>> = {
  period: {
    title: b('対象年月', 'Month'),
    from: [
      ['attendance', 'work_date'],
      ['payroll', 'pay_month'],
    ],
    processing: b('勤務日を年月に丸める', 'work dates rounded to the month'),
  },
  age_band: {
    title: b('年齢階級', 'Age band'),
    from: [['employees', 'birth_date']],
    processing: b(
      '生年月日を5歳（k-匿名性に必要なら10歳・20歳）階級に一般化し、70歳以上は「70+」にまとめる。それでも足りない公表では削除',
      'date of birth generalised to a 5-year age band (10 or 20 years where k-anonymity needs it), with 70 and over top-coded as 70+; removed from a release where even that is not enough',
    ),
  },
  gender: {
    title: b('性別', 'Gender'),
    from: [['employees', 'gender']],
    processing: b(
      '少数の区分は「その他」に統合。k-匿名性に必要な公表では削除',
      'rare categories merged into "other"; removed from a release where k-anonymity needs it',
    ),
  },
  tenure_band: {
    title: b('勤続年数階級', 'Tenure band'),
    from: [
      ['employees', 'hire_date'],
      ['employees', 'termination_date'],
    ],
    processing: b(
      '入社日・退職日を勤続年数の階級に一般化。k-匿名性に必要な公表では削除',
      'hire and termination dates generalised to a tenure band; removed from a release where k-anonymity needs it',
    ),
  },
  employment_type: {
    title: b('雇用形態', 'Employment type'),
    from: [['employees', 'employment_type']],
    processing: b(
      '少数の区分は「その他」に統合。k-匿名性に必要な公表では削除',
      'rare categories merged into "other"; removed from a release where k-anonymity needs it',
    ),
  },
  employed: {
    title: b('在籍の有無（月単位）', 'Employed during the month'),
    from: [
      ['employees', 'hire_date'],
      ['employees', 'termination_date'],
    ],
    processing: b(
      '入社日・退職日から月内の在籍の有無のみを残す',
      'only whether employed during the month is kept',
    ),
  },
  separated: {
    title: b('離職の有無（月単位）', 'Left during the month'),
    from: [['employees', 'termination_date']],
    processing: b(
      '退職日から月内の離職の有無のみを残す',
      'only whether the person left during the month is kept',
    ),
  },
  overtime_hours: {
    title: b('月間残業時間', 'Monthly overtime hours'),
    from: [['attendance', 'overtime_hours']],
    processing: b('日次の値を月ごとに合計', 'daily values summed per month'),
  },
  hours_worked: {
    title: b('月間実労働時間', 'Monthly hours worked'),
    from: [['attendance', 'actual_hours']],
    processing: b('日次の値を月ごとに合計', 'daily values summed per month'),
  },
  paid_leave_days: {
    title: b('月間有給休暇取得日数', 'Monthly paid-leave days'),
    from: [['attendance', 'paid_leave_days']],
    processing: b('日次の値を月ごとに合計', 'daily values summed per month'),
  },
  base_pay: {
    title: b('基本給（月額）', 'Monthly base pay'),
    from: [['payroll', 'base_pay']],
    processing: b('上限値を超える額はトップコーディング', 'amounts above a ceiling top-coded'),
  },
  gross_pay: {
    title: b('総支給額（月額）', 'Monthly gross pay'),
    from: [['payroll', 'gross_pay']],
    processing: b('上限値を超える額はトップコーディング', 'amounts above a ceiling top-coded'),
  },
};

/** Anonymised columns describing companies, not individuals. */
export const COMPANY_COLUMNS: Readonly<Record<string, Bilingual>> = {
  industry: b('産業（大分類）', 'Industry (major group)'),
  size_band: b('従業員規模', 'Company size band'),
  prefecture: b('所在都道府県', 'Prefecture of the company'),
  region: b('所在地域', 'Region of the company'),
  sales_amount: b('月間売上高（会社単位）', 'Monthly sales (company level)'),
  employees: b('従業員数（会社単位）', 'Employees (company level)'),
};

const PRIVACY_CLASS_TITLES: Record<PrivacyClass, Bilingual> = {
  direct_identifier: b('氏名・住所等の直接識別子', 'direct identifiers such as names and addresses'),
  linking_code: b('社員番号等の連結符号', 'linking codes such as employee numbers'),
  individual_identification_code: b('個人識別符号', 'individual identification codes'),
  financial_harm: b('口座番号等', 'bank account and card numbers'),
  quasi_identifier: b('準識別子', 'quasi-identifiers'),
  sensitive: b('労働時間・賃金等', 'working hours and pay'),
  attribute: b('属性', 'attributes'),
};

export const noticeItemSchema = z.strictObject({
  column: z.string(),
  /** Statistics of the release computed from this item. */
  feeds: z.array(z.string()),
  title: z.object({ ja: z.string(), en: z.string() }),
  sources: z.array(
    z.strictObject({ dataset: z.string(), column: z.string(), ja: z.string(), privacy: z.string() }),
  ),
  processing: z.object({ ja: z.string(), en: z.string() }),
});

export const releaseNoticeSchema = z.strictObject({
  releaseId: z.string(),
  releaseDate: z.iso.date(),
  legalBasis: z.object({ ja: z.string(), en: z.string() }),
  items: z.array(noticeItemSchema),
  companyItems: z.array(z.object({ ja: z.string(), en: z.string() })),
  removed: z.array(z.object({ ja: z.string(), en: z.string() })),
  processingMethod: z.object({ ja: z.array(z.string()), en: z.array(z.string()) }),
  statistics: z.array(z.object({ name: z.string(), title: z.object({ ja: z.string(), en: z.string() }) })),
});
export type ReleaseNotice = z.infer<typeof releaseNoticeSchema>;

/** The units the release's totals are rounded to (catalog.ts `publishedUnit`): 1時間、0.5日、5,000円 … */
function roundingUnitsText(statistics: readonly Statistic[]): Bilingual {
  const summed = new Set(
    statistics.flatMap((s) =>
      s.measures.flatMap((m) =>
        m.kind === 'sum' || m.kind === 'mean'
          ? [m.of]
          : m.kind === 'ratio'
            ? [m.numerator, m.denominator]
            : [],
      ),
    ),
  );
  const texts = (lang: 'ja' | 'en', separator: string) =>
    [
      ...new Set(
        [...summed].map((v) => {
          const n = publishedUnit(v).toLocaleString(lang === 'ja' ? 'ja-JP' : 'en-US');
          const { ja, en } = VARIABLES[v].unit;
          return lang === 'ja' ? `${n}${ja}` : `${n} ${n === '1' ? en.replace(/s$/, '') : en}`;
        }),
      ),
    ].join(separator);
  return b(texts('ja', '、'), texts('en', ', '));
}

/** Builds the notice for a release from the statistics it publishes. */
export function buildReleaseNotice(options: {
  readonly releaseId: string;
  /** ISO date or timestamp of publication. */
  readonly publishedAt: string;
  readonly statistics: readonly Statistic[];
  readonly settings: PlatformSettings;
}): ReleaseNotice {
  // Every column of the anonymised data behind the release is listed (the law asks what the anonymised
  // information contains), each with the statistics it feeds.
  const columns = [
    ...new Set(Object.values(ANONYMISED_COLUMNS).flatMap((table) => table.map(([name]) => name))),
  ];
  const feeds = (column: string) =>
    options.statistics.filter((s) => sourceColumns(s).includes(column)).map((s) => s.name);
  const items = columns.flatMap((column) => {
    const lineage = ANONYMISED_LINEAGE[column];
    if (!lineage) return [];
    return [
      {
        column,
        feeds: feeds(column),
        title: lineage.title,
        sources: lineage.from.map(([dataset, name]) => {
          const def = DATASETS[dataset].columns.find((c) => c.name === name);
          if (!def) throw new Error(`notice lineage names an unknown column ${dataset}.${name}`);
          return { dataset, column: name, ja: def.ja, privacy: def.privacy };
        }),
        processing: lineage.processing,
      },
    ];
  });
  const removedClasses: PrivacyClass[] = [
    'direct_identifier',
    'linking_code',
    'individual_identification_code',
    'financial_harm',
  ];
  const { kAnonymity, minIndividuals, minCompanies, dominanceN, dominancePercent, protection, quantiles } =
    options.settings.disclosure;
  const factors = factorRangeText(options.settings.disclosure);
  const units = roundingUnitsText(options.statistics);
  return releaseNoticeSchema.parse({
    releaseId: options.releaseId,
    releaseDate: options.publishedAt.slice(0, 10),
    legalBasis: b(
      '個人情報の保護に関する法律第43条第3項及び同法施行規則第36条に基づき、匿名加工情報に含まれる個人に関する情報の項目を公表します。',
      'Published under Article 43(3) of the Act on the Protection of Personal Information and Article 36 of its Enforcement Rules: the categories of information about individuals contained in the anonymously processed information.',
    ),
    items,
    companyItems: columns.flatMap((c) => (COMPANY_COLUMNS[c] ? [COMPANY_COLUMNS[c]] : [])),
    removed: removedClasses.map((c) => PRIVACY_CLASS_TITLES[c]),
    processingMethod: {
      ja: [
        '氏名、住所、電話番号、メールアドレス等の個人を直接識別できる記述、社員番号等の符号、口座番号は全て削除しています。個人識別符号（マイナンバー等）は受け付けていません。',
        '提供元の会社は、公表ごとに新たに生成し、どの会社とも対応付けを保存しない無作為の符号に置き換えています。',
        '公表値に毎回同じ誤差を加えるため、従業員ごと・会社ごとに、事業者だけが持つ鍵から作った乱数（レコードキー）を付けています。レコードキーから社員番号や会社を割り出すことはできず、レコードキー自体は公表しません。',
        '生年月日・入社日等は年齢階級・勤続年数階級に一般化し、希少な区分は統合し、特異な値は上限値で丸めています。',
        `準識別子の組合せごとに少なくとも${kAnonymity}人が該当するよう（k-匿名性）、さらに一般化又は削除しています。`,
        `統計表では、${minIndividuals}人未満又は${minCompanies}社未満のセル、上位${dominanceN}社が${dominancePercent}%を超えるセルを秘匿し、合計から逆算できないよう追加の秘匿を行っています。`,
        `公表する人数・会社数・合計は真の値ではありません（3社以上のセルでも会社数が2と表示されることがあります）。各会社の寄与に、会社と項目（人数、各合計）ごとに別々に決まる一定の比率（${factors.ja}）を掛け、さらにセルごとに摂動表の誤差（最大±${TABLE_NOISE_MAX}単位）を加えています。同じ内容のセルには毎回同じ誤差が付くため、公表を重ねても新たに分かることはなく、公表同士の差に現れる会社の値にも未知の比率が掛かったままで、個人や会社の値は分かりません（削除された会社の月ごとの増減の比は推定できます）。合計は誤差の単位（${units.ja}）に丸めて公表し、平均と比率は公表した合計と人数から計算しています。`,
        `最小値・最大値は公表しません。四分位は、${quantiles.minIndividuals}人以上で1社が${Math.round(quantiles.maxCompanyShare * 100)}%を超えないセル（会社単位の統計は${quantiles.minCompanies}社以上のセル）でのみ、誤差を加えた値から求めて公表します。`,
        `各公表の前に、秘匿処理とは別に作った検査（線形計画法）で、この公表とそれ以前の全ての公表の値を組み合わせても、秘匿したセル、公表値の差、四分位から、人数は${protection.countWidth}人、金額等は最大の会社の寄与の±${protection.magnitudePercent}%より狭い範囲に値を絞り込めないことを確かめています。確かめられない公表は行いません。`,
        '契約終了により会社のデータを削除した後の公表には、その会社のデータは含まれません。それ以前の公表は公開を続けます（上の誤差は公表をまたいで一定のため、削除の前後の公表を比べても、その会社の値には未知の比率が掛かったままで値そのものは分かりません。月ごとの増減の比は推定できます）。',
      ],
      en: [
        'Every description that directly identifies a person (name, address, phone number, email address), every code such as an employee number, and every bank account is deleted. Individual identification codes (such as My Number) are never accepted.',
        'Each contributing company is replaced by a random code generated anew for every release and mapped to nothing.',
        'So that published figures always carry the same noise, each employee and each company gets a random number (record key) derived with a key that only the operator holds. A record key reveals no employee number and no company, and record keys are never published.',
        'Dates of birth and hire are generalised to age and tenure bands, rare categories are merged and peculiar values are top-coded.',
        `Records are generalised or suppressed further until every combination of quasi-identifiers describes at least ${kAnonymity} people (k-anonymity).`,
        `In the statistical tables, cells with fewer than ${minIndividuals} people or ${minCompanies} companies, or in which the ${dominanceN} largest companies hold more than ${dominancePercent}%, are suppressed, with further cells suppressed so that none can be derived from the totals.`,
        `Published counts (of people, or of companies in company statistics) and totals are not the true values (a cell of three or more companies may show two): each company's contribution is multiplied by a factor fixed for that company and that figure (its count and each total have their own; ${factors.en}), and each cell gets noise from the perturbation table (at most ±${TABLE_NOISE_MAX} units). A cell with the same contents always gets the same noise, so repeated releases add nothing, and a difference between releases shows a company's figures only times its unknown factor: no person's or company's value is revealed (how a departed company's figures changed from month to month can be estimated). Totals are rounded to their noise unit (${units.en}), and means and ratios are computed from the published totals and counts.`,
        `No minimum or maximum is published. Quartiles are published only for cells with at least ${quantiles.minIndividuals} people of whom no company holds more than ${Math.round(quantiles.maxCompanyShare * 100)}% (for company statistics, at least ${quantiles.minCompanies} companies), computed from the perturbed values.`,
        `Before each release, an audit written apart from the suppression (linear programming) checks that, combining this release with every earlier one, no suppressed cell, difference between releases or quartile bounds a value more narrowly than ${protection.countWidth} people for counts or ±${protection.magnitudePercent}% of the largest company's contribution for amounts. A release that fails the audit is not published.`,
        "Releases made after a company's data is deleted at the end of its contract do not contain it. Earlier releases stay published: their noise is the same across releases, so comparing releases before and after the deletion shows the company's figures only times its unknown factors, never their values (how they changed from month to month can be estimated).",
      ],
    },
    statistics: options.statistics.map((s) => ({ name: s.name, title: s.title })),
  });
}

/** The notice as Markdown, Japanese first, then English. */
export function renderNoticeMarkdown(notice: ReleaseNotice): string {
  const items = (lang: 'ja' | 'en') =>
    notice.items
      .map((i) => {
        const from = i.sources
          .map((s) => (lang === 'ja' ? s.ja : `${s.dataset}.${s.column}`))
          .join(lang === 'ja' ? '・' : ', ');
        const used = i.feeds.length > 0 ? i.feeds.join(', ') : lang === 'ja' ? 'なし' : 'none';
        return lang === 'ja'
          ? `- ${i.title.ja}（元の項目: ${from}。${i.processing.ja}。用いた統計: ${used}）`
          : `- ${i.title.en} (from ${from}; ${i.processing.en}; used by: ${used})`;
      })
      .join('\n');
  return [
    `# 匿名加工情報に含まれる個人に関する情報の項目の公表（リリース ${notice.releaseId}）`,
    '',
    `公表日: ${notice.releaseDate}`,
    '',
    notice.legalBasis.ja,
    '',
    '## 個人に関する情報の項目',
    items('ja'),
    '',
    '## 会社に関する項目（個人に関する情報ではありません）',
    ...notice.companyItems.map((c) => `- ${c.ja}`),
    '',
    '## 削除した情報',
    ...notice.removed.map((r) => `- ${r.ja}`),
    '',
    '## 加工の方法',
    ...notice.processingMethod.ja.map((p) => `- ${p}`),
    '',
    '## この公表の対象となる統計',
    ...notice.statistics.map((s) => `- ${s.title.ja}（${s.name}）`),
    '',
    `# Notice of the categories of personal information in anonymously processed information (release ${notice.releaseId})`,
    '',
    `Date: ${notice.releaseDate}`,
    '',
    notice.legalBasis.en,
    '',
    '## Categories of information about individuals',
    items('en'),
    '',
    '## Company items (not information about individuals)',
    ...notice.companyItems.map((c) => `- ${c.en}`),
    '',
    '## Information deleted',
    ...notice.removed.map((r) => `- ${r.en}`),
    '',
    '## Processing method',
    ...notice.processingMethod.en.map((p) => `- ${p}`),
    '',
    '## Statistics covered',
    ...notice.statistics.map((s) => `- ${s.title.en} (${s.name})`),
    '',
  ].join('\n');
}
