// The layers of the code, checked by dependency-cruiser in `npm test` (npm run lint:layers).
// From the bottom up:
//   src/core        pure: types, dates, limits, the pipeline registry; no I/O, no package but its own
//   src/platform    configuration, logging, metrics, database and Temporal connections, build paths
//   src/artifacts   the readers of dbt's artifacts (run_results.json, logs), for activities, CLI, dashboard
//   src/client      Temporal client operations: start, follow and filter runs, schedules, markers, deployments
//   activities/     every side effect of a run        workflows/  deterministic code (imports the core; activities as types)
//   src/dashboard   the read-only dashboard the worker serves
//   src/worker, src/cli          the two entry points of production
//   src/local       the local development stack (npm start, the Flink stand-in): nothing in production imports it
// Each rule is one arrow that must not exist; test/unit/architecture.test.ts shows each one failing
// on a deliberately wrong import.
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'core-is-pure',
      comment: 'src/core imports nothing outside itself: no I/O, no project layer, no package.',
      severity: 'error',
      from: { path: '^src/core/' },
      to: { pathNot: '^src/core/' },
    },
    {
      name: 'workflows-are-deterministic',
      comment: 'Workflow code imports the core, other workflow code, and the activities as types only (never their code).',
      severity: 'error',
      from: { path: '^workflows/' },
      to: { pathNot: '^(workflows|src/core)/|^node_modules/@temporalio/(workflow|common)/', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'activities-never-import-workflows',
      comment: 'Activities run outside the sandbox; workflow code is started through the client, never imported.',
      severity: 'error',
      from: { path: '^activities/' },
      to: { path: '^workflows/', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'activities-below-entry-points',
      comment: 'Activities are created by the worker (or the CLI test-step) with their dependencies: they import neither.',
      severity: 'error',
      from: { path: '^activities/' },
      to: { path: '^src/(worker|cli|dashboard|local)/' },
    },
    {
      name: 'platform-is-low',
      comment: 'src/platform imports only the core and itself.',
      severity: 'error',
      from: { path: '^src/platform/' },
      to: { path: '^(activities|workflows|src/(client|artifacts|worker|cli|dashboard|local))/' },
    },
    {
      name: 'artifacts-and-client-are-low',
      comment: 'The artifact readers and the Temporal client operations import the core and the platform only.',
      severity: 'error',
      from: { path: '^src/(artifacts|client)/' },
      to: { path: '^(activities|workflows|src/(worker|cli|dashboard|local))/', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'dashboard-below-worker',
      comment: 'The worker serves the dashboard; the dashboard imports no entry point.',
      severity: 'error',
      from: { path: '^src/dashboard/' },
      to: { path: '^(workflows|src/(worker|cli|local))/', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'entry-points-apart',
      comment: 'The worker and the CLI share the layers below them, never each other.',
      severity: 'error',
      from: { path: '^src/(worker|cli)/' },
      to: { path: '^src/(worker|cli)/', pathNot: '^src/$1/' },
    },
    {
      name: 'production-never-imports-the-local-stack',
      comment: 'The local development stack (src/local) is started by npm start and the CLI; nothing the image runs imports it.',
      severity: 'error',
      from: { path: '^(activities|workflows|src/(core|platform|artifacts|client|dashboard|worker))/' },
      to: { path: '^src/local/' },
    },
    {
      name: 'no-circular',
      comment: 'No circle of runtime imports: load order must never matter.',
      severity: 'error',
      from: {},
      to: { circular: true, dependencyTypesNot: ['type-only'] },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)(node_modules|dist|\\.local|\\.venv)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js', '.mjs', '.json'] },
  },
};
