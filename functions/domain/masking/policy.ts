/**
 * The masking policy: the one module that decides what each privacy class becomes for every consumer
 * (issue 20): the pseudonymised zone, the anonymised zone, what support staff see without a grant, row
 * errors in reports, and whether the API describes a column as personal. It also owns the vocabulary
 * these decisions are written in (privacy classes, generalisations, support masks) and the mask string,
 * so the catalogue declares columns in these words and no other module decides how a value is hidden.
 *
 * | class                          | pseudonymised zone       | anonymised zone                       | support view (default) | row-error report |
 * |--------------------------------|--------------------------|---------------------------------------|------------------------|------------------|
 * | direct_identifier              | removed                  | removed                               | ＊＊＊                 | ＊＊＊           |
 * | individual_identification_code | removed (never stored)   | removed                               | ＊＊＊                 | ＊＊＊           |
 * | financial_harm                 | removed                  | removed                               | ＊＊＊                 | ＊＊＊           |
 * | linking_code                   | HMAC-SHA256 token        | removed (no tokens, no linking codes) | token                  | ＊＊＊           |
 * | quasi_identifier               | kept                     | generalised per `generalise`          | year / prefecture      | ＊＊＊           |
 * | sensitive                      | kept                     | kept, top-coded above `topCode`       | shown                  | ＊＊＊           |
 * | attribute                      | kept                     | kept                                  | shown                  | shown            |
 */

/** Privacy classes, after APPI practice (the catalogue gives each column one). */
export const PRIVACY_CLASSES = [
  'direct_identifier',
  'linking_code',
  'individual_identification_code',
  'financial_harm',
  'quasi_identifier',
  'sensitive',
  'attribute',
] as const;
export type PrivacyClass = (typeof PRIVACY_CLASSES)[number];

/** How a quasi-identifier is generalised on its way into the anonymised zone. */
export const GENERALISATIONS = [
  /** birth date → 5-year age band with a top code (e.g. 70+) */
  'age_band',
  /** hire date → tenure band */
  'tenure_band',
  /** postal code → prefecture */
  'prefecture_from_postal_code',
  /** category kept, rare categories merged into その他/other */
  'merge_rare',
  /** not carried into the anonymised zone */
  'drop',
] as const;
export type Generalisation = (typeof GENERALISATIONS)[number];

/**
 * What support staff see of a column when they inspect an upload without a break-glass grant
 * (functions/domain/platform-support). Declared per column in the catalogue, defaulted from the privacy
 * class by `supportMaskOf`, so no handler decides what support may see.
 */
export const SUPPORT_MASKS = [
  /** 髙橋　一郎 → 髙＊　＊＊: first character kept, every other character masked, spaces kept */
  'name_partial',
  /** 090-1234-5678 → ＊＊＊-＊＊＊＊-5678: only the last four digits shown */
  'last4',
  /** yamada@example.co.jp → y＊＊＊@example.co.jp */
  'email_first_char_domain',
  /** HMAC-SHA256 token under the tenant's key (the pseudonymised zone's token) */
  'token',
  /** 1985-04-12 → 1985 */
  'coarsen_date_to_year',
  /** 100-0001 → 東京都 */
  'coarsen_postal_to_prefecture',
  /** ＊＊＊ whatever the value */
  'full',
  /** shown as stored */
  'none',
] as const;
export type SupportMask = (typeof SUPPORT_MASKS)[number];

/**
 * The one mask character, for every consumer: the full-width asterisk ＊. Kura's text is Japanese
 * first and its files are read in Japanese tools (Excel, the CLI's tables, the support view), where a
 * full-width ＊ sits in the same cell width as the kana and kanji it hides and cannot be mistaken for
 * data: an ASCII `*` is a character an uploaded value (a code, a note) may itself contain.
 */
export const MASK_CHAR = '＊';
/** A fully masked value: fixed length (three mask characters), so it does not reveal the value's length. */
export const FULLY_MASKED = MASK_CHAR.repeat(3);
/**
 * How row-error reports written before the one mask character wrote a masked value. Raw-zone reports
 * live `rawDays` (30), so a reader that meets one still recognises it as masked; remove once none is left.
 */
const MASKED_BEFORE_ONE_MASK_CHAR = '*'.repeat(3);

/** Whether a value is a masked value (as reports and views write it), not data. */
export function isMaskedValue(value: string): boolean {
  return value === FULLY_MASKED || value === MASKED_BEFORE_ONE_MASK_CHAR;
}

/** What a masking decision needs to know of a catalogue column (the catalogue's ColumnDef has it). */
export interface ClassifiedColumn {
  readonly privacy: PrivacyClass;
  readonly type: string;
  readonly generalise?: Generalisation | undefined;
  readonly topCode?: number | undefined;
  readonly supportMask?: SupportMask | undefined;
}

export type PseudonymisedAction = 'remove' | 'tokenise' | 'keep';
export type AnonymisedAction =
  | { readonly kind: 'remove' }
  | { readonly kind: 'keep' }
  | { readonly kind: 'top_code'; readonly topCode: number }
  | { readonly kind: 'generalise'; readonly generalise: Generalisation };

const PSEUDONYMISED: Readonly<Record<PrivacyClass, PseudonymisedAction>> = {
  direct_identifier: 'remove',
  individual_identification_code: 'remove',
  financial_harm: 'remove',
  linking_code: 'tokenise',
  quasi_identifier: 'keep',
  sensitive: 'keep',
  attribute: 'keep',
};

/** Classes whose values must never reach the pseudonymised or anonymised zone. */
export const REMOVED_CLASSES: readonly PrivacyClass[] = (Object.keys(PSEUDONYMISED) as PrivacyClass[]).filter(
  (c) => PSEUDONYMISED[c] === 'remove',
);

/** What the pseudonymised zone does with a column. */
export function pseudonymisedAction(column: Pick<ClassifiedColumn, 'privacy'>): PseudonymisedAction {
  return PSEUDONYMISED[column.privacy];
}

/** What the anonymised zone does with a column. */
export function anonymisedAction(column: ClassifiedColumn): AnonymisedAction {
  switch (column.privacy) {
    case 'direct_identifier':
    case 'individual_identification_code':
    case 'financial_harm':
    case 'linking_code':
      return { kind: 'remove' };
    case 'quasi_identifier':
      // The catalogue schema guarantees quasi-identifiers say how they are generalised.
      return column.generalise ? { kind: 'generalise', generalise: column.generalise } : { kind: 'remove' };
    case 'sensitive':
    case 'attribute':
      return column.topCode !== undefined ? { kind: 'top_code', topCode: column.topCode } : { kind: 'keep' };
  }
}

/** Support masks a privacy class may never use: identifiers are never shown whole without a grant. */
const SUPPORT_MASK_FORBIDDEN: Readonly<Record<PrivacyClass, readonly SupportMask[]>> = {
  direct_identifier: ['none', 'coarsen_date_to_year'],
  individual_identification_code: ['none', 'token', 'coarsen_date_to_year', 'coarsen_postal_to_prefecture'],
  financial_harm: ['none', 'token', 'last4', 'coarsen_date_to_year', 'coarsen_postal_to_prefecture'],
  linking_code: ['none'],
  quasi_identifier: [],
  sensitive: [],
  attribute: [],
};

/** Whether a column of a class may declare this support mask (the catalogue schema refuses it otherwise). */
export function supportMaskAllowed(privacy: PrivacyClass, mask: SupportMask): boolean {
  return !SUPPORT_MASK_FORBIDDEN[privacy].includes(mask);
}

/**
 * The support mask of a column: its own `supportMask`, else the default of its privacy class —
 * identifiers and financial-harm values fully masked, linking codes tokenised, quasi-identifier
 * dates coarsened to the year and postal codes to the prefecture, everything else shown. A column the
 * catalogue does not know (undefined) is masked whole: what Kura cannot classify it does not show.
 */
export function supportMaskOf(
  column: Pick<ClassifiedColumn, 'privacy' | 'type' | 'generalise' | 'supportMask'> | undefined,
): SupportMask {
  if (!column) return 'full';
  if (column.supportMask) return column.supportMask;
  switch (column.privacy) {
    case 'direct_identifier':
    case 'individual_identification_code':
    case 'financial_harm':
      return 'full';
    case 'linking_code':
      return 'token';
    case 'quasi_identifier':
      if (column.type === 'date') return 'coarsen_date_to_year';
      return column.generalise === 'prefecture_from_postal_code' ? 'coarsen_postal_to_prefecture' : 'none';
    case 'sensitive':
    case 'attribute':
      return 'none';
  }
}

/**
 * Whether values of a class are personal: never written in a row-error report (they appear there as
 * FULLY_MASKED), and described as personal by the API's dataset descriptions. Only attributes are not.
 */
export function isPersonal(privacy: PrivacyClass): boolean {
  return privacy !== 'attribute';
}

/** A value as a row-error report writes it: a personal column's value masked whole, others as text. */
export function reportedValue(
  column: Pick<ClassifiedColumn, 'privacy'> | undefined,
  value: unknown,
): string | undefined {
  if (value === null || value === undefined) return undefined;
  return column && isPersonal(column.privacy) ? FULLY_MASKED : String(value);
}
