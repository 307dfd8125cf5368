import * as z from './zod.ts';

/**
 * Platform settings shared by the stack, the Lambda functions and the local platform. They live per
 * stage in cdk.json (`kura:stages.<stage>.settings`): the stack validates them at synth, every function
 * bundle reads them by `KURA_STAGE` (stages.ts), the local platform uses the `dev` stage's. One schema,
 * so they can never disagree.
 */
export const retentionSchema = z.strictObject({
  /** Days a landing (upload) object lives before S3 expires it. */
  landingDays: z._default(z.int().check(z.gte(1), z.lte(365)), 7),
  /** Days validated raw rows are kept for reprocessing. */
  rawDays: z._default(z.int().check(z.gte(1), z.lte(3650)), 30),
  /** Days Athena query results live. */
  queryResultsDays: z._default(z.int().check(z.gte(1), z.lte(365)), 7),
  /** Days a noncurrent object version is kept before it expires. */
  noncurrentVersionDays: z._default(z.int().check(z.gte(1), z.lte(365)), 7),
  /** Days a tenant's data is kept after its contract ends, unless its contract says otherwise. */
  afterContractDays: z._default(z.int().check(z.gte(0), z.lte(3650)), 30),
  /** Object Lock (COMPLIANCE) retention of the audit bucket, in days. */
  auditLockDays: z._default(z.int().check(z.gte(1), z.lte(36500)), 2555),
});

/**
 * Perturbation of published figures (docs/PRIVACY.md, functions/domain/stats/perturbation.ts): every
 * company's contribution to every cell is moved by a share between `companyFactorMin` and
 * `companyFactorMax` (sign and size from the company's record key, the same in every cell and release),
 * and each cell gets a small additive noise from its cell key and the documented perturbation table.
 */
export const perturbationSchema = z
  .strictObject({
    companyFactorMin: z._default(z.number().check(z.gte(0), z.lte(0.5)), 0),
    companyFactorMax: z._default(z.number().check(z.gte(0), z.lte(0.5)), 0.2),
  })
  .check(
    z.refine((p) => p.companyFactorMin <= p.companyFactorMax, {
      error: 'companyFactorMin must not exceed companyFactorMax',
    }),
  );

/**
 * What the release audit (functions/domain/stats/audit.ts) requires of every suppressed cell and of
 * every difference between releases, against an attacker holding every published figure.
 */
export const protectionSchema = z.strictObject({
  /** A magnitude's feasible interval must be at least 2 × this percent of its largest company contribution wide. */
  magnitudePercent: z._default(z.number().check(z.gte(1), z.lte(100)), 10),
  /** A count's feasible interval must be at least this wide (persons or companies). */
  countWidth: z._default(z.number().check(z.gte(1)), 4),
});

/** When quantiles are published at all (a quantile of few values, or of one company's rows, pins someone). */
export const quantileRulesSchema = z.strictObject({
  /** Individual statistics: at least this many individuals in the cell. */
  minIndividuals: z._default(z.int().check(z.gte(10)), 30),
  /** Individual statistics: no company holds more than this share of the cell's rows. */
  maxCompanyShare: z._default(z.number().check(z.gt(0), z.lte(1)), 0.5),
  /** Company statistics: at least this many companies in the cell. */
  minCompanies: z._default(z.int().check(z.gte(5)), 20),
});

export const disclosureSchema = z.strictObject({
  /** Minimum individuals behind a published cell. */
  minIndividuals: z._default(z.int().check(z.gte(2)), 10),
  /** Minimum companies behind a published cell. */
  minCompanies: z._default(z.int().check(z.gte(2)), 3),
  /** k of the k-anonymity check on quasi-identifiers in the anonymised zone. */
  kAnonymity: z._default(z.int().check(z.gte(2)), 5),
  /** (n, k) dominance rule: the n largest contributors may hold at most k percent of a magnitude. */
  dominanceN: z._default(z.int().check(z.gte(1)), 2),
  dominancePercent: z._default(z.number().check(z.gte(1), z.lte(100)), 85),
  perturbation: z._default(perturbationSchema, perturbationSchema.parse({})),
  protection: z._default(protectionSchema, protectionSchema.parse({})),
  quantiles: z._default(quantileRulesSchema, quantileRulesSchema.parse({})),
});

export const limitsSchema = z.strictObject({
  maxFileBytes: z._default(z.int().check(z.positive()), 2 * 1024 ** 3),
  maxFieldBytes: z._default(z.int().check(z.positive()), 64 * 1024),
  maxColumns: z._default(z.int().check(z.positive()), 200),
  maxRows: z._default(z.int().check(z.positive()), 20_000_000),
  /** Presigned upload expiry, seconds (at most 15 minutes). */
  uploadUrlExpirySeconds: z._default(z.int().check(z.gte(60), z.lte(900)), 300),
  /**
   * Above this many bytes of anonymised Parquet, a deployed release publishes its statistics with
   * Athena CTAS instead of DuckDB inside the release function (stats/run.ts); anonymisation and the
   * disclosure audit run in the function either way. 512 MiB is a sixth of the function's 3,008 MiB
   * (DuckDB spills to its 10 GiB of /tmp beyond memory); the bench measures 6.4 MiB per 1,000
   * companies (bench/results.md), so DuckDB publishes every release up to about 80,000 companies. The
   * publishing invocation (a release takes two when it must, release/release.ts) reaches its 15 minutes
   * at about the same size on two vCPUs (docs/LIMITS.md), so above the threshold Athena computes the
   * cells and the function keeps the audit. The two paths publish the same cells
   * (test/twin/athena-release.test.ts).
   */
  athenaThresholdBytes: z._default(z.int().check(z.positive()), 512 * 1024 ** 2),
});

export const platformSettingsSchema = z.strictObject({
  retention: z._default(retentionSchema, retentionSchema.parse({})),
  disclosure: z._default(disclosureSchema, disclosureSchema.parse({})),
  limits: z._default(limitsSchema, limitsSchema.parse({})),
});

export type PlatformSettings = z.infer<typeof platformSettingsSchema>;
export type RetentionSettings = z.infer<typeof retentionSchema>;
export type DisclosureSettings = z.infer<typeof disclosureSchema>;
export type LimitSettings = z.infer<typeof limitsSchema>;

/** Settings with every default, for tests and tools that need no stage. */
export const defaultSettings: PlatformSettings = platformSettingsSchema.parse({});
