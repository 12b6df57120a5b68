// The production worker (`npm run worker`, the Docker image): connects to the configured
// Temporal (TLS, mTLS, API key) and PostgreSQL, serves /healthz and /metrics, exposes Temporal's
// runtime metrics for Prometheus, and on SIGTERM stops taking work, lets in-flight steps finish
// within the grace time (then cancels them: dbt is stopped, the step is retried elsewhere), and exits.
import { existsSync } from 'node:fs';
import { NativeConnection, Runtime, type NativeConnectionOptions } from '@temporalio/worker';
import { exitOnError } from '../platform/exit-on-error';
import { loadConfig, type Config } from '../platform/config';
import { ConfigError } from '../core/errors';
import { dashboardSettings } from '../dashboard/server';
import { startHealthServer } from './health-server';
import { createLogger, sdkLogger } from '../platform/logger';
import { createPipelineMetrics } from '../platform/metrics';
import { migrate } from '../platform/db/migrate';
import { setRolePasswords } from '../platform/db/role-passwords';
import { componentUrls } from '../platform/db/roles';
import { ensureDatabase, resolveDatabaseUrl } from '../platform/database';
import { venvTools } from '../platform/tools';
import { temporalAddress, temporalConnectionOptions } from '../platform/temporal-connection';
import { WORKFLOW_BUNDLE_PATH } from '../platform/build-paths';
import { createRoasWorker } from './worker';

/** The worker's connection to Temporal: the settings the CLI uses too (address, TLS / mTLS, API key). */
export function connectionOptions(config: Config): NativeConnectionOptions {
  return temporalConnectionOptions(config);
}

async function main(): Promise<void> {
  const config = loadConfig();
  const log = createLogger(config.logLevel, 'worker');
  Runtime.install({
    // The SDK's own lines go through our logger: one line each, the same format as the rest.
    logger: sdkLogger(createLogger(config.logLevel, 'temporal-sdk'), config.logLevel === 'debug' || config.logLevel === 'trace' ? 'DEBUG' : 'WARN'),
    telemetryOptions: { metrics: { prometheus: { bindAddress: config.temporal.metricsAddress } } },
    // We handle the signals ourselves (below) so the process ends with exit code 0 after a
    // clean drain; the SDK's own handling would re-raise the signal at the end.
    shutdownSignals: [],
  });
  // The owner's URL (DATABASE_URL) is for migrations only. A worker given
  // only its components' URLs leaves migrations to the one-shot `node dist/worker.mjs --migrate`.
  const databaseUrl = config.postgres.url ?? (config.postgres.components ? undefined : await resolveDatabaseUrl(config));
  if (databaseUrl) {
    // Idempotent, and serialised by an advisory lock: every replica may run it at start.
    await ensureDatabase(databaseUrl, log);
    const applied = await migrate(databaseUrl, undefined, { rolePrefix: config.postgres.rolePrefix });
    if (applied.length) log.info({ applied }, 'applied migrations');
    // The component roles' passwords are the ones in their URLs (the secrets): set them as the owner.
    if (config.postgres.components) {
      const set = await setRolePasswords(databaseUrl, config.postgres.components, config.postgres.roles);
      if (set.length) log.info({ roles: set }, 'set the component roles\' passwords from their URLs');
    }
  } else {
    log.info('no DATABASE_URL: migrations are not applied by this worker (run it once with --migrate and the owner\'s DATABASE_URL)');
  }
  if (process.argv.includes('--migrate')) {
    if (!databaseUrl) throw new ConfigError('--migrate: DATABASE_URL (the owner\'s, who may create roles and tables) is unset');
    log.info('migrations applied; exiting (--migrate)');
    return;
  }
  const connection = await NativeConnection.connect(connectionOptions(config));
  const metrics = createPipelineMetrics();
  const { worker, pool, reportingPool, dbtWarm, close } = await createRoasWorker({
    config,
    connection,
    componentUrls: componentUrls(databaseUrl, config.postgres.components, config.postgres.roles),
    dbtBin: venvTools(config.venvDir).dbt,
    log,
    metrics,
    ...(existsSync(WORKFLOW_BUNDLE_PATH) ? { workflowBundle: { codePath: WORKFLOW_BUNDLE_PATH } } : {}),
  });

  const server = await startHealthServer({ worker, connection, pool, dashboardPool: reportingPool, metrics, dbtWarm, port: config.httpPort, host: config.httpHost, log, dashboard: dashboardSettings(config, databaseUrl) });
  log.info({ temporalMetrics: config.temporal.metricsAddress }, 'Temporal runtime metrics');

  // process.on, not once: a listener must stay registered, or execa's exit hook (signal-exit)
  // takes the signal for unhandled and re-raises it, killing the worker mid-drain.
  let stopping = false;
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => {
      if (stopping) return log.warn({ signal }, 'already stopping; waiting for running steps');
      stopping = true;
      log.info({ signal, graceMs: config.shutdownGraceMs }, 'stopping: no new work; running steps get the grace time, then are cancelled and retried elsewhere');
      worker.shutdown();
    });
  }
  log.info({ taskQueue: config.temporal.taskQueue, temporal: temporalAddress(config) }, 'worker running');
  try {
    await worker.run();
  } finally {
    server.close();
    await close();
    await connection.close();
    log.info('worker stopped');
  }
}

main().catch(exitOnError);
