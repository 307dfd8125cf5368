import { readFileSync } from 'node:fs';
import { App, type Stack } from 'aws-cdk-lib';
import { loadStageConfig, type StageConfig, type StageName } from '../../infra/config.ts';
import { buildKuraApp, type KuraStacks } from '../../infra/kura-app.ts';

/** The `context` of cdk.json, as the CDK CLI would pass it. */
export const cdkContext: Record<string, unknown> = JSON.parse(
  readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8'),
).context;

/** The raw `kura:stages` context with one stage's fields replaced. */
export function stagesWith(stage: StageName, overrides: Record<string, unknown>): Record<string, unknown> {
  const stages = structuredClone(cdkContext['kura:stages']) as Record<string, Record<string, unknown>>;
  stages[stage] = { ...stages[stage], ...overrides };
  return stages;
}

export interface SynthesizedStage {
  readonly app: App;
  readonly config: StageConfig;
  readonly stacks: KuraStacks;
}

/**
 * Builds one stage the way `infra/app.ts` does, with asset bundling skipped (esbuild and the DuckDB layer
 * copy are exercised by `npm run synth`, not by every assertion).
 */
export function synthesizeStage(stage: StageName, overrides: Record<string, unknown> = {}): SynthesizedStage {
  const config = loadStageConfig(stagesWith(stage, overrides), stage);
  const app = new App({ context: { ...cdkContext, stage, 'aws:cdk:bundling-stacks': [] } });
  const stacks = buildKuraApp(app, config);
  app.synth();
  return { app, config, stacks };
}

/** Every stack of a synthesized stage. */
export const allStacks = (stacks: KuraStacks): Stack[] =>
  Object.values(stacks).filter((stack): stack is Stack => stack !== undefined);

/** One stage of cdk.json's `kura:stages`, raw. */
export const cdkStage = (stage: StageName): Record<string, unknown> =>
  (cdkContext['kura:stages'] as Record<string, Record<string, unknown>>)[stage] ?? {};

/** A node of synthesized CloudFormation JSON. */
// biome-ignore lint/suspicious/noExplicitAny: synthesized CloudFormation JSON is untyped; tests walk it freely.
export type CfnJson = Record<string, any>;
