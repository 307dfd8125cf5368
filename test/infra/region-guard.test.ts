import { App } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { JAPAN_REGIONS } from '../../functions/domain/stages.ts';
import { ConfigError, loadStageConfig } from '../../infra/config.ts';
import { buildKuraApp } from '../../infra/kura-app.ts';
import { allStacks, cdkContext, stagesWith, synthesizeStage } from './support.ts';

const REGION_PATTERN = /\b(?:us|eu|ap|sa|ca|me|af|il|mx|cn)-(?:gov-)?[a-z]+-\d\b/g;

describe('region guard', () => {
  it('refuses us-east-1 with a message that names the setting and the allowed values', () => {
    const load = () => loadStageConfig(stagesWith('dev', { region: 'us-east-1' }), 'dev');
    expect(load).toThrow(ConfigError);
    expect(load).toThrow(
      /kura:stages\.dev\.region: region is "us-east-1".*ap-northeast-1 and ap-northeast-3/,
    );
  });

  it('refuses a disaster-recovery region outside Japan, naming drRegion', () => {
    const load = () => loadStageConfig(stagesWith('prod', { drRegion: 'us-west-2' }), 'prod');
    expect(load).toThrow(
      /kura:stages\.prod\.drRegion: drRegion is "us-west-2".*ap-northeast-1 and ap-northeast-3/,
    );
  });

  it('accepts ap-northeast-3 and builds every stack there', () => {
    const config = loadStageConfig(stagesWith('dev', { region: 'ap-northeast-3' }), 'dev');
    const app = new App({ context: { ...cdkContext, 'aws:cdk:bundling-stacks': [] } });
    const stacks = allStacks(buildKuraApp(app, config));
    expect(stacks.length).toBeGreaterThan(0);
    for (const stack of stacks) expect(stack.region).toBe('ap-northeast-3');
  });

  it('refuses a hand-built config whose region is outside Japan', () => {
    const config = loadStageConfig(cdkContext['kura:stages'], 'dev');
    const app = new App({ context: { ...cdkContext, 'aws:cdk:bundling-stacks': [] } });
    expect(() => buildKuraApp(app, { ...config, region: 'eu-west-1' })).toThrow(/region is "eu-west-1"/);
  });

  it('gives every synthesized stack of every stage an explicit Japanese env, and mentions no other region', () => {
    for (const stageName of ['dev', 'prod'] as const) {
      const { app, stacks } = synthesizeStage(stageName);
      const assembly = app.synth();
      for (const stack of allStacks(stacks)) {
        expect(JAPAN_REGIONS).toContain(stack.region);
        expect(stack.account).toMatch(/^\d{12}$/);
        const template = JSON.stringify(assembly.getStackByName(stack.stackName).template);
        const regions = new Set(template.match(REGION_PATTERN) ?? []);
        for (const region of regions) expect(JAPAN_REGIONS).toContain(region);
      }
    }
  });
});
