// The daily ETL on the real stack: events → flink-complete → dbt run → ETL → report files whose
// numbers equal the analytics tables; each validation check caught by data made to break it;
// the HTML report opened in headless Chromium.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPublishActivities } from '../../activities/dbt/publish';
import { validateSourceData } from '../../activities/etl/validate';
import { readAcceptedValues } from '../../src/artifacts/dbt-project';
import { startDbtDailyRun } from '../../src/client/runs';
import { PROJECT_ROOT, type Config } from '../../src/platform/config';
import { recordFlinkComplete } from '../../src/client/flink-complete';
import { loadDay } from '../../src/local/generator/load';
import { dailyEtl } from '../../workflows';
import { workflowIds } from '../../src/core/signals';
import type { DailyEtlResult, ValidationThresholds } from '../../src/core/types';
import { DEFAULT_THRESHOLDS } from '../../src/core/validation-defaults';
import { testConfig } from '../helpers/config';
import { loadSeedsDirectly, useTestDatabase } from '../helpers/db';
import { dbtFor } from '../helpers/dbt';
import { keepHistory } from '../helpers/histories';
import { withRealWorker } from '../helpers/real-worker';
import { startFakeSlack } from '../helpers/slack';
import { connectDevServer, uniqueTaskQueue } from '../helpers/temporal';

const CHROMIUM = '/usr/bin/chromium';
const RUN_DATE = '2026-06-10';

describe('daily ETL on the real stack', () => {
  const db = useTestDatabase(import.meta.url);
  let temporal: Awaited<ReturnType<typeof connectDevServer>>;
  let slack: Awaited<ReturnType<typeof startFakeSlack>>;
  let config: Config;
  let result: DailyEtlResult;

  beforeAll(async () => {
    temporal = await connectDevServer();
    slack = await startFakeSlack();
    config = testConfig({
      DBT_ARTIFACTS_DIR: mkdtempSync(path.join(os.tmpdir(), 'roas-etl-artifacts-')),
      ROAS_REPORTS_DIR: mkdtempSync(path.join(os.tmpdir(), 'roas-etl-reports-')),
      SLACK_BOT_TOKEN: 'xoxb-etl-test',
      SLACK_API_URL: slack.url,
    });
    // Three earlier days through dbt directly, then published: the baseline for row_count and
    // the 7-day trend.
    const dbt = dbtFor(db.url);
    const publisher = createPublishActivities({ pool: db.pool });
    for (const date of ['2026-06-07', '2026-06-08', '2026-06-09']) {
      await loadDay(db.pool, { date, events: 20_000, seed: 11 });
      expect((await dbt('build', { runDate: date, select: ['tag:daily_run'], extraArgs: ['--resource-type', 'seed', '--resource-type', 'function', '--resource-type', 'model'] })).exitCode).toBe(0);
      await publisher.publishDay({ pipeline: 'dbt_daily_run', runDate: date, tag: 'daily_run' });
    }
    await loadDay(db.pool, { date: RUN_DATE, events: 20_000, seed: 12 });
    await recordFlinkComplete(db.pool, { runDate: RUN_DATE });

    const taskQueue = uniqueTaskQueue('etl-real');
    result = await withRealWorker({ config, connection: temporal.nativeConnection, databaseUrl: db.url, taskQueue }, async () => {
      // The ETL starts first and waits for the dbt run, as at 06:00 after a late 00:00 run.
      const etl = await temporal.client.workflow.start(dailyEtl, {
        taskQueue,
        workflowId: workflowIds.dailyEtl(RUN_DATE),
        args: [{ runDate: RUN_DATE, webUiUrl: config.temporal.uiUrl }],
      });
      const run = await startDbtDailyRun(temporal.client, config, RUN_DATE, { taskQueue });
      await run.result();
      return etl.result();
    });
    await keepHistory(temporal.client, workflowIds.dailyEtl(RUN_DATE), 'daily-etl-waited-for-dbt-then-succeeded');
  });
  afterAll(async () => {
    await temporal?.close();
    await slack?.close();
  });

  it('events → flink-complete → dbt run → ETL → a report whose numbers equal the analytics tables', async () => {
    expect(result.status).toBe('succeeded');
    expect(result.checks.map((c) => `${c.name}:${c.status}`)).toEqual([
      'row_count:pass',
      'duplicate_event_ids:pass',
      'invalid_fields:pass',
      'late_events:pass',
      'flink_marker:pass',
      'unknown_campaigns:pass',
      'unknown_currencies:pass',
    ]);
    const report = result.report!;
    expect(report.dir).toBe(path.join(config.reportsDir, RUN_DATE));
    for (const f of ['index.html', 'campaigns.csv', 'channels.csv', 'hourly.csv', 'campaign_roas_7d.csv', 'daily_totals.csv', 'trend_7d.csv', 'validation.csv']) {
      expect(existsSync(path.join(report.dir, f)), f).toBe(true);
    }

    // Every money figure in the CSV files is the database's own text, digit for digit.
    const fact = await db.pool.query<{ campaign_id: string; spend: string; revenue: string; roas: string | null }>(
      'SELECT campaign_id, spend_krw::text AS spend, revenue_krw::text AS revenue, roas::text AS roas FROM analytics.fct_daily_metrics WHERE metric_date = $1',
      [RUN_DATE],
    );
    const csv = parseCsv(readFileSync(path.join(report.dir, 'campaigns.csv'), 'utf8'));
    expect(csv).toHaveLength(fact.rows.length);
    for (const row of fact.rows) {
      const line = csv.find((c) => c.campaign_id === row.campaign_id)!;
      expect(line.spend_krw, row.campaign_id).toBe(row.spend);
      expect(line.revenue_krw).toBe(row.revenue);
      expect(line.roas === '' ? null : line.roas).toBe(row.roas);
    }
    const channels = parseCsv(readFileSync(path.join(report.dir, 'channels.csv'), 'utf8'));
    const summary = await db.pool.query<{ channel: string; spend: string }>(
      'SELECT channel, spend_krw::text AS spend FROM analytics.rpt_channel_daily_summary WHERE report_date = $1',
      [RUN_DATE],
    );
    expect(channels.map((c) => `${c.channel}:${c.spend_krw}`).sort()).toEqual(summary.rows.map((r) => `${r.channel}:${r.spend}`).sort());
    const { rows: totals } = await db.pool.query<{ spend: string }>('SELECT sum(spend_krw)::text AS spend FROM analytics.fct_daily_metrics WHERE metric_date = $1', [RUN_DATE]);
    const total = totals[0]!.spend;
    expect(report.spendKrw).toBe(total);
    // The 7-day window: the three published days before and the day itself; the rest is named.
    expect(report.windowMissingDays).toEqual(['2026-06-04', '2026-06-05', '2026-06-06']);
    const html = readFileSync(report.htmlPath, 'utf8');
    expect(html).toContain(`<div class="value" id="kpi-spend">₩${Math.round(Number(total)).toLocaleString('en-US')}</div>`);
    expect(html).toContain('The 7-day window lacks 2026-06-04, 2026-06-05, 2026-06-06');
    expect(html).not.toMatch(/<script|https?:\/\/(?!www\.w3\.org)/); // self-contained: no scripts, nothing fetched

    const summaryMessage = slack.messages().find((m) => String(m.body.text).includes(`Daily ROAS report ${RUN_DATE}`));
    expect(summaryMessage).toBeDefined();
    expect(String(summaryMessage!.body.text)).toContain(`Report: ${report.htmlPath}`);
    expect(String(summaryMessage!.body.text)).toMatch(/[▲▼] \d+\.\d % against the 7-day ROAS/);
    expect(String(summaryMessage!.body.text)).toContain('The 7-day window lacks 2026-06-04, 2026-06-05, 2026-06-06');
  });

  it('re-running the ETL replaces the date’s report whole', async () => {
    const stray = path.join(result.report!.dir, 'stale-from-an-older-run.csv');
    writeFileSync(stray, 'old\n');
    const taskQueue = uniqueTaskQueue('etl-rerun');
    const again = await withRealWorker({ config, connection: temporal.nativeConnection, databaseUrl: db.url, taskQueue }, () =>
      temporal.client.workflow.execute(dailyEtl, {
        taskQueue,
        workflowId: workflowIds.dailyEtl(RUN_DATE),
        args: [{ runDate: RUN_DATE, force: true }],
      }),
    );
    expect(again.status).toBe('succeeded');
    expect(existsSync(stray)).toBe(false);
    expect(existsSync(path.join(result.report!.dir, 'index.html'))).toBe(true);
  });

  it('the HTML report renders in headless Chromium: no console errors, every chart drawn', async () => {
    expect(existsSync(CHROMIUM), `${CHROMIUM} is missing: install Debian's chromium package (sudo apt-get install chromium)`).toBe(true);
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
    try {
      const page = await browser.newPage({ viewport: { width: 1300, height: 900 } });
      const errors: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error') errors.push(m.text());
      });
      page.on('pageerror', (e) => errors.push(e.message));
      const requests: string[] = [];
      page.on('request', (r) => requests.push(r.url()));
      await page.goto(`file://${result.report!.htmlPath}`);
      const charts = await page.$$eval('figure[id^="chart-"]', (figures: DomFigure[]) =>
        figures.map((f) => {
          const svg = f.querySelector('svg');
          const box = svg?.getBoundingClientRect();
          return { id: f.id, width: box?.width ?? 0, height: box?.height ?? 0, marks: svg?.querySelectorAll('path, rect, line, circle').length ?? 0 };
        }),
      );
      expect(charts.map((c) => c.id)).toEqual(['chart-roas-by-channel', 'chart-spend-revenue-by-hour', 'chart-top-bottom-campaigns', 'chart-roas-trend-7d']);
      for (const c of charts) {
        expect(c.width, c.id).toBeGreaterThan(200);
        expect(c.height, c.id).toBeGreaterThan(100);
        expect(c.marks, c.id).toBeGreaterThan(5);
      }
      expect(errors).toEqual([]);
      expect(requests.filter((u) => !u.startsWith('file://'))).toEqual([]);
      const out = path.join(PROJECT_ROOT, 'test-output');
      mkdirSync(out, { recursive: true });
      await page.screenshot({ path: path.join(out, `report-${RUN_DATE}.png`), fullPage: true });
      expect(existsSync(path.join(out, `report-${RUN_DATE}.png`))).toBe(true);
    } finally {
      await browser.close();
    }
  });

  describe('validate_source_data catches data made to break each check', () => {
    const strict: ValidationThresholds = { ...DEFAULT_THRESHOLDS, invalidRate: { warn: 0, fail: 0.0005 } };
    const accepted = readAcceptedValues(path.join(PROJECT_ROOT, 'dbt'));
    const statusOf = async (date: string, name: string, t = DEFAULT_THRESHOLDS, rules = accepted) =>
      (await validateSourceData(db.pool, date, t, rules)).find((c) => c.name === name)!;

    beforeAll(() => loadSeedsDirectly(db.pool));

    it('row_count: far fewer or more events than the 7-day median', async () => {
      await loadDay(db.pool, { date: '2026-06-11', events: 2_000, seed: 1 });
      expect((await statusOf('2026-06-11', 'row_count')).status).toBe('fail');
      await loadDay(db.pool, { date: '2026-06-11', events: 40_000, seed: 1 });
      expect((await statusOf('2026-06-11', 'row_count')).status).toBe('warn');
      await loadDay(db.pool, { date: '2026-06-11', events: 20_000, seed: 1 });
      expect((await statusOf('2026-06-11', 'row_count')).status).toBe('pass');
    });

    it('duplicate_event_ids: repeated deliveries', async () => {
      await loadDay(db.pool, { date: '2026-06-12', events: 20_000, seed: 1, defects: ['duplicates'] });
      const check = await statusOf('2026-06-12', 'duplicate_event_ids');
      expect(check.status).toBe('warn');
      expect(check.value).toBeGreaterThan(0.001);
      expect((await statusOf('2026-06-12', 'duplicate_event_ids', { ...DEFAULT_THRESHOLDS, duplicateRate: { warn: 0, fail: 0.001 } })).status).toBe('fail');
    });

    it('invalid_fields: negative cost', async () => {
      await loadDay(db.pool, { date: '2026-06-13', events: 20_000, seed: 1, defects: ['negative-cost'] });
      expect((await statusOf('2026-06-13', 'invalid_fields', strict)).status).toBe('fail');
    });

    it("invalid_fields: the channels, types and devices dbt accepts, read from the dbt project's vars", async () => {
      await loadDay(db.pool, { date: '2026-06-21', events: 20_000, seed: 2 });
      const tiktok = await db.pool.query<{ n: number }>(
        "SELECT count(*)::int AS n FROM realtime.ad_events WHERE channel = 'tiktok' AND event_time >= '2026-06-21' AND event_time < '2026-06-22'",
      );
      expect(tiktok.rows[0]!.n).toBeGreaterThan(0);
      // A project whose vars no longer accept tiktok: its events become invalid here too.
      const project = mkdtempSync(path.join(os.tmpdir(), 'roas-project-'));
      const yml = readFileSync(path.join(PROJECT_ROOT, 'dbt', 'dbt_project.yml'), 'utf8');
      writeFileSync(path.join(project, 'dbt_project.yml'), yml.replace('channel: [google, meta, naver, kakao, tiktok]', 'channel: [google, meta, naver, kakao]'));
      const before = await statusOf('2026-06-21', 'invalid_fields');
      const after = await statusOf('2026-06-21', 'invalid_fields', DEFAULT_THRESHOLDS, readAcceptedValues(project));
      // A clean day: nothing invalid under the project's rules, every tiktok event under the narrower ones.
      const invalid = (c: { detail: string }) => Number(c.detail.split(' ')[0]!.replaceAll(',', ''));
      expect(invalid(before)).toBe(0);
      expect(invalid(after)).toBe(tiktok.rows[0]!.n);
      // A project without the var: refused with what to write.
      writeFileSync(path.join(project, 'dbt_project.yml'), 'name: x\nvars: {}\n');
      expect(() => readAcceptedValues(project)).toThrow(/vars\.accepted_values must list the values of event_type, channel, device.*vars\.accepted_values/);
    });

    it('late_events: late rows of a published day not yet restated warn with their count and day, never fail', async () => {
      // A day outside the 7-day windows of the other checks' days, which it would otherwise warn about.
      await loadDay(db.pool, { date: '2026-06-04', events: 20_000, seed: 1, defects: ['late-events'] });
      // Nothing published yet: nothing can be waiting for a restatement.
      expect((await statusOf('2026-06-04', 'late_events')).status).toBe('pass');
      // The day was published from a cut of 19 990 rows; 10 rows arrived after it.
      await db.pool.query(
        `INSERT INTO realtime_cut.cuts (run_date, workflow_id, run_id, trigger, rows, snapshot, seconds, published_at)
         VALUES ('2026-06-04', 'dbt-daily-run-2026-06-04', 'r1', 'schedule', 19990, '1:1:', 0.1, now())`,
      );
      const check = await statusOf('2026-06-04', 'late_events');
      expect(check).toMatchObject({ status: 'warn', value: 10 });
      expect(check.detail).toContain('10 late rows not yet restated: 2026-06-04 (10 rows)');
      // However strict the old rate threshold, late rows alone never fail the ETL.
      expect((await statusOf('2026-06-04', 'late_events', { ...DEFAULT_THRESHOLDS, lateRate: { warn: 0, fail: 0 } })).status).toBe('warn');
    });

    it('unknown_campaigns: events of a campaign missing from the seed', async () => {
      await loadDay(db.pool, { date: '2026-06-15', events: 20_000, seed: 1 });
      await db.pool.query(
        `UPDATE realtime.ad_events SET campaign_id = 'cmp_999' WHERE event_time >= '2026-06-15' AND event_time < '2026-06-16' AND right(event_id, 1) = '0'`,
      );
      expect((await statusOf('2026-06-15', 'unknown_campaigns')).status).toBe('fail');
    });

    it('unknown_currencies: a currency without an FX rate', async () => {
      await loadDay(db.pool, { date: '2026-06-16', events: 20_000, seed: 1, defects: ['unknown-currency'] });
      const check = await statusOf('2026-06-16', 'unknown_currencies');
      expect(['warn', 'fail']).toContain(check.status);
      expect((await statusOf('2026-06-16', 'unknown_currencies', { ...DEFAULT_THRESHOLDS, unknownCurrencyRate: { warn: 0, fail: 0.0001 } })).status).toBe('fail');
    });

    it('flink_marker: a marker whose count disagrees with the day warns, and says how to correct it', async () => {
      await loadDay(db.pool, { date: '2026-06-18', events: 20_000, seed: 3 });
      expect((await statusOf('2026-06-18', 'flink_marker')).detail).toContain('not reported 2026-06-18 complete');
      const record = await recordFlinkComplete(db.pool, { runDate: '2026-06-18', rowCount: 15_000, jobId: 'flink-short' });
      expect(record).toMatchObject({ outcome: 'recorded', flag: 'count_mismatch', eventsInTable: 20_000 });
      const check = await statusOf('2026-06-18', 'flink_marker');
      expect(check.status).toBe('warn');
      expect(check.detail).toContain('roas flink-complete --date 2026-06-18 --replace');
      // Corrected: the check passes; both records stay in the history.
      expect(await recordFlinkComplete(db.pool, { runDate: '2026-06-18', replace: true })).toMatchObject({ outcome: 'replaced', rowCount: 20_000, flag: null });
      expect((await statusOf('2026-06-18', 'flink_marker')).status).toBe('pass');
      const { rows } = await db.pool.query("SELECT action, row_count::int AS n FROM realtime.flink_batch_history WHERE run_date = '2026-06-18' ORDER BY id");
      expect(rows).toEqual([
        { action: 'recorded', n: 15_000 },
        { action: 'replaced', n: 20_000 },
      ]);
    });

    it('a clean day passes every check', async () => {
      await loadDay(db.pool, { date: '2026-06-17', events: 20_000, seed: 2 });
      await recordFlinkComplete(db.pool, { runDate: '2026-06-17' });
      const checks = await validateSourceData(db.pool, '2026-06-17', DEFAULT_THRESHOLDS, accepted);
      expect(checks.filter((c) => c.status !== 'pass')).toEqual([]);
    });
  });
});

/** The little of the DOM the browser check uses (the project compiles without the DOM library). */
interface DomFigure {
  id: string;
  querySelector(selector: string): { getBoundingClientRect(): { width: number; height: number }; querySelectorAll(selector: string): { length: number } } | null;
}

function parseCsv(text: string): Record<string, string>[] {
  const [header, ...lines] = text.trim().split('\n');
  const cols = header!.split(',');
  return lines.map((l) => Object.fromEntries(l.split(',').map((v, i) => [cols[i]!, v])));
}
