import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { envResolver, MissingEnvironmentError, requireEnv } from '../../../functions/adapters/env.ts';
import { bucketEnvVar } from '../../../functions/adapters/resource-env-vars.ts';
import { createDeployedRuntime } from '../../../functions/adapters/runtime.ts';
import { platformStage, UnknownStageError } from '../../../functions/domain/stages.ts';

const baseEnv = { KURA_STAGE: 'dev', AWS_REGION: 'ap-northeast-1' };

describe('runtime environment', () => {
  it('names the missing variable', () => {
    // Act
    const attempt = () => requireEnv({}, 'KURA_STAGE');

    // Assess
    expect(attempt).toThrow(MissingEnvironmentError);
    expect(attempt).toThrow(/KURA_STAGE is not set/);
  });

  it('resolves a logical bucket through its KURA_BUCKET_ variable and names it when absent', () => {
    // Prepare
    const resolve = envResolver({ KURA_BUCKET_QUERY_RESULTS: 'kura-dev-results-123' }, bucketEnvVar);

    // Act
    const found = resolve('query-results');

    // Assess
    expect(found).toBe('kura-dev-results-123');
    expect(() => resolve('landing')).toThrow(/KURA_BUCKET_LANDING/);
  });

  it('builds the deployed ports with the regions and settings of its stage from the bundled cdk.json', () => {
    // Act
    const dev = createDeployedRuntime(baseEnv);
    const prod = createDeployedRuntime({ ...baseEnv, KURA_STAGE: 'prod' });

    // Assess
    expect(dev.stage).toBe('dev');
    expect(dev.settings).toEqual(platformStage('dev').settings);
    expect(dev.drRegion).toBeUndefined();
    expect(prod.drRegion).toBe('ap-northeast-3');
    expect(prod.settings.retention.auditLockDays).toBe(
      platformStage('prod').settings.retention.auditLockDays,
    );
    expect(dev.athena).toBeUndefined();
  });

  it('refuses a stage its bundle does not define, naming KURA_STAGE', () => {
    // Act
    const attempt = () => createDeployedRuntime({ ...baseEnv, KURA_STAGE: 'staging' });

    // Assess
    expect(attempt).toThrow(UnknownStageError);
    expect(attempt).toThrow(/KURA_STAGE is "staging".*dev, prod/);
  });

  it('names KURA_KEY_SECRET_PREFIX when a key is needed and the variable is missing', async () => {
    // Prepare
    const ports = createDeployedRuntime(baseEnv);

    // Act
    const attempt = ports.keys.exists('demo-a');

    // Assess
    await expect(attempt).rejects.toThrow(/KURA_KEY_SECRET_PREFIX/);
  });

  it('names the bucket variable when an object is first read and the variable is missing', async () => {
    // Prepare
    const ports = createDeployedRuntime(baseEnv);

    // Act
    const attempt = ports.objects.get('landing', 'x');

    // Assess
    await expect(attempt).rejects.toThrow(/KURA_BUCKET_LANDING/);
  });

  it('imports no AWS SDK or DuckDB value at module load in the runtime and its adapters', async () => {
    // Prepare: bundlers turn a static import of an external into a load at cold start
    const files = [
      'runtime.ts',
      's3-object-store.ts',
      'dynamo-table.ts',
      'key-stores.ts',
      'query-runners.ts',
    ];

    // Act
    const staticValueImports = [];
    for (const file of files) {
      const source = await readFile(new URL(`../../../functions/adapters/${file}`, import.meta.url), 'utf8');
      for (const match of source.matchAll(
        /^import (?!type )[^;]*from '(@aws-sdk\/[^']+|@duckdb\/[^']+)'/gm,
      )) {
        staticValueImports.push(`${file}: ${match[1]}`);
      }
    }

    // Assess
    expect(staticValueImports).toEqual([]);
  });
});
