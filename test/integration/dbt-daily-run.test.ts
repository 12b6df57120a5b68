// dbtDailyRun on the real stack: the dev server, the project's worker with its real activities,
// real dbt, real PostgreSQL, and the real Slack client talking to a local Slack stand-in.
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CancelledFailure, WorkflowFailedError } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { startDbtDailyRun } from '../../src/client/runs';
import { PROJECT_ROOT, type Config } from '../../src/platform/config';
import { recordFlinkComplete, signalFlinkGate } from '../../src/client/flink-complete';
import { loadDay } from '../../src/local/generator/load';
import { createPipelineMetrics } from '../../src/platform/metrics';
import { workflowIds } from '../../src/core/signals';
import { keepHistory } from '../helpers/histories';
import { readRunResults } from '../../src/artifacts/run-results';
import { withRealWorker } from '../helpers/real-worker';
import { testConfig } from '../helpers/config';
import { useTestDatabase } from '../helpers/db';
import { dbtProcesses, dbtSessions } from '../helpers/dbt';
import { startFakeSlack } from '../helpers/slack';
import { connectDevServer, eventually, gateWaiting, uniqueTaskQueue } from '../helpers/temporal';

describe('dbtDailyRun on the real stack', () => {
  const db = useTestDatabase(import.meta.url);
  let temporal: Awaited<ReturnType<typeof connectDevServer>>;
  let slack: Awaited<ReturnType<typeof startFakeSlack>>;
  let config: Config;
  const artifactsDir = mkdtempSync(path.join(os.tmpdir(), 'roas-daily-artifacts-'));
  const metrics = createPipelineMetrics();

  beforeAll(async () => {
    temporal = await connectDevServer();
    slack = await startFakeSlack();
    config = testConfig({
      DBT_ARTIFACTS_DIR: artifactsDir,
      SLACK_BOT_TOKEN: 'xoxb-real-client-test',
      SLACK_API_URL: slack.url,
      ROAS_RETRY_INTERVAL: '3s',
    });
  });
  afterAll(async () => {
    await temporal?.close();
    await slack?.close();
  });

  async function withWorker<T>(databaseUrl: string, body: (taskQueue: string) => Promise<T>): Promise<T> {
    const taskQueue = uniqueTaskQueue('daily-real');
    return withRealWorker({ config, connection: temporal.nativeConnection, databaseUrl, taskQueue, metrics }, () => body(taskQueue));
  }

  it('generated day → flink-complete → dbt run and test succeed and analytics is populated', async () => {
    const runDate = '2026-09-01';
    await loadDay(db.pool, { date: runDate, events: 30_000, seed: 3 });
    const result = await withWorker(db.url, async (taskQueue) => {
      const handle = await startDbtDailyRun(temporal.client, config, runDate, { taskQueue, trigger: 'manual' });
      await gateWaiting(temporal.client, runDate);
      // The Flink hook: record the day (the worker hears the row), then wake the gate as the CLI does;
      // whichever comes first opens it.
      const record = await recordFlinkComplete(db.pool, { runDate });
      expect(record).toMatchObject({ outcome: 'recorded', rowCount: 30_000, flag: null });
      await signalFlinkGate(temporal.client, runDate);
      return handle.result();
    });
    expect(result).toMatchObject({ runDate, status: 'succeeded', slaMet: true });
    // One dbt process: seeds, models and their tests in DAG order.
    expect(result.steps.map((s) => s.step)).toEqual(['build']);
    const build = { ...result.steps[0]!, nodes: readRunResults(result.steps[0]!.targetPath)!.nodes };
    expect(result.steps[0]!.nodeCounts).toMatchObject({ total: build.nodes.length, failed: 0, skipped: 0, carried: 0 });
    expect(build.nodes.filter((n) => n.resourceType !== 'test').map((n) => n.name).sort()).toEqual([
      'campaigns',
      'fct_daily_metrics',
      'fct_daily_metrics_restatement',
      'fx_rates',
      'int_hourly_agg',
      'roas',
      'stg_ad_events',
      'stg_ad_events_by_campaign',
      'stg_ad_events_row_checks',
    ]);
    expect(build.nodes.filter((n) => n.resourceType === 'test').length).toBeGreaterThanOrEqual(17);
    expect(build.nodes.filter((n) => n.resourceType === 'test').every((n) => n.status === 'pass')).toBe(true);

    const { rows } = await db.pool.query<{ campaigns: number; events: string }>(
      'SELECT count(*)::int AS campaigns, sum(impressions + clicks + conversions)::text AS events FROM analytics.fct_daily_metrics WHERE metric_date = $1',
      [runDate],
    );
    expect(rows[0]).toEqual({ campaigns: 50, events: '30000' });
    const ledger = await db.pool.query('SELECT status, attempts, sla_met FROM orchestrator.pipeline_runs WHERE run_date = $1', [runDate]);
    expect(ledger.rows).toEqual([{ status: 'succeeded', attempts: 1, sla_met: true }]);
    expect(slack.messages().filter((m) => String(m.body.text).includes(runDate))).toHaveLength(0);
    await keepHistory(temporal.client, workflowIds.dbtDailyRun(runDate), 'dbt-daily-run-succeeded');

    // The worker's /metrics exposes what happened.
    const text = await metrics.registry.metrics();
    expect(text).toMatch(/roas_dbt_step_duration_seconds_count\{pipeline="dbt_daily_run",step="build",outcome="success"\} 1/);
    expect(text).toMatch(/roas_pipeline_run_duration_seconds_count\{pipeline="dbt_daily_run",status="succeeded"\} 1/);
    const rowsProcessed = /roas_dbt_rows_processed_total\{pipeline="dbt_daily_run"\} (\d+)/.exec(text);
    expect(Number(rowsProcessed?.[1])).toBeGreaterThanOrEqual(30_000);
  });

  it('an injected data defect fails the run with one Slack message naming the test', async () => {
    const runDate = '2026-09-02';
    await loadDay(db.pool, { date: runDate, events: 30_000, seed: 4, defects: ['negative-cost'] });
    await recordFlinkComplete(db.pool, { runDate });
    const error = await withWorker(db.url, async (taskQueue) =>
      (await startDbtDailyRun(temporal.client, config, runDate, { taskQueue })).result().catch((e: unknown) => e),
    );
    expect(error).toBeInstanceOf(WorkflowFailedError);
    const messages = slack.messages().filter((m) => String(m.body.text).includes(runDate));
    expect(messages).toHaveLength(1);
    const text = String(messages[0]!.body.text);
    expect(messages[0]!.token).toBe('xoxb-real-client-test');
    expect(text).toContain('stg_ad_events_amounts_not_negative [fail]');
    expect(text).toMatch(/\(\d+ failing rows\)/);
    expect(text).toContain('DbtTestFailure, not retried');
    expect(text).toContain(`Reproduce locally: roas dbt --date ${runDate} -- build --select tag:daily_run`);

    // Trying the step by hand says the same, not the testing library's internals: exit 1.
    const tried = await execa(path.join(PROJECT_ROOT, 'bin', 'roas'), ['test-step', 'dbt-build', '--date', runDate], {
      reject: false,
      env: { DATABASE_URL: db.url, DBT_ARTIFACTS_DIR: artifactsDir, LOG_LEVEL: 'warn' },
    });
    expect(tried.exitCode).toBe(1);
    expect(tried.stderr).toContain('failed: dbt test failed: stg_ad_events_amounts_not_negative');
    expect(tried.stderr).toMatch(/• stg_ad_events_amounts_not_negative \[fail\] \(\d+ failing rows\)/);
    expect(tried.stderr).toContain(`Reproduce locally: roas dbt --date ${runDate} -- build`);
    expect(tried.stderr).not.toContain('taskToken');
    expect(tried.stderr).not.toMatch(/\n\s+at /);
  });

  it('cancelling a run stops its dbt process and its queries, and records it as cancelled', async () => {
    const runDate = '2026-09-04';
    await loadDay(db.pool, { date: runDate, events: 1_000_000, seed: 6 });
    await recordFlinkComplete(db.pool, { runDate });
    const applicationName = `roas-${runDate}-build-a1`;
    const activeQueries = () => dbtSessions(db.pool, applicationName, { active: true });
    const attemptOneDbt = () => dbtProcesses(runDate, { attempt: 1 });
    const error = await withWorker(db.url, async (taskQueue) => {
      const run = await startDbtDailyRun(temporal.client, config, runDate, { taskQueue });
      await eventually(`dbt of ${runDate} (attempt 1) to run a query`, async () => (await activeQueries()) > 0, 60_000, 25);
      expect(await attemptOneDbt()).toBeGreaterThan(0);
      await run.cancel();
      const e = await run.result().catch((err: unknown) => err);
      // Let the worker finish the activity's clean-up before it shuts down.
      await eventually('the cancelled dbt process and its queries to stop', async () => (await attemptOneDbt()) === 0 && (await activeQueries()) === 0, 20_000, 100);
      return e;
    });
    expect(error).toBeInstanceOf(WorkflowFailedError);
    expect((error as WorkflowFailedError).cause).toBeInstanceOf(CancelledFailure);
    expect(await attemptOneDbt()).toBe(0);
    expect(await activeQueries()).toBe(0);
    const ledger = await db.pool.query('SELECT status FROM orchestrator.pipeline_runs WHERE run_date = $1', [runDate]);
    expect(ledger.rows).toEqual([{ status: 'cancelled' }]);
    await keepHistory(temporal.client, workflowIds.dbtDailyRun(runDate), 'dbt-daily-run-cancelled');
    expect(slack.messages().filter((m) => String(m.body.text).includes(runDate))).toHaveLength(0);
  });
});
