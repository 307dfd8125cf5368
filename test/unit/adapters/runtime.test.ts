import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { envResolver, MissingEnvironmentError, requireEnv } from '../../../functions/adapters/env.ts';
import { createDeployedRuntime } from '../../../functions/adapters/runtime.ts';
import { bucketEnvVar } from '../../../functions/adapters/table-definitions.ts';

const baseEnv = { KURA_STAGE: 'dev', KURA_SETTINGS: '{}', AWS_REGION: 'ap-northeast-1' };

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

  it('builds the deployed ports with the settings from KURA_SETTINGS', () => {
    // Act
    const ports = createDeployedRuntime({
      ...baseEnv,
      KURA_SETTINGS: JSON.stringify({ limits: { uploadUrlExpirySeconds: 120 } }),
    });

    // Assess
    expect(ports.stage).toBe('dev');
    expect(ports.settings.limits.uploadUrlExpirySeconds).toBe(120);
    expect(ports.athena).toBeUndefined();
  });

  it('refuses settings the shared schema rejects, naming the setting', () => {
    // Act
    const attempt = () =>
      createDeployedRuntime({
        ...baseEnv,
        KURA_SETTINGS: JSON.stringify({ limits: { uploadUrlExpirySeconds: 3600 } }),
      });

    // Assess
    expect(attempt).toThrow(/KURA_SETTINGS is invalid at limits.uploadUrlExpirySeconds/);
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
