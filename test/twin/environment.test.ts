import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  type EnvironmentNeeds,
  optionalVariables,
  requiredVariables,
} from '../../functions/adapters/environment.ts';
import { API_NEEDS } from '../../functions/api/runtime.ts';
import { INGEST_NEEDS } from '../../functions/ingest/runtime.ts';
import { LEDGER_EXPORT_NEEDS } from '../../functions/ledger-export/runtime.ts';
import { MASK_NEEDS } from '../../functions/mask/runtime.ts';
import { PURGE_NEEDS } from '../../functions/purge/runtime.ts';
import { RELEASE_NEEDS } from '../../functions/stats-release/runtime.ts';
import { SUPPORT_SWEEP_NEEDS } from '../../functions/support-sweep/runtime.ts';
import { UPLOAD_WATCH_NEEDS } from '../../functions/upload-watch/runtime.ts';
import { ResolvedDeployment, readAssembly } from './harness/assembly.ts';
import { FunctionError } from './harness/cloud/lambda.ts';
import { twinFunctions } from './harness/functions.ts';
import { Twin } from './harness/twin.ts';

/** Each function's declared needs, by its Powertools service name. */
const NEEDS: Readonly<Record<string, EnvironmentNeeds>> = {
  'kura-api': API_NEEDS,
  'kura-ingest': INGEST_NEEDS,
  'kura-mask': MASK_NEEDS,
  'kura-purge': PURGE_NEEDS,
  'kura-stats-release': RELEASE_NEEDS,
  'kura-ledger-export': LEDGER_EXPORT_NEEDS,
  'kura-support-sweep': SUPPORT_SWEEP_NEEDS,
  'kura-upload-watch': UPLOAD_WATCH_NEEDS,
};

describe.each(['dev', 'prod'] as const)('environment of every function of the %s stage', (stage) => {
  it('sets exactly the variables its composition root declares: nothing missing, nothing unused', () => {
    // Prepare
    const functions = twinFunctions(
      new ResolvedDeployment(readAssembly(inject('twinAssemblies')[stage], stage)),
    ).filter((fn) => fn.kura);

    // Act
    const mismatches = functions.flatMap((fn) => {
      const service = fn.environment.POWERTOOLS_SERVICE_NAME ?? '';
      const needs = NEEDS[service];
      if (!needs) return [`${service}: no declaration`];
      const set = Object.keys(fn.environment).filter((name) => name.startsWith('KURA_'));
      const required = requiredVariables(needs).map((v) => v.name);
      const allowed = new Set([...required, ...optionalVariables(needs)]);
      return [
        ...required.filter((name) => !set.includes(name)).map((name) => `${service}: ${name} missing`),
        ...set.filter((name) => !allowed.has(name)).map((name) => `${service}: ${name} set but never read`),
      ];
    });

    // Assess
    expect(functions.map((fn) => fn.environment.POWERTOOLS_SERVICE_NAME).sort()).toEqual(
      Object.keys(NEEDS).sort(),
    );
    expect(mismatches).toEqual([]);
  });
});

describe('a function started with a broken environment', () => {
  let twin: Twin;
  beforeAll(async () => {
    twin = await Twin.start('dev', inject('twinAssemblies').dev);
  });
  afterAll(async () => {
    await twin?.stop();
  });

  const firstInvocation = async (service: string, changes: Record<string, string | undefined>) => {
    const fn = twin.fn(service);
    twin.lambda.overrideEnvironment(fn.name, changes);
    return twin.lambda.invoke(fn.name, {}).then(
      () => 'succeeded',
      (error: unknown) => (error instanceof FunctionError ? error.errorMessage : String(error)),
    );
  };

  it('fails at cold start naming a missing variable, before touching anything', async () => {
    // Act
    const message = await firstInvocation('kura-ledger-export', { KURA_TABLE_LEDGER: undefined });

    // Assess
    expect(message).toMatch(/Environment variable KURA_TABLE_LEDGER is not set/);
    expect(twin.iam.decisions).toEqual([]);
  });

  it('fails at cold start naming a variable whose value is oversized or not of its kind', async () => {
    // Act
    const oversized = await firstInvocation('kura-support-sweep', { KURA_BUCKET_RAW: 'b'.repeat(64) });
    const wrongKind = await firstInvocation('kura-ledger-export', {
      KURA_TABLE_LEDGER: 'kura-dev-ledger',
      KURA_BUCKET_AUDIT_KEY_ARN: 'not-an-arn',
    });

    // Assess
    expect(oversized).toMatch(/Environment variable KURA_BUCKET_RAW is 64 characters long/);
    expect(wrongKind).toMatch(/Environment variable KURA_BUCKET_AUDIT_KEY_ARN does not hold a KMS key ARN/);
  });

  it('is refused by Lambda when its variables take more than 4 KB', async () => {
    // Act
    const message = await firstInvocation('kura-ledger-export', { KURA_PADDING: 'x'.repeat(4096) });

    // Assess
    expect(message).toMatch(/above the 4 KB limit/);
    expect(twin.lambda.violations.some((v) => v.includes('4 KB'))).toBe(true);
  });
});
