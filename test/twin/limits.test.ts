import { describe, expect, inject, it } from 'vitest';
import { ResolvedDeployment, readAssembly } from './harness/assembly.ts';
import { environmentBytes, LAMBDA_ENVIRONMENT_LIMIT_BYTES, twinFunctions } from './harness/functions.ts';

describe.each(['dev', 'prod'] as const)('Lambda limits of the synthesized %s stage', (stage) => {
  const deployment = () => new ResolvedDeployment(readAssembly(inject('twinAssemblies')[stage], stage));

  it('keeps every function environment within the 4 KB Lambda accepts (names + values, UTF-8, tokens resolved)', () => {
    // Prepare
    const functions = twinFunctions(deployment());

    // Act
    const sizes = functions.map((fn) => ({
      name: fn.resource.logicalId,
      bytes: environmentBytes(fn.environment),
    }));

    // Assess
    expect(functions.filter((fn) => fn.kura).length).toBeGreaterThanOrEqual(7);
    expect(sizes.filter((size) => size.bytes > LAMBDA_ENVIRONMENT_LIMIT_BYTES)).toEqual([]);
  });
});
