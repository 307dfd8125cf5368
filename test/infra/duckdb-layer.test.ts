import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DUCKDB_LAYER_PACKAGES,
  DuckDbLayerBuildError,
  duckDbLayerFingerprint,
  stageDuckDbLayer,
} from '../../layers/duckdb/build.ts';

const nodeModules = new URL('../../node_modules', import.meta.url).pathname;

describe('DuckDB layer', () => {
  let outputDir: string;

  beforeAll(() => {
    outputDir = mkdtempSync(join(tmpdir(), 'kura-duckdb-layer-'));
    stageDuckDbLayer(nodeModules, outputDir);
  });

  afterAll(() => rmSync(outputDir, { recursive: true, force: true }));

  it('lays the packages out under nodejs/node_modules, where Lambda looks for layer modules', () => {
    for (const name of DUCKDB_LAYER_PACKAGES) {
      expect(existsSync(join(outputDir, 'nodejs', 'node_modules', name, 'package.json'))).toBe(true);
    }
  });

  it('carries the linux-x64 native binding', () => {
    const binding = join(outputDir, 'nodejs', 'node_modules', '@duckdb', 'node-bindings-linux-x64');
    expect(readdirSync(binding).some((file) => file.endsWith('.node'))).toBe(true);
  });

  it('runs a query with DuckDB resolved from the layer alone', async () => {
    const requireFromLayer = createRequire(join(outputDir, 'nodejs', 'node_modules', 'probe.js'));
    const resolved = requireFromLayer.resolve('@duckdb/node-api');
    expect(resolved.startsWith(outputDir)).toBe(true);
    const { DuckDBInstance } = (await import(resolved)) as typeof import('@duckdb/node-api');
    const instance = await DuckDBInstance.create(':memory:');
    const connection = await instance.connect();
    const reader = await connection.runAndReadAll('select 6 * 7 as answer');
    expect(reader.getRowObjects()).toEqual([{ answer: 42 }]);
    connection.closeSync();
    instance.closeSync();
  });

  it('fingerprints the layer by package versions', () => {
    expect(duckDbLayerFingerprint(nodeModules)).toMatch(
      /^@duckdb\/node-api@1\.5\.5-r\.5,@duckdb\/node-bindings@1\.5\.5-r\.5,@duckdb\/node-bindings-linux-x64@1\.5\.5-r\.5,detect-libc@/,
    );
  });

  it('names the missing package and the fix when node_modules lacks one', () => {
    const empty = mkdtempSync(join(tmpdir(), 'kura-empty-'));
    try {
      expect(() => duckDbLayerFingerprint(empty)).toThrow(DuckDbLayerBuildError);
      expect(() => duckDbLayerFingerprint(empty)).toThrow(/@duckdb\/node-api is not installed .*npm ci/);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});
