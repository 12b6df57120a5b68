import { defineConfig } from 'vitest/config';

// The Flink tier (npm run test:flink): the real Flink job (PyFlink's embedded mini-cluster) with
// the same real servers as the main suite (global setup: PostgreSQL, the Temporal dev server).
// Its test installs PyFlink and the connector jars with flink/install.sh (once; a no-op after).
export default defineConfig({
  test: {
    globalSetup: ['test/global-setup.ts'],
    setupFiles: ['test/setup-runtime.ts'],
    include: ['test/flink/**/*.test.ts'],
    testTimeout: 600_000,
    // A fresh install of PyFlink takes a minute or two; more on a slow network.
    hookTimeout: 1_200_000,
    // A Flink JVM, dbt, PostgreSQL and the dev server share two cores: one file at a time.
    maxWorkers: 1,
    pool: 'forks',
  },
});
