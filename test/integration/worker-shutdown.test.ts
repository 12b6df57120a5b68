// The production worker as a process: SIGTERM during a dbt step leaves no dbt behind, the step
// is retried by a new worker, and the run ends with exact analytics rows; /healthz and /metrics.
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startDbtDailyRun } from '../../src/client/runs';
import { recordFlinkComplete } from '../../src/client/flink-complete';
import { loadDay } from '../../src/local/generator/load';
import { testConfig } from '../helpers/config';
import { useTestDatabase } from '../helpers/db';
import { dbtProcesses, dbtSessions } from '../helpers/dbt';
import { connectDevServer, eventually, uniqueTaskQueue } from '../helpers/temporal';
import { startWorkerProcess, type WorkerProcess } from '../helpers/worker-process';
import { ephemeralPort } from '../../src/local/stack/ports';
import { spawnDevServer } from '../../src/local/stack/temporal';
import { venvTools } from '../../src/platform/tools';

describe('the production worker process', () => {
  const db = useTestDatabase(import.meta.url);
  let temporal: Awaited<ReturnType<typeof connectDevServer>>;
  const taskQueue = uniqueTaskQueue('worker-process');
  const env = () => ({
    DATABASE_URL: db.url,
    TEMPORAL_ADDRESS: inject('temporalAddress'),
    TEMPORAL_TASK_QUEUE: taskQueue,
    DBT_ARTIFACTS_DIR: artifactsDir,
    ROAS_REPORTS_DIR: mkdtempSync(path.join(os.tmpdir(), 'roas-wp-reports-')),
    ROAS_RETRY_INTERVAL: '2s',
    ROAS_SHUTDOWN_GRACE: '1s',
  });
  const artifactsDir = mkdtempSync(path.join(os.tmpdir(), 'roas-wp-artifacts-'));
  const workers: WorkerProcess[] = [];

  beforeAll(async () => {
    temporal = await connectDevServer();
  });
  afterAll(async () => {
    for (const w of workers) w.process.kill('SIGKILL');
    await temporal?.close();
  });

  it('SIGTERM during a dbt step: no dbt left behind, a new worker retries the step, analytics rows are exact', async () => {
    const runDate = '2026-04-01';
    await loadDay(db.pool, { date: runDate, events: 1_000_000, seed: 31 });
    await recordFlinkComplete(db.pool, { runDate });
    const first = await startWorkerProcess(env());
    workers.push(first);
    expect((await first.health()).body).toMatchObject({ ok: true, worker: 'RUNNING', temporal: 'ok', postgres: 'ok' });

    const config = testConfig({ TEMPORAL_TASK_QUEUE: taskQueue, ROAS_RETRY_INTERVAL: '2s' });
    const run = await startDbtDailyRun(temporal.client, config, runDate, { taskQueue });
    await eventually('dbt to execute SQL', async () => (await dbtSessions(db.pool, `roas-${runDate}-build-a1`, { active: true })) > 0, 60_000);
    expect(await dbtProcesses(runDate)).toBeGreaterThan(0);

    first.process.kill('SIGTERM');
    const exit = await first.process;
    expect(exit.exitCode, String(exit.stdout ?? '').slice(-3000) + String(exit.stderr ?? '').slice(-2000)).toBe(0);
    expect(String(exit.stdout)).toContain('worker stopped');
    await eventually('dbt of the stopped worker to be gone', async () => (await dbtProcesses(runDate)) === 0, 15_000);

    const second = await startWorkerProcess(env());
    workers.push(second);
    const result = await run.result();
    expect(result.status).toBe('succeeded');
    expect(result.steps.find((s) => s.step === 'build')!.attempt).toBeGreaterThanOrEqual(2);
    const { rows } = await db.pool.query<{ events: string; n: number }>(
      'SELECT sum(impressions + clicks + conversions)::text AS events, count(*)::int AS n FROM analytics.fct_daily_metrics WHERE metric_date = $1',
      [runDate],
    );
    expect(rows[0]).toEqual({ events: '1000000', n: 50 });
    const staged = await db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM analytics.stg_ad_events WHERE event_date = $1', [runDate]);
    expect(staged.rows[0]!.n).toBe(1_000_000);

    const metrics = await second.metrics();
    expect(metrics).toMatch(/roas_pipeline_run_duration_seconds_count\{pipeline="dbt_daily_run",status="succeeded"\} 1/);
    expect(metrics).toMatch(/roas_dbt_step_retries_total\{pipeline="dbt_daily_run",step="build"\} 1/);
  });

  it('/healthz turns 503 when the worker loses its Temporal server', async () => {
    // A Temporal server of its own, so stopping it disturbs no other test.
    const port = await ephemeralPort();
    const server = await spawnDevServer({ binary: venvTools(testConfig().venvDir).temporal, port, logFile: path.join(artifactsDir, 'temporal-health.log') });
    let stopped = false;
    try {
      const worker = await startWorkerProcess({ ...env(), TEMPORAL_ADDRESS: `127.0.0.1:${port}` });
      workers.push(worker);
      expect((await worker.health()).body).toMatchObject({ ok: true, temporal: 'ok' });
      await server.stop();
      stopped = true;
      await eventually('the health check to notice', async () => (await worker.health()).status === 503, 30_000);
      const h = await worker.health();
      expect(h.body).toMatchObject({ ok: false, postgres: 'ok' });
      expect(String(h.body.temporal)).toMatch(/^unreachable/);
    } finally {
      if (!stopped) await server.stop();
    }
  });
});

