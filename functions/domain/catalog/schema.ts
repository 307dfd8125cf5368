import { z } from 'zod';

/**
 * Privacy classes, after APPI practice. What each class becomes in each zone is decided by the
 * masking policy (functions/domain/masking), never by a handler.
 */
export const PRIVACY_CLASSES = [
  'direct_identifier',
  'linking_code',
  'individual_identification_code',
  'financial_harm',
  'quasi_identifier',
  'sensitive',
  'attribute',
] as const;
export const privacyClassSchema = z.enum(PRIVACY_CLASSES);
export type PrivacyClass = z.infer<typeof privacyClassSchema>;

export const COLUMN_TYPES = ['text', 'code', 'integer', 'decimal', 'date', 'month', 'enum'] as const;
export const columnTypeSchema = z.enum(COLUMN_TYPES);
export type ColumnType = z.infer<typeof columnTypeSchema>;

/** How a quasi-identifier is generalised on its way into the anonymised zone. */
export const generalisationSchema = z.enum([
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
]);
export type Generalisation = z.infer<typeof generalisationSchema>;

/**
 * What support staff see of a column when they inspect an upload without a break-glass grant
 * (functions/domain/support). Declared per column in the catalogue, defaulted from the privacy class
 * by `supportMaskOf`, so no handler decides what support may see.
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
export const supportMaskSchema = z.enum(SUPPORT_MASKS);
export type SupportMask = z.infer<typeof supportMaskSchema>;

export const enumValueSchema = z
  .object({
    /** The stored value. */
    value: z.string(),
    /** Spellings accepted in uploads (after NFKC), e.g. 男, 男性, M, male. */
    accepts: z.array(z.string()).min(1),
    ja: z.string(),
    en: z.string(),
  })
  .strict();

export const columnSchema = z
  .object({
    /** Canonical column name, snake_case English; also the English CSV header. */
    name: z.string().regex(/^[a-z][a-z0-9_]*$/),
    /** Japanese CSV header. */
    ja: z.string().min(1),
    /** Other header spellings accepted in uploads (Japanese HR software exports vary). */
    aliases: z.array(z.string()).default([]),
    description: z.object({ ja: z.string(), en: z.string() }).strict(),
    type: columnTypeSchema,
    required: z.boolean(),
    privacy: privacyClassSchema,
    /** For `enum` columns. */
    values: z.array(enumValueSchema).optional(),
    /** Inclusive bounds for numbers. */
    min: z.number().optional(),
    max: z.number().optional(),
    /** Maximum length (characters) for text and codes. */
    maxLength: z.number().int().positive().optional(),
    /** For quasi-identifiers: how the anonymised zone generalises the value. */
    generalise: generalisationSchema.optional(),
    /** For sensitive numbers: values above this are peculiar (特異な記述) and top-coded in the anonymised zone. */
    topCode: z.number().optional(),
    /** What support staff see without a grant; absent → derived from `privacy` (see `supportMaskOf`). */
    supportMask: supportMaskSchema.optional(),
    /** A duration in hours, which exports write in several time formats (see TIME_FORMATS). */
    duration: z.literal(true).optional(),
    /** The time format the upload declared for a duration column (set per upload, never in the catalogue). */
    timeFormat: z.enum(['decimal', 'hours-minutes', 'minutes']).optional(),
  })
  .strict()
  .refine((c) => c.type !== 'enum' || (c.values?.length ?? 0) > 0, { error: 'enum columns need values' })
  .refine((c) => c.privacy !== 'quasi_identifier' || c.generalise !== undefined, {
    error: 'quasi-identifiers must say how they are generalised',
  })
  .refine((c) => c.supportMask === undefined || !SUPPORT_MASK_FORBIDDEN[c.privacy].includes(c.supportMask), {
    error: 'this support mask would show an identifier to support staff',
  });
export type ColumnDef = z.infer<typeof columnSchema>;

/**
 * How an export writes hours (the same text means different things: freee 勤怠 writes 1h30m as `1.50` in
 * 10進数, `1.30` in 60進数, `90` in 分単位). `h:mm` (`1:30`) is unambiguous and read in every format.
 * - `decimal`: decimal hours (`1.5`, `1.50`); the default.
 * - `hours-minutes`: 60進数, hours then two digits of minutes (`1.30` = 1 h 30 min; minutes 00–59).
 * - `minutes`: whole minutes (`90`).
 */
export const TIME_FORMATS = ['decimal', 'hours-minutes', 'minutes'] as const;
export type TimeFormat = (typeof TIME_FORMATS)[number];

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

/**
 * The support mask of a column: its own `supportMask`, else the default of its privacy class —
 * identifiers and financial-harm values fully masked, linking codes tokenised, quasi-identifier
 * dates coarsened to the year and postal codes to the prefecture, everything else shown.
 */
export function supportMaskOf(
  column: Pick<ColumnDef, 'privacy' | 'type' | 'generalise' | 'supportMask'>,
): SupportMask {
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

export const DATASET_NAMES = [
  'employees',
  'attendance',
  'payroll',
  'organization',
  'sales',
  'public_statistics',
] as const;
export const datasetNameSchema = z.enum(DATASET_NAMES);
export type DatasetName = z.infer<typeof datasetNameSchema>;

export const datasetSchema = z
  .object({
    name: datasetNameSchema,
    ja: z.string(),
    description: z.object({ ja: z.string(), en: z.string() }).strict(),
    /** Whether rows describe individuals (employees); such uploads need a consent attestation. */
    personal: z.boolean(),
    /** Who may upload: tenants (companies) or supporting organisations. */
    uploadedBy: z.enum(['tenant', 'supporter']),
    /** Column whose value gives the partition period (YYYY-MM); absent → the upload's month. */
    periodColumn: z.string().optional(),
    /** Columns whose values together identify a row (used to detect duplicates within a file). */
    rowKey: z.array(z.string()).min(1),
    /** Dataset-specific maximum upload size in bytes. */
    maxFileBytes: z.number().int().positive(),
    /** Share of invalid rows above which the whole file is rejected. */
    maxInvalidRowRatio: z.number().min(0).max(1),
    columns: z.array(columnSchema).min(1),
  })
  .strict()
  .superRefine((d, ctx) => {
    const names = new Set(d.columns.map((c) => c.name));
    for (const key of [...d.rowKey, ...(d.periodColumn ? [d.periodColumn] : [])]) {
      if (!names.has(key)) ctx.addIssue({ code: 'custom', message: `${d.name}: unknown column ${key}` });
    }
    const headers = d.columns.flatMap((c) => [c.name, c.ja, ...c.aliases]);
    if (new Set(headers).size !== headers.length) {
      ctx.addIssue({ code: 'custom', message: `${d.name}: a header name is used twice` });
    }
    if (d.columns.some((c) => c.privacy === 'individual_identification_code')) {
      ctx.addIssue({
        code: 'custom',
        message: `${d.name}: Kura never stores individual identification codes`,
      });
    }
  });
export type DatasetDef = z.infer<typeof datasetSchema>;
