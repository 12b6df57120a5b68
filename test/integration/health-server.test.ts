// The readiness signal `npm start` serves (the same server as the production worker's): /healthz
// answers 200 with what it checked while the worker runs, /metrics the pipeline metrics, and it
// listens on the loopback interface only.
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startHealthServer } from '../../src/health-server';
import { createLogger } from '../../src/logger';
import { createPipelineMetrics } from '../../src/metrics';
import { createRoasWorker } from '../../src/worker';
import { testConfig } from '../helpers/config';
import { useTestDatabase } from '../helpers/db';
import { connectDevServer, uniqueTaskQueue, workflowBundle } from '../helpers/temporal';

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
      for (let i = 0; i < 100 && worker.getState() !== 'RUNNING'; i++) await new Promise((r) => setTimeout(r, 50));
      const ok = await fetch(`${server.url}/healthz`);
      expect(ok.status).toBe(200);
      expect(await ok.json()).toEqual({ ok: true, worker: 'RUNNING', temporal: 'ok', postgres: 'ok' });
      expect(await (await fetch(`${server.url}/metrics`)).text()).toContain('roas_worker_process_resident_memory_bytes');
      worker.shutdown();
      await running;
      const stopped = await fetch(`${server.url}/healthz`);
      expect(stopped.status).toBe(503);
    } finally {
      server.close();
      await close();
    }
  });
});
