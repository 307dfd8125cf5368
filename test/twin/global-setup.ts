import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { synthesizeAssembly } from './harness/assembly.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Cloud assembly folders of the synthesized stages, written once per run. */
    twinAssemblies: { readonly dev: string; readonly prod: string };
  }
}

/**
 * Synthesizes `dev` and `prod` once for the whole twin tier, with bundling, as `cdk synth` does: every
 * twin test reads these assemblies (templates and staged function code), never the infra objects.
 */
export default async function setup(project: TestProject) {
  const root = await mkdtemp(join(tmpdir(), 'kura-twin-assembly-'));
  const { dev, prod } = withStderrShownOnFailure(() => ({
    dev: synthesizeAssembly('dev', join(root, 'dev')).directory,
    prod: synthesizeAssembly('prod', join(root, 'prod')).directory,
  }));
  project.provide('twinAssemblies', { dev, prod });
  return async () => {
    await rm(root, { recursive: true, force: true });
  };
}

/**
 * Global setup runs in Vitest's own process, outside any test: CDK's "Bundling asset …" lines would go
 * straight to the terminal. They are kept and printed only when synthesis fails.
 */
function withStderrShownOnFailure<T>(act: () => T): T {
  const write = process.stderr.write;
  const kept: string[] = [];
  process.stderr.write = ((chunk: string | Uint8Array) => {
    kept.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    return true;
  }) as typeof process.stderr.write;
  try {
    return act();
  } catch (error) {
    process.stderr.write = write;
    process.stderr.write(kept.join(''));
    throw error;
  } finally {
    process.stderr.write = write;
  }
}
