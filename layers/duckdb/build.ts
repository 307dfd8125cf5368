import { cpSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The DuckDB Lambda layer: `@duckdb/node-api`, its bindings and the linux-x64 native binary, copied
 * from the installed node_modules at synth time (offline, no Docker) into the layer layout Lambda
 * expects, `nodejs/node_modules/...`. Functions that use it leave `@duckdb/*` out of their bundle.
 */

/** Packages the layer carries: the API, its bindings, the linux-x64 binary and the bindings' one dependency. */
export const DUCKDB_LAYER_PACKAGES = [
  '@duckdb/node-api',
  '@duckdb/node-bindings',
  '@duckdb/node-bindings-linux-x64',
  'detect-libc',
] as const;

/** Raised when a package the layer needs is not installed. */
export class DuckDbLayerBuildError extends Error {
  override readonly name = 'DuckDbLayerBuildError';
}

const packageDir = (nodeModules: string, name: string) => join(nodeModules, ...name.split('/'));

/**
 * Identifies the layer's content by the versions it carries, so synth reuses a staged copy instead of
 * copying and hashing 70 MB each time.
 */
export function duckDbLayerFingerprint(nodeModules: string): string {
  return DUCKDB_LAYER_PACKAGES.map((name) => {
    const manifest = join(packageDir(nodeModules, name), 'package.json');
    if (!existsSync(manifest)) {
      throw new DuckDbLayerBuildError(
        `${name} is not installed in ${nodeModules}; run npm ci (the DuckDB layer is built from node_modules).`,
      );
    }
    const { version } = JSON.parse(readFileSync(manifest, 'utf8')) as { version: string };
    return `${name}@${version}`;
  }).join(',');
}

/** Copies the layer's packages from `nodeModules` into `outputDir/nodejs/node_modules`. */
export function stageDuckDbLayer(nodeModules: string, outputDir: string): void {
  duckDbLayerFingerprint(nodeModules);
  for (const name of DUCKDB_LAYER_PACKAGES) {
    cpSync(packageDir(nodeModules, name), packageDir(join(outputDir, 'nodejs', 'node_modules'), name), {
      recursive: true,
      dereference: true,
    });
  }
}
