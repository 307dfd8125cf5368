/**
 * The platform side of a stage: its regions and settings, read from the same `kura:stages` context of
 * cdk.json that the stacks are built from. Every function bundle carries this file, so a function learns
 * its settings from `KURA_STAGE` alone: Lambda refuses more than 4 KB of environment variables, and the
 * settings (with Japanese text in what they produce) do not belong there.
 */

import cdk from '../../cdk.json' with { type: 'json' };
import { type PlatformSettings, platformSettingsSchema } from './settings.ts';
import * as z from './zod.ts';

/** The only regions Kura may use: data stays in Japan (the stage config, the CLI's login and the app check it). */
export const JAPAN_REGIONS = ['ap-northeast-1', 'ap-northeast-3'] as const;

/** True when the region keeps data in Japan. */
export const isJapanRegion = (region: string): boolean =>
  (JAPAN_REGIONS as readonly string[]).includes(region);

/**
 * A stage name: lower-case letters and digits, starting with a letter, at most 16 (it names Glue
 * databases, which allow lower-case letters, digits and underscores, and the functions' environment).
 */
export const STAGE_NAME_PATTERN = /^[a-z][a-z0-9]{0,15}$/;

/** The stages a deployment can be (the stacks' `-c stage=`). */
export const STAGE_NAMES = ['dev', 'prod'] as const;
export type StageName = (typeof STAGE_NAMES)[number];

/** What a function needs to know about its stage. */
export interface PlatformStage {
  readonly stage: string;
  /** Primary region (Japan only; the stage config refuses anything else). */
  readonly region: string;
  /** Disaster-recovery region, when the stage replicates. */
  readonly drRegion?: string | undefined;
  readonly settings: PlatformSettings;
}

const stageEntrySchema = z.object({
  region: z.string(),
  drRegion: z.optional(z.string()),
  settings: platformSettingsSchema,
});

/** Raised when a function starts with a stage its bundle does not know. */
export class UnknownStageError extends Error {
  override readonly name = 'UnknownStageError';
}

/**
 * Regions and settings of a stage, from the bundled cdk.json.
 * @throws UnknownStageError naming KURA_STAGE when the stage is not defined
 */
export function platformStage(stage: string): PlatformStage {
  const stages = (cdk.context as Record<string, unknown>)['kura:stages'] as Record<string, unknown>;
  const entry = Object.hasOwn(stages, stage) ? stages[stage] : undefined;
  if (entry === undefined) {
    throw new UnknownStageError(
      `KURA_STAGE is "${stage.slice(0, 40)}", but this bundle defines only the stages ${Object.keys(stages).join(', ')} (cdk.json kura:stages).`,
    );
  }
  const parsed = stageEntrySchema.safeParse(entry);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    throw new UnknownStageError(
      `Stage ${stage} in cdk.json kura:stages is invalid at ${first?.path.join('.') || '(root)'}: ${first?.message}`,
    );
  }
  return { stage, ...parsed.data };
}
