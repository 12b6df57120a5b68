// `npm start`: the local stack (venv, PostgreSQL, Temporal dev server with Web UI) and the worker,
// in one foreground process. Ctrl-C (or `roas stack stop`) stops the worker and whatever this
// command started, and says so in its last line.
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Runtime } from '@temporalio/worker';
import { applySchedules } from '../client/schedules';
import { startDemoDay, type DemoDay } from './demo';
import { exitOnError } from '../platform/exit-on-error';
import { loadConfig, type Config } from '../platform/config';
import { dashboardSettings } from '../dashboard/server';
import { redactUrl } from '../platform/db/url';
import { startHealthServer } from '../worker/health-server';
import { createLogger, sdkLogger, type Logger } from '../platform/logger';
import { createPipelineMetrics } from '../platform/metrics';
import { startLocalStack, stoppedLine, type LocalStack } from './stack';
import { forgetProcess, recordProcess } from './stack/pids';
import { createRoasWorker } from '../worker/worker';
import { dbtConnectionCheck } from '../../workflows';

async function main(): Promise<void> {
  const config = loadConfig();
  const log = createLogger(config.logLevel, 'start');
  // The SDK's own INFO lines (bundle sizes, state changes) drown the useful ones at start-up.
  Runtime.install({
    // The SDK's own lines go through our logger: one line each, the same format as the rest.
    logger: sdkLogger(createLogger(config.logLevel, 'temporal-sdk'), config.logLevel === 'debug' || config.logLevel === 'trace' ? 'DEBUG' : 'WARN'),
    // Signals are handled below, with listeners that stay registered (see src/worker/main.ts).
    shutdownSignals: [],
  });
  let stopping = false;
  let stack: LocalStack | undefined;
  let stopWorker: (() => void) | undefined;
  const onSignal = () => {
    if (stopping) return;
    stopping = true;
    stopWorker?.();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  let workerRan = false;
  // Recorded first, so `roas stack stop` can stop this process (and through it, what it starts) at any point.
  recordThisProcess(config);
  try {
    stack = await startLocalStack(config, log);
    if (stopping) return;
    const connection = await NativeConnection.connect({ address: stack.temporal.address });
    const metrics = createPipelineMetrics();
    const { worker, pool, reportingPool, close } = await createRoasWorker({
      config,
      connection,
      databaseUrl: stack.postgres.url,
      dbtBin: stack.tools.dbt,
      metrics,
    });
    if (stopping) return;
    stopWorker = () => worker.shutdown();
    const running = worker.run();
    workerRan = true;
    // The readiness signal a script can wait on (curl -sf …/healthz), on this machine only.
    const health = await startHealthServer({
      worker,
      connection,
      pool,
      dashboardPool: reportingPool,
      metrics,
      port: config.httpPort,
      host: config.httpHost,
      log,
      dashboard: dashboardSettings(config, stack.postgres.url),
    }).catch((err: Error) => {
      log.warn({ port: config.httpPort, err: err.message }, 'could not serve /healthz and /metrics (is the port taken? set ROAS_HTTP_PORT)');
      return undefined;
    });

    const demo = await announce(stack, config, connection, health?.url, log);
    demo.done.then(
      (line) => console.log(line),
      (err: unknown) => console.log(`demo day failed: ${(err as Error).message} (see the Web UI)`),
    );
    await running;
    health?.close();
    await close();
    await connection.close();
  } finally {
    if (stack) {
      log.info('stopping what this command started');
      await stack.stop();
    }
    forgetProcess(config.localDir, 'npm-start', process.pid);
    if (stopping || workerRan) console.log(stoppedLine(stack, { worker: workerRan }));
  }
}

/** This process in the local stack's record, so `roas stack stop` and `roas stack status` find it. */
function recordThisProcess(config: Config): void {
  const healthHost = config.httpHost === '0.0.0.0' || config.httpHost === '::' ? '127.0.0.1' : config.httpHost;
  recordProcess(config.localDir, {
    kind: 'npm-start',
    name: 'npm start (the worker)',
    pid: process.pid,
    detail: `task queue ${config.temporal.taskQueue}`,
    address: `http://${healthHost.includes(':') ? `[${healthHost}]` : healthHost}:${config.httpPort}/healthz`,
  });
}

/** The start-up check, the schedules and the demo day, then what is running where and what to try next. */
async function announce(stack: LocalStack, config: Config, connection: NativeConnection, healthUrl: string | undefined, log: Logger): Promise<DemoDay> {
  const check = await runStartupCheck(stack, config.temporal.namespace, config.temporal.taskQueue);
  const client = new Client({ connection, namespace: config.temporal.namespace });
  const schedules = await applySchedules(client, config);
  const demo = await startDemoDay(client, config, stack.postgres.url, log);
  console.log(
    [
      '',
      'Marketing ROAS orchestrator is running.',
      `  Temporal Web UI : ${stack.temporal.uiUrl ?? '(not available)'}`,
      `  Temporal server : ${stack.temporal.address} (namespace ${config.temporal.namespace}, task queue ${config.temporal.taskQueue})`,
      `  PostgreSQL      : ${redactUrl(stack.postgres.url)}`,
      `  Dashboard       : ${healthUrl ? `${healthUrl}/ (health ${healthUrl}/healthz, metrics ${healthUrl}/metrics)` : '(not served: see the warning above)'}`,
      `  Start-up check  : ${check}`,
      `  Schedules       : ${schedules.map((s) => `${s.scheduleId} ${s.action}${s.paused ? ' (paused)' : ''}`).join(', ')} (00:00 and 06:00 UTC)`,
      ...demo.lines,
      '',
      'Try next:',
      '  npm run -s roas -- schedules list',
      `  npm run -s roas -- status --date ${demo.runDate}`,
      '  npm run -s roas -- runs',
      '',
      'Press Ctrl-C to stop.',
      '',
    ].join('\n'),
  );
  return demo;
}

/** Runs the dbt connection check workflow once, so the Web UI shows a first real run. */
async function runStartupCheck(stack: LocalStack, namespace: string, taskQueue: string): Promise<string> {
  const connection = await Connection.connect({ address: stack.temporal.address });
  try {
    const client = new Client({ connection, namespace });
    const workflowId = `dbt-connection-check-${new Date().toISOString().replace(/[:.]/g, '-')}`;
    const { dbtVersion, durationMs } = await client.workflow.execute(dbtConnectionCheck, {
      taskQueue,
      workflowId,
      args: [{ retry: { intervalMs: 5_000, maximumAttempts: 2 } }],
      workflowExecutionTimeout: '3 minutes',
    });
    return `dbt ${dbtVersion} reached PostgreSQL in ${(durationMs / 1000).toFixed(1)}s (workflow ${workflowId})`;
  } catch (err) {
    return `FAILED: ${(err as Error).message} (the worker keeps running; see the Web UI)`;
  } finally {
    await connection.close();
  }
}

main().then(
  () => process.exit(0),
  exitOnError,
);
