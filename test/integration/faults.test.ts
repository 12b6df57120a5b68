// Fault injection on the real stack: what a daily run survives. Each case breaks something real
// (the worker process, the Temporal server, PostgreSQL, the Flink hook's calls) in the middle of
// a run, and checks that the run completes with exact analytics rows and the alerts it should
// send: none for a fault the run recovers from within its retries and its SLA.
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { execa } from 'execa';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startDailyEtl, startDbtDailyRun } from '../../src/client/runs';
import { PROJECT_ROOT, type Config } from '../../src/platform/config';
import { migrate } from '../../src/platform/db/migrate';
import { readRunResults } from '../../src/artifacts/run-results';
import { recordFlinkComplete } from '../../src/client/flink-complete';
import { loadDay } from '../../src/local/generator/load';
import { createLogger } from '../../src/platform/logger';
import { LocalCluster } from '../../src/local/stack/postgres';
import { ephemeralPort } from '../../src/local/stack/ports';
import { spawnDevServer } from '../../src/local/stack/temporal';
import { venvTools } from '../../src/platform/tools';
import { flinkCompleteSignal, workflowIds } from '../../src/core/signals';
import { testConfig } from '../helpers/config';
import { useTestDatabase } from '../helpers/db';
import { dbtProcesses, dbtSessions } from '../helpers/dbt';
import { withRealWorker } from '../helpers/real-worker';
import { startFakeSlack } from '../helpers/slack';
import { connectDevServer, eventually, gateWaiting, uniqueTaskQueue } from '../helpers/temporal';
import { startWorkerProcess, type WorkerProcess } from '../helpers/worker-process';

const roas = path.join(PROJECT_ROOT, 'bin', 'roas');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits until dbt executes SQL for the date's step (its sessions carry the attempt's application_name). */
async function dbtExecutingSql(databaseUrl: string, runDate: string, attempt = 1): Promise<void> {
  await eventually(`dbt to execute SQL for ${runDate}`, async () => (await dbtSessions(databaseUrl, `roas-${runDate}-build-a${attempt}`, { active: true })) > 0, 90_000);
}

/** Every text a value carries, Temporal payloads (bytes) decoded, for a search for secrets. */
function texts(value: unknown, out: string[] = []): string[] {
  if (typeof value === 'string') out.push(value);
  else if (value instanceof Uint8Array) out.push(Buffer.from(value).toString('utf8'));
  else if (Array.isArray(value)) for (const v of value) texts(v, out);
  else if (value && typeof value === 'object') for (const v of Object.values(value)) texts(v, out);
  return out;
}

/** The contents of every file under a folder (dbt logs and artifacts, reports). */
function filesUnder(dir: string): { file: string; text: string }[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => {
      const file = path.join(e.parentPath, e.name);
      return { file, text: readFileSync(file, 'latin1') };
    });
}

/** Every analytics row of the date, counted: exact means each event once, 50 campaigns once. */
async function analyticsCounts(query: (sql: string, params: unknown[]) => Promise<{ rows: unknown[] }>, runDate: string) {
  const { rows } = await query(
    `SELECT (SELECT count(*)::int FROM analytics.stg_ad_events WHERE event_date = $1) AS staged,
            (SELECT count(DISTINCT event_id)::int FROM analytics.stg_ad_events WHERE event_date = $1) AS distinct_events,
            (SELECT count(*)::int FROM analytics.fct_daily_metrics WHERE metric_date = $1) AS campaigns,
            (SELECT sum(impressions + clicks + conversions)::int FROM analytics.fct_daily_metrics WHERE metric_date = $1) AS events`,
    [runDate],
  );
  return rows[0];
}

describe('fault injection on the real stack', () => {
  const db = useTestDatabase(import.meta.url);
  let temporal: Awaited<ReturnType<typeof connectDevServer>>;
  let slack: Awaited<ReturnType<typeof startFakeSlack>>;
  const artifactsDir = mkdtempSync(path.join(os.tmpdir(), 'roas-faults-artifacts-'));
  const workers: WorkerProcess[] = [];
  const workerEnv = (extra: Record<string, string> = {}) => ({
    DATABASE_URL: db.url,
    TEMPORAL_ADDRESS: inject('temporalAddress'),
    DBT_ARTIFACTS_DIR: artifactsDir,
    ROAS_REPORTS_DIR: mkdtempSync(path.join(os.tmpdir(), 'roas-faults-reports-')),
    ROAS_RETRY_INTERVAL: '2s',
    ROAS_SHUTDOWN_GRACE: '1s',
    ...extra,
  });

  beforeAll(async () => {
    temporal = await connectDevServer();
    slack = await startFakeSlack();
  });
  afterAll(async () => {
    for (const w of workers) w.process.kill('SIGKILL');
    await temporal?.close();
    await slack?.close();
  });

  it('kill -9 of the worker during a dbt step: its dbt stops at once, a new worker completes the run, rows exact', async () => {
    const runDate = '2025-08-01';
    const taskQueue = uniqueTaskQueue('kill9');
    await loadDay(db.pool, { date: runDate, events: 1_000_000, seed: 81 });
    await recordFlinkComplete(db.pool, { runDate });
    const first = await startWorkerProcess(workerEnv({ TEMPORAL_TASK_QUEUE: taskQueue }));
    workers.push(first);
    const config = testConfig({ TEMPORAL_TASK_QUEUE: taskQueue, ROAS_RETRY_INTERVAL: '2s' });
    const run = await startDbtDailyRun(temporal.client, config, runDate, { taskQueue });
    await dbtExecutingSql(db.url, runDate);

    // No grace, no clean-up: the worker process is gone at once, its dbt orphaned mid-model.
    first.process.kill('SIGKILL');
    const exit = await first.process;
    expect(exit.signal).toBe('SIGKILL');
    // Its dbt is told by the kernel (parent-death signal) and stops, its queries cancelled,
    // long before Temporal retries the step.
    const killedAt = Date.now();
    await eventually('the dead worker\'s dbt to stop', async () => (await dbtProcesses(runDate)) === 0, 20_000);
    await eventually('no session of the dead attempt left in PostgreSQL', async () => (await dbtSessions(db.url, `roas-${runDate}-build-a1`)) === 0, 20_000);
    expect(Date.now() - killedAt).toBeLessThan(20_000);
    const second = await startWorkerProcess(workerEnv({ TEMPORAL_TASK_QUEUE: taskQueue }));
    workers.push(second);
    // Temporal notices the dead attempt by its missing heartbeats (30 seconds) and retries it.
    const result = await run.result();
    expect(result.status).toBe('succeeded');
    expect(result.steps.find((s) => s.step === 'build')!.attempt).toBeGreaterThanOrEqual(2);
    expect(await analyticsCounts((s, p) => db.pool.query(s, p), runDate)).toEqual({
      staged: 1_000_000,
      distinct_events: 1_000_000,
      campaigns: 50,
      events: 1_000_000,
    });
    const ledger = await db.pool.query('SELECT status FROM orchestrator.pipeline_runs WHERE run_date = $1', [runDate]);
    expect(ledger.rows).toEqual([{ status: 'succeeded' }]);
    await eventually('no dbt of the date to be left running', async () => (await dbtProcesses(runDate)) === 0, 30_000);
  }, 300_000);

  it('kill -9 of the worker between audit and publish: nothing half-published, the retry publishes the day once, rows exact', async () => {
    const runDate = '2025-08-06';
    const taskQueue = uniqueTaskQueue('kill9-publish');
    await loadDay(db.pool, { date: runDate, events: 100_000, seed: 86 });
    await recordFlinkComplete(db.pool, { runDate });
    const first = await startWorkerProcess(workerEnv({ TEMPORAL_TASK_QUEUE: taskQueue }));
    workers.push(first);
    const config = testConfig({ TEMPORAL_TASK_QUEUE: taskQueue, ROAS_RETRY_INTERVAL: '2s' });
    const run = await startDbtDailyRun(temporal.client, config, runDate, { taskQueue });
    // The mart's audited day committed: every model of the date is built (their locks released),
    // and the build goes on with the tests.
    const martBuilt = async () =>
      (await db.pool.query<{ built: boolean }>('SELECT to_regclass($1) IS NOT NULL AS built', [`analytics_audit.fct_daily_metrics_p${runDate.replaceAll('-', '')}`])).rows[0]?.built === true;
    await eventually('the models of the date to be built', martBuilt, 120_000);

    // Hold the publish in the middle of its transaction: publishing takes a lock per audited
    // table, in name order (fct_daily_metrics, fct_daily_metrics_restatement, int_hourly_agg, …); holding
    // the third makes it wait with the first already moved, inside its uncommitted transaction.
    const holder = new pg.Client({ connectionString: db.url });
    await holder.connect();
    const key = `analytics_audit.int_hourly_agg_p${runDate.replaceAll('-', '')}`;
    await holder.query('SELECT pg_advisory_lock(hashtext($1))', [key]);
    const publishWaiting = async () =>
      (await db.pool.query("SELECT 1 FROM pg_stat_activity WHERE application_name = 'roas-worker' AND wait_event = 'advisory'")).rowCount === 1;
    await eventually('the publish to wait half-way', publishWaiting, 120_000);

    first.process.kill('SIGKILL');
    await first.process;
    await holder.query('SELECT pg_advisory_unlock(hashtext($1))', [key]);
    await holder.end();
    // The dead worker's transaction is rolled back: no partition of the date in analytics, the
    // six audited tables still in the audit schema.
    await eventually('the dead publish to be rolled back', async () => !(await publishWaiting()), 20_000);
    const state = async () =>
      (
        await db.pool.query<{ published: number; audited: number }>(
          `SELECT (SELECT count(*)::int FROM pg_inherits WHERE inhrelid::regclass::text LIKE $1) AS published,
                  (SELECT count(*)::int FROM pg_tables WHERE schemaname = 'analytics_audit' AND tablename LIKE $2) AS audited`,
          [`analytics.%_p${runDate.replaceAll('-', '')}`, `%_p${runDate.replaceAll('-', '')}`],
        )
      ).rows[0];
    expect(await state()).toEqual({ published: 0, audited: 6 });

    const second = await startWorkerProcess(workerEnv({ TEMPORAL_TASK_QUEUE: taskQueue }));
    workers.push(second);
    const result = await run.result();
    expect(result.status).toBe('succeeded');
    expect(result.published?.models).toEqual(['analytics.fct_daily_metrics', 'analytics.fct_daily_metrics_restatement', 'analytics.int_hourly_agg', 'analytics.stg_ad_events_by_campaign', 'analytics.stg_ad_events', 'analytics.stg_ad_events_row_checks']);
    expect(await state()).toEqual({ published: 6, audited: 0 });
    // Against an independent count straight from realtime: each event once, each campaign once.
    const { rows: truth } = await db.pool.query<{ events: number; campaigns: number }>(
      `SELECT count(DISTINCT event_id)::int AS events, count(DISTINCT campaign_id)::int AS campaigns FROM realtime.ad_events
       WHERE event_time >= $1::date AT TIME ZONE 'UTC' AND event_time < ($1::date + 1) AT TIME ZONE 'UTC'`,
      [runDate],
    );
    expect(await analyticsCounts((s, p) => db.pool.query(s, p), runDate)).toEqual({
      staged: truth[0]!.events,
      distinct_events: truth[0]!.events,
      campaigns: truth[0]!.campaigns,
      events: truth[0]!.events,
    });
  }, 300_000);

  it('a retry on another worker, with none of the first one\'s files, re-runs only what had not passed', async () => {
    const runDate = '2025-08-07';
    const day = runDate.replaceAll('-', '');
    const taskQueue = uniqueTaskQueue('retry-elsewhere');
    await loadDay(db.pool, { date: runDate, events: 100_000, seed: 87 });
    await recordFlinkComplete(db.pool, { runDate });
    // Hold the mart's build where it starts (each model's build first takes a lock on its
    // audited day), so the first worker dies with staging built and the mart not.
    const holder = new pg.Client({ connectionString: db.url });
    await holder.connect();
    const key = `analytics_audit.fct_daily_metrics_p${day}`;
    await holder.query('SELECT pg_advisory_lock(hashtext($1))', [key]);
    const first = await startWorkerProcess(workerEnv({ TEMPORAL_TASK_QUEUE: taskQueue, DBT_ARTIFACTS_DIR: mkdtempSync(path.join(os.tmpdir(), 'roas-worker-a-')) }));
    workers.push(first);
    const config = testConfig({ TEMPORAL_TASK_QUEUE: taskQueue, ROAS_RETRY_INTERVAL: '2s' });
    const run = await startDbtDailyRun(temporal.client, config, runDate, { taskQueue });
    const passedSoFar = async () => {
      const described = await temporal.client.workflow.getHandle(workflowIds.dbtDailyRun(runDate)).describe();
      const payload = described.raw.pendingActivities?.[0]?.heartbeatDetails?.payloads?.[0]?.data;
      if (!payload) return [];
      return ((JSON.parse(Buffer.from(payload).toString('utf8')) as { passed?: { name: string }[] }).passed ?? []).map((n) => n.name);
    };
    await eventually('the step\'s heartbeat to say staging passed', async () => (await passedSoFar()).includes('stg_ad_events'), 120_000);

    first.process.kill('SIGKILL');
    await first.process;
    await holder.query('SELECT pg_advisory_unlock(hashtext($1))', [key]);
    await holder.end();
    // A second worker with an empty artifacts folder: all it knows of attempt 1 is the heartbeat.
    const second = await startWorkerProcess(workerEnv({ TEMPORAL_TASK_QUEUE: taskQueue, DBT_ARTIFACTS_DIR: mkdtempSync(path.join(os.tmpdir(), 'roas-worker-b-')) }));
    workers.push(second);
    const result = await run.result();
    expect(result.status).toBe('succeeded');
    const step = result.steps.find((s) => s.step === 'build')!;
    expect(step.attempt).toBeGreaterThanOrEqual(2);
    expect(step.command).toMatch(/--exclude .*\bstg_ad_events\b/);
    const ran = readRunResults(step.targetPath)!.nodes.map((n) => n.name);
    expect(ran).toContain('fct_daily_metrics');
    expect(ran).not.toContain('stg_ad_events');
    // The step's result counts every node: the ones of attempt 1 carried over, and what this attempt ran.
    expect(step.nodeCounts.carried).toBeGreaterThan(0);
    expect(step.nodeCounts.total).toBe(step.nodeCounts.carried + ran.length);
    expect(step.nodeCounts.failed).toBe(0);
    const { rows: truth } = await db.pool.query<{ events: number }>(
      `SELECT count(DISTINCT event_id)::int AS events FROM realtime.ad_events
       WHERE event_time >= $1::date AT TIME ZONE 'UTC' AND event_time < ($1::date + 1) AT TIME ZONE 'UTC'`,
      [runDate],
    );
    expect(await analyticsCounts((s, p) => db.pool.query(s, p), runDate)).toEqual({
      staged: truth[0]!.events,
      distinct_events: truth[0]!.events,
      campaigns: 50,
      events: truth[0]!.events,
    });
  }, 300_000);

  it('the Temporal server restarted during a dbt step: the run resumes and completes', async () => {
    const runDate = '2025-08-02';
    const taskQueue = uniqueTaskQueue('temporal-restart');
    const port = await ephemeralPort();
    const address = `127.0.0.1:${port}`;
    // A server of its own with its state in a SQLite file, so a restart keeps the history and
    // no other test loses its server.
    const stateDir = mkdtempSync(path.join(os.tmpdir(), 'roas-temporal-restart-'));
    const serverOpts = {
      binary: venvTools(testConfig().venvDir).temporal,
      port,
      dbFile: path.join(stateDir, 'temporal.db'),
      logFile: path.join(stateDir, 'server.log'),
    };
    let server = await spawnDevServer(serverOpts);
    try {
      await loadDay(db.pool, { date: runDate, events: 1_000_000, seed: 82 });
      await recordFlinkComplete(db.pool, { runDate });
      const worker = await startWorkerProcess(workerEnv({ TEMPORAL_ADDRESS: address, TEMPORAL_TASK_QUEUE: taskQueue }));
      workers.push(worker);
      const config = testConfig({ TEMPORAL_TASK_QUEUE: taskQueue });
      const connection = await Connection.connect({ address });
      const run = await startDbtDailyRun(new Client({ connection }), config, runDate, { taskQueue });
      await dbtExecutingSql(db.url, runDate);
      await connection.close();

      await server.stop();
      await sleep(3_000);
      server = await spawnDevServer(serverOpts);

      const reconnected = await Connection.connect({ address });
      try {
        const result = await new Client({ connection: reconnected }).workflow.getHandle<typeof import('../../workflows').dbtDailyRun>(run.workflowId).result();
        expect(result.status).toBe('succeeded');
      } finally {
        await reconnected.close();
      }
      expect(await analyticsCounts((s, p) => db.pool.query(s, p), runDate)).toEqual({
        staged: 1_000_000,
        distinct_events: 1_000_000,
        campaigns: 50,
        events: 1_000_000,
      });
      // The worker rode it out: it is healthy again on the restarted server.
      await eventually('the worker to be healthy again', async () => (await worker.health()).status === 200, 60_000);
    } finally {
      await server.stop();
      rmSync(stateDir, { recursive: true, force: true });
    }
  }, 300_000);

  it('PostgreSQL unavailable for 30 seconds during a run: retried, completes, and no alert', async () => {
    // A cluster of its own, so the outage does not disturb the other test files.
    const localDir = mkdtempSync(path.join(os.tmpdir(), 'roas-pg-outage-'));
    chmodSync(localDir, 0o755);
    const cluster = new LocalCluster(testConfig({ ROAS_LOCAL_DIR: localDir, ROAS_PG_PORT: String(await ephemeralPort()) }), createLogger('silent'));
    const handle = await cluster.start();
    const admin = new pg.Client({ connectionString: handle.url.replace(/\/marketing_roas$/, '/postgres') });
    await admin.connect();
    await admin.query('CREATE DATABASE marketing_roas');
    await admin.end();
    await migrate(handle.url);
    const runDate = '2025-08-03';
    const withClient = async <T>(body: (c: pg.Client) => Promise<T>) => {
      const c = new pg.Client({ connectionString: handle.url });
      await c.connect();
      try {
        return await body(c);
      } finally {
        await c.end();
      }
    };
    // Retries 15 s apart (production: 5 minutes), so the 4 attempts outlast a 30 s outage.
    const config: Config = testConfig({
      DBT_ARTIFACTS_DIR: artifactsDir,
      SLACK_BOT_TOKEN: 'xoxb-outage-test',
      SLACK_API_URL: slack.url,
      ROAS_RETRY_INTERVAL: '15s',
    });
    try {
      const pool = new pg.Pool({ connectionString: handle.url, max: 2 });
      await loadDay(pool, { date: runDate, events: 1_000_000, seed: 83 });
      await recordFlinkComplete(pool, { runDate });
      await pool.end();
      const taskQueue = uniqueTaskQueue('pg-outage');
      const { result, downForMs } = await withRealWorker({ config, connection: temporal.nativeConnection, databaseUrl: handle.url, taskQueue }, async () => {
        const run = await startDbtDailyRun(temporal.client, config, runDate, { taskQueue });
        await dbtExecutingSql(handle.url, runDate);
        const down = Date.now();
        await handle.stop();
        await sleep(30_000);
        await cluster.start();
        const downForMs = Date.now() - down;
        return { result: await run.result(), downForMs };
      });
      expect(downForMs).toBeGreaterThanOrEqual(30_000);
      expect(result.status).toBe('succeeded');
      expect(result.steps.find((s) => s.step === 'build')!.attempt).toBeGreaterThanOrEqual(2);
      const counts = await withClient((c) => analyticsCounts((s, p) => c.query(s, p), runDate));
      expect(counts).toEqual({ staged: 1_000_000, distinct_events: 1_000_000, campaigns: 50, events: 1_000_000 });
      // The outage was felt (above: a retried step) and the run still kept its SLA, so it had no
      // incident: no alert, on purpose. Alerts are one per incident (a final failure, an SLA miss,
      // a Flink gate deadline), never one per failed attempt. That an incident does send exactly
      // one is shown by dbt-daily-run.test.ts and by the secrets case below.
      const ledger = await withClient((c) => c.query('SELECT status, sla_met FROM orchestrator.pipeline_runs WHERE run_date = $1', [runDate]));
      expect(ledger.rows).toEqual([{ status: 'succeeded', sla_met: true }]);
      const alerts = await withClient((c) => c.query('SELECT incident_key FROM orchestrator.alerts WHERE run_date = $1', [runDate]));
      expect(alerts.rows).toEqual([]);
      expect(slack.messages().filter((m) => String(m.body.text).includes(runDate))).toEqual([]);
    } finally {
      await handle.stop();
      rmSync(localDir, { recursive: true, force: true });
    }
  }, 300_000);

  it('flink-complete called twice, out of order, and a malformed signal: each date runs exactly once', async () => {
    const [early, late] = ['2025-08-04', '2025-08-05'];
    const taskQueue = uniqueTaskQueue('flink-calls');
    const config = testConfig({ DBT_ARTIFACTS_DIR: artifactsDir, TEMPORAL_TASK_QUEUE: taskQueue });
    for (const [i, date] of [early, late].entries()) await loadDay(db.pool, { date, events: 20_000, seed: 84 + i });
    const hook = (date: string) =>
      execa(roas, ['flink-complete', '--date', date], {
        reject: false,
        timeout: 60_000,
        env: { DATABASE_URL: db.url, TEMPORAL_ADDRESS: inject('temporalAddress'), TEMPORAL_TASK_QUEUE: taskQueue, LOG_LEVEL: 'warn' },
      });
    const results = await withRealWorker({ config, connection: temporal.nativeConnection, databaseUrl: db.url, taskQueue }, async () => {
      const runs = await Promise.all([early, late].map((date) => startDbtDailyRun(temporal.client, config, date, { taskQueue })));
      for (const date of [early, late]) await gateWaiting(temporal.client, date);
      // A payload that is not a flink-complete at all: ignored, the gate keeps waiting.
      await temporal.client.workflow.getHandle(workflowIds.flinkGate(early)).signal(flinkCompleteSignal, { runDate: 42 } as never);
      // The later day first, then the earlier one, then both again.
      const calls = [];
      for (const date of [late, early, late, early]) calls.push(await hook(date));
      for (const c of calls) expect(c.exitCode, c.stderr).toBe(0);
      expect(calls.map((c) => (c.stdout.includes('already recorded') ? 'again' : 'new'))).toEqual(['new', 'new', 'again', 'again']);
      return Promise.all(runs.map((r) => r.result()));
    });
    expect(results.map((r) => r.status)).toEqual(['succeeded', 'succeeded']);
    for (const date of [early, late]) {
      const batches = await db.pool.query('SELECT row_count::int AS n FROM realtime.flink_batches WHERE run_date = $1', [date]);
      expect(batches.rows).toEqual([{ n: 20_000 }]);
      const ledger = await db.pool.query('SELECT status, attempts FROM orchestrator.pipeline_runs WHERE run_date = $1', [date]);
      expect(ledger.rows).toEqual([{ status: 'succeeded', attempts: 1 }]);
      expect(await analyticsCounts((s, p) => db.pool.query(s, p), date)).toEqual({ staged: 20_000, distinct_events: 20_000, campaigns: 50, events: 20_000 });
    }
    // A late duplicate call after the run finished starts nothing.
    const after = await hook(early);
    expect(after.exitCode).toBe(0);
    expect(after.stdout).toContain('already recorded');
    const ledger = await db.pool.query('SELECT count(*)::int AS n FROM orchestrator.pipeline_runs WHERE run_date = ANY($1)', [[early, late]]);
    expect(ledger.rows[0]).toEqual({ n: 2 });
  }, 300_000);

  it('secrets: the Slack token and the database password appear in no log, workflow history, artifact or alert', async () => {
    // Dates with no other days in the week before: the ETL's row-count check has no baseline to fail.
    const [good, bad] = ['2025-07-10', '2025-07-11'];
    const taskQueue = uniqueTaskQueue('secrets');
    const password = `pw-${Math.random().toString(36).slice(2)}-Secret`;
    const token = `xoxb-${Math.random().toString(36).slice(2)}-secret-token`;
    // The local cluster trusts local logins, so the password is not checked, but it travels
    // everywhere a real one would: the worker's pool, dbt's profile environment, the CLI.
    const url = new URL(db.url);
    url.password = password;
    const secretUrl = url.toString();
    const secretArtifacts = mkdtempSync(path.join(os.tmpdir(), 'roas-secrets-artifacts-'));
    const reportsDir = mkdtempSync(path.join(os.tmpdir(), 'roas-secrets-reports-'));
    const env = {
      ...workerEnv({ DATABASE_URL: secretUrl, TEMPORAL_TASK_QUEUE: taskQueue, DBT_ARTIFACTS_DIR: secretArtifacts, ROAS_REPORTS_DIR: reportsDir }),
      SLACK_BOT_TOKEN: token,
      SLACK_API_URL: slack.url,
      LOG_LEVEL: 'debug',
    };
    await loadDay(db.pool, { date: good, events: 20_000, seed: 86 });
    await loadDay(db.pool, { date: bad, events: 20_000, seed: 87, defects: ['negative-cost'] });
    for (const date of [good, bad]) await recordFlinkComplete(db.pool, { runDate: date });
    const worker = await startWorkerProcess(env);
    workers.push(worker);
    const config = testConfig({ DATABASE_URL: secretUrl, TEMPORAL_TASK_QUEUE: taskQueue, SLACK_BOT_TOKEN: token, SLACK_API_URL: slack.url });

    // A clean day with its ETL (a Slack summary), and a failing day (a Slack alert).
    expect((await (await startDbtDailyRun(temporal.client, config, good, { taskQueue })).result()).status).toBe('succeeded');
    const etl = await (await startDailyEtl(temporal.client, config, good, { taskQueue })).result();
    expect(etl).toMatchObject({ runDate: good, status: 'succeeded' });
    const failed = await (await startDbtDailyRun(temporal.client, config, bad, { taskQueue })).result().catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(Error);
    // The operator's commands, run with the same secrets in their environment.
    const cliArgs = [['status', '--date', bad], ['runs'], ['logs', 'dbt', '--date', bad]];
    const cli = await Promise.all(
      cliArgs.map((args) => execa(roas, args, { reject: false, timeout: 60_000, env: { ...env, TEMPORAL_ADDRESS: inject('temporalAddress') } })),
    );
    worker.process.kill('SIGTERM');
    const exit = await worker.process;

    // The secrets were really in use: Slack got the token with each call, the CLI and worker worked.
    const posted = slack.messages().filter((m) => [good, bad].some((d) => JSON.stringify(m.body).includes(d)));
    expect(posted.length).toBeGreaterThanOrEqual(2);
    for (const m of posted) expect(m.token).toBe(token);
    // Each command worked (a failed run is something `status` reports, not a failure of `status`).
    for (const [i, c] of cli.entries()) expect(c.exitCode, `roas ${cliArgs[i]!.join(' ')}: ${c.stderr}`).toBe(0);
    expect(String(exit.stdout).length).toBeGreaterThan(0);

    const { executions } = await (async () => {
      const found: string[] = [];
      await eventually('the runs to be listed', async () => {
        found.length = 0;
        for await (const w of temporal.client.workflow.list({ query: `TaskQueue = '${taskQueue}'` })) found.push(w.workflowId);
        return found.length >= 5;
      });
      return { executions: found };
    })();
    expect(executions).toEqual(expect.arrayContaining([workflowIds.dbtDailyRun(good), workflowIds.dailyEtl(good), workflowIds.dbtDailyRun(bad)]));
    const places: { where: string; text: string }[] = [
      { where: 'worker stdout', text: String(exit.stdout) },
      { where: 'worker stderr', text: String(exit.stderr) },
      ...cli.map((c, i) => ({ where: `cli ${i} output`, text: `${c.stdout}\n${c.stderr}` })),
      ...posted.map((m, i) => ({ where: `slack message ${i}`, text: JSON.stringify(m.body) })),
      ...filesUnder(secretArtifacts).map((f) => ({ where: f.file, text: f.text })),
      ...filesUnder(reportsDir).map((f) => ({ where: f.file, text: f.text })),
    ];
    for (const id of executions) {
      const history = await temporal.client.workflow.getHandle(id).fetchHistory();
      places.push({ where: `history of ${id}`, text: texts(history).join('\n') });
    }
    const alerts = await db.pool.query('SELECT * FROM orchestrator.alerts WHERE run_date = ANY($1)', [[good, bad]]);
    // One incident, one alert: the failed run of the bad day (the good day and its ETL send none).
    const kinds = await db.pool.query('SELECT pipeline, kind, run_date::text AS run_date FROM orchestrator.alerts WHERE run_date = ANY($1)', [[good, bad]]);
    expect(kinds.rows).toEqual([{ pipeline: 'dbt_daily_run', kind: 'failure', run_date: bad }]);
    places.push({ where: 'orchestrator.alerts', text: JSON.stringify(alerts.rows) });
    const ledger = await db.pool.query('SELECT * FROM orchestrator.pipeline_runs WHERE run_date = ANY($1)', [[good, bad]]);
    places.push({ where: 'orchestrator.pipeline_runs', text: JSON.stringify(ledger.rows) });

    // The search itself works: the histories hold the run's inputs and results.
    expect(places.find((p) => p.where === `history of ${workflowIds.dbtDailyRun(bad)}`)!.text).toContain('stg_ad_events_amounts_not_negative');
    const leaks = places.filter((p) => p.text.includes(password) || p.text.includes(token)).map((p) => p.where);
    expect(leaks).toEqual([]);
  }, 300_000);
});
