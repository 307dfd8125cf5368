import { companyProfileSchema } from '../company.ts';
import * as z from '../zod.ts';

export const TENANT_STATES = ['ACTIVE', 'TERMINATED', 'PURGING', 'PURGED'] as const;
export const tenantStateSchema = z.enum(TENANT_STATES);
export type TenantState = z.infer<typeof tenantStateSchema>;

/**
 * A tenant id: 3–63 lowercase letters, digits or hyphens, not starting with a hyphen. The one pattern of
 * the identifier (issue 20): ids become S3 prefixes, secret names, file names and grant ids, so every
 * check (the schema, the key stores, tokens, grant ids) uses these.
 */
export const TENANT_ID_SOURCE = '[a-z0-9][a-z0-9-]{2,62}';
export const TENANT_ID_PATTERN = new RegExp(`^${TENANT_ID_SOURCE}$`);
/** Whether a string is a well-formed tenant id (says nothing of whether the company is registered). */
export const isTenantId = (value: string): boolean => TENANT_ID_PATTERN.test(value);

export const tenantIdSchema = z
  .string()
  .check(z.regex(TENANT_ID_PATTERN, 'tenantId must be 3–63 lowercase letters, digits or hyphens'));

/** The logical table the tenant records live in. */
export const TENANTS_TABLE = 'tenants';

export const contractSchema = z.strictObject({
  start: z.iso.date(),
  /** Absent while the contract runs with no end date. */
  end: z.optional(z.iso.date()),
  /** Days data is kept after the contract ends (from the contract; default from settings). */
  retentionDaysAfterEnd: z.optional(z.int().check(z.gte(0), z.lte(3650))),
});
export type Contract = z.infer<typeof contractSchema>;

/** The tenants table item. Holds no personal data: a company name and its profile. */
export const tenantRecordSchema = z.object({
  tenantId: tenantIdSchema,
  name: z.string().check(z.minLength(1), z.maxLength(200)),
  profile: companyProfileSchema,
  contract: contractSchema,
  state: tenantStateSchema,
  legalHold: z.boolean(),
  createdAt: z.string(),
  updatedAt: z.string(),
  /** Set when a purge starts; the checkpoint lets an interrupted purge resume. */
  purge: z.optional(
    z.object({
      startedAt: z.string(),
      checkpoint: z.optional(z.record(z.string(), z.unknown())),
      finishedAt: z.optional(z.string()),
      certificateId: z.optional(z.string()),
    }),
  ),
  /**
   * Set when a purge is certified and cleared by the first release that started after it: until then
   * the latest published statistics may still include the tenant, and the daily purge run asks again.
   */
  releasePending: z.optional(z.boolean()),
});
export type TenantRecord = z.infer<typeof tenantRecordSchema>;
