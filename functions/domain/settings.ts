import * as z from 'zod';

/**
 * Platform settings shared by the stack, the Lambda functions and the local platform. They live per
 * stage in cdk.json (`kura:stages.<stage>.settings`): the stack validates them at synth, every function
 * bundle reads them by `KURA_STAGE` (stages.ts), the local platform uses the `dev` stage's. One schema,
 * so they can never disagree.
 */
export const retentionSchema = z
  .object({
    /** Days a landing (upload) object lives before S3 expires it. */
    landingDays: z.number().int().min(1).max(365).default(7),
    /** Days validated raw rows are kept for reprocessing. */
    rawDays: z.number().int().min(1).max(3650).default(30),
    /** Days Athena query results live. */
    queryResultsDays: z.number().int().min(1).max(365).default(7),
    /** Days a noncurrent object version is kept before it expires. */
    noncurrentVersionDays: z.number().int().min(1).max(365).default(7),
    /** Days a tenant's data is kept after its contract ends, unless its contract says otherwise. */
    afterContractDays: z.number().int().min(0).max(3650).default(30),
    /** Object Lock (COMPLIANCE) retention of the audit bucket, in days. */
    auditLockDays: z.number().int().min(1).max(36500).default(2555),
  })
  .strict();

/**
 * Perturbation of published figures (docs/PRIVACY.md, functions/domain/stats/perturbation.ts): every
 * company's contribution to every cell is moved by a share between `companyFactorMin` and
 * `companyFactorMax` (sign and size from the company's record key, the same in every cell and release),
 * and each cell gets a small additive noise from its cell key and the documented perturbation table.
 */
export const perturbationSchema = z
  .object({
    companyFactorMin: z.number().min(0).max(0.5).default(0),
    companyFactorMax: z.number().min(0).max(0.5).default(0.2),
  })
  .strict()
  .refine((p) => p.companyFactorMin <= p.companyFactorMax, {
    error: 'companyFactorMin must not exceed companyFactorMax',
  });

/**
 * What the release audit (functions/domain/stats/audit.ts) requires of every suppressed cell and of
 * every difference between releases, against an attacker holding every published figure.
 */
export const protectionSchema = z
  .object({
    /** A magnitude's feasible interval must be at least 2 × this percent of its largest company contribution wide. */
    magnitudePercent: z.number().min(1).max(100).default(10),
    /** A count's feasible interval must be at least this wide (persons or companies). */
    countWidth: z.number().min(1).default(4),
  })
  .strict();

/** When quantiles are published at all (a quantile of few values, or of one company's rows, pins someone). */
export const quantileRulesSchema = z
  .object({
    /** Individual statistics: at least this many individuals in the cell. */
    minIndividuals: z.number().int().min(10).default(30),
    /** Individual statistics: no company holds more than this share of the cell's rows. */
    maxCompanyShare: z.number().gt(0).max(1).default(0.5),
    /** Company statistics: at least this many companies in the cell. */
    minCompanies: z.number().int().min(5).default(20),
  })
  .strict();

export const disclosureSchema = z
  .object({
    /** Minimum individuals behind a published cell. */
    minIndividuals: z.number().int().min(2).default(10),
    /** Minimum companies behind a published cell. */
    minCompanies: z.number().int().min(2).default(3),
    /** k of the k-anonymity check on quasi-identifiers in the anonymised zone. */
    kAnonymity: z.number().int().min(2).default(5),
    /** (n, k) dominance rule: the n largest contributors may hold at most k percent of a magnitude. */
    dominanceN: z.number().int().min(1).default(2),
    dominancePercent: z.number().min(1).max(100).default(85),
    perturbation: perturbationSchema.default(perturbationSchema.parse({})),
    protection: protectionSchema.default(protectionSchema.parse({})),
    quantiles: quantileRulesSchema.default(quantileRulesSchema.parse({})),
  })
  .strict();

export const limitsSchema = z
  .object({
    maxFileBytes: z
      .number()
      .int()
      .positive()
      .default(2 * 1024 ** 3),
    maxFieldBytes: z
      .number()
      .int()
      .positive()
      .default(64 * 1024),
    maxColumns: z.number().int().positive().default(200),
    maxRows: z.number().int().positive().default(20_000_000),
    /** Presigned upload expiry, seconds (at most 15 minutes). */
    uploadUrlExpirySeconds: z.number().int().min(60).max(900).default(300),
    /**
     * Above this many bytes of anonymised Parquet, a deployed release publishes its statistics with
     * Athena CTAS instead of DuckDB inside the release function (stats/run.ts); anonymisation and the
     * disclosure audit run in the function either way. 512 MiB is a sixth of the function's 3,008 MiB
     * (DuckDB spills to its 10 GiB of /tmp beyond memory); the bench measures 6.4 MiB per 1,000
     * companies (bench/results.md), so DuckDB publishes every release up to about 80,000 companies and
     * the release's own time, not this threshold, is the limit (docs/LIMITS.md). The two paths publish the same cells
     * (test/twin/athena-release.test.ts).
     */
    athenaThresholdBytes: z
      .number()
      .int()
      .positive()
      .default(512 * 1024 ** 2),
  })
  .strict();

export const platformSettingsSchema = z
  .object({
    retention: retentionSchema.default(retentionSchema.parse({})),
    disclosure: disclosureSchema.default(disclosureSchema.parse({})),
    limits: limitsSchema.default(limitsSchema.parse({})),
  })
  .strict();

export type PlatformSettings = z.infer<typeof platformSettingsSchema>;
export type RetentionSettings = z.infer<typeof retentionSchema>;
export type DisclosureSettings = z.infer<typeof disclosureSchema>;
export type LimitSettings = z.infer<typeof limitsSchema>;

/** Settings with every default, for tests and tools that need no stage. */
export const defaultSettings: PlatformSettings = platformSettingsSchema.parse({});
