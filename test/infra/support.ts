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

/** Whether some Allow statement of a policy document grants `action` on `resource` (statements may be merged). */
export function allows(document: CfnJson, action: string, resource: unknown, condition?: CfnJson): boolean {
  const list = <T>(value: T | T[]): T[] => (Array.isArray(value) ? value : [value]);
  return (document.Statement as CfnJson[]).some(
    (statement) =>
      statement.Effect === 'Allow' &&
      list(statement.Action).includes(action) &&
      list(statement.Resource).some((candidate) => JSON.stringify(candidate) === JSON.stringify(resource)) &&
      (condition === undefined || JSON.stringify(statement.Condition) === JSON.stringify(condition)),
  );
}

/** The policy document of a function's role default policy, by the function's logical id prefix. */
export function rolePolicyOf(
  template: { findResources(type: string): CfnJson },
  roleIdPrefix: string,
): CfnJson {
  const policies = Object.entries(template.findResources('AWS::IAM::Policy')).filter(([id]) =>
    id.startsWith(`${roleIdPrefix}RoleDefaultPolicy`),
  );
  if (policies.length !== 1)
    throw new Error(`expected one default policy for ${roleIdPrefix}, found ${policies.length}`);
  return (policies[0] as [string, CfnJson])[1].Properties.PolicyDocument;
}

/** A function's resource by logical id prefix. */
export function functionOf(template: { findResources(type: string): CfnJson }, idPrefix: string): CfnJson {
  const found = Object.entries(template.findResources('AWS::Lambda::Function')).filter(
    ([id]) => id.startsWith(idPrefix) && !id.startsWith(`${idPrefix}Role`),
  );
  if (found.length !== 1) throw new Error(`expected one function ${idPrefix}, found ${found.length}`);
  return (found[0] as [string, CfnJson])[1];
}
