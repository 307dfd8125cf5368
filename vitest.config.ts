import { defineConfig } from 'vitest/config';

/**
 * Every tier: code under test that writes to stdout/stderr directly (Powertools logs and EMF metrics, CDK
 * bundling lines) goes through the console (test/support/quiet-output.ts), which `silent: 'passed-only'`
 * shows only for a failing test. The AWS SDK's Node-version notice says nothing about the code under test.
 */
const quiet = {
  setupFiles: ['test/support/quiet-output.ts'],
  env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
};

/**
 * `unit` and `infra` files share their worker's modules (`isolate: false`): each file imported zod,
 * DuckDB's bindings or aws-cdk-lib anew and ran them cold. Measured on the 2-core machine (2026-12-07,
 * one sitting, each tier alone): infra 103.8 s → 33.7 s, unit 130.4 s → 87.2 s, same tests passing.
 * Sound only while these tiers keep no state in modules between files: no module mocks, stubbed
 * environment or globals, fake timers, and every spy restored in the file that made it; the test
 * test/unit/architecture/shared-workers.test.ts holds them to that.
 */
const shared = { isolate: false };

/**
 * Five tiers (see README): `unit` is pure, `infra` synthesises CDK stacks offline, `twin` runs every
 * function's deployed bundle under its synthesized IAM and Lambda's limits (test/twin/README.md),
 * `integration` starts real local servers (s3rver, dynalite, DuckDB) on 127.0.0.1, `e2e` drives the
 * local platform's preview page in headless Chromium from the @sparticuz/chromium package (test/e2e/browser.ts).
 */
export default defineConfig({
  test: {
    reporters: ['default'],
    // Two test files at a time. Vitest's default in a run is one worker fewer than the cores (one on the
    // 2-core CI machine), which left every other core idle while integration tests wait on child
    // processes, servers and DuckDB I/O; the suite took 894 s of its 900 s budget that way (2026-12-06).
    maxWorkers: 2,
    // A passing test's output is dropped; a failing test's (and its suite's) is printed with the failure.
    silent: 'passed-only',
    projects: [
      {
        test: { ...quiet, ...shared, name: 'unit', include: ['test/unit/**/*.test.ts'], testTimeout: 20_000 },
      },
      {
        test: {
          ...quiet,
          ...shared,
          name: 'infra',
          include: ['test/infra/**/*.test.ts'],
          testTimeout: 180_000,
          hookTimeout: 180_000,
        },
      },
      {
        test: {
          ...quiet,
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
      {
        test: {
          ...quiet,
          name: 'twin',
          include: ['test/twin/**/*.test.ts'],
          globalSetup: ['test/twin/global-setup.ts'],
          testTimeout: 300_000,
          hookTimeout: 300_000,
        },
      },
      {
        test: {
          ...quiet,
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          testTimeout: 120_000,
          hookTimeout: 240_000,
        },
      },
    ],
  },
});
