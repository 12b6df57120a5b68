// The readiness signal `npm start` serves (the same server as the production worker's): /healthz
// answers 200 with what it checked while the worker runs, /metrics the pipeline metrics, and it
// listens on the loopback interface only.
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startHealthServer } from '../../src/worker/health-server';
import { createLogger } from '../../src/platform/logger';
import { createPipelineMetrics } from '../../src/platform/metrics';
import { createRoasWorker } from '../../src/worker/worker';
import { testConfig } from '../helpers/config';
import { useTestDatabase } from '../helpers/db';
import { connectDevServer, eventually, uniqueTaskQueue, workflowBundle } from '../helpers/temporal';

describe("npm start's /healthz and /metrics", () => {
  const db = useTestDatabase(import.meta.url);
  let temporal: Awaited<ReturnType<typeof connectDevServer>>;
  beforeAll(async () => {
    temporal = await connectDevServer();
  });
  afterAll(async () => {
    await temporal?.close();
  });

  it('answers 200 while the worker runs, 503 once it stopped; loopback only', async () => {
    const config = testConfig({ DBT_ARTIFACTS_DIR: mkdtempSync(path.join(os.tmpdir(), 'roas-health-')) });
    const metrics = createPipelineMetrics();
    const log = createLogger('silent');
    const { worker, pool, close } = await createRoasWorker({
      config,
      connection: temporal.nativeConnection,
      databaseUrl: db.url,
      dbtBin: inject('dbtBin'),
      workflowBundle: workflowBundle(),
      taskQueue: uniqueTaskQueue('health'),
      log,
      metrics,
    });
    const running = worker.run();
    const server = await startHealthServer({ worker, connection: temporal.nativeConnection, pool, metrics, port: 0, host: '127.0.0.1', log });
    try {
      expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      await eventually('the worker to run', () => Promise.resolve(worker.getState() === 'RUNNING'), 10_000);
      const ok = await fetch(`${server.url}/healthz`);
      expect(ok.status).toBe(200);
      expect(await ok.json()).toEqual({ ok: true, worker: 'RUNNING', temporal: 'ok', postgres: 'ok' });
      // A run at its Flink gate in the ledger: /metrics shows since when it waits.
      await db.pool.query(
        `INSERT INTO orchestrator.pipeline_runs (workflow_id, run_id, pipeline, run_date, status, current_step, started_at)
         VALUES ('dbt-daily-run-2026-11-26', 'r1', 'dbt_daily_run', '2026-11-26', 'running', 'waiting-for-flink', now() - interval '40 minutes')`,
      );
      const metricsText = await (await fetch(`${server.url}/metrics`)).text();
      expect(metricsText).toContain('roas_worker_process_resident_memory_bytes');
      expect(metricsText).toMatch(/roas_worker_polling\{task_queue="test-health-[^"]*"\} 1/);
      expect(metricsText).toMatch(/roas_worker_memory_limit_bytes \d+/);
      const since = /roas_flink_gate_waiting_since_timestamp_seconds\{pipeline="dbt_daily_run",run_date="2026-11-26"\} (\d+)/.exec(metricsText);
      expect(Number(since?.[1])).toBeGreaterThan(Date.now() / 1000 - 41 * 60);
      expect(Number(since?.[1])).toBeLessThan(Date.now() / 1000 - 39 * 60);
      worker.shutdown();
      await running;
      const stopped = await fetch(`${server.url}/healthz`);
      expect(stopped.status).toBe(503);
      expect(await (await fetch(`${server.url}/metrics`)).text()).toMatch(/roas_worker_polling\{task_queue="test-health-[^"]*"\} 0/);
    } finally {
      server.close();
      await close();
    }
  });
});
