// Late data on the real stack (dev server, the project's worker, real dbt, PostgreSQL, the Slack
// client against a local stand-in): a run reads one cut of its day however many rows arrive while
// it builds; the nightly look-back restates published days that received rows after their cut,
// records the before and after, and says so; a restatement that fails keeps the published day;
// older days wait for `roas restate`; a restatement and a backfill of the same dates publish each
// date once.
import { ScheduleOverlapPolicy } from '@temporalio/client';
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lateRowLines } from '../../src/cli/commands/restate';
import { startDailyEtl, startDbtDailyRun } from '../../src/client/runs';
import { applySchedules, scheduleId, SCHEDULES } from '../../src/client/schedules';
import type { Config } from '../../src/platform/config';
import { recordFlinkComplete } from '../../src/client/flink-complete';
import { loadDay } from '../../src/local/generator/load';
import { backfill, restate } from '../../workflows';
import { withRealWorker } from '../helpers/real-worker';
import { testConfig } from '../helpers/config';
import { useTestDatabase } from '../helpers/db';
import { startFakeSlack } from '../helpers/slack';
import { connectDevServer, eventually, uniqueTaskQueue } from '../helpers/temporal';

const A = '2025-03-15'; // (a) built under a writer, then (b) restated by the night
const C = '2025-03-17'; // (c) its restatement fails a test
const D = '2025-03-05'; // (d) past the look-back
const E = ['2025-03-08', '2025-03-09']; // (e) restatement and backfill at once
const NIGHT = '2025-03-20'; // the night of 2025-03-21 00:00 runs this day, looking back over 03-13..03-19

describe('late data on the real stack', () => {
  const db = useTestDatabase(import.meta.url);
  let temporal: Awaited<ReturnType<typeof connectDevServer>>;
  let slack: Awaited<ReturnType<typeof startFakeSlack>>;
  let config: Config;
  const idPrefix = `late-${randomBytes(3).toString('hex')}-`;
  const taskQueue = uniqueTaskQueue('late-data');
  let seq = 0;

  beforeAll(async () => {
    temporal = await connectDevServer();
    slack = await startFakeSlack();
    config = testConfig({
      DBT_ARTIFACTS_DIR: mkdtempSync(path.join(os.tmpdir(), 'roas-late-')),
      SLACK_BOT_TOKEN: 'xoxb-late-data-test',
      SLACK_API_URL: slack.url,
      ROAS_RETRY_INTERVAL: '2s',
      ROAS_RETRY_ATTEMPTS: '2',
    });
  });
  afterAll(async () => {
    for (const def of SCHEDULES) await temporal?.client.schedule.getHandle(scheduleId(def, { idPrefix })).delete().catch(() => {});
    await temporal?.close();
    await slack?.close();
  });

  const withWorker = <T>(body: () => Promise<T>) => withRealWorker({ config, connection: temporal.nativeConnection, databaseUrl: db.url, taskQueue }, body);

  /** Rows of a day arriving now, as a streaming sink inserts them: conversions of cmp_001 by default. */
  async function lateRows(day: string, n: number, row: { type?: string; costMicros?: number; revenueMicros?: number } = {}) {
    const first = seq;
    seq += n;
    await db.pool.query(
      `INSERT INTO realtime.ad_events (event_id, event_type, event_time, campaign_id, ad_group_id, channel, device, cost_micros, revenue_micros, currency, ingested_at)
       SELECT 'late-' || $1 || '-' || ($2 + g), $3, $1::date + interval '12 hours' + g * interval '1 second', 'cmp_001', 'cmp_001_ag1', 'google', 'mobile', $4, $5, 'USD', clock_timestamp()
       FROM generate_series(1, $6) g`,
      [day, first, row.type ?? 'conversion', row.costMicros ?? 0, row.revenueMicros ?? 2_000_000_000, n],
    );
  }

  async function publishDays(days: string[], events: number) {
    for (const day of days) {
      await loadDay(db.pool, { date: day, events, seed: 7 });
      await recordFlinkComplete(db.pool, { runDate: day });
    }
    for (const day of days) {
      const r = await (await startDbtDailyRun(temporal.client, config, day, { taskQueue, trigger: 'manual' })).result();
      expect(r.status).toBe('succeeded');
    }
  }

  const total = async (day: string) =>
    (
      await db.pool.query<{ revenue: string; events: string }>(
        'SELECT sum(revenue_krw)::text AS revenue, sum(impressions + clicks + conversions)::text AS events FROM analytics.fct_daily_metrics WHERE metric_date = $1',
        [day],
      )
    ).rows[0]!;

  const ledger = async (day: string) =>
    (
      await db.pool.query<{ status: string; trigger: string }>(
        "SELECT status, trigger FROM orchestrator.pipeline_runs WHERE pipeline = 'dbt_daily_run' AND run_date = $1 ORDER BY started_at",
        [day],
      )
    ).rows;

  it('(a) a writer inserting rows of the day while the run builds: the run publishes exactly the rows of its cut, every model agreeing', async () => {
    await loadDay(db.pool, { date: A, events: 10_000, seed: 5 });
    await recordFlinkComplete(db.pool, { runDate: A });
    let writing = true;
    const writer = (async () => {
      while (writing) {
        await lateRows(A, 5);
        await new Promise((r) => setTimeout(r, 250));
      }
    })();
    const result = await withWorker(async () => (await startDbtDailyRun(temporal.client, config, A, { taskQueue, trigger: 'manual' })).result()).finally(() => {
      writing = false;
    });
    await writer;
    expect(result.status).toBe('succeeded');
    const cut = result.cut!;
    const { rows: cuts } = await db.pool.query<{ rows: string; published: boolean }>(
      'SELECT rows, published_at IS NOT NULL AS published FROM realtime_cut.cuts WHERE cut_id = $1',
      [cut.cutId],
    );
    expect(cuts[0]).toEqual({ rows: String(cut.rows), published: true });
    const { rows } = await db.pool.query<{ deliveries: string; staged: string; hourly: string; daily: string; now: string }>(
      `SELECT (SELECT sum(deliveries) FROM analytics.stg_ad_events WHERE event_date = $1)::text AS deliveries,
              (SELECT count(*) FROM analytics.stg_ad_events WHERE event_date = $1)::text AS staged,
              (SELECT sum(impressions + clicks + conversions) FROM analytics.int_hourly_agg WHERE event_date = $1)::text AS hourly,
              (SELECT sum(impressions + clicks + conversions) FROM analytics.fct_daily_metrics WHERE metric_date = $1)::text AS daily,
              (SELECT count(*) FROM realtime.ad_events WHERE event_time >= $1::date AND event_time < $1::date + 1)::text AS now`,
      [A],
    );
    const r = rows[0]!;
    // Staging holds every row of the cut (each delivery counted), and each model agrees with it.
    expect(Number(r.deliveries)).toBe(cut.rows);
    expect(r.hourly).toBe(r.staged);
    expect(r.daily).toBe(r.staged);
    // The writer went on while the run built: the day has rows the cut does not, for the restatement.
    expect(Number(r.now)).toBeGreaterThan(cut.rows);
    expect(cut.rows).toBeGreaterThanOrEqual(10_000);
  }, 600_000);

  it('(b, c, d) the night restates late days of the look-back, records and reports them; a failing one keeps its version; older days wait', async () => {
    await withWorker(async () => {
      await publishDays([C, D], 3_000);
      await loadDay(db.pool, { date: NIGHT, events: 3_000, seed: 8 });
      await recordFlinkComplete(db.pool, { runDate: NIGHT });
      const before = { a: await total(A), c: await total(C), d: await total(D) };
      // Two large late conversions of A; a late row of C that breaks an invariant; late rows of D.
      await lateRows(A, 2, { revenueMicros: 500_000_000_000 });
      await lateRows(C, 1, { type: 'impression', costMicros: -1_000_000, revenueMicros: 0 });
      await lateRows(D, 3);

      await applySchedules(temporal.client, config, { idPrefix, taskQueue });
      await temporal.client.schedule.getHandle(`${idPrefix}dbt-daily-run`).backfill({
        start: new Date(`2025-03-21T00:00:00Z`),
        end: new Date(`2025-03-21T00:00:01Z`),
        overlap: ScheduleOverlapPolicy.ALLOW_ALL,
      });
      await eventually(
        'the night to finish',
        async () => {
          for await (const w of temporal.client.workflow.list({ query: `WorkflowType = 'scheduledDbtDailyRun' AND WorkflowId STARTS_WITH 'scheduled-${idPrefix}'` })) {
            if (w.status.name !== 'RUNNING') return true;
          }
          return false;
        },
        600_000,
        1_000,
      );

      // (b) A was restated: analytics equals an independent computation over every row of the day.
      expect((await ledger(A)).map((l) => `${l.trigger}:${l.status}`)).toEqual(['manual:succeeded', 'restatement:succeeded']);
      const independent = await db.pool.query<{ revenue: string; events: string }>(
        `WITH e AS (SELECT DISTINCT ON (event_id) * FROM realtime.ad_events WHERE event_time >= $1::date AND event_time < $1::date + 1 ORDER BY event_id, ingested_at)
         SELECT sum(round(e.revenue_micros::numeric * fx.krw_per_unit * 0.000001, 6))::text AS revenue, count(*)::text AS events
         FROM e JOIN analytics.fx_rates fx ON fx.currency = e.currency`,
        [A],
      );
      expect(await total(A)).toEqual(independent.rows[0]);
      // The record: the total before and after, the rows of both cuts.
      const record = await db.pool.query<{ trigger: string; rows_before: string; rows_after: string; revenue_before: string; revenue_after: string; roas_moved: boolean }>(
        `SELECT trigger, rows_before, rows_after, revenue_before::text, revenue_after::text, roas_after > roas_before AS roas_moved
         FROM orchestrator.restatements WHERE run_date = $1 AND campaign_id IS NULL`,
        [A],
      );
      expect(record.rows).toHaveLength(1);
      const rec = record.rows[0]!;
      expect(rec).toMatchObject({ trigger: 'restatement', revenue_before: before.a.revenue, revenue_after: independent.rows[0]!.revenue, roas_moved: true });
      const rowsNow = await db.pool.query<{ n: string }>('SELECT count(*)::text AS n FROM realtime.ad_events WHERE event_time >= $1::date AND event_time < $1::date + 1', [A]);
      expect(rec.rows_after).toBe(rowsNow.rows[0]!.n);
      expect(Number(rec.rows_after)).toBeGreaterThan(Number(rec.rows_before));
      // Slack: one message for the night, naming A and its ROAS before and after.
      const night = slack.messages().filter((m) => String(m.body.text).includes('Published days moved'));
      expect(night).toHaveLength(1);
      expect(String(night[0]!.body.text)).toContain(`${A}: ROAS`);
      // The daily report of the night's day says which days of its window were restated, and how far their ROAS moved.
      const etl = await (await startDailyEtl(temporal.client, config, NIGHT, { taskQueue })).result();
      expect(etl.report!.restatedDays!.map((r) => r.day)).toEqual([A]);
      expect(etl.report!.restatedDays![0]!.changePct).toBeGreaterThan(0);
      expect(etl.checks.find((c) => c.name === 'late_events')).toMatchObject({ status: 'warn' });
      expect(etl.checks.find((c) => c.name === 'late_events')!.detail).toContain(`${C} (1 rows)`);
      const reportMessage = slack.messages().filter((m) => String(m.body.text).includes(`Daily ROAS report ${NIGHT}`));
      expect(reportMessage).toHaveLength(1);
      expect(String(reportMessage[0]!.body.text)).toContain(`Restated after late data arrived: ${A} (ROAS`);

      // (c) C's restatement failed its test: the published day is as it was, and one alert names it.
      expect((await ledger(C)).map((l) => `${l.trigger}:${l.status}`)).toEqual(['manual:succeeded', 'restatement:failed']);
      expect(await total(C)).toEqual(before.c);
      const aboutC = slack.messages().filter((m) => String(m.body.text).includes(C) && !String(m.body.text).includes('SLA missed'));
      expect(aboutC).toHaveLength(1);
      expect(String(aboutC[0]!.body.text)).toContain(`Restatement of ${C} failed, its published version stays`);
      expect(String(aboutC[0]!.body.text)).toContain('stg_ad_events_amounts_not_negative');

      // (d) D is past the look-back: not restated; status lists it; the manual command restates it.
      expect((await ledger(D)).map((l) => l.trigger)).toEqual(['manual']);
      const lines = await lateRowLines(db.pool, NIGHT);
      expect(lines.join('\n')).toContain(`${D}: 3 rows after its cut`);
      expect(lines.join('\n')).toContain(`${C}: 1 rows after its cut`);
      const manual = await temporal.client.workflow.execute(restate, { taskQueue, workflowId: `${taskQueue}-restate-d`, args: [{ from: D, to: D }] });
      expect(manual.days.map((d) => `${d.runDate}:${d.status}:${d.lateRows}`)).toEqual([`${D}:restated:3`]);
      expect((await ledger(D)).map((l) => `${l.trigger}:${l.status}`)).toEqual(['manual:succeeded', 'restatement:succeeded']);
      expect((await lateRowLines(db.pool, NIGHT)).join('\n')).not.toContain(D);
    });
  }, 1_200_000);

  it('(e) a restatement and a backfill of the same dates at once publish each date once', async () => {
    await withWorker(async () => {
      await publishDays(E, 3_000);
      for (const day of E) await lateRows(day, 4);
      const since = new Date();
      const [restated, backfilled] = await Promise.all([
        temporal.client.workflow.execute(restate, { taskQueue, workflowId: `${taskQueue}-restate-e`, args: [{ from: E[0], to: E[1] }] }),
        temporal.client.workflow.execute(backfill, { taskQueue, workflowId: `${taskQueue}-backfill-e`, args: [{ pipeline: 'dbt', from: E[0]!, to: E[1]!, concurrency: 2 }] }),
      ]);
      expect(restated.days.map((d) => d.runDate)).toEqual(E);
      expect(backfilled.map((d) => d.runDate)).toEqual(E);
      for (const day of E) {
        const published = await db.pool.query<{ n: string }>(
          "SELECT count(*) AS n FROM orchestrator.pipeline_runs WHERE pipeline = 'dbt_daily_run' AND run_date = $1 AND status = 'succeeded' AND started_at >= $2",
          [day, since],
        );
        expect(published.rows[0]!.n, day).toBe('1');
        const records = await db.pool.query<{ n: string }>('SELECT count(*) AS n FROM orchestrator.restatements WHERE run_date = $1 AND campaign_id IS NULL', [day]);
        expect(records.rows[0]!.n, day).toBe('1');
        const late = await db.pool.query('SELECT 1 FROM realtime_cut.late_rows($1::date, $1::date)', [day]);
        expect(late.rowCount, day).toBe(0);
      }
    });
  }, 900_000);
});
