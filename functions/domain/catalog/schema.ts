import { GENERALISATIONS, PRIVACY_CLASSES, SUPPORT_MASKS, supportMaskAllowed } from '../masking/policy.ts';
import * as z from '../zod.ts';

export {
  GENERALISATIONS,
  type Generalisation,
  PRIVACY_CLASSES,
  type PrivacyClass,
  SUPPORT_MASKS,
  type SupportMask,
} from '../masking/policy.ts';

/**
 * The catalogue's privacy vocabulary (privacy classes, generalisations, support masks) belongs to the
 * masking policy (functions/domain/masking/policy.ts), which decides what each class becomes in each
 * zone and view; the catalogue declares its columns in those words.
 */
export const privacyClassSchema = z.enum(PRIVACY_CLASSES);

export const COLUMN_TYPES = ['text', 'code', 'integer', 'decimal', 'date', 'month', 'enum'] as const;
export const columnTypeSchema = z.enum(COLUMN_TYPES);
export type ColumnType = z.infer<typeof columnTypeSchema>;

/** The SQL type a column's values are stored as in every zone's Parquet (tokens are VARCHAR hex). */
export type SqlType = 'VARCHAR' | 'DATE' | 'BIGINT' | 'DOUBLE';

/** SQL type of a catalogue column type in raw and pseudonymised Parquet: the one mapping ingest and masking use. */
export function sqlTypeOf(type: ColumnType): SqlType {
  switch (type) {
    case 'date':
      return 'DATE';
    case 'integer':
      return 'BIGINT';
    case 'decimal':
      return 'DOUBLE';
    default:
      return 'VARCHAR';
  }
}

export const generalisationSchema = z.enum(GENERALISATIONS);
export const supportMaskSchema = z.enum(SUPPORT_MASKS);

export const enumValueSchema = z.strictObject({
  /** The stored value. */
  value: z.string(),
  /** Spellings accepted in uploads (after NFKC), e.g. 男, 男性, M, male. */
  accepts: z.array(z.string()).check(z.minLength(1)),
  ja: z.string(),
  en: z.string(),
});

export const columnSchema = z
  .strictObject({
    /** Canonical column name, snake_case English; also the English CSV header. */
    name: z.string().check(z.regex(/^[a-z][a-z0-9_]*$/)),
    /** Japanese CSV header. */
    ja: z.string().check(z.minLength(1)),
    /** Other header spellings accepted in uploads (Japanese HR software exports vary). */
    aliases: z._default(z.array(z.string()), []),
    description: z.strictObject({ ja: z.string(), en: z.string() }),
    type: columnTypeSchema,
    required: z.boolean(),
    privacy: privacyClassSchema,
    /** For `enum` columns. */
    values: z.optional(z.array(enumValueSchema)),
    /** Inclusive bounds for numbers. */
    min: z.optional(z.number()),
    max: z.optional(z.number()),
    /** Maximum length (characters) for text and codes. */
    maxLength: z.optional(z.int().check(z.positive())),
    /** For quasi-identifiers: how the anonymised zone generalises the value. */
    generalise: z.optional(generalisationSchema),
    /** For sensitive numbers: values above this are peculiar (特異な記述) and top-coded in the anonymised zone. */
    topCode: z.optional(z.number()),
    /** What support staff see without a grant; absent → derived from `privacy` (see `supportMaskOf`). */
    supportMask: z.optional(supportMaskSchema),
    /** A duration in hours, which exports write in several time formats (see TIME_FORMATS). */
    duration: z.optional(z.literal(true)),
    /** The time format the upload declared for a duration column (set per upload, never in the catalogue). */
    timeFormat: z.optional(z.enum(['decimal', 'hours-minutes', 'minutes'])),
  })
  .check(
    z.refine((c) => c.type !== 'enum' || (c.values?.length ?? 0) > 0, { error: 'enum columns need values' }),
    z.refine((c) => c.privacy !== 'quasi_identifier' || c.generalise !== undefined, {
      error: 'quasi-identifiers must say how they are generalised',
    }),
    z.refine((c) => c.supportMask === undefined || supportMaskAllowed(c.privacy, c.supportMask), {
      error: 'this support mask would show an identifier to support staff',
    }),
  );
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
  .strictObject({
    name: datasetNameSchema,
    ja: z.string(),
    description: z.strictObject({ ja: z.string(), en: z.string() }),
    /** Whether rows describe individuals (employees); such uploads need a consent attestation. */
    personal: z.boolean(),
    /** Who may upload: tenants (companies) or supporting organisations. */
    uploadedBy: z.enum(['tenant', 'supporter']),
    /** Column whose value gives the partition period (YYYY-MM); absent → the upload's month. */
    periodColumn: z.optional(z.string()),
    /** Columns whose values together identify a row (used to detect duplicates within a file). */
    rowKey: z.array(z.string()).check(z.minLength(1)),
    /** Dataset-specific maximum upload size in bytes. */
    maxFileBytes: z.int().check(z.positive()),
    /** Share of invalid rows above which the whole file is rejected. */
    maxInvalidRowRatio: z.number().check(z.gte(0), z.lte(1)),
    columns: z.array(columnSchema).check(z.minLength(1)),
  })
  .check(
    z.superRefine((d, ctx) => {
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
    }),
  );
export type DatasetDef = z.infer<typeof datasetSchema>;
