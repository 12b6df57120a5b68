// How fast is the monitoring dashboard with a year of history? Fills a fresh database with 365
// days of what the pipelines leave behind — run ledger rows (retries, failures and their re-runs,
// SLA misses, skipped runs), alerts, Flink markers, the daily ETL's validation results and report
// folders, dbt's run_results.json of the last 30 days, and the published analytics models the
// dashboard reads (fct_daily_metrics, the staging counts, rpt_daily_totals, one partition per
// day as dbt publishes them) — then measures:
//   - the server: GET / (the whole page, rendered), GET /api/dashboard (all the data and every
//     section) and the page's poll when nothing changed (the sections whose hash differs: none),
//     the first request (nothing cached) and N more, sequential, p50 / p95 / max;
//   - the browser: headless Chromium (Debian's /usr/bin/chromium) opening the page at 1400 and
//     1280 px wide: response end, DOMContentLoaded, first contentful paint and load, median of 5.
// Real parts: PostgreSQL (a database of its own), a Temporal dev server of its own (the
// dashboard lists open runs through its visibility API; none is open during the measurement),
// the dashboard's own routes on a loopback HTTP server. The rows are written directly, in the
// shapes the pipelines write them (the analytics tables with the models' columns), since a year
// of real dbt runs would take hours.
//   npm run bench:dashboard -- --days 365 --requests 20
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { Command, Option } from 'commander';
import { chromium } from 'playwright-core';
import { addDays } from '../src/core/dates';
import { PROJECT_ROOT } from '../src/platform/config';
import { createDashboardRoutes, dashboardSettings } from '../src/dashboard/server';
import { ephemeralPort } from '../src/local/stack/ports';
import { spawnDevServer } from '../src/local/stack/temporal';
import { benchDatabase, median, percentile, runIfMain, writeResult, type BenchDatabase } from './lib';

const CHROMIUM = '/usr/bin/chromium';
const CHECKS = ['row_count', 'duplicate_event_ids', 'invalid_fields', 'late_events', 'flink_marker', 'unknown_campaigns', 'unknown_currencies'];
const MODELS = ['stg_ad_events', 'stg_ad_events_row_checks', 'stg_ad_events_by_campaign', 'int_hourly_agg', 'fct_daily_metrics'];
const TESTS = [
  'stg_ad_events_amounts_not_negative', 'stg_ad_events_currency_has_fx_rate', 'stg_ad_events_late_arrivals', 'stg_ad_events_revenue_only_on_conversions',
  'stg_ad_events_source_duplicates', 'stg_ad_events_within_run_date', 'stg_ad_events_not_empty', 'stg_ad_events_reconciles_to_source',
  'int_hourly_agg_at_most_24_hours', 'int_hourly_agg_conversions_within_clicks', 'int_hourly_agg_clicks_within_impressions', 'int_hourly_agg_reconciles_to_staging',
  'fct_daily_metrics_one_row_per_campaign_day', 'fct_daily_metrics_rates_are_ratios', 'fct_daily_metrics_reconciles_to_hourly',
  'fct_daily_metrics_roas_matches_revenue_over_spend', 'fct_daily_metrics_spend_spike',
  ...Array.from({ length: 27 }, (_, i) => `not_null_generic_${i}`),
];

/** A seeded generator, so the same history every time. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

export interface DashboardBenchResult {
  benchmark: string;
  date: string;
  machine: { cpus: number; node: string };
  days: number;
  rows: { ledger: number; alerts: number; markers: number; fctDailyMetrics: number; reportFolders: number; runResultsFiles: number };
  fillSeconds: number;
  server: Record<'page' | 'api' | 'poll', { firstMs: number; p50Ms: number; p95Ms: number; maxMs: number; bytes: number; n: number }>;
  browser: { width: number; responseEndMs: number; domContentLoadedMs: number; firstContentfulPaintMs: number; loadMs: number; domNodes: number }[];
}

/** 365 days of history, as the pipelines write it. */
export async function fillHistory(bench: BenchDatabase, dirs: { artifacts: string; reports: string }, days: number, end: string) {
  const random = rng(7);
  const pool = bench.pool;
  const start = addDays(end, -(days - 1));
  const ledger: unknown[][] = [];
  const alerts: unknown[][] = [];
  let runResultsFiles = 0;
  let reportFolders = 0;
  for (let i = 0; i < days; i++) {
    const date = addDays(start, i);
    const scheduled = new Date(`${addDays(date, 1)}T00:00:00Z`);
    const recent = i >= days - 30;
    const r = random();
    const failedFirst = r < 0.04;
    const retries = r > 0.9 ? (r > 0.97 ? 2 : 1) : 0;
    const slaMissed = random() < 0.05;
    const minutes = slaMissed ? 62 + random() * 30 : 4 + random() * 12;
    const warnings = random() < 0.12 ? ['stg_ad_events_source_duplicates'] : random() < 0.06 ? ['fct_daily_metrics_spend_spike'] : [];
    const targetPath = path.join(dirs.artifacts, 'dbt_daily_run', date, 'build', `attempt-${retries + 1}`);
    const run = (id: string, status: string, startMin: number, endMin: number | null, extra: Record<string, unknown>) => [
      `dbt-daily-run-${date}`, id, 'dbt_daily_run', date, status, 'schedule', scheduled, new Date(scheduled.getTime() + startMin * 60_000),
      endMin === null ? null : new Date(scheduled.getTime() + endMin * 60_000), extra.step ?? status, extra.attempts ?? 1, extra.slaMet ?? null,
      extra.errorType ?? null, extra.error ?? null, JSON.stringify(extra.summary ?? {}),
    ];
    if (failedFirst) {
      ledger.push(run(`run-${date}-a`, 'failed', 0.1, 3, { attempts: 1, slaMet: true, errorType: 'DbtTestFailure', error: 'dbt test failed: stg_ad_events_amounts_not_negative (31 rows)' }));
      alerts.push([`dbt-daily-run-${date}:run-${date}-a:failure`, 'dbt_daily_run', date, 'failure', `*dbt daily run failed for ${date}: dbt test failed: stg_ad_events_amounts_not_negative (31 rows)*\nStep: dbt build.`, new Date(scheduled.getTime() + 3 * 60_000), true, null]);
    }
    const summary = { build: { nodes: 51, attempt: retries + 1, warnings, dbtSeconds: minutes * 30, wallSeconds: minutes * 32, targetPath }, published: MODELS.map((m) => `analytics.${m}`) };
    ledger.push(run(`run-${date}-b`, 'succeeded', failedFirst ? 40 : 0.1, (failedFirst ? 40 : 0) + minutes, { attempts: retries + 1, slaMet: !slaMissed, summary }));
    if (slaMissed) {
      alerts.push([`dbt-daily-run-${date}:run-${date}-b:sla_miss`, 'dbt_daily_run', date, 'sla_miss', `*SLA missed: dbt daily run for ${date} is not done 60 min after ${scheduled.toISOString()}*`, new Date(scheduled.getTime() + 3_600_000), random() > 0.2, null]);
    }
    if (random() < 0.05) ledger.push(run(`run-${date}-c`, 'skipped', 200, 200, { summary: { skipped: `${date} already succeeded` } }));
    const checks = CHECKS.map((c) => `${c}:${c === 'duplicate_event_ids' && warnings.length ? 'warn' : random() < 0.02 ? 'warn' : 'pass'}`);
    const etlStart = new Date(scheduled.getTime() + 6 * 3_600_000);
    ledger.push([
      `daily-etl-${date}`, `etl-${date}`, 'daily_etl', date, 'succeeded', 'schedule', etlStart, new Date(etlStart.getTime() + 2_000), new Date(etlStart.getTime() + 70_000 + random() * 60_000),
      'succeeded', 1, null, null, null, JSON.stringify({ checks, report: path.join(dirs.reports, date, 'index.html') }),
    ]);
    // The report folder: its validation.csv (read for the checks' details) and a page.
    mkdirSync(path.join(dirs.reports, date), { recursive: true });
    writeFileSync(
      path.join(dirs.reports, date, 'validation.csv'),
      ['name,status,value,threshold,detail', ...checks.map((c) => `${c.split(':')[0]},${c.split(':')[1]},0.0004,"warn above 0.1 %, fail above 5 %","12 repeated deliveries of an event_id (0.01 %)"`)].join('\n') + '\n',
    );
    writeFileSync(path.join(dirs.reports, date, 'index.html'), `<!doctype html><title>${date}</title><p>report of ${date}</p>\n`);
    reportFolders++;
    if (recent) {
      for (let a = 1; a <= retries + 1; a++) {
        const dir = path.join(dirs.artifacts, 'dbt_daily_run', date, 'build', `attempt-${a}`);
        mkdirSync(dir, { recursive: true });
        const nodes = [
          ...['campaigns', 'fx_rates'].map((n) => ({ id: `seed.marketing_roas.${n}`, status: 'success', t: 0.2 + random() * 0.1 })),
          ...MODELS.map((n, k) => ({ id: `model.marketing_roas.${n}`, status: 'success', t: (5 - k) * 0.3 + random() * 0.5 })),
          ...TESTS.map((n) => ({ id: `test.marketing_roas.${n}${n.startsWith('not_null') ? '.0123abcd45' : ''}`, status: warnings.includes(n) ? 'warn' : 'pass', t: 0.1 + random() * 0.3 })),
        ];
        writeFileSync(
          path.join(dir, 'run_results.json'),
          JSON.stringify({
            metadata: { dbt_version: '1.11.16', invocation_id: `bench-${date}-${a}` },
            elapsed_time: minutes * 30,
            args: { vars: {} },
            results: nodes.map((n) => ({ unique_id: n.id, status: n.status, execution_time: n.t, failures: n.id.startsWith('test.') ? 0 : null, message: null, adapter_response: {} })),
          }),
        );
        runResultsFiles++;
      }
    }
  }
  const insertMany = async (sql: (values: string) => string, rows: unknown[][], width: number) => {
    for (let k = 0; k < rows.length; k += 500) {
      const chunk = rows.slice(k, k + 500);
      const values = chunk.map((_, j) => `(${Array.from({ length: width }, (_, c) => `$${j * width + c + 1}`).join(', ')})`).join(', ');
      await pool.query(sql(values), chunk.flat());
    }
  };
  await insertMany(
    (v) => `INSERT INTO orchestrator.pipeline_runs (workflow_id, run_id, pipeline, run_date, status, trigger, scheduled_at, started_at, finished_at, current_step, attempts, sla_met, error_type, error, summary) VALUES ${v}`,
    ledger,
    15,
  );
  await insertMany((v) => `INSERT INTO orchestrator.alerts (incident_key, pipeline, run_date, kind, text, created_at, delivered, delivery_error) VALUES ${v}`, alerts, 8);
  await pool.query(`UPDATE orchestrator.alerts SET delivery_error = 'slack: ratelimited' WHERE NOT delivered`);
  // Flink's markers, as its JDBC sink inserts them (the trigger checks each one).
  await pool.query(
    `INSERT INTO realtime.flink_batches (run_date, row_count, watermark, job_id)
     SELECT d::date, 200000 + (extract(doy FROM d)::int % 17) * 1000, d + interval '1 day', 'bench-flink' FROM generate_series($1::date, $2::date, interval '1 day') d`,
    [start, end],
  );
  // The published models the dashboard reads, partitioned per day as dbt publishes them, and
  // dbt's ROAS function (its body read from the dbt project).
  await pool.query(`
    CREATE TABLE analytics.fct_daily_metrics (metric_date date NOT NULL, campaign_id text, campaign_name text, channel text, impressions bigint, clicks bigint,
      conversions bigint, spend_krw numeric, revenue_krw numeric, ctr numeric, cvr numeric, cpc_krw numeric, cpa_krw numeric, roas numeric, active_hours bigint) PARTITION BY LIST (metric_date);
    CREATE TABLE analytics.stg_ad_events_by_campaign (event_date date NOT NULL, campaign_id text, events bigint, deliveries bigint, spend_krw numeric, revenue_krw numeric) PARTITION BY LIST (event_date);
    CREATE TABLE analytics.stg_ad_events_row_checks (event_id text, event_date date NOT NULL, late_arrival boolean, duplicate_delivery boolean) PARTITION BY LIST (event_date);
    CREATE TABLE analytics.rpt_daily_totals (report_date date NOT NULL, spend_krw numeric, revenue_krw numeric, roas numeric, roas_7d numeric) PARTITION BY LIST (report_date);
    CREATE FUNCTION analytics.roas(revenue numeric, spend numeric) RETURNS numeric IMMUTABLE AS $$ ${readFileSync(path.join(PROJECT_ROOT, 'dbt', 'functions', 'roas.sql'), 'utf8')} $$ LANGUAGE SQL;`);
  await pool.query(
    `DO $$
     DECLARE d date;
     BEGIN
       FOR d IN SELECT generate_series('${start}'::date, '${end}'::date, interval '1 day')::date LOOP
         EXECUTE format('CREATE TABLE analytics.%I PARTITION OF analytics.fct_daily_metrics FOR VALUES IN (%L)', 'fct_daily_metrics_p' || to_char(d, 'YYYYMMDD'), d);
         EXECUTE format('CREATE TABLE analytics.%I PARTITION OF analytics.stg_ad_events_by_campaign FOR VALUES IN (%L)', 'stg_ad_events_by_campaign_p' || to_char(d, 'YYYYMMDD'), d);
         EXECUTE format('CREATE TABLE analytics.%I PARTITION OF analytics.stg_ad_events_row_checks FOR VALUES IN (%L)', 'stg_ad_events_row_checks_p' || to_char(d, 'YYYYMMDD'), d);
         EXECUTE format('CREATE TABLE analytics.%I PARTITION OF analytics.rpt_daily_totals FOR VALUES IN (%L)', 'rpt_daily_totals_p' || to_char(d, 'YYYYMMDD'), d);
       END LOOP;
     END $$`,
  );
  await pool.query(
    `INSERT INTO analytics.fct_daily_metrics
     SELECT d::date, format('cmp_%s', lpad(c::text, 3, '0')), format('Campaign %s', c), (ARRAY['google','meta','naver','kakao','tiktok'])[1 + c % 5],
            50000 + c * 100, 1500 + c * 10, 20 + (c * 7 + extract(doy FROM d)::int) % 40,
            round((80000 + c * 1500 + (extract(doy FROM d)::int * 37 % 9000))::numeric, 6), round((150000 + c * 4000 + (extract(doy FROM d)::int * c * 13 % 60000))::numeric, 6),
            0.03, 0.02, 50, 4000, null, 24
     FROM generate_series($1::date, $2::date, interval '1 day') d, generate_series(1, 50) c`,
    [start, end],
  );
  await pool.query(`UPDATE analytics.fct_daily_metrics SET roas = round(revenue_krw::numeric(1000, 20) / nullif(spend_krw, 0), 6)`);
  await pool.query(
    `INSERT INTO analytics.stg_ad_events_by_campaign
     SELECT d::date, format('cmp_%s', lpad(c::text, 3, '0')), 4000 + (extract(doy FROM d)::int % 17) * 20, 4000 + (extract(doy FROM d)::int % 17) * 20 + (c % 3), 0, 0
     FROM generate_series($1::date, $2::date, interval '1 day') d, generate_series(1, 50) c`,
    [start, end],
  );
  await pool.query(
    `INSERT INTO analytics.stg_ad_events_row_checks
     SELECT format('e-%s-%s', d::date, k), d::date, k % 2 = 0, k % 2 = 1 FROM generate_series($1::date, $2::date, interval '1 day') d, generate_series(1, 40) k`,
    [start, end],
  );
  await pool.query(
    `INSERT INTO analytics.rpt_daily_totals SELECT metric_date, sum(spend_krw), sum(revenue_krw), null, round(sum(revenue_krw) / sum(spend_krw), 6) FROM analytics.fct_daily_metrics GROUP BY metric_date`,
  );
  await pool.query('ANALYZE');
  return { ledger: ledger.length, alerts: alerts.length, markers: days, fctDailyMetrics: days * 50, reportFolders, runResultsFiles };
}

async function timed(url: string): Promise<{ ms: number; bytes: number; status: number }> {
  const t = performance.now();
  const r = await fetch(url);
  const body = await r.arrayBuffer();
  return { ms: performance.now() - t, bytes: body.byteLength, status: r.status };
}

export async function measureDashboard(opts: { days: number; requests: number; screenshots?: boolean }): Promise<DashboardBenchResult> {
  const bench = await benchDatabase('dashboard', 4);
  const { config, tools } = bench;
  const dirs = { artifacts: mkdtempSync(path.join(os.tmpdir(), 'roas-bench-dash-artifacts-')), reports: mkdtempSync(path.join(os.tmpdir(), 'roas-bench-dash-reports-')) };
  const port = await ephemeralPort();
  const temporalServer = await spawnDevServer({ binary: tools.temporal, port, logFile: path.join(config.localDir, 'bench', 'temporal-dashboard.log') });
  const connection = await Connection.connect({ address: `127.0.0.1:${port}` });
  const server = http.createServer();
  try {
    const end = addDays(new Date().toISOString().slice(0, 10), -1);
    process.stderr.write(`dashboard: filling ${opts.days} days of history…\n`);
    const f0 = performance.now();
    const rows = await fillHistory(bench, dirs, opts.days, end);
    const fillSeconds = (performance.now() - f0) / 1000;
    const routes = createDashboardRoutes({
      ...dashboardSettings(config, bench.url),
      artifactsDir: dirs.artifacts,
      reportsDir: dirs.reports,
      pool: bench.pool,
      temporal: new Client({ connection }),
      taskQueue: 'bench-dashboard',
      // Every request measured gathers its data again (the page shares one gathering per second).
      shareMs: 0,
    });
    server.on('request', (req, res) => {
      if (!routes.handle(req, res)) {
        res.statusCode = 404;
        res.end();
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

    const serverTimes = {} as DashboardBenchResult['server'];
    // What the page polls every 5 s: only the sections whose HTML changed since the hashes it has.
    const { hashes } = (await (await fetch(`${base}/api/dashboard`)).json()) as { hashes: Record<string, string> };
    for (const [key, p] of [
      ['page', '/'],
      ['api', '/api/dashboard'],
      ['poll', `/api/dashboard?sections=changed&have=${Object.values(hashes).join(',')}`],
    ] as const) {
      const first = await timed(base + p);
      if (first.status !== 200) throw new Error(`GET ${p} answered ${first.status}`);
      const xs: number[] = [];
      for (let i = 0; i < opts.requests; i++) xs.push((await timed(base + p)).ms);
      serverTimes[key] = { firstMs: round(first.ms), p50Ms: round(median(xs)), p95Ms: round(percentile(xs, 95)), maxMs: round(Math.max(...xs)), bytes: first.bytes, n: xs.length };
    }

    const browserTimes: DashboardBenchResult['browser'] = [];
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install Debian's chromium package`);
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'] });
    try {
      for (const [width, height] of [
        [1400, 900],
        [1280, 800],
      ] as const) {
        const runs: Omit<DashboardBenchResult['browser'][number], 'width'>[] = [];
        for (let i = 0; i < 5; i++) {
          const page = await browser.newPage({ viewport: { width, height } });
          await page.goto(`${base}/`, { waitUntil: 'load' });
          runs.push(
            await page.evaluate(() => {
              const g = globalThis as unknown as {
                performance: { getEntriesByType(t: string): { name: string; startTime: number; responseEnd?: number; domContentLoadedEventEnd?: number; loadEventEnd?: number }[] };
                document: { getElementsByTagName(t: string): { length: number } };
              };
              const nav = g.performance.getEntriesByType('navigation')[0]!;
              const fcp = g.performance.getEntriesByType('paint').find((p) => p.name === 'first-contentful-paint');
              return {
                responseEndMs: nav.responseEnd ?? 0,
                domContentLoadedMs: nav.domContentLoadedEventEnd ?? 0,
                firstContentfulPaintMs: fcp?.startTime ?? 0,
                loadMs: nav.loadEventEnd ?? 0,
                domNodes: g.document.getElementsByTagName('*').length,
              };
            }),
          );
          if (i === 0 && opts.screenshots) {
            const dir = path.join(config.localDir, 'bench');
            mkdirSync(dir, { recursive: true });
            await page.screenshot({ path: path.join(dir, `dashboard-${width}.png`), fullPage: true });
          }
          await page.close();
        }
        const med = (k: keyof (typeof runs)[number]) => round(median(runs.map((r) => r[k])));
        browserTimes.push({
          width,
          responseEndMs: med('responseEndMs'),
          domContentLoadedMs: med('domContentLoadedMs'),
          firstContentfulPaintMs: med('firstContentfulPaintMs'),
          loadMs: med('loadMs'),
          domNodes: runs[0]!.domNodes,
        });
      }
    } finally {
      await browser.close();
    }
    return {
      benchmark: 'monitoring dashboard with a year of history',
      date: new Date().toISOString(),
      machine: { cpus: os.cpus().length, node: process.version },
      days: opts.days,
      rows,
      fillSeconds: round(fillSeconds),
      server: serverTimes,
      browser: browserTimes,
    };
  } finally {
    server.close();
    await connection.close();
    await temporalServer.stop();
    await bench.drop();
    rmSync(dirs.artifacts, { recursive: true, force: true });
    rmSync(dirs.reports, { recursive: true, force: true });
  }
}

const round = (x: number) => Math.round(x * 10) / 10;

export function printDashboard(r: DashboardBenchResult): void {
  console.log(`\ndashboard with ${r.days} days of history (${r.rows.ledger} ledger rows, ${r.rows.alerts} alerts, ${r.rows.fctDailyMetrics} fct_daily_metrics rows, ${r.rows.runResultsFiles} run_results.json), ${r.machine.cpus} cores`);
  for (const [k, s] of Object.entries(r.server)) {
    const what = { page: 'GET / (the page)          ', api: 'GET /api/dashboard (all)  ', poll: "the page's poll, unchanged" }[k];
    console.log(`  server ${what}: first ${s.firstMs} ms, then p50 ${s.p50Ms} ms, p95 ${s.p95Ms} ms, max ${s.maxMs} ms over ${s.n} (${s.bytes < 10_240 ? `${s.bytes} bytes` : `${Math.round(s.bytes / 1024)} KiB`})`);
  }
  for (const b of r.browser) {
    console.log(`  browser ${b.width} px: response ${b.responseEndMs} ms, DOMContentLoaded ${b.domContentLoadedMs} ms, first contentful paint ${b.firstContentfulPaintMs} ms, load ${b.loadMs} ms (${b.domNodes} elements; target < 1000 ms)`);
  }
}

runIfMain(import.meta.url, async () => {
  const { days, requests } = new Command('bench:dashboard')
    .addOption(new Option('--days <n>', 'days of history').default(365).argParser(Number))
    .addOption(new Option('--requests <n>', 'requests per route').default(20).argParser(Number))
    .parse()
    .opts<{ days: number; requests: number }>();
  // Screenshots of the page as measured go to .local/bench/ (not part of the repository).
  const result = await measureDashboard({ days, requests, screenshots: true });
  printDashboard(result);
  writeResult('dashboard.json', result);
});
