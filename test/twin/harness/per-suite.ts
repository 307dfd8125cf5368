import { afterAll, beforeAll, inject } from 'vitest';
import type { StageName } from '../../../infra/config.ts';
import { Twin } from './twin.ts';

/**
 * The stage's twin for the enclosing `describe`: started before its tests, stopped after them, and the
 * process environment restored (each `deployedRuntime` sets a role's credentials in it). Call it in the
 * describe's body; the getter returns the running twin.
 */
export function twinPerSuite(stage: StageName): () => Twin {
  let twin: Twin | undefined;
  const saved = { ...process.env };
  beforeAll(async () => {
    twin = await Twin.start(stage, inject('twinAssemblies')[stage]);
  });
  afterAll(async () => {
    process.env = saved;
    await twin?.stop();
  });
  return () => {
    if (!twin) throw new Error(`The twin of ${stage} is not running (call the getter inside a test)`);
    return twin;
  };
}
