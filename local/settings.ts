import { readFile } from 'node:fs/promises';
import { type PlatformSettings, platformSettingsSchema } from '../functions/domain/settings.ts';

/** The repository's cdk.json: the local platform runs with the dev stage's settings, like the stack. */
const CDK_JSON = new URL('../cdk.json', import.meta.url);

/** Settings of the `dev` stage in cdk.json, through the shared schema. */
export async function localSettings(): Promise<PlatformSettings> {
  const cdk = JSON.parse(await readFile(CDK_JSON, 'utf8')) as { context?: Record<string, unknown> };
  const stages = cdk.context?.['kura:stages'] as Record<string, { settings?: unknown }> | undefined;
  return platformSettingsSchema.parse(stages?.dev?.settings ?? {});
}
