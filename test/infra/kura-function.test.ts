import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { platformStage } from '../../functions/domain/stages.ts';
import { loadStageConfig } from '../../infra/config.ts';
import { KuraFunction } from '../../infra/constructs/kura-function.ts';
import { allStacks, type CfnJson, cdkContext, type SynthesizedStage, synthesizeStage } from './support.ts';

describe('KuraFunction defaults on every function of every stack', () => {
  interface SynthesizedFunctions {
    readonly stage: SynthesizedStage;
    readonly kura: Array<{ fn: CfnJson; logGroup: CfnJson | undefined }>;
    readonly nodeFunctions: CfnJson[];
  }
  let stages: SynthesizedFunctions[];

  const functionsOf = (stage: SynthesizedStage): SynthesizedFunctions => {
    const templates = allStacks(stage.stacks).map((stack) => Template.fromStack(stack));
    const kura = templates.flatMap((template) => {
      const logGroups = template.findResources('AWS::Logs::LogGroup') as Record<string, CfnJson>;
      return (Object.values(template.findResources('AWS::Lambda::Function')) as CfnJson[])
        .filter((fn) => fn.Properties.Environment?.Variables?.KURA_STAGE !== undefined)
        .map((fn) => ({ fn, logGroup: logGroups[fn.Properties.LoggingConfig?.LogGroup?.Ref] }));
    });
    const nodeFunctions = templates.flatMap((template) =>
      (Object.values(template.findResources('AWS::Lambda::Function')) as CfnJson[]).filter((fn) =>
        String(fn.Properties.Runtime).startsWith('nodejs'),
      ),
    );
    return { stage, kura, nodeFunctions };
  };

  beforeAll(() => {
    stages = [functionsOf(synthesizeStage('dev')), functionsOf(synthesizeStage('prod'))];
  });

  it('builds every Kura function through KuraFunction (no other Node.js function exists)', () => {
    for (const { kura, nodeFunctions } of stages) {
      expect(kura.length).toBeGreaterThan(0);
      expect(nodeFunctions).toHaveLength(kura.length);
    }
  });

  it('runs Node.js 24 on x86_64 with active tracing and source maps', () => {
    for (const { kura } of stages) {
      for (const { fn } of kura) {
        expect(fn.Properties.Runtime).toBe('nodejs24.x');
        expect(fn.Properties.Architectures).toEqual(['x86_64']);
        expect(fn.Properties.TracingConfig).toEqual({ Mode: 'Active' });
        expect(fn.Properties.Environment.Variables.NODE_OPTIONS).toBe('--enable-source-maps');
      }
    }
  });

  it('allows nothing on Resource * except the X-Ray calls that have no resource-level permissions', () => {
    for (const { stage } of stages) {
      for (const stack of allStacks(stage.stacks)) {
        const policies = Object.entries(Template.fromStack(stack).findResources('AWS::IAM::Policy')) as Array<
          [string, CfnJson]
        >;
        const kuraPolicies = policies.filter(([id]) => !id.includes('BucketNotificationsHandler'));
        for (const [, kuraPolicy] of kuraPolicies) {
          for (const statement of kuraPolicy.Properties.PolicyDocument.Statement as CfnJson[]) {
            if (![statement.Resource].flat().includes('*')) continue;
            expect(statement.Action).toEqual(['xray:PutTelemetryRecords', 'xray:PutTraceSegments']);
          }
        }
      }
    }
  });

  it('passes the stage and the service name to every function; the bundle holds the stage settings the stack validated', () => {
    for (const { stage, kura } of stages) {
      expect(platformStage(stage.config.stage).settings).toEqual(stage.config.settings);
      for (const { fn } of kura) {
        const env = fn.Properties.Environment.Variables;
        expect(env.KURA_STAGE).toBe(stage.config.stage);
        expect(env.KURA_SETTINGS).toBeUndefined();
        expect(env.POWERTOOLS_SERVICE_NAME).toMatch(/^kura-[a-z-]+$/);
      }
    }
  });

  it("logs to the function's own log group with the stage's retention", () => {
    for (const { stage, kura } of stages) {
      for (const { logGroup } of kura) {
        expect(logGroup?.Properties.RetentionInDays).toBe(stage.config.logRetentionDays);
      }
    }
  });
});

describe('KuraFunction bundling', () => {
  let outdir: string;
  let bundle: string;
  let template: Template;

  beforeAll(() => {
    outdir = mkdtempSync(join(tmpdir(), 'kura-function-'));
    const config = loadStageConfig(cdkContext['kura:stages'], 'dev');
    const app = new App({ outdir, context: cdkContext });
    const stack = new Stack(app, 'BundlingProbe', {
      env: { account: config.account, region: config.region },
    });
    const layer = lambda.LayerVersion.fromLayerVersionArn(
      stack,
      'Layer',
      `arn:aws:lambda:${config.region}:${config.account}:layer:duckdb:1`,
    );
    new KuraFunction(stack, 'Probe', {
      entry: 'functions/ingest/handler.ts',
      serviceName: 'kura-probe',
      description: 'bundling probe',
      config,
      timeout: Duration.seconds(5),
      reservedConcurrentExecutions: 2,
      duckDbLayer: layer,
    });
    app.synth();
    template = Template.fromStack(stack);
    const assetDir = readdirSync(outdir).find((entry) => entry.startsWith('asset.'));
    bundle = readFileSync(join(outdir, assetDir ?? 'missing', 'index.mjs'), 'utf8');
  });

  afterAll(() => rmSync(outdir, { recursive: true, force: true }));

  it('bundles the handler as an ES module with a source map reference', () => {
    expect(bundle).toMatch(/\bexport\s*{/);
    expect(bundle).toContain('sourceMappingURL=index.mjs.map');
  });

  it('leaves the AWS SDK and DuckDB to the runtime and the layer', () => {
    // Left external, the SDK stays an import specifier (static, or dynamic since clients load on first
    // use); bundled, esbuild would have inlined it and the specifier would be gone.
    expect(bundle).toMatch(/(from\s*|import\(\s*)"@aws-sdk\/client-s3"/);
    expect(bundle).toMatch(/import\(\s*"@duckdb\/node-api"\s*\)/);
  });

  it('reserves concurrency when asked', () => {
    template.hasResourceProperties('AWS::Lambda::Function', { ReservedConcurrentExecutions: 2 });
  });
});
