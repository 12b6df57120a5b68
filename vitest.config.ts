import { configDefaults, defineConfig } from 'vitest/config';

const SERVERS_SETUP = {
  // One Temporal dev server and one PostgreSQL for the whole run, shared by these projects
  // (several dev servers racing each other is a known source of flaky failures); each file
  // gets its own database and each test its own task queue.
  globalSetup: ['test/global-setup.ts'],
  setupFiles: ['test/setup-runtime.ts'],
};

export default defineConfig({
  test: {
    // The Flink tier runs on its own: npm run test:flink.
    exclude: [...configDefaults.exclude, 'test/flink/**'],
    testTimeout: 120_000,
    hookTimeout: 180_000,
    // Two cores: dbt and the servers need the rest.
    maxWorkers: 2,
    pool: 'forks',
    projects: [
      // test/unit: no server, no database; `npx vitest run --project unit` starts nothing.
      { extends: true, test: { name: 'unit', include: ['test/unit/**/*.test.ts'] } },
      // The rest runs against the real servers, started once per run by the global setup:
      // workflows on the time-skipping test server (seconds each), the integration tests on
      // the dev server, PostgreSQL and dbt, and the fault tests (workers killed, PostgreSQL
      // stopped: minutes).
      { extends: true, test: { name: 'workflow', include: ['test/workflow/**/*.test.ts'], ...SERVERS_SETUP } },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          exclude: ['test/integration/faults.test.ts', 'test/integration/npm-start-crash.test.ts'],
          ...SERVERS_SETUP,
        },
      },
      { extends: true, test: { name: 'faults', include: ['test/integration/faults.test.ts', 'test/integration/npm-start-crash.test.ts'], ...SERVERS_SETUP } },
    ],
  },
});
