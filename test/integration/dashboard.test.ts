// The monitoring dashboard on the real stack, opened in headless Chromium after runs that cover
// every state the calendar shows. How each state is made (all of them are real workflow runs on
// the shared Temporal dev server, recorded in the ledger by the pipelines themselves; none is a
// row written by hand):
//   2025-04-04  succeeded          real dbt run and daily ETL, real dbt (5,000 events), report written
//   2025-04-05  skipped            a run with the fake dbt below succeeded, then a second run skipped
//   2025-04-06  failed (test)      real dbt run on data with negative costs (DbtTestFailure, alert
//                                  delivered to the Slack stand-in); its ETL fails (alert not delivered)
//   2025-04-07  retried, succeeded the fake dbt fails its first attempt with a connection error
//   2025-04-08  SLA missed         the fake dbt takes 2.5 s against an SLA of 1 s (alert delivered)
//   2025-04-12  waiting            no Flink marker: the dbt run waits at its gate; its ETL waits for it
//   2025-04-13  running            the fake dbt reports nodes done one by one and never finishes
//   others      missing            nothing ran
// The fake dbt (a test double of the dbt process only: the activities, publishing, ledger, alerts
// and workflows are the project's) runs in a second worker on the same task queue, started once
// the real-dbt worker has stopped, and keeps running while the browser looks.
import { existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import type pg from 'pg';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createActivities } from '../../activities';
import type { DbtRunner } from '../../activities/dbt/runner';
import { temporalWorkflowStatus } from '../../activities/etl/activities';
import { krw } from '../../activities/etl/report';
import { liveProgress } from '../../src/client/live-progress';
import { startDailyEtl, startDbtDailyRun } from '../../src/client/runs';
import { PROJECT_ROOT, type Config } from '../../src/platform/config';
import { loadDashboard } from '../../src/dashboard/data';
import { roasText } from '../../src/dashboard/render';
import { dashboardSettings } from '../../src/dashboard/server';
import { recordFlinkComplete } from '../../src/client/flink-complete';
import { loadDay } from '../../src/local/generator/load';
import { startHealthServer, type HealthServer } from '../../src/worker/health-server';
import { createLogger } from '../../src/platform/logger';
import { createPipelineMetrics } from '../../src/platform/metrics';
import { testConfig } from '../helpers/config';
import { useTestDatabase } from '../helpers/db';
import { fakeDbt, withAuditedDays, type FakeNode } from '../helpers/fake-dbt';
import { withRealWorker } from '../helpers/real-worker';
import { startFakeSlack } from '../helpers/slack';
import { connectDevServer, eventually, gateWaiting, uniqueTaskQueue } from '../helpers/temporal';

const CHROMIUM = '/usr/bin/chromium';
const D = {
  first: '2025-04-01',
  succeeded: '2025-04-04',
  skipped: '2025-04-05',
  failed: '2025-04-06',
  retried: '2025-04-07',
  slaMissed: '2025-04-08',
  waiting: '2025-04-12',
  running: '2025-04-13',
  last: '2025-04-14',
};
const WINDOW = `?end=${D.last}&days=14`;
const SCREENSHOTS = path.join(PROJECT_ROOT, '.local', 'screenshots');

/** What the fake dbt builds: models not named like the real ones, and a warn-severity test that warns. */
const FAKE_NODES: FakeNode[] = [
  { name: 'dash_fake_staging', type: 'model', status: 'success' },
  { name: 'dash_fake_fact', type: 'model', status: 'success' },
  { name: 'stg_ad_events_source_duplicates', type: 'test', status: 'warn', failures: 3, message: 'Got 3 results, configured to warn if != 0' },
  { name: 'dash_fake_test', type: 'test', status: 'pass', failures: 0 },
];

interface DomElement {
  textContent: string | null;
  getAttribute(name: string): string | null;
}

describe('the monitoring dashboard', () => {
  const db = useTestDatabase(import.meta.url);
  let temporal: Awaited<ReturnType<typeof connectDevServer>>;
  let slack: Awaited<ReturnType<typeof startFakeSlack>>;
  let config: Config;
  let worker: Worker;
  let running: Promise<void>;
  let health: HealthServer;
  let browser: Browser;
  let base: string;
  const open: WorkflowHandle[] = [];
  /** Makes the running build finish one more node. */
  let nextNode = () => {};
  const taskQueue = uniqueTaskQueue('dashboard');

  beforeAll(async () => {
    temporal = await connectDevServer();
    slack = await startFakeSlack();
    config = testConfig({
      DBT_ARTIFACTS_DIR: mkdtempSync(path.join(os.tmpdir(), 'roas-dash-artifacts-')),
      ROAS_REPORTS_DIR: mkdtempSync(path.join(os.tmpdir(), 'roas-dash-reports-')),
      SLACK_BOT_TOKEN: 'xoxb-dashboard-secret-token',
      SLACK_API_URL: slack.url,
      // The real worker's retries (a run's input no longer sets them).
      ROAS_RETRY_INTERVAL: '1s',
    });
    const retry = { intervalMs: 300, maximumAttempts: 4 };

    // 1. Real dbt: a day that succeeds end to end, and a day whose data fails a test.
    await loadDay(db.pool, { date: D.succeeded, events: 5_000, seed: 41 });
    await recordFlinkComplete(db.pool, { runDate: D.succeeded });
    await loadDay(db.pool, { date: D.failed, events: 5_000, seed: 42, defects: ['negative-cost'] });
    await recordFlinkComplete(db.pool, { runDate: D.failed });
    await withRealWorker({ config, connection: temporal.nativeConnection, databaseUrl: db.url, taskQueue }, async () => {
      expect((await (await startDbtDailyRun(temporal.client, config, D.succeeded, { taskQueue, retry })).result()).status).toBe('succeeded');
      expect((await (await startDailyEtl(temporal.client, config, D.succeeded, { taskQueue, retry })).result()).status).toBe('succeeded');
      await expect((await startDbtDailyRun(temporal.client, config, D.failed, { taskQueue, retry })).result()).rejects.toThrow();
      // Slack refuses the ETL's alert: the feed must say it was not delivered.
      slack.setMode('invalid_auth');
      await expect((await startDailyEtl(temporal.client, config, D.failed, { taskQueue, retry })).result()).rejects.toThrow();
      slack.setMode('ok');
    });

    // 2. The fake dbt, in a worker that stays up while the browser looks.
    const calls = new Map<string, number>();
    const fake = fakeDbt(
      withAuditedDays(db.pool, async (inv) => {
        const n = (calls.get(inv.runDate ?? '') ?? 0) + 1;
        calls.set(inv.runDate ?? '', n);
        if (inv.runDate === D.retried && n === 1) return { exitCode: 2, raw: 'could not connect to server: Connection refused\n\tIs the server running on host "db"?' };
        if (inv.runDate === D.slaMissed) await new Promise((r) => setTimeout(r, 2_500));
        return { exitCode: 0, nodes: FAKE_NODES };
      }),
    );
    const runner: DbtRunner = async (inv, onEvent) => {
      if (inv.runDate !== D.running) return fake.runner(inv, onEvent);
      // A build of 12 nodes that finishes one more each time the test says so, and never ends
      // by itself (the run is terminated when the file ends).
      onEvent?.({ name: 'ConcurrencyLine', level: 'info', msg: '', data: { node_count: 12 } });
      let done = 0;
      const finishNode = () => onEvent?.({ name: 'LogModelResult', level: 'info', msg: '', data: { name: `node_${++done}`, status: 'SELECT 1' } });
      finishNode();
      finishNode();
      nextNode = finishNode;
      await new Promise((r) => inv.signal?.addEventListener('abort', r, { once: true }));
      return { command: inv.command, args: [inv.command], exitCode: 130, durationMs: 1, notable: [], rawOutput: '', dbtVersion: '1.11.16', cancelled: true };
    };
    worker = await Worker.create({
      connection: temporal.nativeConnection,
      taskQueue,
      workflowBundle: { codePath: inject('workflowBundlePath') },
      activities: createActivities({
        runner,
        artifactsDir: config.dbt.artifactsDir,
        reportsDir: config.reportsDir,
        dbtProjectDir: config.dbt.projectDir,
        pool: db.pool,
        slack: slack.client(),
        channel: '#marketing-data-alerts',
        log: createLogger('silent'),
        workflowStatus: temporalWorkflowStatus(temporal.client),
        temporal: temporal.client,
      }),
      maxHeartbeatThrottleInterval: '1 second',
      defaultHeartbeatThrottleInterval: '1 second',
    });
    running = worker.run();
    for (const date of [D.skipped, D.retried, D.slaMissed, D.running]) await recordFlinkComplete(db.pool, { runDate: date, allowEmpty: true });
    expect((await (await startDbtDailyRun(temporal.client, config, D.skipped, { taskQueue, retry })).result()).status).toBe('succeeded');
    expect((await (await startDbtDailyRun(temporal.client, config, D.skipped, { taskQueue, retry })).result()).status).toBe('skipped');
    expect((await (await startDbtDailyRun(temporal.client, config, D.retried, { taskQueue, retry })).result()).status).toBe('succeeded');
    expect(await (await startDbtDailyRun(temporal.client, config, D.slaMissed, { taskQueue, retry, slaMs: 1_000 })).result()).toMatchObject({ status: 'succeeded', slaMet: false });
    open.push(await startDbtDailyRun(temporal.client, config, D.waiting, { taskQueue, retry }));
    await gateWaiting(temporal.client, D.waiting);
    open.push(await startDailyEtl(temporal.client, config, D.waiting, { taskQueue, retry }));
    const live = await startDbtDailyRun(temporal.client, config, D.running, { taskQueue, retry });
    open.push(live);
    await eventually('the running build to report its nodes', async () => (await liveProgress(live)).nodesDone === 2, 30_000, 200);

    // 3. The dashboard, served by the worker's health server as npm start serves it.
    health = await startHealthServer({
      worker,
      connection: temporal.nativeConnection,
      pool: db.pool,
      metrics: createPipelineMetrics(),
      port: 0,
      host: '127.0.0.1',
      log: createLogger('silent'),
      dashboard: dashboardSettings(config, db.url),
    });
    base = health.url;
    expect(existsSync(CHROMIUM), `${CHROMIUM} is missing: install Debian's chromium package (sudo apt-get install chromium)`).toBe(true);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
  }, 400_000);

  afterAll(async () => {
    await browser?.close();
    health?.close();
    for (const h of open) await h.terminate('test over').catch(() => undefined);
    worker?.shutdown();
    await running;
    await temporal?.close();
    await slack?.close();
  });

  const sumOf = async (pool: pg.Pool, date: string) =>
    (
      await pool.query<{ spend: string; revenue: string }>(
        'SELECT sum(spend_krw)::text AS spend, sum(revenue_krw)::text AS revenue FROM analytics.fct_daily_metrics WHERE metric_date = $1',
        [date],
      )
    ).rows[0]!;

  it('shows every state in the calendar, numbers equal to the database, no console error; a running run moves without a reload', async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    const errors: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    page.on('pageerror', (e) => errors.push(e.message));
    const requests: string[] = [];
    page.on('request', (r) => requests.push(r.url()));
    await page.goto(`${base}/${WINDOW}`);

    const cell = (day: string, pipeline: 'flink' | 'dbt' | 'etl') => page.locator(`a.cell[data-day="${day}"][data-pipeline="${pipeline}"]`);
    const state = (day: string, pipeline: 'flink' | 'dbt' | 'etl') => cell(day, pipeline).getAttribute('data-state');
    expect(await state(D.succeeded, 'flink')).toBe('succeeded');
    expect(await state(D.succeeded, 'dbt')).toBe('succeeded');
    expect(await state(D.succeeded, 'etl')).toBe('succeeded');
    // A trigger after success is skipped; the day stays the success it was, and says so.
    expect(await state(D.skipped, 'dbt')).toBe('succeeded');
    expect(await cell(D.skipped, 'dbt').getAttribute('title')).toContain('a later trigger was skipped');
    expect(await state(D.failed, 'dbt')).toBe('failed');
    expect(await cell(D.failed, 'dbt').getAttribute('title')).toContain('DbtTestFailure');
    expect(await state(D.failed, 'etl')).toBe('failed');
    expect(await state(D.retried, 'dbt')).toBe('succeeded');
    expect(await cell(D.retried, 'dbt').getAttribute('data-retries')).toBe('1');
    expect(await state(D.slaMissed, 'dbt')).toBe('succeeded');
    expect(await cell(D.slaMissed, 'dbt').getAttribute('data-sla')).toBe('missed');
    expect(await state(D.waiting, 'flink')).toBe('waiting');
    expect(await state(D.waiting, 'dbt')).toBe('waiting');
    expect(await state(D.waiting, 'etl')).toBe('waiting');
    expect(await state(D.running, 'dbt')).toBe('running');
    expect(await state(D.last, 'dbt')).toBe('missing');
    // Days before the first data anything saw are not "missing": there was nothing yet.
    expect(await state(D.first, 'flink')).toBe('not-due');
    expect(await cell(D.first, 'flink').getAttribute('title')).toContain('before the first data');
    // Each state appears, and the ledger agrees with what the cells say.
    const states = await page.$$eval('a.cell', (els: DomElement[]) => els.map((e) => e.getAttribute('data-state')));
    for (const s of ['succeeded', 'failed', 'running', 'waiting', 'not-due', 'missing']) expect(states, s).toContain(s);
    const ledger = await db.pool.query<{ run_date: string; status: string; attempts: number; sla_met: boolean | null; run_id: string }>(
      `SELECT run_date::text, status, attempts, sla_met, run_id FROM orchestrator.pipeline_runs WHERE pipeline = 'dbt_daily_run' ORDER BY started_at`,
    );
    const latest = (d: string) => ledger.rows.filter((r) => r.run_date === d).at(-1)!;
    expect(latest(D.retried)).toMatchObject({ status: 'succeeded', attempts: 2 });
    expect(latest(D.slaMissed)).toMatchObject({ status: 'succeeded', sla_met: false });

    // A day's detail: its figures equal analytics.fct_daily_metrics; its links work.
    await cell(D.succeeded, 'dbt').click();
    const detail = page.locator(`section.daydetail[data-day="${D.succeeded}"]`);
    expect(await detail.isVisible()).toBe(true);
    const sums = await sumOf(db.pool, D.succeeded);
    expect(await detail.locator('.d-spend').textContent()).toBe(krw(sums.spend));
    expect(await detail.locator('.d-revenue').textContent()).toBe(krw(sums.revenue));
    expect(await page.locator(`table.days tr[data-day="${D.succeeded}"] td.spend`).textContent()).toBe(krw(sums.spend));
    expect(await page.locator(`table.days tr[data-day="${D.succeeded}"] td.revenue`).textContent()).toBe(krw(sums.revenue));
    // ROAS is dbt's function over the day's sums, the same the models' figures come from.
    const dayRoas = await db.pool.query<{ roas: number | null }>(
      'SELECT analytics.roas(sum(revenue_krw), sum(spend_krw))::float8 AS roas FROM analytics.fct_daily_metrics WHERE metric_date = $1',
      [D.succeeded],
    );
    expect(dayRoas.rows[0]!.roas).not.toBeNull();
    expect(await detail.locator('.d-roas').textContent()).toBe(roasText(dayRoas.rows[0]!.roas));
    const window = (
      await db.pool.query<{ spend: string; revenue: string }>(
        'SELECT sum(spend_krw)::text AS spend, sum(revenue_krw)::text AS revenue FROM analytics.fct_daily_metrics WHERE metric_date BETWEEN $1 AND $2',
        [D.first, D.last],
      )
    ).rows[0]!;
    expect(await page.locator('#window-spend').textContent()).toBe(krw(window.spend));
    expect(await page.locator('#window-revenue').textContent()).toBe(krw(window.revenue));
    const uiHref = await detail.locator('.runblock a.ui-link').first().getAttribute('href');
    expect(uiHref).toBe(`${config.temporal.uiUrl}/namespaces/default/workflows/dbt-daily-run-${D.succeeded}/${latest(D.succeeded).run_id}/history`);
    const logs = await fetch(new URL((await detail.locator('a.logs-link').first().getAttribute('href'))!, `${base}/`));
    expect(logs.status).toBe(200);
    expect(await logs.text()).toMatch(/==> build (run-[\w-]+\/)?attempt-1: dbt_daily_run\/2025-04-04\/build\/(run-[\w-]+\/)?attempt-1\/logs\/dbt\.log/);
    const report = await fetch(new URL((await detail.locator('a.report-link').getAttribute('href'))!, `${base}/`));
    expect(report.status).toBe(200);
    expect(await report.text()).toContain(`Daily ROAS report — ${D.succeeded}`);

    // Alerts: the counts are the table's, and the feed says whether Slack took each one.
    const alerts = await db.pool.query<{ total: string; delivered: string }>(
      'SELECT count(*) AS total, count(*) FILTER (WHERE delivered) AS delivered FROM orchestrator.alerts WHERE run_date BETWEEN $1 AND $2',
      [D.first, D.last],
    );
    expect(Number(alerts.rows[0]!.total)).toBe(3);
    expect(await page.locator('#alerts-window-count').textContent()).toBe(alerts.rows[0]!.total);
    expect(await page.locator('#alerts-window-delivered').textContent()).toBe(alerts.rows[0]!.delivered);
    expect(await page.locator('table.alerts tr[data-delivered="false"] td.slack').textContent()).toContain('slack: invalid_auth');
    expect(await page.locator('table.alerts tr[data-delivered="true"]').count()).toBe(2);

    // Data quality: the failed test on its day, the warn test on the days it warned.
    const quality = (check: string, day: string) => page.locator(`.q[data-check="${check}"][data-day="${day}"]`).getAttribute('data-status');
    expect(await quality('stg_ad_events_amounts_not_negative', D.failed)).toBe('fail');
    expect(await quality('stg_ad_events_source_duplicates', D.skipped)).toBe('warn');
    expect(await quality('stg_ad_events_source_duplicates', D.succeeded)).toBe('pass');
    expect(await quality('row_count', D.succeeded)).toBe('pass');

    // Runs in progress: the running build with its nodes, the waits with what they wait for.
    const liveRow = page.locator(`table.live tr[data-workflow="dbt-daily-run-${D.running}"]`);
    expect(await liveRow.locator('td.step').textContent()).toBe('dbt-build');
    expect(await liveRow.locator('td.sla').textContent()).toMatch(/\d+ min( \d+ s)? left/);
    const before = await liveRow.locator('.nodes-text').textContent();
    expect(before).toMatch(/^\d+\/12 nodes$/);
    expect(await page.locator(`table.live tr[data-workflow="dbt-daily-run-${D.waiting}"] td.what`).textContent()).toContain(`waiting for Flink to report ${D.waiting} complete`);
    expect(await page.locator(`table.live tr[data-workflow="daily-etl-${D.waiting}"] td.step`).textContent()).toBe('waiting-for-dbt-run');
    // The page refreshes itself: the nodes done move on, with no navigation.
    let navigations = 0;
    page.on('framenavigated', () => navigations++);
    nextNode();
    nextNode();
    await eventually(
      'the nodes done to move on the page',
      async () => (await page.locator(`table.live tr[data-workflow="dbt-daily-run-${D.running}"] .nodes-text`).textContent()) !== before,
      30_000,
      250,
    );
    expect(navigations).toBe(0);
    const shown = Number((await page.locator(`table.live tr[data-workflow="dbt-daily-run-${D.running}"] .nodes-text`).textContent())!.split('/')[0]);
    expect(shown).toBeGreaterThan(Number(before!.split('/')[0]));
    expect(shown).toBeLessThanOrEqual((await liveProgress(open[2]!)).nodesDone);

    // Offline and safe: nothing from another origin, no secret or connection string.
    expect(requests.filter((u) => !u.startsWith(base) && !u.startsWith('data:'))).toEqual([]);
    const html = await page.content();
    expect(html).not.toContain('xoxb-dashboard-secret-token');
    expect(html).not.toMatch(/postgres(ql)?:\/\//);
    expect(html).not.toContain(db.name);
    expect(errors).toEqual([]);

    mkdirSync(SCREENSHOTS, { recursive: true });
    for (const [width, height] of [
      [1400, 900],
      [1280, 800],
    ] as const) {
      await page.setViewportSize({ width, height });
      // Reads well: no sideways scrolling at either width.
      expect(await page.evaluate(() => (globalThis as unknown as { document: { documentElement: { scrollWidth: number } } }).document.documentElement.scrollWidth)).toBeLessThanOrEqual(width);
      await page.screenshot({ path: path.join(SCREENSHOTS, `dashboard-${width}.png`), fullPage: true });
    }
    await page.close();
  });

  it('reads the database in a READ ONLY transaction and changes nothing', async () => {
    const statements: string[] = [];
    // The pool as the dashboard uses it (connect, query, release), recording every statement.
    const pool = {
      connect: async () => {
        const client = await db.pool.connect();
        return {
          query: (text: string, values?: unknown[]) => {
            statements.push(text);
            return client.query(text, values);
          },
          release: (err?: Error) => client.release(err),
        };
      },
    } as unknown as pg.Pool;
    const count = async () => (await db.pool.query<{ n: string }>('SELECT (SELECT count(*) FROM orchestrator.pipeline_runs) + (SELECT count(*) FROM orchestrator.alerts) AS n')).rows[0]!.n;
    const before = await count();
    const d = await loadDashboard({ ...dashboardSettings(config, db.url), pool, taskQueue, temporal: temporal.client }, { end: D.last, days: 14 });
    expect(d.calendar).toHaveLength(14);
    expect(statements[0]).toBe('BEGIN TRANSACTION READ ONLY');
    expect(statements.at(-1)).toBe('ROLLBACK');
    expect(statements.filter((s) => /\b(INSERT|UPDATE|DELETE|CREATE|ALTER|DROP|TRUNCATE|GRANT|COPY)\b/i.test(s))).toEqual([]);
    expect(await count()).toBe(before);
    // A write attempted inside the dashboard's transaction would be refused by PostgreSQL itself.
    const client = await db.pool.connect();
    try {
      await client.query('BEGIN TRANSACTION READ ONLY');
      await expect(client.query("DELETE FROM orchestrator.alerts WHERE kind = 'failure'")).rejects.toThrow(/read-only transaction/);
    } finally {
      await client.query('ROLLBACK');
      client.release();
    }
  });

  it('answers /healthz and /metrics beside the dashboard, and refuses to change anything', async () => {
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    expect((await fetch(`${base}/metrics`)).status).toBe(200);
    const post = await fetch(`${base}/api/dashboard`, { method: 'POST', body: '{}' });
    expect(post.status).toBe(405);
    const api = (await (await fetch(`${base}/api/dashboard${WINDOW}`)).json()) as { dashboard: { window: { days: number } }; html: Record<string, string> };
    expect(api.dashboard.window.days).toBe(14);
    expect(Object.keys(api.html)).toEqual(['health', 'calendar', 'live', 'runs', 'slowest', 'quality', 'volume', 'business', 'alerts']);
  });
});
