import { configDefaults, defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // One Temporal dev server and one PostgreSQL for the whole run (several dev servers racing
    // each other is a known source of flaky failures); each file gets its own database and
    // each test its own task queue.
    globalSetup: ['test/global-setup.ts'],
    setupFiles: ['test/setup-runtime.ts'],
    include: ['test/**/*.test.ts'],
    // The Flink tier runs on its own: npm run test:flink.
    exclude: [...configDefaults.exclude, 'test/flink/**'],
    testTimeout: 120_000,
    hookTimeout: 180_000,
    // Two cores: dbt and the servers need the rest.
    maxWorkers: 2,
    pool: 'forks',
  },
});
