import { defineConfig } from 'vitest/config';

/**
 * The real-AWS acceptance suite (`npm run test:aws`): checks a deployed stage for what local servers
 * cannot (S3 POST policies, versioning, IAM/Lake Formation denials, Athena). Opt-in, never part of
 * `npm test` (vitest.config.ts collects only test/unit, test/infra and test/integration). It deploys
 * nothing; the global setup fails at once, listing the variables, when the environment is incomplete.
 */
export default defineConfig({
  test: {
    name: 'aws',
    include: ['test/aws/**/*.test.ts'],
    globalSetup: ['test/aws/global-setup.ts'],
    reporters: ['default'],
    // Real services: ingestion, purges and Athena queries take minutes, not milliseconds.
    testTimeout: 600_000,
    hookTimeout: 300_000,
    fileParallelism: false,
  },
});
