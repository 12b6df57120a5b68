// The worker: runs the workflows and activities of this project on one task queue.
import { mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { WebClient } from '@slack/web-api';
import { Client } from '@temporalio/client';
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import pg from 'pg';
import { createActivities, type Activities } from '../../activities';
import { pruneArtifacts } from '../artifacts/artifacts';
import { createDbtRunner, loadSeedsAtStart, saveSharedParse } from '../../activities/dbt/runner';
import { describeDbtWarm, writeDbtWarm, type DbtWarmInfo } from '../platform/dbt-warm';
import { promoteIfFirst } from '../client/deployment';
import { ensureSearchAttributes } from '../platform/search-attributes';
import { temporalWorkflowStatus } from '../../activities/etl/activities';
import { flinkMarkerState, maintainEventPartitions } from '../../activities/ledger';
import { WORKFLOWS_PATH } from '../platform/build-paths';
import type { Config } from '../platform/config';
import { componentUrls, type ComponentUrls } from '../platform/db/roles';
import { signalFlinkGate } from '../client/flink-complete';
import { listenForFlinkMarkers } from './flink-listener';
import { runObservers } from './observers';
import { createLogger, type Logger } from '../platform/logger';
import type { PipelineMetrics } from '../platform/metrics';


export interface WorkerDeps {
  config: Config;
  connection: NativeConnection;
  /**
   * The owner's URL on a server of this machine (the local cluster, the tests'): the components'
   * connections are derived from it (its role names as users) unless configured or given.
   */
  databaseUrl?: string;
  /** Each component's connection; by default the configured ones, else derived from databaseUrl. */
  componentUrls?: ComponentUrls;
  dbtBin: string;
  taskQueue?: string;
  /** Pre-bundled workflow code; without it the worker bundles workflows/ at start-up. */
  workflowBundle?: WorkerOptions['workflowBundle'];
  log?: Logger;
  metrics?: PipelineMetrics;
}

export interface RoasWorker {
  worker: Worker;
  /** The orchestrator role's: the ledger, alerts, checks, health. */
  pool: pg.Pool;
  /** The reporting role's: the report and the dashboard read through it. */
  reportingPool: pg.Pool;
  /** Whether dbt is kept warm, its versions, and why anything fell back. */
  dbtWarm: () => Promise<DbtWarmInfo>;
  /** Releases what the worker's activities hold (the pg pool); call after the worker stopped. */
  close: () => Promise<void>;
}

/** Where the worker keeps the dbt parse every run starts from. */
export function sharedParseFile(config: Config): string {
  return path.join(config.dbt.artifactsDir, 'parse', 'partial_parse.msgpack');
}

export function slackClient(config: Config): WebClient | undefined {
  if (!config.slack.token) return undefined;
  return new WebClient(config.slack.token, {
    ...(config.slack.apiUrl ? { slackApiUrl: config.slack.apiUrl } : {}),
    // A few quick retries; an alert that cannot be delivered is recorded, not waited on for hours.
    retryConfig: { retries: 2, factor: 1.5, minTimeout: 500, maxTimeout: 3_000 },
    rejectRateLimitedCalls: true,
    timeout: 10_000,
  });
}

/** One log line: whether dbt is kept warm, with which versions, and why anything fell back (also for the dashboard). */
async function reportDbtWarm(runner: { warmStatus(): Promise<DbtWarmInfo> }, artifactsDir: string, log: Logger): Promise<void> {
  const dbtWarm = await runner.warmStatus();
  try {
    writeDbtWarm(artifactsDir, dbtWarm);
  } catch (err) {
    log.warn({ err: (err as Error).message }, 'could not write dbt-warm.json for the dashboard');
  }
  const fields = { warmDbt: dbtWarm.warm, keptParse: dbtWarm.keptParse, dbtVersions: dbtWarm.versions, fellBack: dbtWarm.reasons };
  if (dbtWarm.warm && !dbtWarm.reasons.length) log.info(fields, describeDbtWarm(dbtWarm));
  else log.warn(fields, describeDbtWarm(dbtWarm));
}

export async function createRoasWorker(deps: WorkerDeps): Promise<RoasWorker> {
  const { config } = deps;
  const log = deps.log ?? createLogger(config.logLevel, 'worker');
  const { urls, pool, transformPool, reportingPool } = openPools(deps, log);
  const client = new Client({ connection: deps.connection, namespace: config.temporal.namespace });
  // Runs set these search attributes: they must exist on the namespace before any run does.
  const added = await ensureSearchAttributes(deps.connection, config.temporal.namespace);
  if (added.length) log.info({ added, namespace: config.temporal.namespace }, 'registered the runs\' search attributes');
  const runner = await startDbt(deps, urls.transform, log);
  const pruneTimer = startPruning(config, log);
  const watchers = runObservers({ config, pool, log, metrics: deps.metrics, slack: slackClient(config) });
  const activities = createActivities({
    runner,
    observers: watchers.observers,
    onObserverError: (observer, err) => log.warn({ observer, err: err instanceof Error ? err.message : String(err) }, 'an observer of the run failed; the run goes on'),
    artifactsDir: config.dbt.artifactsDir,
    cancelQueries: async (applicationName) => {
      const { rowCount } = await transformPool.query(
        'SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE application_name = $1 AND pid <> pg_backend_pid()',
        [applicationName],
      );
      return rowCount ?? 0;
    },
    terminateSessions: async (applicationNames) => {
      const { rowCount } = await transformPool.query(
        'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = ANY($1) AND pid <> pg_backend_pid()',
        [applicationNames],
      );
      if (rowCount) log.warn({ applicationNames, sessions: rowCount }, 'ended PostgreSQL sessions left by an earlier attempt of this step');
      return rowCount ?? 0;
    },
    pool,
    publishPool: transformPool,
    reportPool: reportingPool,
    reportsDir: config.reportsDir,
    dbtProjectDir: config.dbt.projectDir,
    workflowStatus: temporalWorkflowStatus(client),
    temporal: client,
    slack: slackClient(config),
    channel: config.slack.channel,
    log,
    metrics: deps.metrics,
    retry: config.retry,
    lateData: config.lateData,
  });
  const worker = await createTemporalWorker(deps, activities, log);
  // Partitions for the days ahead, before Flink writes them; rows that arrived early move in.
  await maintainEventPartitions(pool, new Date().toISOString().slice(0, 10))
    .then((moved) => moved.length && log.info({ moved }, 'moved events out of the default partition into their days'))
    .catch((err: Error) => log.warn({ err: err.message }, 'event-partition maintenance failed at start-up; the daily runs retry it'));
  const listener = listenForFlinkMarkers({
    databaseUrl: urls.orchestrator,
    log,
    onMarker: openGateOnMarker(pool, client, log),
  });
  await listener.ready;
  return {
    worker,
    pool,
    reportingPool,
    dbtWarm: () => runner.warmStatus(),
    close: async () => {
      clearInterval(pruneTimer);
      await listener.close();
      await runner.close();
      await watchers.close();
      await Promise.all([pool.end(), transformPool.end(), reportingPool.end()]);
    },
  };
}

/** One pool per role: the orchestrator's (bookkeeping, checks), the transform role's, the reporting role's. */
function openPools(deps: WorkerDeps, log: Logger) {
  const { config } = deps;
  // Each job connects as its own role: the worker's bookkeeping and checks as the orchestrator,
  // dbt and the publish step as the transform role, the report and dashboard as the reporting role.
  const urls = deps.componentUrls ?? componentUrls(deps.databaseUrl, config.postgres.components, config.postgres.roles);
  const pool = new pg.Pool({ connectionString: urls.orchestrator, max: 5, application_name: 'roas-worker' });
  // Publishing attaches dbt's tables, which takes their owner's rights; cancelling a dbt step's
  // queries takes its login's. Both are the transform role's.
  const transformPool = new pg.Pool({ connectionString: urls.transform, max: 2, application_name: 'roas-worker' });
  const reportingPool = new pg.Pool({ connectionString: urls.reporting, max: 3, application_name: 'roas-worker-reports' });
  for (const p of [pool, transformPool, reportingPool]) p.on('error', (err) => log.warn({ err: err.message }, 'idle PostgreSQL connection dropped'));
  return { urls, pool, transformPool, reportingPool };
}

/** dbt for this worker: kept warm, the project parsed once (every run reuses the parse), the seeds loaded. */
async function startDbt(deps: WorkerDeps, transformUrl: string, log: Logger): Promise<ReturnType<typeof createDbtRunner>> {
  const { config } = deps;
  const parseFile = sharedParseFile(config);
  const runner = createDbtRunner({
    dbtBin: deps.dbtBin,
    projectDir: config.dbt.projectDir,
    databaseUrl: transformUrl,
    role: config.postgres.roles.analyticsOwner,
    threads: config.dbt.threads,
    sharedParseFile: parseFile,
    // dbt imported once per worker, a fresh process forked from it per step: no start-up cost
    // per run.
    keepWarm: true,
    onWarmUnavailable: (err) => log.warn({ err: err.message }, 'dbt is not fully kept warm: steps start slower (same results)'),
  });
  // One parse of the dbt project per worker start (so, per deploy), reused by every date, step
  // and attempt: a run then pays for no parsing. Without it a run still works, parsing in full.
  mkdirSync(path.dirname(parseFile), { recursive: true });
  const parsed = await saveSharedParse(runner, parseFile);
  if (parsed.exitCode === 0) log.info({ ms: parsed.durationMs }, 'parsed the dbt project; every run reuses this parse');
  else log.warn({ exitCode: parsed.exitCode, output: parsed.rawOutput.slice(0, 500) }, 'dbt parse failed at start-up; each run will parse in full (and fail the same way if the project is broken)');
  await reportDbtWarm(runner, config.dbt.artifactsDir, log);
  const seeded = await loadSeedsAtStart(runner, config.dbt.artifactsDir);
  if (seeded.exitCode !== 0) log.warn({ exitCode: seeded.exitCode, output: seeded.rawOutput.slice(0, 500) }, 'dbt seed failed at start-up; each run loads the seeds itself');
  return runner;
}

/** Every run keeps its artifacts apart; those older than ROAS_ARTIFACTS_KEEP_DAYS go, now and daily. */
function startPruning(config: Config, log: Logger): NodeJS.Timeout {
  const prune = () => {
    try {
      const removed = pruneArtifacts(config.dbt.artifactsDir, config.dbt.keepDays);
      if (removed) log.info({ removed, keepDays: config.dbt.keepDays }, 'removed the dbt artifacts of old runs');
    } catch (err) {
      log.warn({ err: (err as Error).message }, 'could not prune old dbt artifacts');
    }
  };
  prune();
  return setInterval(prune, 24 * 3_600_000).unref();
}

/** The Temporal worker, versioned when a build ID is set; the first version of a deployment becomes current by itself. */
async function createTemporalWorker(deps: WorkerDeps, activities: Activities, log: Logger): Promise<Worker> {
  const { config } = deps;
  const worker = await Worker.create({
    connection: deps.connection,
    namespace: config.temporal.namespace,
    taskQueue: deps.taskQueue ?? config.temporal.taskQueue,
    activities,
    ...(deps.workflowBundle ? { workflowBundle: deps.workflowBundle } : { workflowsPath: WORKFLOWS_PATH }),
    shutdownGraceTime: config.shutdownGraceMs,
    // Heartbeats carry cancellation back to a running dbt step and dbt's progress out of it
    // (`--wait` and `status` read the last one): often enough that a cancelled run stops its dbt
    // within seconds and progress moves as nodes finish. A heartbeat is not a history event.
    maxHeartbeatThrottleInterval: '2 seconds',
    defaultHeartbeatThrottleInterval: '2 seconds',
    // A version of a Worker Deployment when a build ID is set (compose sets it from the image
    // tag): every run stays on the version that started it (pinned), so a deploy never replays a
    // run in flight on other code. Without a build ID (local development, tests) the worker is
    // unversioned (and a workflow may then name no versioning behaviour of its own).
    ...(config.temporal.deployment
      ? { workerDeploymentOptions: { version: config.temporal.deployment, useWorkerVersioning: true, defaultVersioningBehavior: 'PINNED' as const } }
      : {}),
  });
  if (config.temporal.deployment) {
    const settings = config.temporal.deployment;
    // The first version of a deployment becomes current by itself (else no run would start);
    // a later one waits for `roas deploy promote`, so its rollout is the operator's decision.
    void promoteIfFirst(deps.connection.workflowService, config.temporal.namespace, settings, `roas-worker@${os.hostname()}`, { timeoutMs: 120_000 })
      .then((outcome) =>
        outcome === 'waiting-for-promotion'
          ? log.warn({ ...settings }, `this worker runs build ${settings.buildId}, not yet the current version: runs in flight stay on theirs; to send new runs here: roas deploy promote ${settings.buildId}`)
          : log.info({ ...settings, outcome }, 'worker deployment version'),
      )
      .catch((err: Error) => log.error({ err: err.message, ...settings }, 'could not read or set the worker deployment\'s current version'));
  }
  return worker;
}

/**
 * What the worker does when it hears of a marker: look at realtime.flink_batches, and tell the
 * date's gate to look too only when a marker is there (the gate decides on what it finds).
 */
function openGateOnMarker(pool: pg.Pool, client: Client, log: Logger): (runDate: string) => Promise<void> {
  return async (runDate) => {
    // The marker can overtake the day's last events (Flink flushes its two sinks on its own):
    // open the gate once the rows have caught up with the marker's count, or after the grace.
    let state = await flinkMarkerState(pool, runDate);
    for (let waited = 0; state === 'rows-in-flight'; waited += 250) {
      if (waited === 2_000) log.info({ runDate }, 'Flink marker recorded; waiting for the rows it counts to arrive');
      await new Promise((r) => setTimeout(r, 250));
      state = await flinkMarkerState(pool, runDate);
    }
    // A notification without a marker row behind it (anyone may send one) wakes nothing.
    if (state === 'missing') {
      log.debug({ runDate }, 'a Flink-complete notification came, but realtime.flink_batches has no marker for the date: ignored');
      return;
    }
    log.info({ runDate }, 'Flink marker recorded; the date\'s gate looks at it now');
    await signalFlinkGate(client, runDate);
  };
}
