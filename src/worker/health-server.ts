// /healthz and /metrics of a worker: served by the production worker and by `npm start`'s.
// /healthz answers 200 with JSON when the worker runs and reaches Temporal and PostgreSQL, 503
// otherwise, so a script or an orchestrator can wait on it; /metrics is Prometheus text. With
// `dashboard` set, the same server serves the monitoring dashboard at / (src/dashboard).
import http from 'node:http';
import { Client } from '@temporalio/client';
import type { NativeConnection, Worker } from '@temporalio/worker';
import type pg from 'pg';
import { flinkGatesWaiting } from '../../activities/ledger';
import { createDashboardRoutes, type DashboardOptions } from '../dashboard/server';
import type { DbtWarmInfo } from '../platform/dbt-warm';
import type { Logger } from '../platform/logger';
import type { PipelineMetrics } from '../platform/metrics';

export interface HealthServerOptions {
  worker: Worker;
  connection: NativeConnection;
  pool: pg.Pool;
  /** What the dashboard reads through: the reporting role's pool (default: pool). */
  dashboardPool?: pg.Pool;
  metrics: PipelineMetrics;
  port: number;
  /** Interface to listen on; all when omitted. */
  host?: string;
  log: Logger;
  /** Whether dbt is kept warm and its versions, for /metrics. */
  dbtWarm?: () => Promise<DbtWarmInfo>;
  /** Serve the dashboard too (it reads the pool and Temporal through the worker's connection). */
  dashboard?: Omit<DashboardOptions, 'pool' | 'temporal' | 'taskQueue'>;
}

export interface HealthServer {
  /** http://host:port, once listening. */
  url: string;
  close(): void;
}

export async function startHealthServer(opts: HealthServerOptions): Promise<HealthServer> {
  // The gauges read at scrape time: is this worker polling, and which Flink gates wait now.
  opts.metrics.watch({
    workerState: () => opts.worker.getState(),
    taskQueue: opts.worker.options.taskQueue,
    flinkGatesWaiting: () => flinkGatesWaiting(opts.pool),
    ...(opts.dbtWarm ? { dbtWarm: opts.dbtWarm } : {}),
  });
  const health = async () => {
    const state = opts.worker.getState();
    const temporal = await Promise.race([
      opts.connection.workflowService.getSystemInfo({}).then(
        () => 'ok',
        (e: unknown) => `unreachable: ${(e as Error).message}`,
      ),
      new Promise<string>((r) => setTimeout(() => r('unreachable: no answer in 3 s'), 3_000)),
    ]);
    const postgres = await opts.pool.query('SELECT 1').then(
      () => 'ok',
      (e: unknown) => `unreachable: ${(e as Error).message}`,
    );
    return { ok: state === 'RUNNING' && temporal === 'ok' && postgres === 'ok', worker: state, temporal, postgres };
  };
  const dashboard = opts.dashboard
    ? createDashboardRoutes({
        ...opts.dashboard,
        pool: opts.dashboardPool ?? opts.pool,
        temporal: new Client({ connection: opts.connection, namespace: opts.dashboard.namespace }),
        taskQueue: opts.worker.options.taskQueue,
        onError: (err) => opts.log.warn({ err: err.message }, 'a dashboard request could not be served'),
      })
    : undefined;
  const server = http.createServer((req, res) => {
    if (req.url === '/metrics') {
      void opts.metrics.registry.metrics().then((body) => {
        res.setHeader('content-type', opts.metrics.registry.contentType);
        res.end(body);
      });
      return;
    }
    if (req.url === '/healthz') {
      void health().then((h) => {
        res.statusCode = h.ok ? 200 : 503;
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify(h));
      });
      return;
    }
    if (dashboard?.handle(req, res)) return;
    res.statusCode = 404;
    res.end(dashboard ? 'try /, /healthz or /metrics\n' : 'try /healthz or /metrics\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : opts.port;
  const url = `http://${opts.host ?? 'localhost'}:${port}`;
  opts.log.info({ url }, 'health and metrics');
  return { url, close: () => server.close() };
}
