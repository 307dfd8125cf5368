import { defineConfig } from 'vitest/config';

/**
 * Five tiers (see README): `unit` is pure, `infra` synthesises CDK stacks offline, `twin` runs every
 * function's deployed bundle under its synthesized IAM and Lambda's limits (test/twin/README.md),
 * `integration` starts real local servers (s3rver, dynalite, DuckDB) on 127.0.0.1, `e2e` drives the
 * local platform's preview page in headless Chromium from the @sparticuz/chromium package (test/e2e/browser.ts).
 */
export default defineConfig({
  test: {
    reporters: ['default'],
    projects: [
      { test: { name: 'unit', include: ['test/unit/**/*.test.ts'], testTimeout: 20_000 } },
      {
        test: {
          name: 'infra',
          include: ['test/infra/**/*.test.ts'],
          testTimeout: 180_000,
          hookTimeout: 180_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'twin',
          include: ['test/twin/**/*.test.ts'],
          globalSetup: ['test/twin/global-setup.ts'],
          testTimeout: 300_000,
          hookTimeout: 300_000,
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          testTimeout: 120_000,
          hookTimeout: 240_000,
        },
      },
    ],
  },
});
