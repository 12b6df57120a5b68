// A daily run's wall time at several sizes, split into orchestration overhead and dbt's own time,
// against the floor: the same day's campaign metrics computed by one hand-written SQL statement.
// Real parts: Temporal dev server, the project's worker and activities, PostgreSQL, dbt.
// Prints a table and writes bench/results/daily-run.json.
//   npm run bench:daily-run -- --sizes 100000,1000000,5000000
import path from 'node:path';
import { Command, Option } from 'commander';
import { execa } from 'execa';
import type pg from 'pg';
import { readRunResults } from '../src/artifacts/run-results';
import { PROJECT_ROOT } from '../src/platform/config';
import type { dbtDailyRun } from '../workflows';
import { workflowIds } from '../src/core/signals';
import { addDays } from '../src/core/dates';
import { recordFlinkComplete } from '../src/client/flink-complete';
import { loadDay } from '../src/local/generator/load';
import { benchStack, median, runIfMain, writeResult, type BenchStack } from './lib';

export interface DailyRunSize {
  events: number;
  runDate: string;
  /** As a user sees it: `roas run dbt --date D --wait`, process start to exit (the Flink day already complete). */
  wallMs: number;
  /** The dbt processes of the run (one build; two, run and test, for runs from before the single build), spawn to exit. */
  dbtProcessMs: number;
  /** dbt's own elapsed time inside them (run_results.json): the SQL, and dbt's work between statements. */
  dbtElapsedMs: number;
  /** Wall minus dbt's own time: the CLI, Temporal, the gate, the ledger, publishing, and dbt's start-up and exit. */
  fixedMs: number;
  /** Of that, what is not a dbt process at all (wall minus the processes). */
  orchestrationMs: number;
  /** Time inside the models, and inside the tests, of the run. */
  modelMs: number;
  testMs: number;
  /** The publish activity (one transaction attaching the day's partitions). */
  publishMs: number;
  /** One SQL statement computing the day's campaign metrics from realtime (median of 3). */
  floorMs: number;
  /** The floor's result equals fct_daily_metrics for the date (counts, spend and revenue per campaign). */
  floorMatchesMart: boolean;
  ratioRunToFloor: number;
  /** Growth of the database for the day (its events, audited and published tables; WAL not counted). */
  diskBytes: number;
  /** How many times the run fits in the 1-hour SLA. */
  slaHeadroom: number;
}

/**
 * The floor: realtime → de-duplicated, converted to KRW, aggregated per campaign with the same
 * ratios as the mart, in one statement into a table. No staging or hourly table is kept.
 */
function floorSql(runDate: string, table: string): string {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(runDate)) throw new Error(`bad date ${runDate}`);
  return `
CREATE TABLE ${table} AS
WITH events AS (
  SELECT DISTINCT ON (event_id) event_id, event_type, event_time, campaign_id, channel, currency, cost_micros, revenue_micros
  FROM realtime.ad_events
  WHERE event_time >= (date '${runDate}')::timestamp AT TIME ZONE 'UTC'
    AND event_time < (date '${runDate}' + 1)::timestamp AT TIME ZONE 'UTC'
  ORDER BY event_id, ingested_at
), converted AS (
  SELECT e.campaign_id, e.channel, e.event_type,
         date_trunc('hour', e.event_time AT TIME ZONE 'UTC') AS event_hour,
         round(e.cost_micros::numeric / 1000000 * fx.krw_per_unit, 6) AS spend_krw,
         round(e.revenue_micros::numeric / 1000000 * fx.krw_per_unit, 6) AS revenue_krw
  FROM events e LEFT JOIN analytics.fx_rates fx ON fx.currency = e.currency
), daily AS (
  SELECT campaign_id, channel,
         count(*) FILTER (WHERE event_type = 'impression') AS impressions,
         count(*) FILTER (WHERE event_type = 'click') AS clicks,
         count(*) FILTER (WHERE event_type = 'conversion') AS conversions,
         coalesce(sum(spend_krw), 0) AS spend_krw,
         coalesce(sum(revenue_krw), 0) AS revenue_krw,
         count(DISTINCT event_hour) AS active_hours
  FROM converted GROUP BY campaign_id, channel
)
SELECT date '${runDate}' AS metric_date, d.campaign_id, c.campaign_name, d.channel, d.impressions, d.clicks, d.conversions,
       d.spend_krw, d.revenue_krw,
       round(d.clicks::numeric / nullif(d.impressions, 0), 8) AS ctr,
       round(d.conversions::numeric / nullif(d.clicks, 0), 8) AS cvr,
       round(d.spend_krw / nullif(d.clicks, 0), 8) AS cpc_krw,
       round(d.spend_krw / nullif(d.conversions, 0), 8) AS cpa_krw,
       round(d.revenue_krw / nullif(d.spend_krw, 0), 6) AS roas,
       d.active_hours
FROM daily d LEFT JOIN analytics.campaigns c ON c.campaign_id = d.campaign_id`;
}

async function measureFloor(pool: pg.Pool, runDate: string): Promise<{ ms: number; matches: boolean }> {
  const table = `public.bench_floor_${runDate.replaceAll('-', '_')}`;
  const times: number[] = [];
  for (let i = 0; i < 3; i++) {
    await pool.query(`DROP TABLE IF EXISTS ${table}`);
    const t = performance.now();
    await pool.query(floorSql(runDate, table));
    times.push(performance.now() - t);
  }
  const { rows } = await pool.query<{ differing: number; floor: number; mart: number }>(
    `SELECT (SELECT count(*)::int FROM ${table} f FULL JOIN (SELECT * FROM analytics.fct_daily_metrics WHERE metric_date = $1) m USING (campaign_id)
             WHERE f.impressions IS DISTINCT FROM m.impressions OR f.clicks IS DISTINCT FROM m.clicks
                OR f.conversions IS DISTINCT FROM m.conversions OR f.spend_krw IS DISTINCT FROM m.spend_krw
                OR f.revenue_krw IS DISTINCT FROM m.revenue_krw OR f.roas IS DISTINCT FROM m.roas
                OR f.active_hours IS DISTINCT FROM m.active_hours) AS differing,
            (SELECT count(*)::int FROM ${table}) AS floor,
            (SELECT count(*)::int FROM analytics.fct_daily_metrics WHERE metric_date = $1) AS mart`,
    [runDate],
  );
  await pool.query(`DROP TABLE IF EXISTS ${table}`);
  const r = rows[0]!;
  return { ms: median(times), matches: r.differing === 0 && r.floor === r.mart && r.mart > 0 };
}

const ROAS = path.join(PROJECT_ROOT, 'bin', 'roas');

export async function measureDailyRuns(stack: BenchStack, opts: { sizes: number[]; firstDate?: string }): Promise<DailyRunSize[]> {
  const { bench, taskQueue, spawns } = stack;
  const out: DailyRunSize[] = [];
  const dbSize = async () => Number((await bench.pool.query<{ n: string }>('SELECT pg_database_size(current_database()) AS n')).rows[0]!.n);
  await stack.withWorker(async () => {
    // A worker that has run before, as the long-lived worker has: its first workflow task loads
    // the workflow bundle (about 0.5 s here) and its first activities warm their connections.
    // One small day, not measured, pays that.
    {
      const warmDate = addDays(opts.firstDate ?? '2026-01-10', -1);
      await loadDay(bench.pool, { date: warmDate, events: 1_000, seed: 1 });
      await recordFlinkComplete(bench.pool, { runDate: warmDate });
      const warm = await execa(ROAS, ['run', 'dbt', '--date', warmDate, '--wait'], {
        reject: false,
        env: { DATABASE_URL: bench.url, TEMPORAL_ADDRESS: stack.address, TEMPORAL_TASK_QUEUE: taskQueue, LOG_LEVEL: 'warn' },
      });
      if (warm.exitCode !== 0) throw new Error(`the warm-up run of ${warmDate} failed:\n${warm.stdout}\n${warm.stderr}`);
    }
    for (const [i, events] of opts.sizes.entries()) {
      const runDate = addDays(opts.firstDate ?? '2026-01-10', i);
      process.stderr.write(`daily run: loading ${events.toLocaleString('en-US')} events for ${runDate}\n`);
      await bench.pool.query('CHECKPOINT');
      const sizeBefore = await dbSize();
      await loadDay(bench.pool, { date: runDate, events, seed: 7 + i });
      await recordFlinkComplete(bench.pool, { runDate });
      // As a user runs it: the CLI, started and followed to the end.
      const started = performance.now();
      const cli = await execa(ROAS, ['run', 'dbt', '--date', runDate, '--wait'], {
        reject: false,
        env: { DATABASE_URL: bench.url, TEMPORAL_ADDRESS: stack.address, TEMPORAL_TASK_QUEUE: taskQueue, LOG_LEVEL: 'warn' },
      });
      const wallMs = performance.now() - started;
      if (cli.exitCode !== 0) throw new Error(`the daily run of ${runDate} failed:\n${cli.stdout}\n${cli.stderr}`);
      const mine = spawns.filter((sp) => sp.runDate === runDate);
      const results = mine.map((sp) => readRunResults(sp.targetPath));
      const nodes = results.flatMap((r) => r?.nodes ?? []);
      const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
      const dbtProcessMs = sum(mine.map((sp) => sp.ms));
      const dbtElapsedMs = 1000 * sum(results.map((r) => r?.elapsedSeconds ?? 0));
      const result = await stack.client.workflow.getHandle<typeof dbtDailyRun>(workflowIds.dbtDailyRun(runDate)).result();
      const floor = await measureFloor(bench.pool, runDate);
      const diskBytes = (await dbSize()) - sizeBefore;
      out.push({
        events,
        runDate,
        wallMs,
        dbtProcessMs,
        dbtElapsedMs,
        fixedMs: wallMs - dbtElapsedMs,
        orchestrationMs: wallMs - dbtProcessMs,
        modelMs: 1000 * sum(nodes.filter((n) => n.resourceType === 'model').map((n) => n.executionSeconds)),
        testMs: 1000 * sum(nodes.filter((n) => n.resourceType === 'test').map((n) => n.executionSeconds)),
        publishMs: result.published?.milliseconds ?? NaN,
        floorMs: floor.ms,
        floorMatchesMart: floor.matches,
        ratioRunToFloor: wallMs / floor.ms,
        diskBytes,
        slaHeadroom: 3_600_000 / wallMs,
      });
      process.stderr.write(`daily run: ${events.toLocaleString('en-US')} events in ${(wallMs / 1000).toFixed(1)} s (dbt ${(dbtElapsedMs / 1000).toFixed(1)} s), floor ${(floor.ms / 1000).toFixed(2)} s\n`);
    }
  });
  return out;
}

const s = (ms: number) => (ms / 1000).toFixed(2).padStart(7);
export function printDailyRuns(rows: DailyRunSize[]): void {
  console.log('\ndaily run as a user runs it (roas run dbt --date D --wait; the Flink day already complete), seconds');
  console.log('   events/day |    wall | dbt own | fixed (wall − dbt own) | dbt processes | models |  tests | publish |   floor | wall/floor | disk/day | SLA headroom | floor = mart');
  for (const r of rows) {
    console.log(
      `${r.events.toLocaleString('en-US').padStart(13)} | ${s(r.wallMs)} | ${s(r.dbtElapsedMs)} | ${s(r.fixedMs).padStart(21)} | ${s(r.dbtProcessMs).padStart(13)} | ${s(r.modelMs)} | ${s(r.testMs)} | ${s(r.publishMs)} | ${s(r.floorMs)} | ${r.ratioRunToFloor.toFixed(1).padStart(10)} | ${(r.diskBytes / 2 ** 20).toFixed(0).padStart(5)} MiB | ${r.slaHeadroom.toFixed(0).padStart(10)}× | ${r.floorMatchesMart ? 'yes' : 'NO'}`,
    );
  }
}

runIfMain(import.meta.url, async () => {
  const { sizes } = new Command('bench:daily-run')
    .addOption(
      new Option('--sizes <list>', 'events per day, comma-separated').default([100_000, 1_000_000, 5_000_000]).argParser((v) => v.split(',').map(Number)),
    )
    .parse()
    .opts<{ sizes: number[] }>();
  const stack = await benchStack('daily-run');
  try {
    const rows = await measureDailyRuns(stack, { sizes });
    printDailyRuns(rows);
    writeResult('daily-run.json', { benchmark: 'daily run wall time by size, and the SQL floor', date: new Date().toISOString(), sizes: rows });
  } finally {
    await stack.close();
  }
});
