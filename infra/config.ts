import { platformSettingsSchema } from '../functions/domain/settings.ts';
import { isJapanRegion, JAPAN_REGIONS } from '../functions/domain/stages.ts';
import * as z from '../functions/domain/zod.ts';

/** Placeholder account used for offline synth and tests; deploy takes the real one from the environment. */
export const PLACEHOLDER_ACCOUNT = '000000000000';

/** Retention periods CloudWatch Logs accepts, in days. */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

const japanRegion = (setting: string) =>
  z.string().check(
    z.refine(isJapanRegion, {
      error: (issue) =>
        `${setting} is "${String(issue.input)}", but Kura keeps data in Japan: allowed values are ${JAPAN_REGIONS.join(' and ')}.`,
    }),
  );

export const stageConfigSchema = z
  .strictObject({
    /** AWS account; the placeholder keeps synth offline. */
    account: z.string().check(z.regex(/^\d{12}$/, 'account must be a 12-digit AWS account id')),
    region: japanRegion('region'),
    /** Optional disaster-recovery region (also Japan only); replication is on when set. */
    drRegion: z.optional(japanRegion('drRegion')),
    /** `destroy` lets `cdk destroy` remove data (dev only); `retain` keeps it. */
    removal: z.enum(['retain', 'destroy']),
    /** CloudWatch Logs retention of every function and API log group; CloudWatch accepts only these values. */
    logRetentionDays: z.int().check(
      z.refine((days) => (LOG_RETENTION_DAYS as readonly number[]).includes(days), {
        error: (issue) =>
          `logRetentionDays is ${String(issue.input)}, but CloudWatch Logs accepts only ${LOG_RETENTION_DAYS.join(', ')}.`,
      }),
    ),
    settings: platformSettingsSchema,
  })
  .check(
    z.refine((stage) => !stage.drRegion || stage.drRegion !== stage.region, {
      error: 'drRegion must differ from region: replicating into the same region protects against nothing.',
      path: ['drRegion'],
    }),
  );

export type StageConfig = z.infer<typeof stageConfigSchema> & { readonly stage: StageName };

export const STAGE_NAMES = ['dev', 'prod'] as const;
export type StageName = (typeof STAGE_NAMES)[number];

/** Raised when the stage configuration cannot be used; synth stops with this message. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/**
 * Reads and validates one stage from the `kura:stages` context of cdk.json.
 * @param stages the raw `kura:stages` context value
 * @param stageName the stage to use, e.g. from `-c stage=prod`
 * @param env environment that may override the placeholder account at deploy (CDK_DEFAULT_ACCOUNT)
 */
export function loadStageConfig(
  stages: unknown,
  stageName: unknown,
  env: Readonly<Record<string, string | undefined>> = {},
): StageConfig {
  const name = z.enum(STAGE_NAMES).safeParse(stageName ?? 'dev');
  if (!name.success) {
    throw new ConfigError(
      `stage is "${String(stageName)}": allowed stages are ${STAGE_NAMES.join(' and ')}.`,
    );
  }
  const raw = (stages as Record<string, unknown> | undefined)?.[name.data];
  if (!raw || typeof raw !== 'object') {
    throw new ConfigError(`cdk.json has no context "kura:stages.${name.data}".`);
  }
  const withAccount = env.KURA_ACCOUNT ? { ...raw, account: env.KURA_ACCOUNT } : raw;
  const parsed = stageConfigSchema.safeParse(withAccount);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => {
      const at = issue.path.length > 0 ? issue.path.join('.') : '(stage)';
      return `  kura:stages.${name.data}.${at}: ${issue.message}`;
    });
    throw new ConfigError(`Invalid stage configuration "${name.data}":\n${lines.join('\n')}`);
  }
  return { ...parsed.data, stage: name.data };
}
