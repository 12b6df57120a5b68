// The dbt project on real PostgreSQL and real dbt: clean days pass, each injected defect fails
// the test meant for it and no other, re-runs are idempotent per date, and ROAS computed
// independently from realtime equals the mart to the cent. The whole suite runs twice, with dbt
// forked from the warm dbt (as the worker runs it) and as plain dbt processes, and both give the
// same exit codes, node statuses and rows.
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../src/platform/config';
import type { Defect } from '../../src/local/generator/events';
import { loadDay } from '../../src/local/generator/load';
import { createPublishActivities } from '../../activities/dbt/publish';
import { writeReport } from '../../activities/etl/report';
import { readReportData } from '../../activities/etl/report-data';
import { useTestDatabase } from '../helpers/db';
import { dbtFor, notPassing, type DbtInvocationRecord } from '../helpers/dbt';

const EVENTS = 20_000;
const SMALL = 5_000;
const MODES = ['warm', 'plain'] as const;
/** What each mode's suite saw: every dbt invocation's exit code and node statuses, then every row. */
const transcripts = new Map<(typeof MODES)[number], { invocations: DbtInvocationRecord[]; rows?: Record<string, string> }>();

describe.each(MODES)('dbt project marketing_roas (%s dbt)', (mode) => {
  const db = useTestDatabase(import.meta.url);
  let dbt: ReturnType<typeof dbtFor>;
  const transcript = { invocations: [] as DbtInvocationRecord[], rows: undefined as Record<string, string> | undefined };
  afterAll(async () => {
    // Every row of every table dbt built or published, and the schemas' table lists.
    const { rows } = await db.pool.query<{ t: string }>(
      "SELECT schemaname || '.' || tablename AS t FROM pg_tables WHERE schemaname IN ('analytics', 'analytics_audit') ORDER BY 1",
    );
    const out: Record<string, string> = {};
    for (const { t } of rows) {
      const [schema, table] = t.split('.') as [string, string];
      const r = await db.pool.query<{ md5: string | null; n: number }>(
        `SELECT md5(string_agg(x::text, '|' ORDER BY x::text)) AS md5, count(*)::int AS n FROM ${pg.escapeIdentifier(schema)}.${pg.escapeIdentifier(table)} x`,
      );
      out[t] = `${r.rows[0]!.n}:${r.rows[0]!.md5}`;
    }
    transcript.rows = out;
    transcripts.set(mode, transcript);
  });
  const publish = (runDate: string) => createPublishActivities({ pool: db.pool }).publishDay({ pipeline: 'dbt_daily_run', runDate, tag: 'daily_run' });

  beforeAll(async () => {
    dbt = dbtFor(db.url, { keepWarm: mode === 'warm', record: transcript.invocations });
    const seeded = await dbt('seed');
    expect(seeded.exitCode).toBe(0);
    // `dbt run` builds models only: the ROAS function they call is built once here, as the
    // pipeline's `dbt build` does before the models.
    const fn = await dbt('build', { select: ['resource_type:function'] });
    expect(fn.exitCode, fn.rawOutput).toBe(0);
  });

  async function runDay(date: string, opts: { defects?: Defect[]; events?: number; seed?: number; load?: boolean } = {}) {
    if (opts.load !== false) await loadDay(db.pool, { date, events: opts.events ?? EVENTS, seed: opts.seed ?? 1, defects: opts.defects ?? [] });
    const run = await dbt('run', { runDate: date, select: ['tag:daily_run'] });
    expect(run.exitCode, run.rawOutput).toBe(0);
    const test = await dbt('test', { runDate: date, select: ['tag:daily_run'], extraArgs: ['--exclude', 'test_type:unit', '--indirect-selection', 'cautious'] });
    // dbt test ran (run_results.json exists and lists the tests), whatever its exit code.
    expect(test.nodes.filter((n) => n.resourceType === 'test').length).toBeGreaterThan(40);
    // As the pipeline does: publish only when every error-severity test passed.
    const published = test.exitCode === 0 ? await publish(date) : undefined;
    return { run, test, problems: notPassing(test.nodes), published };
  }

  /** Every row of every dated analytics table, all dates: what a reader of analytics sees. */
  async function analyticsSnapshot(): Promise<Record<string, string>> {
    const out: Record<string, string> = {};
    for (const table of ['stg_ad_events', 'int_hourly_agg', 'fct_daily_metrics']) {
      const { rows } = await db.pool.query<{ md5: string | null; n: number }>(
        `SELECT md5(string_agg(t::text, '|' ORDER BY t::text)) AS md5, count(*)::int AS n FROM analytics.${table} t`,
      );
      out[table] = `${rows[0]!.n}:${rows[0]!.md5}`;
    }
    return out;
  }

  async function checksum(table: string, dateColumn: string, date: string): Promise<string> {
    const { rows } = await db.pool.query<{ md5: string; n: number }>(
      `SELECT md5(string_agg(t::text, '|' ORDER BY t::text)) AS md5, count(*)::int AS n FROM analytics.${table} t WHERE ${dateColumn} = $1`,
      [date],
    );
    return `${rows[0]!.n}:${rows[0]!.md5}`;
  }

  // Dates run in order: the spend-spike test looks back 7 days.
  it('clicks without impressions fail int_hourly_agg_clicks_within_impressions only', async () => {
    const { problems } = await runDay('2026-11-01', { defects: ['clicks-without-impressions'] });
    expect(problems).toEqual({ int_hourly_agg_clicks_within_impressions: 'fail' });
  });

  it('a clean day passes every test, the 17 singular ones included', async () => {
    const { test, problems } = await runDay('2026-11-02');
    expect(problems).toEqual({});
    expect(test.exitCode).toBe(0);
    const singular = readdirSqlTests();
    expect(singular).toHaveLength(17);
    const ran = new Set(test.nodes.map((n) => n.name));
    for (const name of singular) expect(ran, name).toContain(name);
    // Published: the day is a partition of each model's table, and nothing of it is left to audit.
    const { rows } = await db.pool.query<{ part: string }>(
      `SELECT inhrelid::regclass::text AS part FROM pg_inherits
       WHERE inhparent IN ('analytics.stg_ad_events'::regclass, 'analytics.int_hourly_agg'::regclass, 'analytics.fct_daily_metrics'::regclass)
         AND inhrelid::regclass::text LIKE '%_p20261102' ORDER BY 1`,
    );
    expect(rows.map((r) => r.part)).toEqual(['analytics.fct_daily_metrics_p20261102', 'analytics.int_hourly_agg_p20261102', 'analytics.stg_ad_events_p20261102']);
    const audit = await db.pool.query("SELECT 1 FROM pg_tables WHERE schemaname = 'analytics_audit' AND tablename LIKE '%_p20261102'");
    expect(audit.rowCount).toBe(0);
    // Built with autovacuum off (none could hold the lock publishing takes), published with it back on.
    const options = await db.pool.query<{ reloptions: string[] | null }>(
      "SELECT c.reloptions FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'analytics' AND c.relname LIKE '%_p20261102'",
    );
    // The day's models, the comparison model restatements read included.
    expect(options.rows.length).toBe(6);
    expect(options.rows.map((r) => r.reloptions)).toEqual(options.rows.map(() => null));
  });

  it("the unit tests pass: the currency conversion and dbt's ROAS function, pinned row by row", async () => {
    // The daily steps leave unit tests out (they test the code, not the day); here they run once
    // the day's build has made the ROAS function they call.
    const unit = await dbt('test', { select: ['test_type:unit'] });
    expect(unit.exitCode, unit.rawOutput).toBe(0);
    expect(unit.nodes.map((n) => [n.name, n.status]).sort()).toEqual([
      ['fct_daily_metrics.fct_daily_metrics_roas_is_revenue_over_spend', 'pass'],
      ['stg_ad_events.stg_ad_events_converts_currency_and_keeps_first_arrival', 'pass'],
    ]);
  });

  it('the run date is a run-time value: a new date re-parses no file of the project', async () => {
    const parse = await dbt('parse', { runDate: '2026-11-09' });
    expect(parse.exitCode, parse.rawOutput).toBe(0);
    const perf = JSON.parse(readFileSync(path.join(parse.targetPath, 'perf_info.json'), 'utf8')) as { path_count: number; parsed_path_count: number };
    expect(perf.path_count).toBeGreaterThan(100);
    expect(perf.parsed_path_count).toBe(0);
  });

  it('generic tests check the rows of the run date, never the date of the run that saved the parse', async () => {
    await runDay('2026-11-10');
    await loadDay(db.pool, { date: '2026-11-11', events: SMALL, seed: 4 });
    await db.pool.query(
      `INSERT INTO realtime.ad_events (event_id, event_type, event_time, campaign_id, ad_group_id, channel, device, cost_micros, revenue_micros, currency, ingested_at)
       VALUES ('odd-channel-1', 'impression', '2026-11-11 12:00+00', 'cmp_001', 'cmp_001_ag1', 'myspace', 'mobile', 0, 0, 'KRW', '2026-11-11 12:00:01+00')`,
    );
    const { run, problems } = await runDay('2026-11-11', { load: false });
    // Both runs started from the one parse the warm dbt keeps in memory (as the worker's runs
    // do), and it held no date.
    expect(run.reusedParse).toBe(mode === 'warm');
    // An event of cmp_001 on an unknown channel: the generic tests (whose `where` is filled in
    // at run time) see the 2026-11-11 rows. Had the saved parse carried 2026-11-10 in them,
    // they would have read no row of this day and passed; only the singular tests would fail.
    expect(problems).toEqual({
      accepted_values_stg_ad_events_row_checks_channel: 'fail',
      accepted_values_fct_daily_metrics_channel: 'fail',
      unique_combination_of_columns_int_hourly_agg_event_hour__campaign_id: 'fail',
      unique_combination_of_columns_fct_daily_metrics_metric_date__campaign_id: 'fail',
      // The restatement comparison reads fct_daily_metrics: its doubled campaign shows there too.
      unique_combination_of_columns_fct_daily_metrics_restatement_metric_date__campaign_id: 'fail',
      fct_daily_metrics_one_row_per_campaign_day: 'fail',
      fct_daily_metrics_reconciles_to_hourly: 'fail',
    });
  });

  it('duplicate event ids are removed in staging and reported as a warning', async () => {
    const { test, problems } = await runDay('2026-11-03', { defects: ['duplicates'] });
    expect(problems).toEqual({ stg_ad_events_source_duplicates: 'warn' });
    expect(test.exitCode).toBe(0);
    const { rows } = await db.pool.query<{ n: number }>("SELECT count(*)::int AS n FROM analytics.stg_ad_events WHERE event_date = '2026-11-03'");
    expect(rows[0]!.n).toBe(EVENTS);
  });

  it('events that arrive after Flink reported the day complete are a warning', async () => {
    await db.pool.query(
      "INSERT INTO realtime.flink_batches (run_date, completed_at, row_count, watermark, job_id) VALUES ('2026-11-04', '2026-11-05 01:00+00', $1, '2026-11-05 00:00+00', 'test')",
      [EVENTS],
    );
    const { test, problems } = await runDay('2026-11-04', { defects: ['late-events'] });
    expect(problems).toEqual({ stg_ad_events_late_arrivals: 'warn' });
    expect(test.exitCode).toBe(0);
  });

  it('negative cost fails stg_ad_events_amounts_not_negative only', async () => {
    const { test, problems } = await runDay('2026-11-05', { defects: ['negative-cost'] });
    expect(problems).toEqual({ stg_ad_events_amounts_not_negative: 'fail' });
    expect(test.exitCode).not.toBe(0);
    expect(test.nodes.find((n) => n.name === 'stg_ad_events_amounts_not_negative')?.failures).toBeGreaterThan(0);
  });

  it('an unknown currency fails stg_ad_events_currency_has_fx_rate only', async () => {
    const { problems } = await runDay('2026-11-06', { defects: ['unknown-currency'] });
    expect(problems).toEqual({ stg_ad_events_currency_has_fx_rate: 'fail' });
  });

  it('an empty day fails stg_ad_events_not_empty only', async () => {
    const { problems } = await runDay('2026-11-07', { defects: ['empty-day'] });
    expect(problems).toEqual({ stg_ad_events_not_empty: 'fail' });
  });

  it('a day with five times the spend warns about a spend spike and fails nothing', async () => {
    const { test, problems } = await runDay('2026-11-08', { events: EVENTS * 5 });
    expect(problems).toEqual({ fct_daily_metrics_spend_spike: 'warn' });
    expect(test.exitCode).toBe(0);
    expect(test.nodes.find((n) => n.name === 'fct_daily_metrics_spend_spike')?.failures).toBeGreaterThan(25);
  });

  it('re-running a date gives identical rows and leaves other dates untouched', async () => {
    const tables = [
      ['stg_ad_events', 'event_date'],
      ['int_hourly_agg', 'event_date'],
      ['fct_daily_metrics', 'metric_date'],
    ] as const;
    const snapshot = async (date: string) => Promise.all(tables.map(([t, c]) => checksum(t, c, date)));
    const other = await snapshot('2026-11-02');
    const before = await snapshot('2026-11-08');

    const rerun = await runDay('2026-11-08', { load: false });
    expect(rerun.published?.replaced).toEqual(['analytics.fct_daily_metrics', 'analytics.fct_daily_metrics_restatement', 'analytics.int_hourly_agg', 'analytics.stg_ad_events_by_campaign', 'analytics.stg_ad_events', 'analytics.stg_ad_events_row_checks']);
    expect(await snapshot('2026-11-08')).toEqual(before);
    expect(await snapshot('2026-11-02')).toEqual(other);

    // New data for the date replaces its rows, still without touching the other date.
    await runDay('2026-11-08', { seed: 99 });
    const after = await snapshot('2026-11-08');
    expect(after[2]).not.toEqual(before[2]);
    expect(after[0]!.startsWith(`${EVENTS}:`)).toBe(true);
    expect(await snapshot('2026-11-02')).toEqual(other);
  });

  it('two dbt runs of one date at once (a dead worker’s dbt and its retry) leave one copy of the date', async () => {
    const date = '2026-11-08';
    const counts = async () =>
      (
        await db.pool.query<{ stg: number; agg: number; fct: number }>(
          `SELECT (SELECT count(*)::int FROM analytics.stg_ad_events WHERE event_date = $1) AS stg,
                  (SELECT count(*)::int FROM analytics.int_hourly_agg WHERE event_date = $1) AS agg,
                  (SELECT count(*)::int FROM analytics.fct_daily_metrics WHERE metric_date = $1) AS fct`,
          [date],
        )
      ).rows[0];
    const before = await counts();
    expect(before!.stg).toBe(EVENTS);
    const runs = await Promise.all([1, 2].map(() => dbt('run', { runDate: date, select: ['tag:daily_run'] })));
    for (const r of runs) expect(r.exitCode, r.rawOutput).toBe(0);
    const audited = await db.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM analytics_audit.stg_ad_events_p20261108`);
    expect(audited.rows[0]!.n).toBe(before!.stg);
    await publish(date);
    expect(await counts()).toEqual(before);
  });

  // Write, audit, publish: a day whose error-severity tests fail never reaches analytics.
  const DEFECT_CASES: { defect: string; test: string; load: (date: string) => Promise<void>; auditEvidence: (date: string) => string }[] = [
    {
      defect: 'a negative cost',
      test: 'stg_ad_events_amounts_not_negative',
      load: (date) => loadDay(db.pool, { date, events: SMALL, seed: 3, defects: ['negative-cost'] }).then(() => {}),
      auditEvidence: (date) => `SELECT count(*)::int AS n FROM analytics_audit.stg_ad_events_p${date.replaceAll('-', '')} WHERE cost_micros < 0`,
    },
    {
      defect: 'a currency without an FX rate',
      test: 'stg_ad_events_currency_has_fx_rate',
      load: (date) => loadDay(db.pool, { date, events: SMALL, seed: 3, defects: ['unknown-currency'] }).then(() => {}),
      auditEvidence: (date) => `SELECT count(*)::int AS n FROM analytics_audit.stg_ad_events_p${date.replaceAll('-', '')} WHERE spend_krw IS NULL`,
    },
    {
      defect: 'an hour with clicks and no impressions',
      test: 'int_hourly_agg_clicks_within_impressions',
      load: (date) => loadDay(db.pool, { date, events: SMALL, seed: 3, defects: ['clicks-without-impressions'] }).then(() => {}),
      auditEvidence: (date) => `SELECT count(*)::int AS n FROM analytics_audit.int_hourly_agg_p${date.replaceAll('-', '')} WHERE clicks > impressions`,
    },
    {
      defect: 'revenue on a click',
      test: 'stg_ad_events_revenue_only_on_conversions',
      load: async (date) => {
        await loadDay(db.pool, { date, events: SMALL, seed: 3 });
        // Hand-written, as an outside auditor would: a click carrying 76 million KRW of revenue.
        await db.pool.query(
          `INSERT INTO realtime.ad_events (event_id, event_type, event_time, campaign_id, ad_group_id, channel, device, cost_micros, revenue_micros, currency, ingested_at)
           VALUES ('auditor-click-1', 'click', $1::date + time '10:00' AT TIME ZONE 'UTC', 'cmp_001', 'cmp_001_ag1', 'google', 'mobile', 500000000, 76000000000000, 'KRW', $1::date + time '10:00:05' AT TIME ZONE 'UTC')`,
          [date],
        );
      },
      auditEvidence: (date) => `SELECT count(*)::int AS n FROM analytics_audit.stg_ad_events_p${date.replaceAll('-', '')} WHERE event_type = 'click' AND revenue_krw > 0`,
    },
  ];

  it.each(DEFECT_CASES.map((c, i) => [c.defect, c, i] as const))('%s on a new date: the run fails its test and analytics holds exactly what it held before', async (_, c, i) => {
    const date = `2026-11-2${i + 1}`;
    const before = await analyticsSnapshot();
    await c.load(date);
    const { test, problems, published } = await runDay(date, { load: false });
    expect(problems[c.test]).toBe('fail');
    expect(test.exitCode).not.toBe(0);
    expect(published).toBeUndefined();
    expect(await analyticsSnapshot()).toEqual(before);
    // The failed day's rows stay where they were audited, to look at, in tables autovacuum leaves alone.
    expect((await db.pool.query<{ n: number }>(c.auditEvidence(date))).rows[0]!.n).toBeGreaterThan(0);
    const options = await db.pool.query<{ reloptions: string[] | null }>(
      "SELECT c.reloptions FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'analytics_audit' AND c.relname LIKE $1",
      [`%_p${date.replaceAll('-', '')}`],
    );
    expect(options.rows.length).toBeGreaterThan(0);
    for (const r of options.rows) expect(r.reloptions).toEqual(['autovacuum_enabled=false']);
  });

  it.each(DEFECT_CASES.map((c) => [c.defect, c] as const))('%s in a re-run of a published date: the good published version stays, untouched', async (_, c) => {
    const date = '2026-11-26';
    const good = await runDay(date, { events: SMALL, seed: 5 });
    expect(good.published?.models).toHaveLength(6);
    const before = await analyticsSnapshot();
    await c.load(date);
    const { problems, published } = await runDay(date, { load: false });
    expect(problems[c.test]).toBe('fail');
    expect(published).toBeUndefined();
    expect(await analyticsSnapshot()).toEqual(before);
  });

  it('the report models read published days only: days that failed their tests are named as missing from the 7-day window', async () => {
    // 2026-11-21…24 failed their tests above and were never published; 2026-11-26 was.
    const etl = await dbt('build', { runDate: '2026-11-26', select: ['tag:daily_etl'], extraArgs: ['--exclude', 'test_type:unit'] });
    expect(etl.exitCode, etl.rawOutput).toBe(0);
    const { rows } = await db.pool.query<{ window_missing_days: string; window_days_published: number }>(
      'SELECT window_missing_days, window_days_published FROM analytics_audit.rpt_daily_totals_p20261126',
    );
    expect(rows).toEqual([{ window_missing_days: '2026-11-20, 2026-11-21, 2026-11-22, 2026-11-23, 2026-11-24, 2026-11-25', window_days_published: 1 }]);
    const trend = await db.pool.query<{ day: string; published: boolean; spend: string | null }>(
      'SELECT metric_date::text AS day, published, spend_krw::text AS spend FROM analytics_audit.rpt_daily_trend_p20261126 ORDER BY 1',
    );
    expect(trend.rows.filter((r) => r.published).map((r) => r.day)).toEqual(['2026-11-26']);
    expect(trend.rows.filter((r) => !r.published).every((r) => r.spend === null)).toBe(true);
  });

  it('money keeps every digit: amounts near the bigint limit reach the report CSV exactly as analytics holds them', async () => {
    const date = '2026-11-28';
    const clickCost = 9_223_372_036_854_775_000n; // micros of USD, near bigint's limit
    const revenue = 9_223_372_036_854_775_807n; // bigint's limit
    await loadDay(db.pool, { date, events: SMALL, seed: 7 });
    await db.pool.query(
      `INSERT INTO realtime.ad_events (event_id, event_type, event_time, campaign_id, ad_group_id, channel, device, cost_micros, revenue_micros, currency, ingested_at) VALUES
       ('huge-click', 'click', $1::date + time '10:00' AT TIME ZONE 'UTC', 'cmp_001', 'cmp_001_ag1', 'google', 'mobile', $2, 0, 'USD', $1::date + time '10:00:01' AT TIME ZONE 'UTC'),
       ('huge-conversion', 'conversion', $1::date + time '10:01' AT TIME ZONE 'UTC', 'cmp_001', 'cmp_001_ag1', 'google', 'mobile', 0, $3, 'USD', $1::date + time '10:01:01' AT TIME ZONE 'UTC')`,
      [date, clickCost.toString(), revenue.toString()],
    );
    const day = await runDay(date, { load: false });
    expect(day.problems).toEqual({});
    expect(day.published).toBeDefined();
    // micros × 1385.200000 KRW/USD ÷ 10^6, rounded half away from zero to 6 decimals, in exact integers.
    const exactKrw = (micros: bigint) => {
      const q = (micros * 1_385_200_000n + 500_000n) / 1_000_000n; // millionths of KRW
      return `${q / 1_000_000n}.${String(q % 1_000_000n).padStart(6, '0')}`;
    };
    const staged = await db.pool.query<{ spend: string; revenue: string }>(
      "SELECT (SELECT spend_krw::text FROM analytics.stg_ad_events WHERE event_id = 'huge-click') AS spend, (SELECT revenue_krw::text FROM analytics.stg_ad_events WHERE event_id = 'huge-conversion') AS revenue",
    );
    expect(staged.rows[0]).toEqual({ spend: exactKrw(clickCost), revenue: exactKrw(revenue) });

    const etl = await dbt('build', { runDate: date, select: ['tag:daily_etl'], extraArgs: ['--exclude', 'test_type:unit'] });
    expect(etl.exitCode, etl.rawOutput).toBe(0);
    await createPublishActivities({ pool: db.pool }).publishDay({ pipeline: 'daily_etl', runDate: date, tag: 'daily_etl' });
    const reportsDir = mkdtempSync(path.join(os.tmpdir(), 'roas-exact-report-'));
    const summary = await writeReport(reportsDir, await readReportData(db.pool, date), [], new Date().toISOString());
    const csv = readFileSync(path.join(summary.dir, 'campaigns.csv'), 'utf8').trim().split('\n');
    const header = csv[0]!.split(',');
    const cmp001 = Object.fromEntries(csv.find((l) => l.includes(',cmp_001,'))!.split(',').map((v, i) => [header[i]!, v]));
    const fact = await db.pool.query<{ spend: string; revenue: string; roas: string; cpc: string }>(
      "SELECT spend_krw::text AS spend, revenue_krw::text AS revenue, roas::text AS roas, cpc_krw::text AS cpc FROM analytics.fct_daily_metrics WHERE metric_date = $1 AND campaign_id = 'cmp_001'",
      [date],
    );
    expect({ spend: cmp001.spend_krw, revenue: cmp001.revenue_krw, roas: cmp001.roas, cpc: cmp001.cpc_krw }).toEqual(fact.rows[0]);
    // 17 integer digits and 6 decimals: 23 significant digits, far past what a double keeps.
    expect(fact.rows[0]!.spend).toMatch(/^\d{17}\.\d{6}$/);
    expect(fact.rows[0]!.cpc).toMatch(/\.\d{8}$/); // 8 decimals, as the ratio macro promises, at any size
    const totals = readFileSync(path.join(summary.dir, 'daily_totals.csv'), 'utf8');
    expect(totals).toContain(summary.spendKrw);
  });

  it("each campaign's ROAS computed straight from realtime equals fct_daily_metrics to the cent", async () => {
    const date = '2026-11-03'; // the day with duplicates: the independent computation must de-duplicate too
    const expected = await independentDailyTotals(date);
    const { rows } = await db.pool.query<{ campaign_id: string; spend: string; revenue: string; roas: string | null }>(
      'SELECT campaign_id, round(spend_krw, 2)::text AS spend, round(revenue_krw, 2)::text AS revenue, roas::text AS roas FROM analytics.fct_daily_metrics WHERE metric_date = $1',
      [date],
    );
    expect(rows.length).toBe(expected.size);
    for (const row of rows) {
      const e = expected.get(row.campaign_id)!;
      expect(row.spend, row.campaign_id).toBe(e.spend);
      expect(row.revenue, row.campaign_id).toBe(e.revenue);
      if (e.roas === null) expect(row.roas).toBeNull();
      else expect(Math.abs(Number(row.roas) - e.roas)).toBeLessThan(1e-6);
    }
  });

  /**
   * Per campaign spend and revenue in KRW, in TypeScript from the raw rows: first arrival of
   * each event_id, amounts converted at the seed's rate, each event rounded to 6 decimals
   * (half away from zero) as the currency rule says, sums in exact integer arithmetic.
   */
  async function independentDailyTotals(date: string) {
    const rates = new Map(
      readFileSync(path.join(PROJECT_ROOT, 'dbt/seeds/fx_rates.csv'), 'utf8')
        .trim()
        .split('\n')
        .slice(1)
        .map((l) => l.split(','))
        .map(([c, r]) => [c!, BigInt(Math.round(Number(r) * 1e6))]),
    );
    const { rows } = await db.pool.query<{ event_id: string; campaign_id: string; cost_micros: string; revenue_micros: string; currency: string; ingested_at: Date }>(
      "SELECT event_id, campaign_id, cost_micros, revenue_micros, currency, ingested_at FROM realtime.ad_events WHERE event_time >= $1::date AT TIME ZONE 'UTC' AND event_time < ($1::date + 1) AT TIME ZONE 'UTC'",
      [date],
    );
    const first = new Map<string, (typeof rows)[number]>();
    for (const r of rows) {
      const seen = first.get(r.event_id);
      if (!seen || r.ingested_at < seen.ingested_at) first.set(r.event_id, r);
    }
    // KRW in units of 1e-6 for one event: micros * rate(1e-6) / 1e6, rounded half away from zero.
    const toKrwMicro = (micros: bigint, rate: bigint) => {
      const p = micros * rate;
      const q = p / 1_000_000n;
      const rem = p % 1_000_000n;
      return q + (rem * 2n >= 1_000_000n ? 1n : rem * 2n <= -1_000_000n ? -1n : 0n);
    };
    const totals = new Map<string, { spend: bigint; revenue: bigint }>();
    for (const r of first.values()) {
      const rate = rates.get(r.currency)!;
      const t = totals.get(r.campaign_id) ?? { spend: 0n, revenue: 0n };
      t.spend += toKrwMicro(BigInt(r.cost_micros), rate);
      t.revenue += toKrwMicro(BigInt(r.revenue_micros), rate);
      totals.set(r.campaign_id, t);
    }
    const cents = (krwMicro: bigint) => {
      const c = (krwMicro + 5_000n) / 10_000n; // amounts here are non-negative
      return `${c / 100n}.${String(c % 100n).padStart(2, '0')}`;
    };
    return new Map(
      [...totals].map(([id, t]) => [
        id,
        { spend: cents(t.spend), revenue: cents(t.revenue), roas: t.spend === 0n ? null : Number(t.revenue) / Number(t.spend) },
      ]),
    );
  }
});

describe('warm and plain dbt on the whole project suite', () => {
  it('give the same exit codes, node statuses and rows', () => {
    const warm = transcripts.get('warm');
    const plain = transcripts.get('plain');
    // Both suites ran above (this file runs in order, and this test is skipped by any filter that picks one of theirs).
    if (!warm?.rows || !plain?.rows) throw new Error(`a suite did not finish: warm ${Boolean(warm?.rows)}, plain ${Boolean(plain?.rows)}`);
    expect(warm.invocations.length).toBeGreaterThan(40);
    expect(warm.invocations).toEqual(plain.invocations);
    expect(Object.keys(warm.rows).length).toBeGreaterThan(20);
    expect(warm.rows).toEqual(plain.rows);
  });
});

/** The singular tests: every .sql file under dbt/tests. */
function readdirSqlTests(): string[] {
  const root = path.join(PROJECT_ROOT, 'dbt', 'tests');
  return readdirSync(root, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.sql'))
    .map((f) => path.basename(f, '.sql'));
}
